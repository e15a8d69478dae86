"""The course's recursive neural network: a binary tree folded bottom-up into one vector.

A node is either a leaf vector `(dim,)` or a dict `{"left": node, "right": node}`; each inner
node is `activation(W @ concatenate([left, right]))` with `W` of shape `(dim, 2 * dim)`. The course
reads `W` and `_activation` from globals; here they are arguments (the activation defaults to tanh,
which the course leaves unspecified). Keras has no such layer, so this is checked against finite
differences only.

Example:

>>> tree = {"left": a, "right": {"left": b, "right": c}}
>>> v = traverse(tree, W)                     # (dim,)
>>> v, cache = traverse_forward(tree, W)
>>> d_W, d_leaves = traverse_backward(np.ones_like(v), cache)   # d_leaves: [d_a, d_b, d_c]
"""

import numpy as np

from models.reference.activations import get_activation


def traverse(node, W, activation="tanh"):
    """The course's `traverse(node)`; the blank is `W.dot(np.concatenate([left, right]))`."""
    if not isinstance(node, dict):
        return node
    left = traverse(node["left"], W, activation)
    right = traverse(node["right"], W, activation)
    f, _ = get_activation(activation)
    return f(W.dot(np.concatenate([left, right])))


def traverse_forward(node, W, activation="tanh"):
    """Like `traverse`, also returning the cache `traverse_backward` needs."""
    if not isinstance(node, dict):
        return node, ("leaf",)
    left, left_cache = traverse_forward(node["left"], W, activation)
    right, right_cache = traverse_forward(node["right"], W, activation)
    joined = np.concatenate([left, right])  # (2 * dim,)
    pre = W.dot(joined)
    f, _ = get_activation(activation)
    return f(pre), ("node", joined, pre, left_cache, right_cache, W, activation)


def traverse_backward(d_output, cache):
    """Back-propagation through the tree.

    Returns:
        `(d_W, d_leaves)`: the gradient of `W` (zeros for a single leaf) and one gradient per
        leaf, left to right.
    """
    d_leaves = []
    d_W = None

    def visit(d_v, node_cache):
        nonlocal d_W
        if node_cache[0] == "leaf":
            d_leaves.append(d_v)
            return
        _, joined, pre, left_cache, right_cache, W, activation = node_cache
        _, f_prime = get_activation(activation)
        d_pre = d_v * f_prime(pre)
        d_W = np.outer(d_pre, joined) if d_W is None else d_W + np.outer(d_pre, joined)
        d_left, d_right = np.split(W.T.dot(d_pre), 2)
        visit(d_left, left_cache)
        visit(d_right, right_cache)

    visit(np.asarray(d_output, dtype=float), cache)
    return d_W, d_leaves
