"""`python -m labs.dialogue reply TURN...`: each saved model's reply to the turns given."""

from labs import kit
from labs.data import dialogue as task


def reply(context, options):
    """Prints the reply of every model of the saved run to the last `task.TURNS` turns given;
    VHRED replies `options.samples` times, each with its own z from the prior.

    Words outside the vocabulary are read as `<unk>`, with a note naming them.
    """
    saved = kit.load_run(context)
    tokenizer = task.Tokenizer(saved.assets.get("vocabulary") or task.vocabulary())
    turns = list(options.turns)[-task.TURNS :]
    unknown = [word for turn in turns for word in tokenizer.unknown_words(turn)]
    if unknown:
        print(f"note: not in the vocabulary, read as <unk>: {', '.join(dict.fromkeys(unknown))}")
    names = [name for name in saved.config.get("models", ()) if name in saved.model_names()]
    if not names:
        raise kit.LabError(f"{saved.out}/ holds no dialogue model: run `python -m labs.dialogue`")

    import models.dialogue as dm  # TensorFlow starts here, after the checks above

    context_ids = task.encode_contexts([turns], tokenizer)  # (1, turns, L)
    print("context:")
    speakers = "ABA"[-len(turns) :]
    for speaker, turn in zip(speakers, turns, strict=True):
        read = tokenizer.decode(tokenizer.encode(turn))  # as the models read it
        print(f"  {speaker}: {read}    ({task.translate(read)})")
    width = max(map(len, names))
    for name in names:
        model = saved.model(name)
        latent = dm.is_latent(model)
        for sample in range(options.samples if latent else 1):
            z = dm.sample_prior(model, context_ids, seed=[context.seed, sample]) if latent else None
            ids = dm.greedy_replies(model, context_ids, z, max_length=task.REPLY_LENGTH)[0]
            text = tokenizer.decode(ids)
            print(f"{name:<{width}}  {text or '(nothing)'}    ({task.translate(text)})")
