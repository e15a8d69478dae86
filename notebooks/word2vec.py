# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # word2vec: 単語の分散表現 / word2vec: word embeddings
#
# 講座 / course: **Section 6 (word2vec)** · lab: `labs.word2vec`
#
# Section 6: skip-gram と負例サンプリングで PTB から単語ベクトルを学び、
# 数え上げの方法（PPMI/SVD）と gensim と同じ物差しで比べます。
#
# > Section 6: word vectors from Penn Treebank with skip-gram and negative sampling, scored beside
# > the count-based route (PPMI/SVD) and gensim with the same yardsticks.

# %% [markdown]
# **パラメータ**: `QUICK = True` にすると、どのセルも数秒〜数十秒で終わる最小設定（`--quick`）
# で動きます。CI はこのセルを `QUICK = True` に書き換えて全セルを実行します。`False`
# のままなら各演習の既定の（本番の）設定です。
#
# > **Parameters**: `QUICK = True` runs every cell at the smallest settings (`--quick`), seconds
# > each; CI flips this cell to `QUICK = True` and runs the whole notebook. Left at `False`, the
# > lab runs at its default, full settings.

# %% tags=["parameters"]
QUICK = False  # True: the lab's --quick settings (what CI runs)

# %% [markdown]
# 準備: パッケージ（`pip install -e .` 済みの `labs`・`models`）を読み込み、演習の出力先を決めます。
# データはオフラインでも読めるように、`LABS_MANUAL_DIR` が未設定ならチェックアウトの隣の
# `shared/data` を使います（`make notebooks` は設定済みで起動します）。
#
# > Setup: import the package (`labs`, `models`, installed by `make`), choose where the lab writes
# > its files, and point the offline loaders at the staged data: `LABS_MANUAL_DIR`, else
# > `shared/data` beside the checkout (`make notebooks` sets it).

# %%
import os

import matplotlib.pyplot as plt  # noqa: F401  (for your own plots)
import numpy as np

from labs.kit.notebook import setup, show

OUT = setup("word2vec")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. コーパス: Penn Treebank
#
# 約93万語、語彙1万語。「同じ文脈に現れる単語は似た意味を持つ」（分布仮説）
# を使ってベクトルを学びます。
#
# > The corpus: Penn Treebank, about 930k tokens, 10,000 words. Words used in the same contexts get
# > similar vectors (the distributional hypothesis).

# %%
from labs import kit
from labs.data import skipgrams
from labs.data.ptb import load_ptb
from labs.word2vec import LAB
from models import count_embeddings

ptb = load_ptb(manual_dir=os.environ.get("LABS_MANUAL_DIR"))
print(len(ptb.train), "training tokens,", len(ptb.vocabulary), "words")
print(" ".join(ptb.decode(ptb.train[:30])))

# %% [markdown]
# ## 2. word2vec がコーパスにすること
#
# - 頻出語の間引き（subsampling）: 単語 $w$ の出現を確率
#   $P_{keep}(w) = \left(\sqrt{f(w)/t} + 1\right) \dfrac{t}{f(w)}$ で残す（$f(w)$
#   は相対頻度、$t = 10^{-3}$）。
# - 負例は $P_n(w) \propto \mathrm{count}(w)^{3/4}$ から引く。
#
# > What word2vec does to the corpus: frequent words are subsampled with the keep probability above
# > (f is the relative frequency, t = 1e-3), and negatives are drawn from the unigram counts to the
# > power 3/4.

# %%
keep = skipgrams.keep_probabilities(ptb.counts, 1e-3)
noise = skipgrams.negative_distribution(ptb.counts)
for word in ("the", "<unk>", "stock", "toyota"):
    i = ptb.word_to_id[word]
    print(
        f"{word:8s} count {ptb.counts[i]:6d}  keep {keep[i]:.3f}  "
        f"unigram {ptb.counts[i] / ptb.counts.sum():.4f}  noise {noise[i]:.4f}"
    )

# %% [markdown]
# ## 3. skip-gram と負例サンプリング
#
# 中心語 $c$ と文脈語 $o$、負例 $k_1..k_K$ について
#
# $$L = -\log \sigma(u_o^\top v_c) - \sum_{k=1}^{K} \log \sigma(-u_k^\top v_c)$$
#
# 語彙全体のソフトマックス（1万行）の代わりに $K+1$ 個の2値分類で済みます。
#
# > Skip-gram with negative sampling: K + 1 binary questions instead of a softmax over all 10,000
# > words.

# %% [markdown]
# ## 4. 数え上げによる方法: PPMI → SVD
#
# $$\mathrm{PPMI}(w, c) = \max\left(0, \log \frac{P(w, c)}{P(w) P(c)}\right)$$
#
# 共起行列を PPMI にし、切り詰めた SVD で100次元にします。
# 小さなコーパスではこちらが強い基準になります。
#
# > The count-based route: co-occurrence counts, PPMI, then a truncated SVD to 100 dimensions; on a
# > small corpus a strong baseline.

# %% [markdown]
# ## 5. 学習と評価
#
# 演習は skip-gram（Keras）、PPMI/SVD、gensim の Word2Vec を同じトークンで学習し、
# WordSim-353（人の類似度判断との順位相関）と類推問題で比べます。`QUICK`
# ではコーパスの一部だけなので数字は意味を持ちません。
#
# > The lab trains skip-gram (Keras), PPMI/SVD and gensim's Word2Vec on the same tokens and scores
# > them on WordSim-353 and the Google analogies. Under `QUICK` the corpus is a slice and the
# > scores mean nothing.

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
print(f"{metrics['tokens']:,} tokens")
for name, e in metrics["embeddings"].items():
    print(
        f"{name:9s} WordSim-353 rho {e['wordsim353']['spearman']:.3f}  "
        f"analogies {e['analogy']['accuracy']:.1%}"
    )

# %%
show("loss.png", "pca_skipgram.png", "similarity_skipgram.png")

# %%
# 保存したベクトルに問い合わせる / query the saved vectors (no TensorFlow)
found = kit.execute(LAB, ["similar", "stock", "year", "--output-dir", str(OUT), "--top", "5"])

# %% [markdown]
# ## 演習 / Exercises
#
# 講座の演習コードの空欄（`...`）を埋めてから、そのセルと次の確認セルを実行してください。確認は
# `models.reference`（テスト済みの numpy 実装）と比べる `assert` です。
# 空欄のままなら注意が出るだけで、間違っていれば `AssertionError` になります。解答例のセルは
# JupyterLab では折りたたまれています（左の青い線をクリックで開きます）。
#
# > Fill in the blanks (`...`) of the course's exercise code, then run that cell and the check
# > after it: an `assert` against `models.reference`, the tested numpy version. A blank left as
# > `...` only prints a reminder; a wrong answer raises `AssertionError`. Each solution cell starts
# > collapsed in JupyterLab (click the blue bar to open it).

# %%
from labs.kit.notebook import check  # your answer against the package's

# %% [markdown]
# ### 演習 1: 間引きの残す確率
#
# $P_{keep} = \min\left(1, \left(\sqrt{f/t} + 1\right) t / f\right)$、$f$ は相対頻度
# `counts / counts.sum()`。
#
# > Exercise 1: the subsampling keep probability.


# %%
def my_keep_probabilities(counts, sample):
    f = counts / counts.sum()
    return ...  # 空欄 / blank


check(
    "keep probabilities",
    lambda: my_keep_probabilities(ptb.counts, 1e-3),
    skipgrams.keep_probabilities(ptb.counts, 1e-3),
)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_keep_probabilities(counts, sample):
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1) * sample / f)


check(
    "keep probabilities",
    lambda: my_keep_probabilities(ptb.counts, 1e-3),
    skipgrams.keep_probabilities(ptb.counts, 1e-3),
)

# %% [markdown]
# ### 演習 2: PPMI
#
# 小さな共起行列 $C$ で、$P(w,c) = C_{wc}/\sum C$、$P(w) = \sum_c C_{wc} / \sum C$、文脈は平滑化
# $P(c) \propto (\sum_w C_{wc})^{0.75}$。
#
# > Exercise 2: PPMI of a small co-occurrence matrix, with the context distribution smoothed by the
# > power 0.75.

# %%
C = np.array([[0, 4, 1, 0], [4, 0, 2, 1], [1, 2, 0, 3], [0, 1, 3, 0]], float)


def my_ppmi(C, power=0.75):
    p_wc = C / C.sum()
    p_w = C.sum(axis=1) / C.sum()
    p_c = C.sum(axis=0) ** power / (C.sum(axis=0) ** power).sum()
    with np.errstate(divide="ignore"):
        pmi = ...  # 空欄 / blank: log of p_wc over p_w times p_c
    return np.maximum(pmi, 0)


check("ppmi", lambda: my_ppmi(C), count_embeddings.ppmi(C).toarray())

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
C = np.array([[0, 4, 1, 0], [4, 0, 2, 1], [1, 2, 0, 3], [0, 1, 3, 0]], float)


def my_ppmi(C, power=0.75):
    p_wc = C / C.sum()
    p_w = C.sum(axis=1) / C.sum()
    p_c = C.sum(axis=0) ** power / (C.sum(axis=0) ** power).sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(p_wc / np.outer(p_w, p_c))
    return np.maximum(pmi, 0)


check("ppmi", lambda: my_ppmi(C), count_embeddings.ppmi(C).toarray())

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.word2vec`（`--help`
# で全フラグ）。`python -m labs.word2vec analogy take took go` で類推も引けます。
#
# > The same lab runs from a shell as `python -m labs.word2vec` (`--help` lists its flags).
# > `python -m labs.word2vec analogy take took go` asks an analogy of a saved run.
