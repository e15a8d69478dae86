# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Seq2Seq（エンコーダ・デコーダ）: sin → cos / Seq2seq: sin to cos
#
# 講座 / course: **3_5_Seq2Seq(Encoder-Decoder)_sin-cos** · lab: `labs.seq2seq`
#
# 講座の 3_5: sin の系列から cos の系列を出すエンコーダ・デコーダ。teacher forcing
# で学習し、推論では自分の出力を次の入力にします。講座の遅い推論ループと、
# 同じ結果を出す速いループを比べます。
#
# > The course's 3_5: an encoder-decoder turns a sin sequence into a cos sequence, trained with
# > teacher forcing and run free at inference; the course's slow inference loop beside a compiled
# > one that gives the same numbers.

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
import matplotlib.pyplot as plt  # noqa: F401  (for your own plots)
import numpy as np

from labs.kit.notebook import setup, show

OUT = setup("seq2seq")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. データ: sin の窓から cos の窓へ
#
# $x = \mathrm{linspace}(-3\pi, 3\pi, 100)$ を24点ずつの窓に切り、76窓を作ります。エンコーダには
# $\sin$、デコーダには1つ右にずらした $\cos$（先頭は0）を入れ、$\cos$ を当てさせます（teacher
# forcing）。
#
# > Data: x = linspace(-3π, 3π, 100) cut into 76 windows of 24 points. The encoder reads sin; the
# > decoder reads cos shifted right by one step (a leading 0) and predicts cos (teacher forcing).

# %%
from labs import kit
from labs.data.sincos import PLOT_WINDOWS, make_windows
from labs.seq2seq import LAB
from models import seq2seq as s2s

windows = make_windows()
print(
    "encoder input",
    windows.encoder_input.shape,
    " decoder input",
    windows.decoder_input.shape,
    " target",
    windows.target.shape,
)
i = PLOT_WINDOWS[1]
plt.plot(windows.x[i], windows.encoder_input[i, :, 0], label="encoder input: sin")
plt.plot(
    windows.x[i], windows.decoder_input[i, :, 0], "o--", ms=3, label="decoder input: cos shifted"
)
plt.plot(windows.x[i], windows.target[i, :, 0], label="target: cos")
plt.legend()
plt.title(f"window {i}")
plt.show()

# %% [markdown]
# ## 2. エンコーダ・デコーダ
#
# エンコーダの最終状態 $h_T$ がデコーダの初期状態になります:
#
# $$h^{enc}_t = \tanh(W x_t + U h^{enc}_{t-1} + b), \qquad h^{dec}_0 = h^{enc}_T, \qquad
# \hat y_t = V h^{dec}_t + c$$
#
# 講座のモデルは SimpleRNN(10) ×2 と Dense(1) で 251 パラメータです。
#
# > The encoder's final state starts the decoder. The course's model: two SimpleRNN(10) and a
# > Dense(1), 251 parameters.

# %%
model = s2s.build_seq2seq(s2s.Seq2SeqConfig())  # the course's model
model.summary()
assert model.count_params() == 251

# %% [markdown]
# ## 3. 学習（講座の設定: adam, MSE, batch 16, 80 エポック）
#
# > Training at the course's settings (adam, MSE, batch 16, 80 epochs; `QUICK`: 2).

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
course = metrics["variants"]["course"]
print(
    {
        k: course[k]
        for k in (
            "params",
            "epochs",
            "final_loss",
            "val_mse",
            "free_running_mse",
            "shifted_free_running_mse",
        )
    }
)

# %%
show("loss.png", "predictions_course.png", "error_by_step.png")

# %% [markdown]
# **講座の落とし穴**: `validation_split=0.2` は最後の16窓を取りますが、
# 33点で1周期なのでそれらは学習用の窓の繰り返しです。だから `val_mse`
# は未知データの成績ではありません。半ステップずらした格子での `shifted_free_running_mse`
# がその代わりです。
#
# > The course's trap: `validation_split=0.2` holds out the last 16 windows, which repeat training
# > windows one period (33 steps) earlier, so `val_mse` is not a held-out score;
# > `shifted_free_running_mse`, on a grid shifted by half a step, is.

# %% [markdown]
# ## 4. 推論: 自分の出力を次の入力に（free-running）
#
# 講座は1ステップごとに `predict` を呼びます（76窓 × 24ステップ）。`models.seq2seq.generate`
# は同じループを `tf.while_loop` 1回で全窓まとめて回します。同じ重みで同じ数値になることを確かめ、
# 速さを比べます。
#
# > Inference feeds back the decoder's own output. The course calls `predict` once per step and
# > window; `models.seq2seq.generate` runs the same loop as one compiled `tf.while_loop` over all
# > windows. Same numbers, compared here, and the speed.

# %%
import time

import keras

trained = keras.saving.load_model(OUT / "models" / "course.keras")
encoder_model, decoder_model = s2s.build_inference_models(trained)
few = windows.encoder_input[list(PLOT_WINDOWS)]  # the 4 windows the course plots

started = time.perf_counter()
course_loop = s2s.predict_step_by_step(encoder_model, decoder_model, few)
course_seconds = time.perf_counter() - started
s2s.generate(trained, few)  # compile once
started = time.perf_counter()
fast = s2s.generate(trained, few)
fast_seconds = time.perf_counter() - started
print(
    f"course loop {course_seconds:.2f} s, generate {fast_seconds:.4f} s, "
    f"max difference {np.abs(course_loop - fast).max():.1e}"
)
np.testing.assert_allclose(course_loop, fast, atol=1e-5)

# %% [markdown]
# `--preset improved` は GRU(32)・Attention・96ステップを比べます（約17分）。この課題では Attention
# は効きません: cos は sin を1/4周期ずらしただけなので、最終状態に必要な情報（位相）
# がすべて入っているからです。
#
# > `--preset improved` compares GRU(32), Luong attention and a 96-step horizon (about 17 minutes).
# > Attention does not help here: cos is sin shifted by a quarter period, so the final state
# > already holds what the decoder needs.

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
# ### 演習 1: teacher forcing のデコーダ入力
#
# 目標 `target`（形 `(窓, 24, 1)`）から、先頭に0を置き1つ右にずらしたデコーダ入力を作ってください:
# $dx_{i,0} = 0,\ dx_{i,t} = \cos_{i+t-1}$。
#
# > Exercise 1: the teacher-forcing decoder input: the target shifted right by one step, a 0 first.


# %%
def my_decoder_input(target):
    zeros = np.zeros_like(target[:, :1])
    return ...  # 空欄 / blank: np.concatenate([...], axis=1)


check("decoder input", lambda: my_decoder_input(windows.target), windows.decoder_input)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_decoder_input(target):
    zeros = np.zeros_like(target[:, :1])
    return np.concatenate([zeros, target[:, :-1]], axis=1)


check("decoder input", lambda: my_decoder_input(windows.target), windows.decoder_input)

# %% [markdown]
# ### 演習 2: 講座の `encode`
#
# 単語の one-hot $w$ を埋め込み $e = E w$ にしてから RNN に入れます:
# $h \leftarrow \tanh(W e + U h + b)$。空欄は埋め込みの行です。
#
# > Exercise 2: the course's `encode`: embed each one-hot word (e = E w), then the RNN step. The
# > blank is the embedding.

# %%
from models import reference


def my_encode(words, E, W, U, b):
    h = np.zeros(W.shape[0])
    for w in words:
        e = ...  # 空欄 / blank
        h = np.tanh(W.dot(e) + U.dot(h) + b)
    return h


rng = np.random.default_rng(0)
vocab, dim, units = 7, 4, 5
words = [np.eye(vocab)[k] for k in (3, 1, 4, 1, 5)]
E, W, U = (
    rng.normal(size=(dim, vocab)),
    rng.normal(size=(units, dim)),
    rng.normal(size=(units, units)),
)
b = rng.normal(size=units)
check("encode", lambda: my_encode(words, E, W, U, b), reference.encode(words, E, W, U, b))

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
from models import reference


def my_encode(words, E, W, U, b):
    h = np.zeros(W.shape[0])
    for w in words:
        e = E.dot(w)
        h = np.tanh(W.dot(e) + U.dot(h) + b)
    return h


rng = np.random.default_rng(0)
vocab, dim, units = 7, 4, 5
words = [np.eye(vocab)[k] for k in (3, 1, 4, 1, 5)]
E, W, U = (
    rng.normal(size=(dim, vocab)),
    rng.normal(size=(units, dim)),
    rng.normal(size=(units, units)),
)
b = rng.normal(size=units)
check("encode", lambda: my_encode(words, E, W, U, b), reference.encode(words, E, W, U, b))

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.seq2seq [--preset improved]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.seq2seq [--preset improved]` (`--help` lists
# > its flags).
