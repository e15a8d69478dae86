"""`python -m labs.attention translate QUESTION...`: a saved run's model answers new questions."""

import numpy as np

from labs import kit
from labs.data import DataError
from labs.data.dlfs2 import question_format, vocabulary_only
from models import attention_seq2seq as s2s


def check_looks_like_the_task(question, task, examples):
    """Raises `DataError` (one line) unless `question` has the format of one of the task's
    questions (`examples`: `{format: a question}` of the run's assets): a model trained on dates
    answers "hello world" with confident nonsense."""
    if question_format(question) not in examples:
        shown = ", ".join(repr(example) for example in examples.values())
        raise DataError(
            f"{question!r} does not look like a question of the {task} task; "
            f"the model learned questions such as {shown}"
        )


def translate(context, options):
    """Answers each question with a variant of the run in `--output-dir` (default: its best) and
    prints which question characters every answer character attended to."""
    saved = kit.load_run(context)
    assets = saved.assets
    if "vocabulary" not in assets:
        raise kit.LabError(
            f"{saved.out}/assets.json is missing: run python -m labs.attention again"
        )
    task = vocabulary_only(
        assets["task"],
        assets["vocabulary"],
        assets["question_length"],
        assets["answer_length"],
        assets["question_padding"],
    )
    encoded = []
    for question in options.questions:
        encoded.append(task.encode_question(question))  # length and characters first
        check_looks_like_the_task(question, task.name, assets["question_examples"])
    variant = options.variant or saved.metrics["best"]["variant"]
    model = saved.model(variant)
    predicted, weights = s2s.GreedyDecoder(model, task.start_id)(
        np.stack(encoded), task.answer_length
    )
    answers = [task.decode(row[1:]).rstrip() for row in predicted]
    for index, (question, answer) in enumerate(zip(options.questions, answers, strict=True)):
        print(f"{question} -> {answer}   ({variant})")
        print(
            s2s.text_alignment(question, answer, weights[index])
            if weights is not None
            else "  (no attention weights: this variant has no attention)"
        )
    return {"variant": variant, "answers": answers}
