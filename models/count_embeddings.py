"""Count-based word vectors: co-occurrence counts -> PPMI -> truncated SVD.

The route before word2vec (DLFS2 ch02; Levy, Goldberg & Dagan 2015 for the tuning): count how
often each word appears within `window` of each other word, turn the counts into positive
pointwise mutual information

    PPMI(w, c) = max(0, log P(w, c) / (P(w) P_a(c))),   P_a(c) = count(c)^a / sum count^a

(a = 0.75, "context distribution smoothing", damps PMI's bias towards rare contexts), and keep
the `dim` leading singular directions of the sparse PPMI matrix: `U_d S_d^p` are the vectors
(p = 0.5 splits the singular values between words and contexts symmetrically).

Example:
    >>> counts = cooccurrence_matrix(ptb.train, 10000, window=5)
    >>> vectors = svd_embeddings(ppmi(counts), dim=100)  # (10000, 100)
"""

import numpy as np
import scipy.sparse
import scipy.sparse.linalg


def cooccurrence_matrix(ids, vocabulary_size, window, weighting="dynamic"):
    """Symmetric co-occurrence counts of every pair of words within `window` of each other.

    Args:
        ids: int `(tokens,)` the text as word ids.
        vocabulary_size: V.
        window: the largest distance counted.
        weighting: `"dynamic"` counts a pair at distance d as `(window - d + 1) / window`, what
            word2vec's dynamic window does on average; `"uniform"` counts 1 (DLFS2).

    Returns:
        float64 `scipy.sparse.csr_matrix` `(V, V)`.
    """
    ids = np.asarray(ids, np.int64)
    rows, columns, weights = [], [], []
    for distance in range(1, window + 1):
        weight = (window - distance + 1) / window if weighting == "dynamic" else 1.0
        left, right = ids[:-distance], ids[distance:]
        rows += [left, right]
        columns += [right, left]
        weights.append(np.full(2 * len(left), weight))
    shape = (vocabulary_size, vocabulary_size)
    # COO -> CSR sums the duplicate (row, column) entries: the counting itself.
    return scipy.sparse.coo_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns))),
        shape=shape).tocsr()


def ppmi(cooccurrence, context_power=0.75):
    """Positive pointwise mutual information of a co-occurrence matrix, kept sparse.

    Args:
        cooccurrence: `(V, V)` sparse counts (rows: words, columns: contexts).
        context_power: the smoothing exponent a of the context distribution (1: plain PMI).

    Returns:
        float64 `scipy.sparse.csr_matrix` `(V, V)`; entries with PMI <= 0 (and pairs never seen)
        are 0.
    """
    matrix = scipy.sparse.csr_matrix(cooccurrence, dtype=np.float64)
    total = matrix.sum()
    word_probability = np.asarray(matrix.sum(axis=1)).ravel() / total
    context_counts = np.asarray(matrix.sum(axis=0)).ravel() ** context_power
    context_probability = context_counts / context_counts.sum()
    coo = matrix.tocoo()
    pmi = np.log(coo.data / total
                 / (word_probability[coo.row] * context_probability[coo.col]))
    positive = pmi > 0
    return scipy.sparse.csr_matrix(
        (pmi[positive], (coo.row[positive], coo.col[positive])), shape=matrix.shape)


def svd_embeddings(matrix, dim, eigenvalue_power=0.5, seed=0):
    """Word vectors from the `dim` largest singular triplets of a sparse matrix.

    Args:
        matrix: `(V, C)` sparse, e.g. `ppmi(...)`.
        dim: the vector length.
        eigenvalue_power: p in `U S^p` (0: U alone, 1: the classic `U S`).
        seed: seeds ARPACK's start vector, so the vectors (and their signs) are reproducible.

    Returns:
        float32 `(V, dim)`, rows in the matrix's order, components by decreasing singular value.
    """
    start = np.random.default_rng(seed).uniform(-1, 1, size=min(matrix.shape))
    left, singular, _ = scipy.sparse.linalg.svds(matrix, k=dim, v0=start)
    order = np.argsort(singular)[::-1]  # svds returns them increasing
    return (left[:, order] * singular[order] ** eigenvalue_power).astype(np.float32)
