"""`python -m labs`: list every lab with what it shows and the course notebook it reproduces.

The list is an explicit registry, so it prints instantly, without starting TensorFlow.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class LabEntry:
    """One runnable lab, `python -m labs.<name>`."""

    name: str  # module name under labs/
    summary: str  # what it shows, one line
    course: str  # the course notebook or section it reproduces
    run_time: str  # the default command's measured wall time, and where it was measured


LABS = (
    LabEntry(
        "bidirectional",
        "Conv1D, SimpleRNN, GRU, bidirectional LSTM on spoken digits, "
        "four of them voting as one model; gradient clipping",
        "3_4_spoken_digit",
        "4-6 min on 2 cores (2026-12-02)",
    ),
    LabEntry(
        "seq2seq",
        "sin -> cos encoder-decoder, compiled free-running decoding, attention",
        "3_5_Seq2Seq(Encoder-Decoder)_sin-cos",
        "21 s on 2 cores at load 2.4-3.4, 92 s at load 7-8 (2026-12-02)",
    ),
    LabEntry(
        "augmentation",
        "image augmentation ops, RandAugment, MixUp/CutMix, text EDA",
        "3_6_data_augmentation_with_tf",
        "27 s on 2 cores at load 2-3, 84 s at load 11 (2026-12-02)",
    ),
    LabEntry(
        "activations",
        "the course's activation functions and their derivatives",
        "activation functions",
        "10 s on 2 cores at load 2.4-2.8 (2026-12-02)",
    ),
    LabEntry(
        "simple_rnn",
        "numpy binary-addition RNN with hand-written BPTT, five variants",
        "3_1_simple_RNN",
        "23 s on 2 cores at load 2.8-3.2 (2026-12-02)",
    ),
    LabEntry(
        "language_model",
        "LSTM language model on Penn Treebank: perplexity, next-word probabilities, sampling",
        "predict_word (Section 3)",
        "18 min on 2 nearly idle cores, 42 min at load 4-11 (2026-12-02)",
    ),
    LabEntry(
        "word2vec",
        "CBOW and skip-gram with negative sampling on PTB, PPMI/SVD, gensim",
        "Section 6 (word2vec)",
        "410 s on 2 shared cores (earlier session)",
    ),
    LabEntry(
        "attention",
        "seq2seq with attention on date formats and addition, alignment maps",
        "Sections 5 and 7 (attention)",
        "8 min 20 s on 2 busy cores (earlier session)",
    ),
    LabEntry(
        "autoencoders",
        "autoencoder, denoising AE, VAE and VQ-VAE on Fashion-MNIST",
        "Section 5 (VAE, VQ-VAE)",
        "22 min 46 s at load 8-18, 9 min 34 s of CPU (earlier session)",
    ),
)


def main():
    width = max(len(lab.name) for lab in LABS)
    print("Day-3 labs. Run one with `python -m labs.<name>`; `--help` shows its flags.\n")
    for lab in LABS:
        print(f"  {lab.name:<{width}}  {lab.summary}")
        print(f"  {'':<{width}}  course: {lab.course}")
        print(f"  {'':<{width}}  default run: {lab.run_time}")


if __name__ == "__main__":
    main()
