"""Encoder-decoder (seq2seq) models for sequence-to-sequence regression, with optional attention.

The course's model (notebook `3_5_Seq2Seq(Encoder-Decoder)_sin-cos`) is `Seq2SeqConfig()`:

    encoder  SimpleRNN(10, return_state=True)      sin (B, T_enc, 1) -> state (B, 10)
    decoder  SimpleRNN(10, return_sequences=True, return_state=True, initial_state=encoder state)
             -> Dense(1)                            shifted cos (B, T_dec, 1) -> cos (B, T_dec, 1)

251 parameters. Training uses teacher forcing: the decoder reads the true previous value. At
inference the decoder reads its own previous output instead, starting from 0. This module gives that
loop twice:

- `predict_step_by_step`: the course's loop, one `predict` call per window and per step on the
  separate encoder and decoder models of `build_inference_models`. Slow (thousands of calls), kept
  as the reference.
- `generate`: the same loop as one compiled `tf.function` (`tf.while_loop`) over all windows at
  once, carrying the recurrent state and the fed-back output. Same weights, same numbers (to float32
  rounding).

`attention="luong"` (dot-product score, `keras.layers.Attention`) or `"bahdanau"` (additive score,
`keras.layers.AdditiveAttention`) lets every decoder step look at all encoder outputs instead of the
final state only. Both are applied Luong-style after the decoder RNN, without input feeding:

    h_t = decoder_rnn(y_{t-1}, h_{t-1});  a_t = softmax(score(h_t, E));  c_t = a_t @ E
    y_t = output_dense(tanh(W [h_t; c_t] + b))          # "attention_combine"

so a step of the loop needs only `h_{t-1}` and `y_{t-1}`, exactly like the plain decoder.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

CELLS = {
    "simple_rnn": keras.layers.SimpleRNN,
    "gru": keras.layers.GRU,
    "lstm": keras.layers.LSTM,
}
ATTENTIONS = ("none", "luong", "bahdanau")


@dataclasses.dataclass(frozen=True)
class Seq2SeqConfig:
    """What `build_seq2seq` builds; the defaults are the course's 251-parameter model."""

    cell: str = "simple_rnn"  # recurrent layer of encoder and decoder: simple_rnn | gru | lstm
    units: int = 10  # state size of encoder and decoder (they must match: the state is handed over)
    attention: str = "none"  # none | luong (dot score) | bahdanau (additive score)
    features: int = 1  # values per time step, in and out


def _check(config):
    if config.cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {config.cell!r}")
    if config.attention not in ATTENTIONS:
        raise ValueError(f"attention must be one of {ATTENTIONS}, got {config.attention!r}")


def _attention_layer(config):
    if config.attention == "luong":
        return keras.layers.Attention(score_mode="dot", name="attention")
    return keras.layers.AdditiveAttention(name="attention")


def build_seq2seq(config=None):
    """Builds the teacher-forced training model.

    Args:
        config: a `Seq2SeqConfig`; the course's model (`Seq2SeqConfig()`) if None.

    Returns:
        A `keras.Model` with inputs `[encoder_input (B, T_enc, F), decoder_input (B, T_dec, F)]`
        and output `(B, T_dec, F)`. Its layers are named `encoder_rnn`, `decoder_rnn`,
        `output_dense` and, with attention, `attention` and `attention_combine`; `generate` and
        `build_inference_models` find them by name.

    Example:
        >>> build_seq2seq(Seq2SeqConfig()).count_params()
        251
    """
    config = config or Seq2SeqConfig()
    _check(config)
    rnn = CELLS[config.cell]
    attend = config.attention != "none"
    encoder_input = keras.Input((None, config.features), name="encoder_input")
    decoder_input = keras.Input((None, config.features), name="decoder_input")

    # Plain: the final state only. Attention: every step's output too, to attend over.
    encoder = rnn(config.units, return_sequences=attend, return_state=True, name="encoder_rnn")
    encoder_output, *encoder_states = encoder(encoder_input)  # (B, T_enc, U) or (B, U); [(B, U)]

    decoder = rnn(config.units, return_sequences=True, return_state=True, name="decoder_rnn")
    decoder_output, *_ = decoder(decoder_input, initial_state=encoder_states)  # (B, T_dec, U)

    if attend:
        context = _attention_layer(config)([decoder_output, encoder_output])  # (B, T_dec, U)
        merged = keras.layers.Concatenate(name="attention_concat")([decoder_output, context])
        decoder_output = keras.layers.Dense(
            config.units, activation="tanh", name="attention_combine"
        )(merged)  # (B, T_dec, U)
    output = keras.layers.Dense(config.features, name="output_dense")(decoder_output)
    name = f"seq2seq_{config.cell}" + ("" if not attend else f"_{config.attention}")
    return keras.Model([encoder_input, decoder_input], output, name=name)


def _parts(model):
    """The named layers of a `build_seq2seq` model."""
    names = [layer.name for layer in model.layers]
    attend = "attention" in names
    return (
        model.get_layer("encoder_rnn"),
        model.get_layer("decoder_rnn"),
        model.get_layer("attention") if attend else None,
        model.get_layer("attention_combine") if attend else None,
        model.get_layer("output_dense"),
    )


def build_inference_models(model):
    """The course's separate inference models, sharing `model`'s trained layers.

    Args:
        model: a model from `build_seq2seq`.

    Returns:
        `(encoder_model, decoder_model)`.
        `encoder_model`: `(B, T_enc, F)` -> `[*states]` (plain) or `[encoder_outputs, *states]`
        (attention); states are `(B, U)`, two for LSTM (h, c).
        `decoder_model`: one step, `[y (B, 1, F), *states]` (+ `encoder_outputs` with attention) ->
        `[y (B, 1, F), *states]`.
    """
    encoder, decoder, attention, combine, dense = _parts(model)
    units, features = decoder.cell.units, dense.units
    num_states = len(decoder.cell.state_size) if isinstance(decoder.cell.state_size, list) else 1

    encoder_input = keras.Input((None, features), name="encoder_input")
    encoder_output, *encoder_states = encoder(encoder_input)
    encoder_model = keras.Model(
        encoder_input,
        ([encoder_output] if attention is not None else []) + encoder_states,
        name="encoder_model",
    )

    step_input = keras.Input((1, features), name="decoder_step_input")
    state_inputs = [
        keras.Input((units,), name=f"decoder_state_input_{i}") for i in range(num_states)
    ]
    step_output, *states = decoder(step_input, initial_state=state_inputs)  # (B, 1, U)
    inputs = [step_input, *state_inputs]
    if attention is not None:
        memory = keras.Input((None, units), name="encoder_outputs")
        context = attention([step_output, memory])  # (B, 1, U)
        step_output = combine(keras.layers.Concatenate()([step_output, context]))
        inputs.append(memory)
    decoder_model = keras.Model(inputs, [dense(step_output), *states], name="decoder_model")
    return encoder_model, decoder_model


def predict_step_by_step(encoder_model, decoder_model, encoder_inputs, num_steps=None):
    """The course's loop: per window an encoder `predict`, then a decoder `predict` per step.

    Starts each window from `zeros((1, 1, F))` and feeds back the decoder's output and state, as the
    notebook does. It makes `windows * (num_steps + 1)` `predict` calls: the reference, not the fast
    path.

    Args:
        encoder_model, decoder_model: from `build_inference_models`.
        encoder_inputs: `(windows, T_enc, F)` array.
        num_steps: decoder steps per window; `T_enc` if None.

    Returns:
        `(windows, num_steps, F)` float32 numpy array.
    """
    encoder_inputs = np.asarray(encoder_inputs, dtype=np.float32)
    num_steps = num_steps or encoder_inputs.shape[1]
    attend = any(t.name.startswith("encoder_outputs") for t in decoder_model.inputs)
    windows = []
    for window in encoder_inputs:
        encoded = encoder_model.predict(window[None], verbose=0)
        encoded = encoded if isinstance(encoded, list) else [encoded]
        memory, states = (encoded[0], encoded[1:]) if attend else (None, encoded)
        y = np.zeros((1, 1, encoder_inputs.shape[2]), dtype=np.float32)
        outputs = []
        for _ in range(num_steps):
            results = decoder_model.predict([y, *states] + ([memory] if attend else []), verbose=0)
            y, states = results[0], results[1:]
            outputs.append(y[0, 0])
        windows.append(np.stack(outputs))
    return np.stack(windows).astype(np.float32)


class Seq2SeqGenerator:
    """The autoregressive inference loop as one compiled function over a whole batch of windows.

    Encodes every window, then runs `num_steps` decoder steps in a `tf.while_loop`, carrying the
    recurrent state(s) and the fed-back output, starting from 0 like the course. Uses `model`'s
    layers (no copies), so it sees weight updates.

    Args:
        model: a model from `build_seq2seq`.
        jit_compile: compile the loop with XLA.

    Example:
        >>> generator = Seq2SeqGenerator(model)
        >>> predictions, weights = generator(windows.encoder_input, num_steps=24)
        >>> predictions.shape        # (76, 24, 1); weights is None without attention
    """

    def __init__(self, model, jit_compile=False):
        self.model = model
        self.encoder, self.decoder, self.attention, self.combine, self.dense = _parts(model)
        self._loop = tf.function(
            self._run, jit_compile=jit_compile, reduce_retracing=True, autograph=False
        )  # the loop is an explicit tf.while_loop: nothing for autograph to convert

    def _step(self, y, states, memory):
        """One decoder step: `y (B, F)`, `states [(B, U)]` -> `y (B, F)`, new states, weights."""
        h, states = self.decoder.cell(y, states)  # (B, U)
        weights = None
        if self.attention is not None:
            context, weights = self.attention([h[:, None], memory], return_attention_scores=True)
            h = self.combine(tf.concat([h, context[:, 0]], axis=-1))  # (B, U)
            weights = weights[:, 0]  # (B, T_enc)
        return self.dense(h), list(states), weights

    def _run(self, encoder_inputs, num_steps):
        encoder_output, *states = self.encoder(encoder_inputs)
        memory = encoder_output if self.attention is not None else None  # (B, T_enc, U)
        batch = tf.shape(encoder_inputs)[0]
        y = tf.zeros((batch, self.dense.units), encoder_inputs.dtype)  # the course's zero start
        outputs = tf.TensorArray(encoder_inputs.dtype, size=num_steps)
        weights = tf.TensorArray(encoder_inputs.dtype, size=num_steps)

        def body(t, y, states, outputs, weights):
            y, states, step_weights = self._step(y, states, memory)
            if step_weights is not None:
                weights = weights.write(t, step_weights)
            return t + 1, y, states, outputs.write(t, y), weights

        _, _, _, outputs, weights = tf.while_loop(
            lambda t, *_: t < num_steps, body, (tf.constant(0), y, states, outputs, weights)
        )
        predictions = tf.transpose(outputs.stack(), [1, 0, 2])  # (B, num_steps, F)
        if self.attention is None:
            return predictions, tf.zeros((batch, num_steps, 0), encoder_inputs.dtype)
        return predictions, tf.transpose(weights.stack(), [1, 0, 2])  # (B, num_steps, T_enc)

    def __call__(self, encoder_inputs, num_steps=None):
        """Runs the loop.

        Args:
            encoder_inputs: `(B, T_enc, F)` array or tensor.
            num_steps: decoder steps; `T_enc` if None. A Python int: a new value compiles anew.

        Returns:
            `(predictions, weights)` as numpy: `(B, num_steps, F)`, and the attention weights
            `(B, num_steps, T_enc)` or None without attention.
        """
        encoder_inputs = tf.convert_to_tensor(encoder_inputs, tf.float32)
        num_steps = int(num_steps or encoder_inputs.shape[1])
        predictions, weights = self._loop(encoder_inputs, num_steps)
        return predictions.numpy(), (weights.numpy() if self.attention is not None else None)


def generate(model, encoder_inputs, num_steps=None, jit_compile=False):
    """Free-running predictions of `model` for all windows at once (see `Seq2SeqGenerator`).

    Compiles a new loop on each call: to call it repeatedly, keep a `Seq2SeqGenerator` instead.

    Returns:
        `(B, num_steps, F)` float32 numpy array.
    """
    return Seq2SeqGenerator(model, jit_compile=jit_compile)(encoder_inputs, num_steps)[0]
