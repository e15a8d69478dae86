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

import time

import numpy as np
import scipy.sparse


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
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(columns))), shape=shape
    ).tocsr()


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
    pmi = np.log(coo.data / total / (word_probability[coo.row] * context_probability[coo.col]))
    positive = pmi > 0
    return scipy.sparse.csr_matrix(
        (pmi[positive], (coo.row[positive], coo.col[positive])), shape=matrix.shape
    )


def svd_embeddings(matrix, dim, eigenvalue_power=0.5, seed=0, oversampling=20, power_iterations=6):
    """Word vectors from the `dim` largest singular triplets of a sparse matrix.

    A randomized truncated SVD (Halko, Martinsson & Tropp 2011): the range of the matrix is found
    from its product with `dim + oversampling` random vectors, sharpened by `power_iterations`
    multiplications with `A A^T` (re-orthonormalised each time), and the small projected matrix
    is decomposed exactly. Only sparse-times-dense products touch the `(V, V)` matrix, so it
    takes seconds where ARPACK's `svds` with k = 100 takes minutes.

    Args:
        matrix: `(V, C)` sparse, e.g. `ppmi(...)`.
        dim: the vector length.
        eigenvalue_power: p in `U S^p` (0: U alone, 1: the classic `U S`).
        seed: seeds the random vectors, so the vectors are reproducible.
        oversampling: extra random vectors beyond `dim` (accuracy of the last components).
        power_iterations: passes of `A A^T` (separate singular values that are close).

    Returns:
        float32 `(V, dim)`, rows in the matrix's order, components by decreasing singular value.
    """
    matrix = scipy.sparse.csr_matrix(matrix)
    rng = np.random.default_rng(seed)
    width = min(dim + oversampling, *matrix.shape)
    basis, _ = np.linalg.qr(matrix @ rng.standard_normal((matrix.shape[1], width)))
    for _ in range(power_iterations):
        basis, _ = np.linalg.qr(matrix.T @ basis)  # (C, width)
        basis, _ = np.linalg.qr(matrix @ basis)  # (V, width)
    small = (matrix.T @ basis).T  # (width, C) = basis^T A
    left, singular, _ = np.linalg.svd(small, full_matrices=False)
    vectors = (basis @ left[:, :dim]) * singular[:dim] ** eigenvalue_power
    return vectors.astype(np.float32)


def train_ppmi_svd(ids, vocabulary_size, *, window, dim, seed=0):
    """The whole count-based route on a text: co-occurrences -> PPMI -> truncated SVD.

    Args:
        ids: int `(tokens,)` word ids.
        vocabulary_size: V.
        window: the largest centre-context distance (dynamic weighting, as word2vec's).
        dim: the vector length.
        seed: seeds the randomized SVD.

    Returns:
        `(vectors, seconds)`: float32 `(V, dim)` and the wall time it took (as
        `models.word2vec.train_gensim` reports gensim's).
    """
    started = time.perf_counter()
    counts = cooccurrence_matrix(ids, vocabulary_size, window)
    vectors = svd_embeddings(ppmi(counts), dim, seed=seed)
    return vectors, time.perf_counter() - started
