"""Character-level encoder-decoders for DLFS2's date and addition tasks, with and without attention.

Five variants, DLFS2's ch07/ch08 models in Keras (embedding 16, LSTM 256 by default):

    baseline  encoder LSTM -> final (h, c) -> decoder LSTM -> Dense(vocab)      (ch07 Seq2seq)
    reverse   the same, reading the question backwards                      (ch07, reversed input)
    peeky     reversed, and the encoder's final h fed to every decoder step and to the output
              layer beside the decoder's h                                  (ch07 PeekySeq2seq)
    luong     reversed; every decoder step attends over all encoder outputs with a dot score
              (`keras.layers.Attention`), Dense on [context; h]          (ch08 AttentionSeq2seq)
    bahdanau  the same with the additive score (`keras.layers.AdditiveAttention`)

One deliberate difference from DLFS2: the decoder starts from the encoder's final (h, c), where
DLFS2 hands over h and starts c from zero. Attention is applied after the decoder LSTM (Luong
style, no input feeding), so one decoding step needs only the previous character and state:

    h_t = LSTM(embed(y_{t-1}), h_{t-1});  a_t = softmax(score(h_t, E));  c_t = a_t E
    logits_t = Dense([c_t; h_t])

Keras's `AdditiveAttention` scores `v · tanh(q + k)` with a learned `v` (`scale`), without
Bahdanau's projections of q and k; here q and k are already the LSTMs' 256-d outputs.

The reversal is a layer inside the model (`Reverse`), so a saved model takes questions as written;
`GreedyDecoder` turns attention weights back to the question's own character order.

`GreedyDecoder` decodes a whole split in one compiled `tf.while_loop` (the idea of
`models.seq2seq.Seq2SeqGenerator`): encode every question, then feed each step's argmax back,
returning the answers and the attention weights of every step.
"""

import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

VARIANTS = ("baseline", "reverse", "peeky", "luong", "bahdanau")
ATTENTION_VARIANTS = ("luong", "bahdanau")
REVERSED_VARIANTS = ("reverse", "peeky", "luong", "bahdanau")  # DLFS2 reverses from ch07's 2nd try


@dataclasses.dataclass(frozen=True)
class AttentionSeq2SeqConfig:
    """What `build_attention_seq2seq` builds."""

    variant: str = "luong"  # one of VARIANTS
    vocabulary_size: int = 59  # characters (59 for dates, 13 for addition)
    embedding_dim: int = 16  # DLFS2's wordvec_size
    units: int = 256  # LSTM width of encoder and decoder (DLFS2 ch08: 256, ch07: 128)


@keras.saving.register_keras_serializable(package="day3")
class Reverse(keras.layers.Layer):
    """Reverses the time axis: `(batch, time, ...)` -> the same, last step first."""

    def call(self, inputs):
        return keras.ops.flip(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="day3")
class Peek(keras.layers.Layer):
    """Appends one vector to every step of a sequence (DLFS2's peeky decoder).

    Call it on `[sequence (batch, time, features), vector (batch, units)]`; returns
    `(batch, time, features + units)`.
    """

    def call(self, inputs):
        sequence, vector = inputs
        shape = keras.ops.shape(sequence)
        tiled = keras.ops.broadcast_to(vector[:, None, :], (shape[0], shape[1], vector.shape[-1]))
        return keras.ops.concatenate([sequence, tiled], axis=-1)

    def compute_output_shape(self, input_shapes):
        sequence, vector = input_shapes
        return (*sequence[:2], sequence[2] + vector[1])


def build_attention_seq2seq(config=None):
    """Builds the teacher-forced training model of one variant.

    Args:
        config: an `AttentionSeq2SeqConfig`; the Luong attention model for dates if None.

    Returns:
        An uncompiled `keras.Model` with inputs `[questions (B, T_q) int, answers_in (B, T_a)
        int]` (the answer shifted right: `_` first) and output logits `(B, T_a, vocabulary)`.
        Its layers are named (`encoder_embedding`, `encoder_lstm`, `decoder_embedding`,
        `decoder_lstm`, `output_dense`, and `reverse`, `attention` where used); `GreedyDecoder`
        finds them by name.

    Example:
        >>> model = build_attention_seq2seq(AttentionSeq2SeqConfig("luong", vocabulary_size=59))
        >>> logits = model([task.x_train[:2], task.t_train[:2, :-1]])   # (2, 10, 59)
    """
    config = config or AttentionSeq2SeqConfig()
    if config.variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {config.variant!r}")
    attend = config.variant in ATTENTION_VARIANTS
    questions = keras.Input((None,), dtype="int32", name="questions")
    answers_in = keras.Input((None,), dtype="int32", name="answers_in")

    x = Reverse(name="reverse")(questions) if config.variant in REVERSED_VARIANTS else questions
    x = keras.layers.Embedding(
        config.vocabulary_size, config.embedding_dim, name="encoder_embedding"
    )(x)  # (B, T_q, E)
    encoder_outputs, h, c = keras.layers.LSTM(
        config.units, return_sequences=attend, return_state=True, name="encoder_lstm"
    )(x)
    # encoder_outputs: (B, T_q, U) with attention, else (B, U); h, c: (B, U)

    y = keras.layers.Embedding(
        config.vocabulary_size, config.embedding_dim, name="decoder_embedding"
    )(answers_in)  # (B, T_a, E)
    if config.variant == "peeky":
        y = Peek(name="peek_input")([y, h])  # (B, T_a, E + U)
    decoded = keras.layers.LSTM(config.units, return_sequences=True, name="decoder_lstm")(
        y, initial_state=[h, c]
    )  # (B, T_a, U)
    if attend:
        attention = (
            keras.layers.Attention(score_mode="dot", name="attention")
            if config.variant == "luong"
            else keras.layers.AdditiveAttention(name="attention")
        )
        context = attention([decoded, encoder_outputs])  # (B, T_a, U)
        decoded = keras.layers.Concatenate(name="context_and_state")([context, decoded])
    elif config.variant == "peeky":
        decoded = Peek(name="peek_output")([decoded, h])  # (B, T_a, 2U)
    logits = keras.layers.Dense(config.vocabulary_size, name="output_dense")(decoded)
    return keras.Model([questions, answers_in], logits, name=f"seq2seq_{config.variant}")


def compile_seq2seq(model, learning_rate=1e-3, global_clipnorm=5.0, jit_compile=False):
    """Compiles `model` as DLFS2 trains it: Adam, gradients clipped to a global norm of 5,
    cross-entropy of every answer character; returns `model`.

    XLA is off by default: on CPU it trained these LSTMs no faster (about 200 ms a step of 128
    dates either way) and costs seconds of compilation per model.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=global_clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="char_accuracy")],
        jit_compile=jit_compile,
    )
    return model


def variant_of(model):
    """The variant a `build_attention_seq2seq` model was built as (from its name)."""
    return model.name.removeprefix("seq2seq_")


class GreedyDecoder:
    """Greedy decoding of a whole split as one compiled function.

    Encodes every question, then runs `answer_length - 1` decoder steps in a `tf.while_loop`,
    feeding each step's most likely character back in. Uses `model`'s layers (no copies), so it
    sees weight updates during training.

    Args:
        model: a model from `build_attention_seq2seq`.
        start_id: the id of the start symbol `_`.
        jit_compile: compile the loop with XLA.

    Example:
        >>> decoder = GreedyDecoder(model, task.start_id)
        >>> answers, weights = decoder(task.x_test, task.answer_length)
        >>> answers.shape, weights.shape     # (5000, 11), (5000, 10, 29)
    """

    def __init__(self, model, start_id, jit_compile=True):
        self.variant = variant_of(model)
        self.start_id = int(start_id)
        names = {layer.name for layer in model.layers}
        self.encoder_embedding = model.get_layer("encoder_embedding")
        self.encoder_lstm = model.get_layer("encoder_lstm")
        self.decoder_embedding = model.get_layer("decoder_embedding")
        self.decoder_cell = model.get_layer("decoder_lstm").cell
        self.attention = model.get_layer("attention") if "attention" in names else None
        self.dense = model.get_layer("output_dense")
        self.reversed = "reverse" in names
        self._loop = tf.function(
            self._run, jit_compile=jit_compile, reduce_retracing=True, autograph=False
        )  # an explicit tf.while_loop: nothing to convert

    def _run(self, questions, num_steps):
        x = tf.reverse(questions, axis=[1]) if self.reversed else questions
        encoder_outputs, h, c = self.encoder_lstm(self.encoder_embedding(x))
        encoder_h = h  # (B, U): what the peeky decoder appends to every step
        batch = tf.shape(questions)[0]
        y = tf.fill([batch], tf.constant(self.start_id, tf.int32))  # (B,)
        answers = tf.TensorArray(tf.int32, size=num_steps)
        weights = tf.TensorArray(tf.float32, size=num_steps)

        def body(t, y, states, answers, weights):
            step_input = self.decoder_embedding(y)  # (B, E)
            if self.variant == "peeky":
                step_input = tf.concat([step_input, encoder_h], axis=-1)
            h, states = self.decoder_cell(step_input, states)  # (B, U)
            features = h
            if self.attention is not None:
                context, step_weights = self.attention(
                    [h[:, None], encoder_outputs], return_attention_scores=True
                )
                features = tf.concat([context[:, 0], h], axis=-1)  # (B, 2U)
                weights = weights.write(t, step_weights[:, 0])  # (B, T_q)
            elif self.variant == "peeky":
                features = tf.concat([h, encoder_h], axis=-1)
            y = tf.argmax(self.dense(features), axis=-1, output_type=tf.int32)  # (B,)
            return t + 1, y, list(states), answers.write(t, y), weights

        _, _, _, answers, weights = tf.while_loop(
            lambda t, *_: t < num_steps, body, (tf.constant(0), y, [h, c], answers, weights)
        )
        answers = tf.transpose(answers.stack())  # (B, num_steps)
        if self.attention is None:
            return answers, tf.zeros((batch, num_steps, 0))
        weights = tf.transpose(weights.stack(), [1, 0, 2])  # (B, num_steps, T_q)
        if self.reversed:  # index the question as written, not as the encoder read it
            weights = tf.reverse(weights, axis=[2])
        return answers, weights

    def __call__(self, questions, answer_length):
        """Decodes `questions`.

        Args:
            questions: int `(B, T_q)` question ids.
            answer_length: characters of an answer with its start symbol (11 for dates); a
                Python int (a new value compiles anew).

        Returns:
            `(answers, weights)` as numpy: int32 `(B, answer_length)` starting with the start
            symbol, and float32 `(B, answer_length - 1, T_q)` attention weights over the
            question's characters in their written order (None without attention).
        """
        questions = tf.convert_to_tensor(np.asarray(questions, np.int32))
        answers, weights = self._loop(questions, int(answer_length) - 1)
        start = np.full((answers.shape[0], 1), self.start_id, np.int32)
        answers = np.concatenate([start, answers.numpy()], axis=1)
        return answers, (weights.numpy() if self.attention is not None else None)


def text_alignment(question, answer, weights, spread=0.3):
    """The alignment of one answer as text, one line per answer character.

    Args:
        question: the question as written (no padding).
        answer: the decoded answer, without the start symbol.
        weights: `(answer steps, T_q)` attention weights from `GreedyDecoder`.
        spread: below this largest weight, a character aligns with "nothing in particular"
            (the dashes of a date are written from the format, not copied).

    Returns:
        A string: each line the answer character, the most attended question character, its
        weight, and the question with that character bracketed.
    """
    lines = []
    for char, step in zip(answer, weights, strict=False):
        at = int(np.argmax(step[: len(question)]))
        if step[at] < spread:
            lines.append(f"  {char!r} <- nothing in particular (at most {step[at]:.2f})")
            continue
        marked = f"{question[:at]}[{question[at]}]{question[at + 1 :]}"
        lines.append(f"  {char!r} <- {question[at]!r} {step[at]:.2f}   {marked}")
    return "\n".join(lines)


def exact_match(predicted, answers):
    """Fraction of rows of `predicted` equal to `answers` in every character (DLFS2's metric)."""
    return float(np.mean(np.all(np.asarray(predicted) == np.asarray(answers), axis=1)))


def position_accuracy(predicted, answers):
    """Character accuracy at each answer position after the start symbol: `(answer_length - 1,)`."""
    return np.mean(np.asarray(predicted)[:, 1:] == np.asarray(answers)[:, 1:], axis=0)


class ExactMatchHistory(keras.callbacks.Callback):
    """Greedy-decodes held-out splits after every epoch and adds their exact match to the
    epoch's logs.

    What it adds to `logs` reaches `model.fit`'s history and every callback after it (a
    training backup, so the records survive a restart with the weights):
    `"<name>_exact_match"` per split and `"epoch_seconds"`, the wall time since the previous
    epoch ended (or training began), decoding included: summed, the time since training began.

    Args:
        splits: `{name: (questions, answers)}`, e.g. `{"val": ..., "test": ...}`.
        start_id: the id of `_`.
        jit_compile: compile the decoding loop with XLA (worth it for thousands of lines).
    """

    def __init__(self, splits, start_id, jit_compile=True):
        super().__init__()
        self.splits, self.start_id, self.jit_compile = splits, start_id, jit_compile

    def on_train_begin(self, logs=None):
        self.decoder = GreedyDecoder(self.model, self.start_id, self.jit_compile)
        self.last_epoch_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        line = []
        for name, (questions, answers) in self.splits.items():
            predicted, _ = self.decoder(questions, answers.shape[1])
            score = exact_match(predicted, answers)
            logs[f"{name}_exact_match"] = score
            line.append(f"{name} exact match {score:.2%}")
        now = time.perf_counter()
        seconds, self.last_epoch_end = now - self.last_epoch_end, now
        logs["epoch_seconds"] = round(seconds, 2)
        print(f"epoch {epoch + 1}: {', '.join(line)} ({seconds:.0f} s)")
