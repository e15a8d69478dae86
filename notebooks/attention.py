# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Attention 付き Seq2Seq / Seq2seq with attention
#
# 講座 / course: **Sections 5 and 7 (attention)** · lab: `labs.attention`
#
# Section 5・7: 日付の書式変換と足し算で、Attention の有無によって Seq2Seq
# がどう変わるかを比べ、出力の各文字が入力のどこを見ているかをヒートマップで確かめます。
#
# > Sections 5 and 7: seq2seq with and without attention on date formats and additions, and heat
# > maps of where each answer character looks.

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

OUT = setup("attention")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 課題: 日付の書式変換
#
# いろいろな書き方の日付を `YYYY-MM-DD` にします（DLFS2 の date.txt、5万行）。
# 入力も出力も1文字ずつです。
#
# > The task: dates in many formats to `YYYY-MM-DD` (DLFS2's date.txt, 50,000 lines), character by
# > character.

# %%
from labs import kit
from labs.attention import LAB
from labs.data.dlfs2 import load_task
from models.reference import attention as ref

task = load_task("date", manual_dir=os.environ.get("LABS_MANUAL_DIR"))
for i in range(5):
    print(repr(task.decode(task.x_test[i])), "->", repr(task.decode(task.t_test[i])))
print(
    len(task.vocabulary),
    "characters; questions",
    task.question_length,
    "long, answers",
    task.answer_length,
)

# %% [markdown]
# ## 2. Attention
#
# デコーダの各ステップ $i$ の状態 $q_i$ が、エンコーダの全出力 $v_1..v_T$ を見ます:
#
# $$s_{ij} = q_i^\top v_j \ (\text{Luong, dot}), \qquad
# s_{ij} = \textstyle\sum_d w_d \tanh(q_{id} + v_{jd}) \ (\text{additive})$$
#
# $$a_{ij} = \mathrm{softmax}_j(s_{ij}), \qquad c_i = \sum_j a_{ij} v_j$$
#
# 重み $a_{ij}$ が「出力の $i$ 文字目が入力の $j$ 文字目をどれだけ見るか」です。
#
# > Attention: each decoder state q_i scores every encoder output v_j (dot or additive), the
# > softmax of the scores gives the weights a_ij, and the context c_i is the weighted sum. a_ij is
# > how much answer character i looks at question character j.

# %%
rng = np.random.default_rng(0)
query, values = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 5, 4))
context, weights, _ = ref.dot_attention_forward(query, values)
print("weights (3 decoder steps x 5 encoder steps); each row sums to 1")
print(np.round(weights[0], 3))

# %% [markdown]
# ## 3. 5つのモデルを比べる
#
# baseline（最終状態だけ）、reverse（入力を逆順）、peeky（状態を毎ステップ渡す）、Luong・Bahdanau
# Attention。既定は baseline と Luong を3エポック。評価は DLFS2 と同じ「答え全体の完全一致」です。
#
# > Five encoder-decoders: baseline, reverse, peeky, Luong and Bahdanau attention; by default
# > baseline and Luong for 3 epochs. The score is DLFS2's: the whole answer exactly right.

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
for name, v in metrics["variants"].items():
    print(f"{name:9s} exact match per epoch", [f"{m:.1%}" for m in v["test_exact_match_per_epoch"]])

# %%
show("exact_match.png", "attention_luong.png")

# %% [markdown]
# ヒートマップでは、月の単語が MM に、日の数字が DD に、年が YYYY
# に並びます（本番の設定で学習したとき）。自分の日付を学習済みモデルで変換できます:
#
# > On a fully trained model the month word lines up with MM, the day with DD, the year with YYYY.
# > Translate your own dates with the trained model:

# %%
answers = kit.execute(LAB, ["translate", "march 3, 2007", "2/10/93", "--output-dir", str(OUT)])

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
# ### 演習 1: 内積 Attention
#
# スコア $s = q v^\top$、重み $a = \mathrm{softmax}(s)$、文脈 $c = a v$ を書いてください（形は
# `(batch, T_q, T_v)` と `(batch, T_q, dim)`）。`ref.softmax` を使えます。
#
# > Exercise 1: dot-product attention: scores, weights, context. `ref.softmax` is there.


# %%
def my_dot_attention(query, values):
    scores = query @ np.swapaxes(values, 1, 2)  # (batch, T_q, T_v)
    weights = ...  # 空欄 / blank
    context = ...  # 空欄 / blank
    return context, weights


check(
    "dot attention",
    lambda: my_dot_attention(query, values),
    ref.dot_attention_forward(query, values)[:2],
)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_dot_attention(query, values):
    scores = query @ np.swapaxes(values, 1, 2)  # (batch, T_q, T_v)
    weights = ref.softmax(scores)
    context = weights @ values
    return context, weights


check(
    "dot attention",
    lambda: my_dot_attention(query, values),
    ref.dot_attention_forward(query, values)[:2],
)

# %% [markdown]
# ### 演習 2: 加法 Attention のスコア
#
# $s_{ij} = \sum_d w_d \tanh(q_{id} + v_{jd})$。ブロードキャストで `(batch, T_q, T_v, dim)`
# を作ります。
#
# > Exercise 2: the additive score, by broadcasting to (batch, T_q, T_v, dim).

# %%
scale = rng.normal(size=4)


def my_additive_attention(query, values, scale):
    hidden = np.tanh(query[:, :, None, :] + values[:, None, :, :])
    scores = ...  # 空欄 / blank
    weights = ref.softmax(scores)
    return weights @ values, weights


check(
    "additive attention",
    lambda: my_additive_attention(query, values, scale),
    ref.additive_attention_forward(query, values, scale)[:2],
)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
scale = rng.normal(size=4)


def my_additive_attention(query, values, scale):
    hidden = np.tanh(query[:, :, None, :] + values[:, None, :, :])
    scores = hidden @ scale
    weights = ref.softmax(scores)
    return weights @ values, weights


check(
    "additive attention",
    lambda: my_additive_attention(query, values, scale),
    ref.additive_attention_forward(query, values, scale)[:2],
)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.attention [--task addition]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.attention [--task addition]` (`--help` lists
# > its flags).
