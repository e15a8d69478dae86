"""numpy references of the course's formulas, in Keras's weight layout.

Keras-layout layers (forward + backward/BPTT; `weights` is `layer.get_weights()`):
`simple_rnn_forward/backward`, `lstm_forward/backward`, `gru_forward/backward`,
`bidirectional_forward/backward`, `encoder_forward/backward`, plus their one-step cells; HRED's
context step and VHRED's prior sample (`context_step_*`, `latent_sample_*`; the Gaussian KL between
posterior and prior in `models.reference.dialogue`).

The course's exercises under their own names and signatures (see `models.reference.course` for the
conventions that differ from Keras): `bptt`, `traverse`, `gradient_clipping`, `lstm`, `gru`,
`bidirectional_rnn_net`, `encode`.

Every reference is checked against Keras (forward, atol 1e-5) and against central finite
differences (backward) in tests/test_reference_*.py.
"""

from models.reference import activations, binary_addition
from models.reference.bidirectional import bidirectional_backward, bidirectional_forward
from models.reference.clipping import clip_by_global_norm, gradient_clipping
from models.reference.course import (
    bidirectional_rnn_net,
    bptt,
    encode,
    gru,
    gru_weights_from_keras,
    lstm,
    lstm_weights_from_keras,
    rnn_net,
)
from models.reference.dialogue import (
    context_step_backward,
    context_step_forward,
    latent_sample_backward,
    latent_sample_forward,
)
from models.reference.encoder import (
    embedding_backward,
    embedding_forward,
    encoder_backward,
    encoder_forward,
)
from models.reference.gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward
from models.reference.lstm import (
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
)
from models.reference.recursive import traverse, traverse_backward, traverse_forward
from models.reference.simple_rnn import (
    simple_rnn_backward,
    simple_rnn_cell_backward,
    simple_rnn_cell_forward,
    simple_rnn_forward,
)

__all__ = [
    "activations",
    "binary_addition",
    "bidirectional_backward",
    "bidirectional_forward",
    "bidirectional_rnn_net",
    "bptt",
    "clip_by_global_norm",
    "context_step_backward",
    "context_step_forward",
    "embedding_backward",
    "embedding_forward",
    "encode",
    "encoder_backward",
    "encoder_forward",
    "gradient_clipping",
    "gru",
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "gru_weights_from_keras",
    "latent_sample_backward",
    "latent_sample_forward",
    "lstm",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "lstm_weights_from_keras",
    "rnn_net",
    "simple_rnn_backward",
    "simple_rnn_cell_backward",
    "simple_rnn_cell_forward",
    "simple_rnn_forward",
    "traverse",
    "traverse_backward",
    "traverse_forward",
]
