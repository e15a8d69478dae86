"""Dialogue response models: seq2seq on the last utterance, HRED and VHRED (Serban et al.
2016, 2017).

Every model reads a context of `turns` utterances, int32 `(B, turns, L)` token ids (0-padded, an
all-0 turn is an empty one and is masked), and a teacher-forced decoder input `(B, T)` = `<bos>` +
reply, and returns next-word logits `(B, T, vocab)`:

    seq2seq  last turn -> utterance GRU -> h                          -> decoder GRU(init h)
    HRED     each turn -> utterance GRU -> e_1..e_n -> context GRU -> c -> decoder GRU(init c)
    VHRED    HRED's c; prior p(z|c) = N(mu_p, s_p^2) and posterior q(z|c, reply) = N(mu_q, s_q^2),
             both a tanh Dense then two Dense heads; z = mu_q + s_q * eps (reparameterised); the
             decoder starts from Dense([c, z]) and reads z beside every input word; the loss adds
             kl_weight * KL(q || p), kl_weight annealed from 0 to 1 (`KLAnnealing`); word drop
             replaces decoder input words by `<unk>` while training (`WordDrop`).

Each model holds two nested models that inference uses: `context_encoder` (context -> state
`(B, units)`) and `decoder` (`[state, (z,) decoder input]` -> logits); VHRED also `prior` (state ->
`[mu, log_var]`) and `posterior` (`[state, reply]` -> `[mu, log_var]`).

The loss is `reply_nll`: nats per reply, summed over its words and `<eos>`, so that VHRED's loss is
the negative ELBO per reply. numpy references: `models.reference.dialogue`.
"""

import dataclasses

import keras
import numpy as np
from keras import layers, ops

from models.vae import reparameterize

PAD_ID, UNKNOWN_ID, BEGIN_ID, END_ID = 0, 1, 2, 3  # labs.data.dialogue's special tokens
KINDS = ("seq2seq", "hred", "vhred")


@dataclasses.dataclass(frozen=True)
class DialogueModelConfig:
    """What the builders build; the defaults are the lab's default preset."""

    vocabulary_size: int = 43  # labs.data.dialogue's vocabulary
    turns: int = 3  # context utterances (seq2seq reads only the last)
    embedding_dim: int = 32  # word vectors (encoder and decoder each have their own)
    units: int = 64  # utterance, context and decoder GRU units
    latent_dim: int = 8  # VHRED's z
    word_drop: float = 0.25  # VHRED: share of decoder input words replaced by <unk> in training
    learning_rate: float = 3e-3  # Adam
    global_clipnorm: float = 5.0  # Adam's gradient clipping (the loss is summed over a reply)
    decay_steps: int = 0  # > 0: the rate decays along a cosine to 1 % of it over these steps
    seed: int = 0  # word drop's and the sampler's random generators


@keras.saving.register_keras_serializable(package="day3")
def reply_nll(targets, logits):
    """Negative log-likelihood of each reply, summed over its tokens (padding, id 0, skipped).

    Args:
        targets: int `(B, T)`, the reply then `<eos>`, 0-padded.
        logits: `(B, T, vocab)`.

    Returns:
        `(B,)`, nats per reply.
    """
    targets = ops.cast(targets, "int32")
    per_token = ops.sparse_categorical_crossentropy(targets, logits, from_logits=True)  # (B, T)
    mask = ops.cast(ops.not_equal(targets, PAD_ID), per_token.dtype)
    return ops.sum(per_token * mask, axis=-1)


def gaussian_kl(mean_q, log_var_q, mean_p, log_var_p):
    """`KL(N(mu_q, diag(exp(v_q))) || N(mu_p, diag(exp(v_p))))` per example, in nats.

    `0.5 * sum(v_p - v_q + (exp(v_q) + (mu_q - mu_p)^2) / exp(v_p) - 1)` over the last axis.

    Args:
        mean_q, log_var_q: the posterior, each `(B, latent)`.
        mean_p, log_var_p: the prior, each `(B, latent)`.

    Returns:
        `(B,)`.
    """
    return 0.5 * ops.sum(
        log_var_p
        - log_var_q
        + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) * ops.exp(-log_var_p)
        - 1.0,
        axis=-1,
    )


@keras.saving.register_keras_serializable(package="day3")
class LastTurn(layers.Layer):
    """`(B, turns, L) -> (B, 1, L)`: the context cut to its last utterance (seq2seq's view)."""

    def call(self, context):
        return context[:, -1:, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1, input_shape[2])


@keras.saving.register_keras_serializable(package="day3")
class TurnMask(layers.Layer):
    """`(B, turns, L)` ids -> bool `(B, turns)`: True for a turn with at least one word."""

    def call(self, context):
        return ops.any(ops.not_equal(context, PAD_ID), axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:2]


@keras.saving.register_keras_serializable(package="day3")
class WordDrop(layers.Layer):
    """Replaces each word of a decoder input by `<unk>` with probability `rate`, in training only.

    `<bos>` and padding are kept (Bowman et al. 2016's word dropout; Serban et al. 2017 use it so
    the decoder cannot predict a reply from its own previous words alone and must read z).

    Args:
        rate: the share of words replaced.
        unknown_id: the id of `<unk>`.
        seed: seed of the layer's random generator.

    Example:
        >>> WordDrop(0.25)(decoder_inputs, training=True)  # (B, T), some ids now 1
    """

    def __init__(self, rate, unknown_id=UNKNOWN_ID, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.unknown_id, self.seed = rate, unknown_id, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, tokens, training=False):
        if not training or self.rate == 0:
            return tokens
        tokens = ops.cast(tokens, "int32")
        drop = keras.random.uniform(ops.shape(tokens), seed=self.seed_generator) < self.rate
        drop = ops.logical_and(drop, ops.greater(tokens, END_ID))  # words only
        return ops.where(drop, ops.full_like(tokens, self.unknown_id), tokens)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "unknown_id": self.unknown_id,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="day3")
class LatentSample(layers.Layer):
    """`[mu_q, log_var_q, mu_p, log_var_p] -> z`, adding `kl_weight * mean KL(q || p)` to the loss.

    In training z is the reparameterised posterior sample `mu_q + exp(log_var_q / 2) * eps`; at
    inference, the posterior mean. `kl_weight` is a non-trainable variable (`KLAnnealing` raises
    it); the unweighted KL is tracked as the metric `kl` (nats per reply).

    Args:
        seed: seed of the layer's random generator.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def build(self, input_shape):
        self.kl_weight = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="kl_weight"
        )

    def call(self, inputs, training=False):
        mean_q, log_var_q, mean_p, log_var_p = inputs
        kl = gaussian_kl(mean_q, log_var_q, mean_p, log_var_p)  # (B,)
        self.add_loss(self.kl_weight * ops.mean(kl))
        self.kl_tracker.update_state(kl)
        if not training:
            return mean_q
        epsilon = keras.random.normal(ops.shape(mean_q), seed=self.seed_generator)
        return reparameterize(mean_q, log_var_q, epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class KLAnnealing(keras.callbacks.Callback):
    """Raises VHRED's KL weight linearly from 0 to 1 over its first `steps` training batches.

    The weight follows the optimizer's step count, so a run resumed from a backup continues the
    schedule where it stopped. Logs the weight at each epoch's end as `kl_weight` (so it lands in
    the history).

    Args:
        steps: batches until the weight reaches 1.
        layer_name: the model's `LatentSample` layer.

    Example:
        >>> model.fit(x, y, epochs=20, callbacks=[KLAnnealing(5 * steps_per_epoch)])
    """

    def __init__(self, steps, layer_name="latent_sample"):
        super().__init__()
        self.steps, self.layer_name = max(int(steps), 1), layer_name

    def _weight(self):
        return self.model.get_layer(self.layer_name).kl_weight

    def on_train_batch_begin(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) + 1
        self._weight().assign(min(1.0, step / self.steps))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["kl_weight"] = float(keras.ops.convert_to_numpy(self._weight()))


def utterance_encoder(config, name):
    """`(B, L)` ids -> `(B, units)`: an embedding and a GRU's final state (padding masked)."""
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(config.vocabulary_size, config.embedding_dim, mask_zero=True)(tokens)
    state = layers.GRU(config.units, name="gru")(x)  # (B, units)
    return keras.Model(tokens, state, name=name)


def context_encoder(config, hierarchical):
    """`(B, turns, L)` ids -> `(B, units)`: HRED's context state, or seq2seq's last-turn state.

    Args:
        config: a `DialogueModelConfig`.
        hierarchical: True for HRED's utterance GRU -> context GRU; False for seq2seq's encoder of
            the last utterance only.
    """
    context = keras.Input((config.turns, None), dtype="int32", name="context")
    encode = layers.TimeDistributed(utterance_encoder(config, "utterance_encoder"), name="turns")
    if not hierarchical:
        last = LastTurn(name="last_turn")(context)  # (B, 1, L)
        state = layers.Reshape((config.units,), name="state")(encode(last))  # (B, units)
        return keras.Model(context, state, name="context_encoder")
    encodings = encode(context)  # (B, turns, units): one vector per utterance
    turn_mask = TurnMask(name="turn_mask")(context)  # (B, turns)
    state = layers.GRU(config.units, name="context_gru")(encodings, mask=turn_mask)  # (B, units)
    return keras.Model(context, state, name="context_encoder")


def decoder(config, latent=False):
    """`[state (B, units), (z (B, latent),) decoder_input (B, T)]` -> logits `(B, T, vocab)`."""
    state = keras.Input((config.units,), name="state")
    z = keras.Input((config.latent_dim,), name="z") if latent else None
    tokens = keras.Input((None,), dtype="int32", name="decoder_input")
    # No mask: the decoder is causal, so the padding after a reply changes none of the scored steps
    # (reply_nll skips them), and the logits carry no Keras mask into the per-reply loss.
    x = layers.Embedding(config.vocabulary_size, config.embedding_dim, name="decoder_embedding")(
        tokens
    )  # (B, T, E)
    # The context state (and z) beside every input word as well as in the initial state:
    # Serban et al.'s decoder bias "all"; every reply word's gradient reaches the context directly.
    start = layers.Concatenate(name="state_and_z")([state, z]) if latent else state
    x = layers.Concatenate(name="word_and_state")([x, Broadcast(name="every_step")([start, x])])
    initial = layers.Dense(config.units, activation="tanh", name="decoder_init")(start)
    x = layers.GRU(config.units, return_sequences=True, name="decoder_gru")(
        x, initial_state=initial
    )  # (B, T, units)
    logits = layers.Dense(config.vocabulary_size, name="logits")(x)  # (B, T, vocab)
    inputs = [state, z, tokens] if latent else [state, tokens]
    return keras.Model(inputs, logits, name="decoder")


@keras.saving.register_keras_serializable(package="day3")
class Broadcast(layers.Layer):
    """`[v (B, D), x (B, T, ...)] -> (B, T, D)`: v repeated at every step of x."""

    def call(self, inputs):
        vector, x = inputs
        return ops.repeat(ops.expand_dims(vector, 1), ops.shape(x)[1], axis=1)

    def compute_output_shape(self, input_shape):
        vector_shape, x_shape = input_shape
        return (vector_shape[0], x_shape[1], vector_shape[1])


def gaussian_net(config, inputs, name):
    """A tanh Dense then two heads: `[mu, log_var]`, each `(B, latent)`."""
    hidden = layers.Dense(config.units, activation="tanh", name=f"{name}_hidden")(inputs)
    mean = layers.Dense(config.latent_dim, name=f"{name}_mean")(hidden)
    log_var = layers.Dense(config.latent_dim, name=f"{name}_log_var")(hidden)
    return [mean, log_var]


def _compile(model, config):
    # jit_compile=False: XLA takes longer to compile these small GRU loops than it saves.
    rate = config.learning_rate
    if config.decay_steps > 0:
        # A decayed rate lets the reply probabilities settle on their frequencies: greedy decoding
        # depends on which first word is the most likely, 0.31 against 0.23.
        rate = keras.optimizers.schedules.CosineDecay(rate, config.decay_steps, alpha=0.01)
    optimizer = keras.optimizers.Adam(rate, global_clipnorm=config.global_clipnorm)
    model.compile(optimizer=optimizer, loss=reply_nll, jit_compile=False)
    return model


def _inputs(config):
    context = keras.Input((config.turns, None), dtype="int32", name="context")
    decoder_input = keras.Input((None,), dtype="int32", name="decoder_input")
    return context, decoder_input


def build_seq2seq(config=None):
    """seq2seq on the last utterance: the baseline that cannot see the topic.

    Args:
        config: a `DialogueModelConfig` (its defaults when None).

    Returns:
        A compiled `keras.Model` `[context (B, turns, L), decoder_input (B, T)]` -> logits
        `(B, T, vocab)`, loss `reply_nll`, with nested models `context_encoder` and `decoder`.

    Example:
        >>> model = build_seq2seq(DialogueModelConfig())
        >>> model.fit([train.context_ids, train.decoder_inputs], train.targets, epochs=5)
    """
    return _build_deterministic(config or DialogueModelConfig(), hierarchical=False)


def build_hred(config=None):
    """HRED: utterance GRU -> context GRU over the turns -> decoder GRU started from the context.

    Args:
        config: a `DialogueModelConfig` (its defaults when None).

    Returns:
        A compiled `keras.Model` like `build_seq2seq`'s, whose `context_encoder` reads every turn.

    Example:
        >>> model = build_hred(DialogueModelConfig(units=64))
        >>> model.get_layer("context_encoder").get_layer("context_gru")
    """
    return _build_deterministic(config or DialogueModelConfig(), hierarchical=True)


def _build_deterministic(config, hierarchical):
    context, decoder_input = _inputs(config)
    state = context_encoder(config, hierarchical)(context)  # (B, units)
    logits = decoder(config)([state, decoder_input])  # (B, T, vocab)
    name = "hred" if hierarchical else "seq2seq"
    return _compile(keras.Model([context, decoder_input], logits, name=name), config)


def build_vhred(config=None):
    """VHRED: HRED plus a latent z per reply, drawn from the posterior in training.

    Args:
        config: a `DialogueModelConfig` (its defaults when None).

    Returns:
        A compiled `keras.Model` `[context, decoder_input, reply (B, T)]` -> logits `(B, T,
        vocab)`; `reply` is the target (the reply then `<eos>`), which only the posterior reads.
        Nested models `context_encoder`, `prior`, `posterior`, `decoder`; layers `word_drop` and
        `latent_sample` (with `kl_weight`). Train it with `KLAnnealing`.

    Example:
        >>> model = build_vhred(DialogueModelConfig(latent_dim=8))
        >>> model.fit([ctx, dec_in, targets], targets, callbacks=[KLAnnealing(2000)])
    """
    config = config or DialogueModelConfig()
    context, decoder_input = _inputs(config)
    reply = keras.Input((None,), dtype="int32", name="reply")
    state = context_encoder(config, hierarchical=True)(context)  # (B, units)

    state_in = keras.Input((config.units,), name="state")
    prior = keras.Model(state_in, gaussian_net(config, state_in, "prior"), name="prior")

    post_state = keras.Input((config.units,), name="state")
    post_reply = keras.Input((None,), dtype="int32", name="reply")
    reply_code = utterance_encoder(config, "reply_encoder")(post_reply)  # (B, units)
    joined = layers.Concatenate(name="state_and_reply")([post_state, reply_code])
    posterior = keras.Model(
        [post_state, post_reply], gaussian_net(config, joined, "posterior"), name="posterior"
    )

    mean_q, log_var_q = posterior([state, reply])  # (B, latent) each
    mean_p, log_var_p = prior(state)
    z = LatentSample(seed=config.seed, name="latent_sample")([mean_q, log_var_q, mean_p, log_var_p])
    dropped = WordDrop(config.word_drop, seed=config.seed, name="word_drop")(decoder_input)
    logits = decoder(config, latent=True)([state, z, dropped])  # (B, T, vocab)
    model = keras.Model([context, decoder_input, reply], logits, name="vhred")
    return _compile(model, config)


BUILDERS = {"seq2seq": build_seq2seq, "hred": build_hred, "vhred": build_vhred}


def is_latent(model):
    """True for a VHRED model (it has a prior network)."""
    return any(layer.name == "prior" for layer in model.layers)


def model_inputs(dialogues, latent=False):
    """The inputs `model.fit` takes for a `labs.data.dialogue.Dialogues`: `[context,
    decoder_input]`, and the reply for VHRED's posterior when `latent`."""
    inputs = [dialogues.context_ids, dialogues.decoder_inputs]
    return inputs + [dialogues.targets] if latent else inputs


def _numpy(x):
    return keras.ops.convert_to_numpy(x)


def _log_softmax(logits):
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


def _reply_log_likelihood(logits, targets):
    """`(B,)` log p(reply) summed over the reply's tokens, from logits `(B, T, vocab)`."""
    log_probs = np.take_along_axis(_log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    return np.sum(log_probs * (targets != PAD_ID), axis=-1)


def _log_normal(z, mean, log_var):
    """`(B,)` log N(z; mean, diag(exp(log_var)))."""
    return -0.5 * np.sum(np.log(2 * np.pi) + log_var + (z - mean) ** 2 / np.exp(log_var), axis=-1)


def reply_log_likelihoods(model, dialogues, samples=20, seed=0, batch_size=1000):
    """log p(reply | context) of every dialogue, in nats, `(n,)`.

    seq2seq and HRED: exact. VHRED: the importance-sampled estimate with the posterior as proposal,
    `log mean_k p(reply | z_k) p(z_k) / q(z_k)`, `z_k ~ q(z | context, reply)` (Burda et al. 2016's
    bound, below log p(reply) in expectation, tighter as `samples` grows; `samples=1` is the ELBO
    with one sample), and its ELBO: `E_q log p(reply | z) - KL(q || p)`.

    Args:
        model: a model of `build_seq2seq`, `build_hred` or `build_vhred`.
        dialogues: a `labs.data.dialogue.Dialogues`.
        samples: VHRED's importance samples per reply.
        seed: seed of VHRED's samples.
        batch_size: dialogues per forward pass.

    Returns:
        `{"log_likelihood": (n,)}`, plus `"elbo"` and `"kl"` `(n,)` for VHRED.
    """
    encoder, decode = model.get_layer("context_encoder"), model.get_layer("decoder")
    rng = np.random.default_rng(seed)
    out = {"log_likelihood": [], "elbo": [], "kl": []}
    for start in range(0, len(dialogues), batch_size):
        part = slice(start, start + batch_size)
        context, inputs, targets = (
            dialogues.context_ids[part],
            dialogues.decoder_inputs[part],
            dialogues.targets[part],
        )
        state = _numpy(encoder(context))
        if not is_latent(model):
            logits = _numpy(decode([state, inputs]))
            out["log_likelihood"].append(_reply_log_likelihood(logits, targets))
            continue
        mean_p, log_var_p = (_numpy(t) for t in model.get_layer("prior")(state))
        mean_q, log_var_q = (_numpy(t) for t in model.get_layer("posterior")([state, targets]))
        kl = _numpy(gaussian_kl(mean_q, log_var_q, mean_p, log_var_p))
        log_weights, reconstruction = [], []
        for _ in range(samples):
            epsilon = rng.standard_normal(mean_q.shape).astype(np.float32)
            z = mean_q + np.exp(0.5 * log_var_q) * epsilon
            log_p = _reply_log_likelihood(_numpy(decode([state, z, inputs])), targets)
            reconstruction.append(log_p)
            log_weights.append(
                log_p + _log_normal(z, mean_p, log_var_p) - _log_normal(z, mean_q, log_var_q)
            )
        log_weights = np.stack(log_weights)  # (samples, B)
        peak = log_weights.max(axis=0)
        estimate = peak + np.log(np.mean(np.exp(log_weights - peak), axis=0))
        out["log_likelihood"].append(estimate)
        out["elbo"].append(np.mean(reconstruction, axis=0) - kl)
        out["kl"].append(kl)
    return {key: np.concatenate(value) for key, value in out.items() if value}


def perplexity(log_likelihoods, dialogues):
    """Per-token perplexity `exp(-sum log p / tokens)`, `<eos>` counted."""
    tokens = int(np.sum(dialogues.targets != PAD_ID))
    return float(np.exp(-np.sum(log_likelihoods) / tokens))


def sample_prior(model, context_ids, seed=0):
    """z drawn from VHRED's prior `p(z | context)`: `(B, latent)`, seeded."""
    state = _numpy(model.get_layer("context_encoder")(context_ids))
    mean, log_var = (_numpy(t) for t in model.get_layer("prior")(state))
    epsilon = np.random.default_rng(seed).standard_normal(mean.shape).astype(np.float32)
    return mean + np.exp(0.5 * log_var) * epsilon


def greedy_replies(model, context_ids, z=None, max_length=5):
    """Greedy decoding: at each step the most likely word, until `<eos>` or `max_length` words.

    Args:
        model: a dialogue model.
        context_ids: int32 `(B, turns, L)`.
        z: VHRED's latent `(B, latent)` (e.g. from `sample_prior`); ignored by the others.
        max_length: most tokens generated (`<eos>` included).

    Returns:
        int32 `(B, max_length)` generated ids (stop at the first `<eos>`; `Tokenizer.decode`).
    """
    state = _numpy(model.get_layer("context_encoder")(context_ids))
    decode = model.get_layer("decoder")
    tokens = np.full((len(context_ids), 1), BEGIN_ID, np.int32)
    for _ in range(max_length):
        inputs = [state, z, tokens] if is_latent(model) else [state, tokens]
        logits = _numpy(decode(inputs))[:, -1]  # (B, vocab)
        tokens = np.concatenate([tokens, logits.argmax(axis=-1)[:, None].astype(np.int32)], 1)
    return tokens[:, 1:]
