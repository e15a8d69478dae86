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


LABS = (
    LabEntry("bidirectional", "Conv1D, SimpleRNN, GRU, bidirectional LSTM on spoken digits; "
             "gradient clipping", "3_4_spoken_digit"),
    LabEntry("seq2seq", "sin -> cos encoder-decoder, compiled free-running decoding, attention",
             "3_5_Seq2Seq(Encoder-Decoder)_sin-cos"),
    LabEntry("augmentation", "image augmentation ops, RandAugment, MixUp/CutMix, text EDA",
             "3_6_data_augmentation_with_tf"),
    LabEntry("activations", "the course's activation functions and their derivatives",
             "activation functions"),
    LabEntry("simple_rnn", "numpy binary-addition RNN with hand-written BPTT, five variants",
             "3_1_simple_RNN"),
    LabEntry("language_model", "LSTM language model on Penn Treebank: perplexity, next-word "
             "probabilities, sampling", "predict_word (Section 3)"),
    LabEntry("word2vec", "CBOW and skip-gram with negative sampling on PTB, PPMI/SVD, gensim",
             "Section 6 (word2vec)"),
    LabEntry("attention", "seq2seq with attention on date formats and addition, alignment maps",
             "Sections 5 and 7 (attention)"),
    LabEntry("autoencoders", "autoencoder, denoising AE, VAE and VQ-VAE on Fashion-MNIST",
             "Section 5 (VAE, VQ-VAE)"),
)


def main():
    width = max(len(lab.name) for lab in LABS)
    print("Day-3 labs. Run one with `python -m labs.<name>`; `--help` shows its flags.\n")
    for lab in LABS:
        print(f"  {lab.name:<{width}}  {lab.summary}")
        print(f"  {'':<{width}}  course: {lab.course}")


if __name__ == "__main__":
    main()
