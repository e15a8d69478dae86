# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # LSTM 言語モデル（predict_word） / An LSTM language model (predict_word)
#
# 講座 / course: **predict_word (Section 3)** · lab: `labs.language_model`
#
# Section 3 の実装演習 predict_word: Penn Treebank で単語レベルの LSTM 言語モデルを学習し、
# 文脈のあとに来る単語の確率を講座と同じ形式で表示し、文章を生成します。
#
# > Section 3's predict_word: a word-level LSTM language model trained on Penn Treebank prints the
# > probability of every word coming next, as the course does, and writes text.

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

OUT = setup("language_model")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 1本の長い文章を truncated BPTT で読む
#
# PTB（約93万語）を `batch` 本の並んだ流れに分け、それぞれを `unroll`
# ステップずつ切ってバッチにします。stateful な LSTM は状態をバッチからバッチへ引き継ぎ、勾配は
# `unroll` ステップで打ち切ります。
#
# > Truncated BPTT: the corpus becomes `batch` parallel streams cut into `unroll`-step batches; a
# > stateful LSTM carries its state from batch to batch while gradients stop after `unroll` steps.

# %%
from labs import kit
from labs.data.ptb import load_ptb
from labs.data.token_stream import stream_batches
from labs.language_model import LAB
from models.reference import language_model as lm_ref

ptb = load_ptb(manual_dir=os.environ.get("LABS_MANUAL_DIR"))
batches = stream_batches(ptb.train, batch_size=4, unroll=6)
print(batches.inputs.shape, "= (steps, batch, unroll)")
for stream in range(2):
    print(f"stream {stream}, batch 0:", " ".join(ptb.decode(batches.inputs[0, stream])))
    print(f"stream {stream}, batch 1:", " ".join(ptb.decode(batches.inputs[1, stream])))

# %% [markdown]
# ## 2. パープレキシティ
#
# 次の単語の交差エントロピーの平均の指数です:
#
# $$\mathrm{PPL} = \exp\left(-\frac{1}{N} \sum_{t=1}^{N} \log p(w_t \mid w_{<t})\right)$$
#
# 一様に当てずっぽうなら語彙数（10,000）、完璧なら1です。
#
# > Perplexity is exp of the mean next-word cross-entropy: 10,000 for a uniform guess over the
# > vocabulary, 1 for a perfect model.

# %% [markdown]
# ## 3. 学習
#
# 既定のプリセット（LSTM 512、入出力の重み共有、dropout、sampled softmax）
# は本番で1時間以上かかります。`QUICK`
# は小さなモデルを短い文章で2エポックだけ学習します（数字に意味はありません）。
# 評価は常に語彙全体の正確なソフトマックスです。
#
# > The default preset (LSTM 512, tied embeddings, dropout, sampled softmax) takes over an hour at
# > full settings; `QUICK` trains a tiny model on a short text for 2 epochs. Every perplexity uses
# > the exact full softmax.

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
model = metrics["model"]
print(
    f"valid perplexity {model['valid_perplexity']:.1f}, "
    f"test {model['test_perplexity']:.1f} (Zaremba small: 114.5)"
)
print("gradient norm:", model["gradient_norm"])

# %%
show("perplexity.png", "gradient_norm.png", "next_word.png")

# %% [markdown]
# ## 4. 次の単語の確率（講座の predict_word）と文章生成
#
# > The next-word distribution, printed as the course does, and sampling.

# %%
kit.execute(LAB, ["predict", "the stock market", "--output-dir", str(OUT), "--top-k", "5"])
kit.execute(LAB, ["generate", "the company", "--output-dir", str(OUT), "--words", "12"])

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
# ### 演習 1: 並んだ流れへの分割
#
# 長さ $n$ の文章を `batch` 本に分けると、流れ $s$
# は`tokens[s * L : (s + 1) * L]`（$L = \lfloor (n - 1) / \mathrm{batch} \rfloor$）。
# 最初のバッチの入力 `(batch, unroll)` を作ってください。
#
# > Exercise 1: the parallel streams; build the first batch's inputs (batch, unroll).


# %%
def my_first_batch(tokens, batch_size, unroll):
    length = (len(tokens) - 1) // batch_size  # each stream keeps one more for targets
    streams = ...  # 空欄 / blank: (batch_size, length), stream s = tokens[s*length:...]
    return streams[:, :unroll]


tokens = np.arange(11)
check(
    "first batch",
    lambda: my_first_batch(tokens, 2, 2),
    stream_batches(tokens, 2, 2).inputs[0],
    atol=0,
)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_first_batch(tokens, batch_size, unroll):
    length = (len(tokens) - 1) // batch_size  # each stream keeps one more for targets
    streams = np.asarray(tokens[: batch_size * length]).reshape(batch_size, length)
    return streams[:, :unroll]


tokens = np.arange(11)
check(
    "first batch",
    lambda: my_first_batch(tokens, 2, 2),
    stream_batches(tokens, 2, 2).inputs[0],
    atol=0,
)

# %% [markdown]
# ### 演習 2: 交差エントロピーとパープレキシティ
#
# ロジット `(batch, time, vocab)` と正解 `(batch, time)` から、$-\log \mathrm{softmax}$
# の平均を計算してください（最大値を引いて安定に）。
#
# > Exercise 2: the mean cross-entropy of logits against targets (shift by the maximum for
# > stability); its exp is the perplexity.

# %%
rng = np.random.default_rng(0)
logits, targets = rng.normal(size=(2, 5, 50)) * 3, rng.integers(0, 50, size=(2, 5))


def my_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = ...  # 空欄 / blank: log softmax
    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1).mean()


check(
    "cross-entropy",
    lambda: my_cross_entropy(logits, targets),
    lm_ref.cross_entropy(logits, targets),
)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
rng = np.random.default_rng(0)
logits, targets = rng.normal(size=(2, 5, 50)) * 3, rng.integers(0, 50, size=(2, 5))


def my_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1).mean()


check(
    "cross-entropy",
    lambda: my_cross_entropy(logits, targets),
    lm_ref.cross_entropy(logits, targets),
)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます:
# `python -m labs.language_model predict "the stock market"`（`--help` で全フラグ）。先に
# `python -m labs.language_model` で学習してください（2コアで約20分）。
#
# > The same lab runs from a shell as `python -m labs.language_model predict "the stock market"`
# > (`--help` lists its flags). Train first with `python -m labs.language_model` (about 20 minutes
# > on 2 cores).
