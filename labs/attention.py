"""Seq2seq with attention on DLFS2's date formats and additions, with alignments you can see.

What you will learn:
- why a plain encoder-decoder struggles when the whole question must pass through one final
  state, and what reversing the input and "peeking" at it (DLFS2 ch07) buy;
- how attention lets every decoder step look at every encoder position: Luong's dot score
  (`keras.layers.Attention`) and the additive score (`keras.layers.AdditiveAttention`);
- how to read an attention map: the month word lines up with MM, the day with DD, and the
  separators with nothing in particular (attention_<variant>.png);
- greedy decoding of a whole test split in one compiled loop (`models.attention_seq2seq`).

Reproduces Sections 5 and 7 (attention) on DLFS2 ch07/ch08's data: `date.txt` ("september 27,
1994" -> "1994-09-27", many formats) and `addition.txt` ("16+75" -> "91"), 50,000 lines each,
split as DLFS2 does (seed 1984, last 5,000 for test; 2,000 of its training lines for validation).
Embedding 16 and LSTM 256 as in DLFS2 ch08, Adam with gradients clipped to norm 5.
The metric is DLFS2's: exact match of the whole greedy-decoded answer on the test split, after
every epoch; plus per-position character accuracy.

Presets:
- `default`: batch 64, Adam at 5e-3 for the first epoch, then a cosine decay to 1e-4 (DLFS2:
  batch 128, 1e-3 throughout); 3 epochs of dates, 8 of additions; one more space of padding
  after every question, so that the longest dates ("WEDNESDAY, SEPTEMBER 30, 2009", 29
  characters, DLFS2's width) are read like the others (`labs.data.dlfs2.load_task`).
- `dlfs2`: DLFS2's settings (batch 128, Adam 1e-3 constant, its padding), 10 epochs of dates
  (ch08) and 25 of additions (ch07). Deliberate differences from DLFS2 in both: the decoder
  starts from the encoder's (h, c), not (h, 0); 256 units for addition too (DLFS2 ch07: 128).

Commands:
    python -m labs.attention --manual-dir ../shared/data   # dates: baseline and luong
    python -m labs.attention --task addition --variants baseline,reverse,peeky,luong,bahdanau
    python -m labs.attention --preset dlfs2 --variants luong
    python -m labs.attention --quick                                 # tiny, every code path
    python -m labs.attention translate "march 3, 2007" "2/10/93"    # on the saved run
    python -m labs.attention translate --variant baseline "TUESDAY, SEPTEMBER 25, 1984"

Outputs in `--output-dir` (default runs/attention): metrics.json, history.csv,
models/<variant>.keras, exact_match.png (test exact match per epoch, every variant),
attention_<variant>.png (heat maps of test questions in different formats). A saved model loads
anywhere with `import models` then `keras.saving.load_model(path)` (models/__init__.py).

metrics.json (after the envelope "lab", "preset", "seed", "quick", "config", "versions"):
    {"task": "date" | "addition", "vocabulary": str, "question_length": int,
     "question_padding": int, "answer_length": int,
     "split": {"train": int, "valid": int, "test": int},
     "best": {"variant": str, "test_exact_match": float},
     "variants": {name: {
        "params": int, "epochs": int,
        "test_exact_match": float,            # after the last epoch, 0..1
        "test_exact_match_per_epoch": [float], "val_exact_match_per_epoch": [float],
        "elapsed_seconds_per_epoch": [float],  # since training began, decoding included
        "first_epoch_at_99_9": int | null, "seconds_to_99_9": float | null,
        "position_accuracy": [float],          # test character accuracy per answer position
        "wrong_examples": [{"question", "answer", "predicted"}],   # up to 5
        "train_seconds": float}},              # timing: varies run to run
     "diverged": {"run": str, "message": str}}   # only when a loss became NaN or inf
"""

import dataclasses
import json

import numpy as np

from labs import kit
from labs.data.dlfs2 import TASKS, examples_of_each_format, load_task, vocabulary_only

LAB = "attention"
# models.attention_seq2seq.VARIANTS (a test checks they agree), named here so that --help and a
# bad flag answer before TensorFlow starts (models/ imports it).
VARIANTS = ("baseline", "reverse", "peeky", "luong", "bahdanau")
DEFAULT_VARIANTS = {"date": ("baseline", "luong"), "addition": VARIANTS}
TARGET = 0.999  # "99.9 % exact match": DLFS2's ch08 attention reaches it in epoch 3


@dataclasses.dataclass(frozen=True)
class AttentionLabConfig:
    """A preset: the training settings every variant shares."""

    date_epochs: int = 3  # passes over the date training lines
    addition_epochs: int = 8  # passes over the addition training lines
    epochs: int | None = None  # --epochs: overrides the task's epochs above
    batch_size: int = 64  # lines per step (DLFS2: 128)
    learning_rate: float = 5e-3  # Adam's rate, held for hold_epochs (DLFS2: 1e-3 throughout)
    hold_epochs: int = 1  # epochs at the full rate before the decay (decaying early stalls it)
    cosine_decay: bool = True  # then cosine decay to 2 % of it by the last step; False: constant
    global_clipnorm: float = 5.0  # DLFS2's max_grad
    embedding_dim: int = 16  # DLFS2's wordvec_size
    units: int = 256  # LSTM width (DLFS2 ch08: 256)
    validation_size: int = 2000  # lines of DLFS2's training part held out for validation
    question_padding: int = 1  # spaces added after every question (DLFS2: 0; see load_task)
    train_size: int | None = None  # None: all of it; --quick: a few lines
    test_size: int | None = None  # None: DLFS2's 5,000 test lines
    xla_decoding: bool = True  # compile greedy decoding with XLA (twice as fast on 5,000 lines)

    def quick(self):
        return dataclasses.replace(
            self,
            date_epochs=1,
            addition_epochs=1,
            batch_size=64,
            units=32,
            validation_size=128,
            train_size=256,
            test_size=128,
            xla_decoding=False,
        )

    def epochs_for(self, task):
        return self.epochs or {"date": self.date_epochs, "addition": self.addition_epochs}[task]


PRESETS = {
    "default": AttentionLabConfig(),
    "dlfs2": AttentionLabConfig(
        date_epochs=10,
        addition_epochs=25,
        batch_size=128,
        learning_rate=1e-3,
        cosine_decay=False,
        question_padding=0,
    ),
}


def learning_rate(config, steps_per_epoch, epochs):
    """The preset's rate: constant for `hold_epochs`, then a cosine decay to 2 % of it."""
    import keras

    if not config.cosine_decay:
        return config.learning_rate
    hold = min(config.hold_epochs, epochs - 1) * steps_per_epoch
    # CosineDecay's "warm-up" from the rate to the same rate is a constant stretch.
    return keras.optimizers.schedules.CosineDecay(
        config.learning_rate,
        decay_steps=max(1, epochs * steps_per_epoch - hold),
        alpha=0.02,
        warmup_target=config.learning_rate if hold else None,
        warmup_steps=hold,
    )


def train_variant(experiment, variant, task, config, epochs):
    """Trains (or, after a restart, reuses) one variant; returns `(metrics, test weights)`."""
    from models import attention_seq2seq as s2s

    train_in, train_out = [task.x_train, task.t_train[:, :-1]], task.t_train[:, 1:]
    valid = ([task.x_valid, task.t_valid[:, :-1]], task.t_valid[:, 1:])
    steps_per_epoch = -(-len(task.x_train) // config.batch_size)

    def build():
        model = s2s.build_attention_seq2seq(
            s2s.AttentionSeq2SeqConfig(
                variant, len(task.vocabulary), config.embedding_dim, config.units
            )
        )
        print(f"{variant}: {model.count_params():,} params")
        return s2s.compile_seq2seq(
            model, learning_rate(config, steps_per_epoch, epochs), config.global_clipnorm
        )

    scores = s2s.ExactMatchHistory(
        {"val": (task.x_valid, task.t_valid), "test": (task.x_test, task.t_test)},
        task.start_id,
        config.xla_decoding,
    )
    result = experiment.fit(
        variant,
        build,
        train_in,
        y=train_out,
        validation=valid,
        epochs=epochs,
        batch_size=config.batch_size,
        callbacks=[scores],
        hint=f"lower --learning-rate (now {config.learning_rate:g})",
    )
    # Epochs trained before a restart were scored by that process: None here.
    missing = result.epochs - len(scores.history.get("elapsed_seconds", []))
    per_epoch = {
        key: [None] * missing + scores.history.get(key, [])
        for key in ("val_exact_match", "test_exact_match", "elapsed_seconds")
    }
    experiment.histories[variant] = {
        **result.history,
        **{  # history.csv: NaN for unscored
            key: [np.nan if v is None else v for v in values] for key, values in per_epoch.items()
        },
    }

    predicted, weights = s2s.GreedyDecoder(result.model, task.start_id, config.xla_decoding)(
        task.x_test, task.answer_length
    )
    test = per_epoch["test_exact_match"]
    first = next((epoch for epoch, score in enumerate(test, 1) if (score or 0) >= TARGET), None)
    wrong = np.flatnonzero(~np.all(predicted == task.t_test, axis=1))[:5]
    metrics = {
        "params": result.model.count_params(),
        "epochs": result.epochs,
        "test_exact_match": s2s.exact_match(predicted, task.t_test),
        "test_exact_match_per_epoch": test,
        "val_exact_match_per_epoch": per_epoch["val_exact_match"],
        "elapsed_seconds_per_epoch": per_epoch["elapsed_seconds"],
        "first_epoch_at_99_9": first,
        "seconds_to_99_9": per_epoch["elapsed_seconds"][first - 1]
        if first and not missing
        else None,
        "position_accuracy": s2s.position_accuracy(predicted, task.t_test).round(5).tolist(),
        "wrong_examples": [
            {
                "question": task.decode(task.x_test[i]).rstrip(),
                "answer": task.decode(task.t_test[i, 1:]).rstrip(),
                "predicted": task.decode(predicted[i, 1:]).rstrip(),
            }
            for i in wrong
        ],
        "train_seconds": result.train_seconds,
    }
    print(f"[{variant}] test exact match {metrics['test_exact_match']:.2%}")
    return metrics, (predicted, weights)


def plot_exact_match(variants, task):
    """Test exact match per epoch, one line per variant (DLFS2 fig. 8-26)."""
    from labs.kit.plotting import plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, metrics in variants.items():
        scores = [np.nan if s is None else 100 * s for s in metrics["test_exact_match_per_epoch"]]
        ax.plot(range(1, len(scores) + 1), scores, marker="o", label=name)
    ax.axhline(100 * TARGET, color="0.5", linestyle=":", linewidth=1, label="99.9 %")
    ax.set(
        title=f"{task.name}: greedy answers exactly right on {len(task.x_test):,} test questions",
        xlabel="epoch",
        ylabel="test exact match (%)",
        ylim=(-2, 102),
    )
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(title="variant")
    return fig


def plot_attention(task, variant, predicted, weights, rows):
    """Heat maps of attention weights: question characters across, answer characters down."""
    from labs.kit.plotting import plt

    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.2), squeeze=False)
    for ax, row in zip(axes[0], rows, strict=True):
        question = task.decode(task.x_test[row]).rstrip()
        answer = task.decode(predicted[row, 1:])
        image = ax.imshow(
            weights[row][:, : len(question)], cmap="gray", vmin=0, vmax=1, aspect="auto"
        )
        ax.set_xticks(range(len(question)), list(question.replace(" ", "␣")), fontsize=8)
        ax.set_yticks(range(len(answer)), list(answer.replace(" ", "␣")), fontsize=8)
        ax.set(title=f"{question!r}", xlabel="question (input)", ylabel="answer (output)")
    fig.suptitle(
        f"{variant}: attention weights of each output character over the test "
        "question (trailing padding not shown)"
    )
    fig.tight_layout()
    fig.colorbar(image, ax=axes[0].tolist(), label="attention weight", fraction=0.02)
    return fig


def main(argv=None):
    command, argv = kit.subcommand(argv, {"translate": translate})
    if command:
        return command(argv)
    parser = kit.make_parser(LAB, __doc__, PRESETS, data="files", strategy=True, tensorboard=True)
    parser.add_argument(
        "--task",
        choices=TASKS,
        default="date",
        help="date formats or additions (default: %(default)s)",
    )
    parser.add_argument(
        "--variants",
        type=kit.names(VARIANTS),
        help=f"comma list of {', '.join(VARIANTS)} (default: baseline and "
        "luong for dates; all for addition)",
    )
    args = parser.parse_args(argv)
    config = kit.configure(PRESETS[args.preset], args)
    variants = args.variants or DEFAULT_VARIANTS[args.task]
    with kit.Experiment(LAB, args, config) as experiment:
        task = load_task(
            args.task, args.manual_dir, config.validation_size, config.question_padding
        )
        if config.train_size or config.test_size:  # --quick: a prefix of each split
            task = dataclasses.replace(
                task,
                x_train=task.x_train[: config.train_size],
                t_train=task.t_train[: config.train_size],
                x_test=task.x_test[: config.test_size],
                t_test=task.t_test[: config.test_size],
            )
        experiment.results.update(
            {
                "task": args.task,
                "vocabulary": "".join(task.vocabulary),
                "question_length": task.question_length,
                "question_padding": task.padding,
                "answer_length": task.answer_length,
                "split": {
                    "train": len(task.x_train),
                    "valid": len(task.x_valid),
                    "test": len(task.x_test),
                },
                "variants": {},
            }
        )
        decoded = {}
        for variant in variants:
            metrics, decoded[variant] = train_variant(
                experiment, variant, task, config, config.epochs_for(args.task)
            )
            experiment.results["variants"][variant] = metrics
        scores = {name: m["test_exact_match"] for name, m in experiment.results["variants"].items()}
        best = max(scores, key=scores.get)
        experiment.results["best"] = {"variant": best, "test_exact_match": scores[best]}
        if experiment.plots:
            experiment.save_figure(
                plot_exact_match(experiment.results["variants"], task), "exact_match.png"
            )
            rows = examples_of_each_format(task, 4 if args.task == "date" else 1)
            for variant, (predicted, weights) in decoded.items():
                if weights is not None:
                    experiment.save_figure(
                        plot_attention(task, variant, predicted, weights, rows),
                        f"attention_{variant}.png",
                    )
        return experiment.finish()


def translate(argv):
    """`translate QUESTION...` (`argv` from the subcommand's name on): answers questions with a
    model of a saved run."""
    parser = kit.LabArgumentParser(
        prog=f"python -m labs.{LAB} translate",
        description="Answer questions with a trained variant.",
    )
    parser.add_argument("questions", nargs="+", help='e.g. "march 3, 2007" "2/10/93"')
    parser.add_argument("--output-dir", default="runs/attention", help="the run to use")
    parser.add_argument(
        "--variant", choices=VARIANTS, help="the model to use (default: the run's best)"
    )
    args = parser.parse_args(argv[1:])  # after "translate"
    kit.quiet_libraries()
    import keras

    from models import attention_seq2seq as s2s

    try:
        run = json.loads(open(f"{args.output_dir}/metrics.json", encoding="utf-8").read())
        variant = args.variant or run["best"]["variant"]
        model_path = f"{args.output_dir}/models/{variant}.keras"
        model = keras.saving.load_model(model_path)
    except (OSError, ValueError, KeyError) as error:
        raise kit.LabError(
            f"no trained run in {args.output_dir} with that variant ({error}): "
            "train one first with python -m labs.attention"
        ) from None
    task = vocabulary_only(
        run["task"],
        run["vocabulary"],
        run["question_length"],
        run["answer_length"],
        run["question_padding"],
    )
    questions = np.stack([task.encode_question(q) for q in args.questions])
    predicted, weights = s2s.GreedyDecoder(model, task.start_id)(questions, task.answer_length)
    for index, question in enumerate(args.questions):
        answer = task.decode(predicted[index, 1:]).rstrip()
        print(f"{question} -> {answer}   ({variant})")
        print(
            s2s.text_alignment(question, answer, weights[index])
            if weights is not None
            else "  (no attention weights: this variant has no attention)"
        )
    return {"variant": variant, "answers": [task.decode(p[1:]).rstrip() for p in predicted]}


if __name__ == "__main__":
    kit.run(main)
