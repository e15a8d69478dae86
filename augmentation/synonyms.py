"""Synonym sources for EDA: any callable `word -> list of synonyms` works.

synonyms = synonym_table({"quick": ["fast", "speedy"], "happy": ["glad"]})
synonyms = wordnet_synonyms()   # WordNet through nltk, when installed with its data
"""

import re

WORDNET_INSTALL_HINT = (
    "WordNet synonyms need nltk and its WordNet data: `pip install nltk` then "
    "`python -m nltk.downloader wordnet` (downloads once, needs internet); "
    "or pass your own table: synonym_table({'word': ['synonym', ...]})"
)


class SynonymSourceUnavailable(RuntimeError):
    """A synonym source cannot be used here (e.g. nltk or its WordNet data is not installed)."""


def _clean(text):
    return re.sub(r"[^a-z ]", "", text.replace("_", " ").replace("-", " ").lower()).strip()


def synonym_table(table):
    """A synonym source from a dict of word to synonyms (lower-cased, the word itself dropped).

    Args:
        table: `{word: [synonym, ...]}`.

    Returns:
        A callable `word -> list[str]`.

    Example:
        >>> synonyms = synonym_table({"quick": ["fast", "speedy"]})
        >>> synonyms("Quick")
        ['fast', 'speedy']
    """
    cleaned = {}
    for word, options in table.items():
        key = _clean(word)
        cleaned[key] = [s for s in dict.fromkeys(_clean(o) for o in options) if s and s != key]

    def synonyms(word):
        return list(cleaned.get(_clean(word), []))

    return synonyms


def wordnet_synonyms():
    """A synonym source backed by WordNet (through nltk), as in the EDA paper's code.

    Nothing is downloaded: nltk and its `wordnet` corpus must already be installed.

    Returns:
        A callable `word -> list[str]`: lemma names of every synset of the word, cleaned to
        lower-case letters and spaces, without the word itself.

    Raises:
        SynonymSourceUnavailable: nltk or the WordNet data is missing; the message says how
            to install them.
    """
    try:
        import nltk
        from nltk.corpus import wordnet
    except ImportError:
        raise SynonymSourceUnavailable(f"nltk is not installed. {WORDNET_INSTALL_HINT}") from None
    try:
        nltk.data.find("corpora/wordnet")
    except LookupError:
        try:  # some installs ship only the zip
            nltk.data.find("corpora/wordnet.zip")
        except LookupError:
            raise SynonymSourceUnavailable(
                f"nltk's WordNet data is not installed. {WORDNET_INSTALL_HINT}"
            ) from None

    def synonyms(word):
        word = _clean(word)
        found = []
        for synset in wordnet.synsets(word):
            for lemma in synset.lemmas():
                name = _clean(lemma.name())
                if name and name != word and name not in found:
                    found.append(name)
        return found

    return synonyms
