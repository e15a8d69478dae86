"""A generated dialogue task whose true reply distribution is known, for HRED and VHRED.

Every dialogue has three context turns and a reply (words separated by spaces, each with an
English gloss in `GLOSS`):

    A: インコ の 話 を しよう        (let's talk about parakeets; one of 4 phrasings, 8 topics)
    B: へえ                          (a backchannel: うん / へえ / そうなんだ)
    A: どう 思う ？                  (always the same question)
    B: うん そうだね                 (the generic reply, probability GENERIC_PROBABILITY = 0.31)
     | インコ かわいい よね          (or one of three replies of the topic, 0.23 each)
     | どんな インコ ？
     | 私 も インコ 好き

The last utterance says nothing about the topic, so a model that reads only it (seq2seq) can at
best learn the marginal over all 8 topics' replies; a model that reads the whole context (HRED) can
learn the topic's four replies. Both optima are computed exactly (`optimum_perplexity`): the
per-token perplexity of the true distribution over a set of dialogues, counting each reply's
`<eos>`. The generic reply is the single most likely one in every context (0.31 > 0.23), and its
first word うん starts no other reply, so greedy decoding of a well-fitted model says うん そうだね.

Tokens: 0 `<pad>`, 1 `<unk>`, 2 `<bos>`, 3 `<eos>`, then the task's words in a fixed order.
"""

import collections
import dataclasses

import numpy as np

PAD, UNKNOWN, BEGIN, END = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIAL = (PAD, UNKNOWN, BEGIN, END)

# (topic word, its gloss, the adjective of its first reply, that adjective's gloss)
TOPICS = (
    ("インコ", "parakeets", "かわいい", "cute"),
    ("映画", "movies", "面白い", "fun"),
    ("ラーメン", "ramen", "おいしい", "tasty"),
    ("野球", "baseball", "熱い", "exciting"),
    ("旅行", "travel", "楽しい", "fun"),
    ("猫", "cats", "かわいい", "cute"),
    ("音楽", "music", "いい", "nice"),
    ("本", "books", "面白い", "interesting"),
)
# Speaker A's first turn; {t} is the topic word, at the start or in the middle.
OPENINGS = (
    "{t} の 話 を しよう",  # let's talk about {t}
    "最近 {t} に はまって る",  # I'm into {t} lately
    "{t} って いい よね",  # {t} is nice, isn't it
    "ねえ {t} の こと なんだ けど",  # hey, about {t} ...
)
BACKCHANNELS = ("うん", "へえ", "そうなんだ")  # uh-huh / oh / I see
QUESTION = "どう 思う ？"  # what do you think?
GENERIC_REPLY = "うん そうだね"  # uh-huh, right
# The topic's three replies: {t} the topic word, {a} its adjective. Their first words differ.
REPLY_TEMPLATES = (
    "{t} {a} よね",  # {t} is {a}, isn't it
    "どんな {t} ？",  # what kind of {t}?
    "私 も {t} 好き",  # I like {t} too
)
GENERIC_PROBABILITY = 0.31  # the rest is shared equally by the topic's three replies
TURNS = 3  # context utterances before the reply

GLOSS = {
    **{topic: gloss for topic, gloss, _, _ in TOPICS},
    **{adjective: gloss for _, _, adjective, gloss in TOPICS},
    "の": "of",
    "話": "talk",
    "を": "(obj)",
    "しよう": "let's",
    "最近": "lately",
    "に": "into",
    "はまって": "hooked",
    "る": "(am)",
    "って": "(topic)",
    "よね": "isn't it",
    "ねえ": "hey",
    "こと": "thing",
    "なんだ": "is",
    "けど": "but",
    "うん": "uh-huh",
    "へえ": "oh",
    "そうなんだ": "I see",
    "どう": "how",
    "思う": "think",
    "？": "?",
    "そうだね": "right",
    "どんな": "what kind of",
    "私": "I",
    "も": "too",
    "好き": "like",
    **{token: token for token in SPECIAL},
}


def topic_replies(topic):
    """The three topic-specific replies of `topic` (a topic word of `TOPICS`)."""
    (adjective,) = [a for t, _, a, _ in TOPICS if t == topic]
    return tuple(template.format(t=topic, a=adjective) for template in REPLY_TEMPLATES)


def valid_replies(topic):
    """`{reply: probability}`: the true reply distribution of any context about `topic`."""
    specific = (1.0 - GENERIC_PROBABILITY) / len(REPLY_TEMPLATES)
    return {GENERIC_REPLY: GENERIC_PROBABILITY, **dict.fromkeys(topic_replies(topic), specific)}


def marginal_replies():
    """`{reply: probability}` over all topics: the best a model reading only the question can do."""
    marginal = {}
    for topic, *_ in TOPICS:
        for reply, probability in valid_replies(topic).items():
            marginal[reply] = marginal.get(reply, 0.0) + probability / len(TOPICS)
    return marginal


def vocabulary():
    """Every token: the four special ones, then the words in order of first appearance."""
    texts = [*OPENINGS, *BACKCHANNELS, QUESTION, GENERIC_REPLY, *REPLY_TEMPLATES]
    words = []
    for text in texts:
        for word in text.format(t=TOPICS[0][0], a=TOPICS[0][2]).split():
            words.append(word)
    for topic, _, adjective, _ in TOPICS:
        words += [topic, adjective]
    return list(SPECIAL) + [w for w in dict.fromkeys(words) if w not in SPECIAL]


def gloss(text):
    """The English gloss of a space-separated text, word by word (unknown words kept)."""
    return " ".join(GLOSS.get(word, word) for word in text.split())


# English of every sentence the task generates ({t}: the topic's gloss, {a}: the adjective's).
ENGLISH = {
    OPENINGS[0]: "let's talk about {t}",
    OPENINGS[1]: "I'm into {t} lately",
    OPENINGS[2]: "{t}, nice, right?",
    OPENINGS[3]: "hey, about {t} ...",
    **dict(zip(BACKCHANNELS, ("uh-huh", "oh", "I see"), strict=True)),
    QUESTION: "what do you think?",
    GENERIC_REPLY: "uh-huh, right",
    REPLY_TEMPLATES[0]: "{t}: so {a}, right?",
    REPLY_TEMPLATES[1]: "what kind of {t}?",
    REPLY_TEMPLATES[2]: "I like {t} too",
}


def translate(text):
    """English of a sentence of the task (`"let's talk about parakeet"`); any other text gets its
    word-by-word `gloss` in brackets."""
    for topic, topic_gloss, adjective, adjective_gloss in TOPICS:
        for template, english in ENGLISH.items():
            if template.format(t=topic, a=adjective) == text:
                return english.format(t=topic_gloss, a=adjective_gloss)
    return f"[{gloss(text)}]" if text else "(nothing)"


@dataclasses.dataclass(frozen=True)
class Dialogues:
    """A set of generated dialogues, as text and as padded token ids.

    Attributes:
        contexts: `(n, TURNS)` strings, the context utterances.
        replies: `(n,)` strings.
        topics: `(n,)` topic index into `TOPICS`.
        context_ids: int32 `(n, TURNS, utterance_length)`, 0-padded.
        decoder_inputs: int32 `(n, reply_length)`, `<bos>` then the reply, 0-padded.
        targets: int32 `(n, reply_length)`, the reply then `<eos>`, 0-padded.
    """

    contexts: np.ndarray
    replies: np.ndarray
    topics: np.ndarray
    context_ids: np.ndarray
    decoder_inputs: np.ndarray
    targets: np.ndarray

    def __len__(self):
        return len(self.replies)

    @property
    def last_utterance_ids(self):
        """int32 `(n, 1, utterance_length)`: the context cut to its last turn (seq2seq's input)."""
        return self.context_ids[:, -1:, :]


class Tokenizer:
    """Words <-> ids over `vocabulary()`; words outside it read as `<unk>`.

    Example:
        >>> tokenizer = Tokenizer()
        >>> tokenizer.encode("インコ かわいい よね")
        [..., ..., ...]
    """

    def __init__(self, words=None):
        self.words = list(words or vocabulary())
        self.ids = {word: index for index, word in enumerate(self.words)}

    def __len__(self):
        return len(self.words)

    def encode(self, text):
        """The ids of a space-separated text."""
        return [self.ids.get(word, self.ids[UNKNOWN]) for word in text.split()]

    def unknown_words(self, text):
        """The words of `text` outside the vocabulary."""
        return [word for word in text.split() if word not in self.ids]

    def decode(self, ids):
        """The text of `ids`, stopping at the first `<eos>` (padding and `<bos>` dropped)."""
        words = []
        for index in ids:
            word = self.words[int(index)]
            if word == END:
                break
            if word not in (PAD, BEGIN):
                words.append(word)
        return " ".join(words)


UTTERANCE_LENGTH = 6  # the longest opening, "ねえ X の こと なんだ けど"
REPLY_LENGTH = 5  # the longest reply, 4 words, + <bos> / <eos>


def encode_contexts(contexts, tokenizer, utterance_length=UTTERANCE_LENGTH):
    """int32 `(n, TURNS, utterance_length)` ids of `(n, TURNS)` utterances; the last words kept.

    A context of fewer turns is padded in front with empty turns (all 0), which the models mask.
    """
    ids = np.zeros((len(contexts), TURNS, utterance_length), np.int32)
    for row, turns in enumerate(contexts):
        turns = list(turns)[-TURNS:]
        offset = TURNS - len(turns)
        for column, utterance in enumerate(turns):
            tokens = tokenizer.encode(utterance)[-utterance_length:]
            ids[row, offset + column, : len(tokens)] = tokens
    return ids


def encode_replies(replies, tokenizer, reply_length=REPLY_LENGTH):
    """`(decoder_inputs, targets)`, each int32 `(n, reply_length)`: `<bos> + reply`, `reply +
    <eos>`."""
    inputs = np.zeros((len(replies), reply_length), np.int32)
    targets = np.zeros((len(replies), reply_length), np.int32)
    for row, reply in enumerate(replies):
        tokens = tokenizer.encode(reply)
        inputs[row, : len(tokens) + 1] = [tokenizer.ids[BEGIN], *tokens]
        targets[row, : len(tokens) + 1] = [*tokens, tokenizer.ids[END]]
    return inputs, targets


def generate_dialogues(count, seed, tokenizer=None):
    """`count` dialogues drawn from the task's distribution with a seeded generator.

    Args:
        count: the number of dialogues.
        seed: seed of `numpy.random.default_rng`.
        tokenizer: a `Tokenizer` (the task's vocabulary when None).

    Returns:
        A `Dialogues`.

    Example:
        >>> train = generate_dialogues(20000, seed=0)
        >>> train.context_ids.shape, train.targets.shape
        ((20000, 3, 6), (20000, 5))
    """
    tokenizer = tokenizer or Tokenizer()
    rng = np.random.default_rng(seed)
    topics = rng.integers(len(TOPICS), size=count)
    openings = rng.integers(len(OPENINGS), size=count)
    backchannels = rng.integers(len(BACKCHANNELS), size=count)
    contexts, replies = [], []
    for topic, opening, backchannel in zip(topics, openings, backchannels, strict=True):
        word = TOPICS[topic][0]
        contexts.append((OPENINGS[opening].format(t=word), BACKCHANNELS[backchannel], QUESTION))
        distribution = valid_replies(word)
        choice = rng.choice(len(distribution), p=list(distribution.values()))
        replies.append(list(distribution)[choice])
    decoder_inputs, targets = encode_replies(replies, tokenizer)
    return Dialogues(
        contexts=np.array(contexts, dtype=object),
        replies=np.array(replies, dtype=object),
        topics=topics.astype(np.int32),
        context_ids=encode_contexts(contexts, tokenizer),
        decoder_inputs=decoder_inputs,
        targets=targets,
    )


def all_contexts():
    """Every distinct context (8 topics x 4 openings x 3 backchannels = 96) and its topic index."""
    contexts, topics = [], []
    for index, (word, *_) in enumerate(TOPICS):
        for opening in OPENINGS:
            for backchannel in BACKCHANNELS:
                contexts.append((opening.format(t=word), backchannel, QUESTION))
                topics.append(index)
    return contexts, np.array(topics, np.int32)


def reply_tokens(reply):
    """The tokens a model predicts for `reply`: its words and `<eos>`."""
    return len(reply.split()) + 1


def optimum_perplexity(dialogues, sees="context"):
    """The true distribution's per-token perplexity on these dialogues: the best any model can do.

    Args:
        dialogues: a `Dialogues`.
        sees: `"context"` (the model knows the topic: `valid_replies`) or `"last_utterance"` (it
            sees only the question: `marginal_replies`).

    Returns:
        `exp(sum of -log p(reply) / number of reply tokens)`, `<eos>` counted.
    """
    if sees not in ("context", "last_utterance"):
        raise ValueError(f"sees must be 'context' or 'last_utterance', got {sees!r}")
    marginal = marginal_replies()
    nll, tokens = 0.0, 0
    for topic, reply in zip(dialogues.topics, dialogues.replies, strict=True):
        table = valid_replies(TOPICS[topic][0]) if sees == "context" else marginal
        nll -= np.log(table[reply])
        tokens += reply_tokens(reply)
    return float(np.exp(nll / tokens))


def classify_reply(reply, topic):
    """`"generic"`, `"on_topic"` (one of the topic's replies), `"other_topic"` (another topic's
    reply) or `"invalid"` (no reply of the task) for a generated `reply` in a context about
    `TOPICS[topic]`."""
    if reply == GENERIC_REPLY:
        return "generic"
    if reply in topic_replies(TOPICS[topic][0]):
        return "on_topic"
    if any(reply in topic_replies(t) for t, *_ in TOPICS):
        return "other_topic"
    return "invalid"


def reply_scores(replies, topics):
    """How varied and how fitting generated replies are.

    Args:
        replies: `(contexts, samples)` generated reply texts, a row per context.
        topics: `(contexts,)` topic index of each context.

    Returns:
        `{"unique_replies_per_context", "valid_reply_coverage", "on_topic_rate",
        "generic_rate"}`: the mean number of different replies in a row; the mean share of a
        context's four valid replies (`valid_replies`) that its row contains; the share of the
        non-generic replies that are one of the topic's own (None when every reply is generic);
        the share of replies that are the generic one.
    """
    unique, coverage, kinds = [], [], collections.Counter()
    for row, topic in zip(replies, topics, strict=True):
        valid = set(valid_replies(TOPICS[topic][0]))
        unique.append(len(set(row)))
        coverage.append(len(valid & set(row)) / len(valid))
        kinds.update(classify_reply(reply, topic) for reply in row)
    total = sum(kinds.values())
    specific = total - kinds["generic"]
    return {
        "unique_replies_per_context": float(np.mean(unique)),
        "valid_reply_coverage": float(np.mean(coverage)),
        "on_topic_rate": kinds["on_topic"] / specific if specific else None,
        "generic_rate": kinds["generic"] / total,
    }
