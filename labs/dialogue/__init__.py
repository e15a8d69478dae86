"""HRED and VHRED on a generated dialogue task whose best possible answers are known.

What you will learn: why seq2seq on the last utterance cannot follow a conversation and HRED (an
utterance GRU, a context GRU over the turns, a decoder started from the context) can; why HRED,
trained by maximum likelihood and decoded greedily, gives the one most likely, generic reply
(うん そうだね) to every context, and how real talk (nltk's Switchboard) makes such replies
common; how VHRED's latent z (prior and posterior networks, reparameterisation, KL annealed from
0, word drop) gives several different replies that still fit the topic. Every perplexity is set
against the two optima the task allows: seeing the whole context, or only the last utterance.

Course: Section 5 (seq2seq, then HRED and VHRED), after Serban et al. 2016 and 2017.

Commands:
    python -m labs.dialogue --manual-dir ../shared/data   # the three models, 8-10 min
    python -m labs.dialogue --models hred,vhred --word-drop 0    # VHRED without word drop
    python -m labs.dialogue --quick                       # tiny, every code path
    python -m labs.dialogue reply "インコ の 話 を しよう" "へえ" "どう 思う ？"
    python -m labs.dialogue reply --samples 5 "ねえ 猫 の こと なんだ けど" "うん" "どう 思う ？"
"""

import dataclasses
import typing

from labs import kit

MODELS = ("seq2seq", "hred", "vhred")  # models.dialogue.KINDS (a test checks they agree)


@dataclasses.dataclass(frozen=True)
class Config:
    """A preset: which models, how long, and the sizes they share."""

    models: tuple[str, ...] = kit.flag(MODELS, "models to train", choices=MODELS)
    epochs: int | None = kit.flag(
        None, "epochs of every model (none: the preset's, seq2seq 5, hred 20, vhred 20)"
    )
    seq2seq_epochs: int = 5  # it reaches its (last-utterance) optimum fast
    hred_epochs: int = 20  # the topic is found after a plateau of a few epochs
    vhred_epochs: int = 20
    batch_size: int = kit.flag(128, "dialogues per step")
    learning_rate: float = kit.flag(3e-3, "Adam's (initial) learning rate")
    # Decay the rate along a cosine to 1 % of it by the last step: greedy decoding depends on which
    # first word is likeliest, 0.31 against 0.23, which a constant rate leaves blurred.
    cosine_decay: bool = True
    word_drop: float = kit.flag(
        0.25, "VHRED: share of decoder input words read as <unk> in training", minimum=0.0
    )
    latent_dim: int = kit.flag(8, "VHRED: size of z")
    kl_anneal_epochs: float = 5.0  # VHRED's KL weight rises from 0 to 1 over these epochs
    embedding_dim: int = 32  # word vectors of every encoder and decoder
    units: int = 64  # every GRU's units
    train_dialogues: int = 20000  # generated dialogues to train on
    valid_dialogues: int = 2000
    test_dialogues: int = 2000  # perplexities are measured on these
    reply_samples: int = 10  # replies per context for the diversity scores (VHRED: z from prior)
    importance_samples: int = 20  # VHRED's perplexity: samples of z per test reply
    backchannel_turns: int = 15  # Switchboard: the most common turns counted as backchannels

    def __post_init__(self):
        if self.word_drop >= 1:
            raise ValueError(f"--word-drop must be below 1, got {self.word_drop:g}")

    def quick(self):
        return dataclasses.replace(
            self,
            seq2seq_epochs=1,
            hred_epochs=1,
            vhred_epochs=2,
            kl_anneal_epochs=1.0,
            units=16,
            embedding_dim=8,
            train_dialogues=256,
            valid_dialogues=64,
            test_dialogues=64,
            reply_samples=3,
            importance_samples=2,
        )

    def epochs_of(self, model):
        """The epochs `model` trains: `--epochs`, else the preset's for it."""
        return self.epochs or getattr(self, f"{model}_epochs")


PRESETS = {
    # Batch 128, Adam 3e-3 decayed along a cosine (global gradient norm 5); 20,000 generated
    # dialogues; KL weight 0 -> 1 over 5 epochs; word drop 0.25 (Serban et al. 2017 drop 25 % of
    # the decoder's input words, Bowman et al. 2016 more).
    "default": Config(),
}


@dataclasses.dataclass(frozen=True)
class ReplyOptions:
    """`reply TURN...`: each model's reply to a few turns of a conversation."""

    turns: tuple[str, ...] = kit.argument(
        'the conversation so far, a turn per argument, words separated by spaces, e.g. "インコ '
        'の 話 を しよう" "へえ" "どう 思う ？" (the last three are read)'
    )
    samples: int = kit.flag(5, "VHRED's replies, each with its own z drawn from the prior")


class ModelMetrics(typing.TypedDict):
    perplexity: float  # per reply token (<eos> counted), test dialogues; VHRED: see below
    optimum_perplexity: float  # the true distribution's, seeing what this model sees
    unique_replies_per_context: float  # over reply_samples greedy replies, mean of 96 contexts
    valid_reply_coverage: float  # share of each context's 4 valid replies produced, mean
    on_topic_rate: float | None  # non-generic replies that are the topic's (None: there were none)
    generic_rate: float  # replies that are うん そうだね
    kl_nats: typing.NotRequired[float]  # VHRED: KL(q || p) per test reply


class Switchboard(typing.TypedDict):
    backchannel_share: float  # of the sample's turns with a word, the 15 most common turns'


class Timings(typing.TypedDict):
    train_seconds: dict[str, float]  # timing: per model
    evaluate_seconds: float  # timing: perplexities and sampled replies of every model
    total_seconds: float  # timing: the whole run


class DialogueMetrics(typing.TypedDict):
    """VHRED's perplexity is the importance-sampled bound (Burda et al. 2016): `exp` of minus the
    mean over test replies of `log mean_k p(reply | z_k) p(z_k) / q(z_k)`, `importance_samples`
    draws of z from the posterior; it is an upper bound in expectation, tighter than the ELBO."""

    models: dict[str, ModelMetrics]
    switchboard: Switchboard
    timings: Timings


LAB = kit.Lab(
    __name__,
    __doc__,
    PRESETS,
    section="Section 5 (seq2seq -> HRED -> VHRED)",
    data="files",
    commands={
        "reply": kit.Command(ReplyOptions, "each model's reply to the turns you give", seeded=True)
    },
    metrics=DialogueMetrics,
    figure="replies.png",
    headline={
        "HRED perplexity": "models.hred.perplexity",
        "its optimum (whole context)": "models.hred.optimum_perplexity",
        "seq2seq perplexity": "models.seq2seq.perplexity",
        "its optimum (last utterance)": "models.seq2seq.optimum_perplexity",
        "HRED generic replies": "models.hred.generic_rate",
        "VHRED replies per context": "models.vhred.unique_replies_per_context",
        "Switchboard backchannel share": "switchboard.backchannel_share",
    },
)
