"""`similar` and `analogy`: queries on the word vectors a finished run exported (no TensorFlow)."""

from gensim.models import KeyedVectors

from labs import kit


def _vectors(context, options):
    """The run's `embeddings/<name>.txt` as `KeyedVectors` (name: `--embedding`, default the
    model the run trained); every word asked about must be in it."""
    saved = kit.load_run(context)
    written = saved.assets.get("embeddings", [])
    name = options.embedding or saved.assets.get("model")
    if name not in written:
        raise kit.LabError(
            f"{saved.out}/ has no {name} embedding (it has: {', '.join(written) or 'none'})"
        )
    path = saved.out / "embeddings" / f"{name}.txt"
    try:
        keyed = KeyedVectors.load_word2vec_format(str(path))
    except (OSError, EOFError, UnicodeDecodeError, ValueError, IndexError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise kit.LabError(
            f"cannot read {path} (truncated or not word2vec text: {reason}); run the lab again"
        ) from None
    for word in options.words:
        if word not in keyed.key_to_index:
            raise kit.LabError(f"{word!r} is not among the {len(keyed):,} words of {path}")
    return keyed


def _show(answers):
    for key, found in answers.items():
        print(f"{key}: " + ", ".join(f"{word} {cosine:.3f}" for word, cosine in found))
    return answers


def similar(context, options):
    """Prints the nearest neighbours (cosine) of each word."""
    keyed = _vectors(context, options)
    return _show({word: keyed.most_similar(word, topn=options.top) for word in options.words})


def analogy(context, options):
    """Prints the answers to A : B :: C : ? by 3CosAdd (the words nearest B - A + C)."""
    keyed = _vectors(context, options)
    a, b, c = options.words
    return _show({f"{a} : {b} :: {c} : ?": keyed.most_similar([b, c], [a], topn=options.top)})
