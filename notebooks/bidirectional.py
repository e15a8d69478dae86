# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 音声数字認識: 双方向 RNN・勾配クリッピング / Spoken digits: bidirectional RNN, gradient clipping
#
# 講座 / course: **3_4_spoken_digit** · lab: `labs.bidirectional`
#
# 講座の 3_4_spoken_digit: 音声の数字を Conv1D・SimpleRNN・GRU・双方向 LSTM
# で認識し、勾配クリッピングの効果を勾配ノルムで確かめます。そのあと、特徴量とデータ拡張で 99 %
# に届く改良版を動かします。
#
# > The course's 3_4_spoken_digit: spoken digits with Conv1D, SimpleRNN, GRU and a bidirectional
# > LSTM, gradient clipping seen through the gradient norm, then the modern preset that reaches 99
# > % with features and augmentation.

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

OUT = setup("bidirectional")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. データ: Free Spoken Digit Dataset
#
# 話者5人が0〜9を50回ずつ読んだ 8 kHz の録音 2,500 本（`tfds.load("spoken_digit")`）。講座は
# `train[:70%]` / `[70%:85%]` / `[85%:]` に分け、各音声の最初の1,000サンプル（0.125秒）
# を正規化せずに使います。
#
# > Free Spoken Digit Dataset: 2,500 recordings at 8 kHz, 5 speakers x 10 digits x 50 takes. The
# > course splits 70/15/15 and feeds the first 1,000 raw samples of each clip, unnormalised.

# %%
from labs import kit
from labs.bidirectional import LAB
from labs.data.spoken_digit import load_spoken_digit
from models import reference
from models.spoken_digit import COURSE_ARCHITECTURES, build_course_model

splits = load_spoken_digit("course", manual_dir=os.environ.get("LABS_MANUAL_DIR"))
example = next(iter(splits.train.take(1)))
audio = example["audio"].numpy()
plt.figure(figsize=(10, 2.5))
plt.plot(audio, lw=0.6)
plt.axvline(1000, color="C3", ls="--", label="the course keeps samples 0..999")
plt.title(f"digit {int(example['label'])}: {len(audio)} samples at 8 kHz")
plt.legend()
plt.show()

# %% [markdown]
# ## 2. 講座の5つのモデル
#
# どれも `Input((1000, 1))` → 本体 → `Dense(10, softmax)`。
# パラメータ数は講座のノートブックと同じです（テストで確認）。
#
# > The course's five models: the same input and softmax head around five bodies; the parameter
# > counts are the notebook's (tested).

# %%
for name in COURSE_ARCHITECTURES:
    print(f"{name:11s} {build_course_model(name).count_params():7,d} parameters")

# %% [markdown]
# ## 3. 式: LSTM・GRU・双方向 RNN
#
# LSTM（講座の並び $a, i, f, o$。Keras は $i, f, c, o$）:
#
# $$a = \tanh(W_a x + U_a h + b_a),\quad i, f, o = \sigma(\cdot),\quad
# c_t = i \odot a + f \odot c_{t-1},\quad h_t = o \odot \tanh(c_t)$$
#
# GRU（講座の $z$ は Keras の $1 - z$）:
#
# $$r = \sigma(W_r x + U_r h),\quad z = \sigma(W_z x + U_z h),\quad
# \bar h = \tanh(W x + U (r \odot h)),\quad h_{new} = (1 - z) \odot h + z \odot \bar h$$
#
# 双方向 RNN: 順方向の状態と、逆順に読んだ状態を時刻をそろえて連結します:
# $[\,\overrightarrow{h_t};\ \overleftarrow{h_t}\,]$。
#
# > LSTM in the course's gate order (a, i, f, o; Keras packs i, f, c, o), GRU (the course's z is
# > Keras's 1 - z), and the bidirectional RNN: forward and backward states concatenated at each
# > time step.

# %% [markdown]
# ## 4. 勾配クリッピング
#
# 勾配のノルムがしきい値 $t$ を超えたら縮めます: $g \leftarrow g \cdot t / \|g\|$（Keras の
# `clipnorm`。`clipvalue` は各要素を $[-t, t]$ に切る）。講座版を実行すると、
# クリッピングなし・`clipvalue=0.5`・`clipnorm=1.0` で同じ LSTM を学習し、
# 各ステップの本当の勾配ノルムを記録します。
#
# > Gradient clipping rescales g to norm t when its norm is larger (`clipnorm`; `clipvalue` clips
# > each entry). The course preset then trains the same LSTM without clipping, with `clipvalue=0.5`
# > and with `clipnorm=1.0`, logging every step's real gradient norm.

# %%
course = kit.execute(LAB, ["--preset", "course", "--output-dir", str(OUT / "course"), *QUICK_FLAG])
for name, m in course["models"].items():
    print(f"{name:11s} test accuracy {m['test_accuracy']:.1%}")
for label, run in course["clipping_study"]["runs"].items():
    print(
        f"{label:15s} gradient norm median {run['gradient_norm']['median']:.3g}, "
        f"max {run['gradient_norm']['max']:.3g}"
    )

# %%
show("course/gradient_norms.png", "course/clipping_loss.png")

# %% [markdown]
# 1エポック・生波形では、どのモデルもほぼ偶然（10 %）程度です。講座の公開出力と同じです。
#
# > One epoch on raw samples gets little more than chance (10 %), as the published notebook does.

# %% [markdown]
# ## 5. 改良版: ログメル特徴量・データ拡張・early stopping
#
# 特徴量（40バンドのログメル）とデータ拡張（時間のずれ・速さ・雑音・SpecAugment）
# をモデルの中で計算し、公式の分割（テイク0〜4がテスト）で6つのモデルを学習し、
# そのうち4つの多数決（確率の平均）を作ります（本番は各30エポックまで、2コアで4〜6分）。
#
# > The modern preset: log-mel features and augmentation inside the model, the official split
# > (takes 0-4 are the test set), six models and the vote of four of them (probabilities averaged;
# > 30 epochs at most each, 4 to 6 minutes on 2 cores).

# %%
modern = kit.execute(LAB, ["--output-dir", str(OUT / "modern"), *QUICK_FLAG])
for name, m in modern["models"].items():
    print(
        f"{name:11s} val {m['val_accuracy']:.1%}  test {m['test_accuracy']:.1%}  "
        f"{m['params']:,d} params"
    )
print("best by validation:", modern["best"]["name"])

# %%
show("modern/comparison.png", "modern/confusion_matrix.png", "modern/digits.png")

# %% [markdown]
# 自分の声の wav も認識できます（`python -m labs.bidirectional predict one.wav`。PCM・浮動小数点、
# どのレートでも可）。ここでは最初に見た録音を wav に書き出して、学習済みの実行に聞かせます。
# ただし未知の話者では正解率が下がります（多数決で5分割の平均 88.2 %）。
#
# > Classify your own recordings with `python -m labs.bidirectional predict one.wav` (PCM or float
# > wav, any rate); here the recording shown first is written as a wav and given to the trained
# > run. On voices it has never heard it does worse (the vote: 88.2 % mean over five held-out
# > speakers).

# %%
import wave

clip = OUT / "digit.wav"
with wave.open(str(clip), "wb") as file:  # 8 kHz, mono, 16-bit PCM, as FSDD's own files
    file.setnchannels(1)
    file.setsampwidth(2)
    file.setframerate(8000)
    file.writeframes(audio.astype("<i2").tobytes())
answers = kit.execute(LAB, ["predict", str(clip), "--output-dir", str(OUT / "modern")])
print(f"spoken: {int(example['label'])}, predicted:", answers[str(clip)])

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
# ### 演習 1: 講座の `lstm`
#
# 空欄はセルの更新 $c = i \odot a + f \odot c_{prev}$ です。
#
# > Exercise 1: the course's `lstm`; the blank is the cell update.


# %%
def my_lstm(x, prev_h, prev_c, W, U, b):
    lstm_in = x.dot(W.T) + prev_h.dot(U.T) + b
    a, i, f, o = np.split(lstm_in, 4, axis=-1)
    a, input_gate = np.tanh(a), 1 / (1 + np.exp(-i))
    forget_gate, output_gate = 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
    c = ...  # 空欄 / blank
    h = output_gate * np.tanh(c)
    return h, c


rng = np.random.default_rng(0)
batch, features, units = 3, 4, 5
x, h0, c0 = (rng.normal(size=(batch, n)) for n in (features, units, units))
W, U, b = (
    rng.normal(size=(4 * units, features)),
    rng.normal(size=(4 * units, units)),
    rng.normal(size=4 * units),
)
check("lstm", lambda: my_lstm(x, h0, c0, W, U, b), reference.lstm(x, h0, c0, W, U, b))


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_lstm(x, prev_h, prev_c, W, U, b):
    lstm_in = x.dot(W.T) + prev_h.dot(U.T) + b
    a, i, f, o = np.split(lstm_in, 4, axis=-1)
    a, input_gate = np.tanh(a), 1 / (1 + np.exp(-i))
    forget_gate, output_gate = 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
    c = input_gate * a + forget_gate * prev_c
    h = output_gate * np.tanh(c)
    return h, c


rng = np.random.default_rng(0)
batch, features, units = 3, 4, 5
x, h0, c0 = (rng.normal(size=(batch, n)) for n in (features, units, units))
W, U, b = (
    rng.normal(size=(4 * units, features)),
    rng.normal(size=(4 * units, units)),
    rng.normal(size=4 * units),
)
check("lstm", lambda: my_lstm(x, h0, c0, W, U, b), reference.lstm(x, h0, c0, W, U, b))


# %% [markdown]
# ### 演習 2: 講座の `gru`
#
# 空欄は新しい状態 $h_{new} = (1 - z) h + z \bar h$ です。
#
# > Exercise 2: the course's `gru`; the blank is the new state.


# %%
def my_gru(x, h, W_r, U_r, W_z, U_z, W, U):
    r = 1 / (1 + np.exp(-(x.dot(W_r.T) + h.dot(U_r.T))))
    z = 1 / (1 + np.exp(-(x.dot(W_z.T) + h.dot(U_z.T))))
    h_bar = np.tanh(x.dot(W.T) + (r * h).dot(U.T))
    return ...  # 空欄 / blank


gru_weights = [rng.normal(size=(units, n)) for n in (features, units) * 3]
check("gru", lambda: my_gru(x, h0, *gru_weights), reference.gru(x, h0, *gru_weights))


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_gru(x, h, W_r, U_r, W_z, U_z, W, U):
    r = 1 / (1 + np.exp(-(x.dot(W_r.T) + h.dot(U_r.T))))
    z = 1 / (1 + np.exp(-(x.dot(W_z.T) + h.dot(U_z.T))))
    h_bar = np.tanh(x.dot(W.T) + (r * h).dot(U.T))
    return (1 - z) * h + z * h_bar


gru_weights = [rng.normal(size=(units, n)) for n in (features, units) * 3]
check("gru", lambda: my_gru(x, h0, *gru_weights), reference.gru(x, h0, *gru_weights))


# %% [markdown]
# ### 演習 3: 講座の `bidirectional_rnn_net` と `gradient_clipping`
#
# 1つめの空欄は順方向と（時刻を戻した）逆方向の状態の連結、
# 2つめはノルムがしきい値を超えたときの縮小です。
#
# > Exercise 3: the bidirectional concatenation (the backward states put back in time order) and
# > gradient clipping by norm.


# %%
def my_concat(h_f, h_b):
    # one sequence: h_f, h_b (time, units); h_b was computed on the reversed input
    return ...  # 空欄 / blank


def my_gradient_clipping(grad, threshold):
    norm = np.linalg.norm(grad)
    rate = threshold / norm
    if rate < 1:
        return ...  # 空欄 / blank
    return grad


def my_bidirectional_rnn_net(xs, W_f, U_f, W_b, U_b, V):
    def rnn(seq, W, U):  # tanh RNN from a zero state, (time, features) -> (time, units)
        h, hs = np.zeros(W.shape[0]), []
        for x_t in seq:
            h = np.tanh(W.dot(x_t) + U.dot(h))
            hs.append(h)
        return np.array(hs)

    hs = [my_concat(rnn(x, W_f, U_f), rnn(x[::-1], W_b, U_b)) for x in xs]
    if any(h is Ellipsis for h in hs):  # my_concat still has its blank
        return ...
    return np.stack(hs).dot(V.T)


xs = rng.normal(size=(2, 6, features))
bi_weights = [
    rng.normal(size=s)
    for s in ((units, features), (units, units), (units, features), (units, units), (3, 2 * units))
]
grad = rng.normal(size=(4, 4)) * 3
check(
    "bidirectional_rnn_net",
    lambda: my_bidirectional_rnn_net(xs, *bi_weights),
    reference.bidirectional_rnn_net(xs, *bi_weights),
)
check(
    "gradient_clipping",
    lambda: my_gradient_clipping(grad, 1.0),
    reference.gradient_clipping(grad, 1.0),
)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_concat(h_f, h_b):
    # one sequence: h_f, h_b (time, units); h_b was computed on the reversed input
    return np.concatenate([h_f, h_b[::-1]], axis=1)


def my_gradient_clipping(grad, threshold):
    norm = np.linalg.norm(grad)
    rate = threshold / norm
    if rate < 1:
        return grad * rate
    return grad


def my_bidirectional_rnn_net(xs, W_f, U_f, W_b, U_b, V):
    def rnn(seq, W, U):  # tanh RNN from a zero state, (time, features) -> (time, units)
        h, hs = np.zeros(W.shape[0]), []
        for x_t in seq:
            h = np.tanh(W.dot(x_t) + U.dot(h))
            hs.append(h)
        return np.array(hs)

    hs = [my_concat(rnn(x, W_f, U_f), rnn(x[::-1], W_b, U_b)) for x in xs]
    if any(h is Ellipsis for h in hs):  # my_concat still has its blank
        return ...
    return np.stack(hs).dot(V.T)


xs = rng.normal(size=(2, 6, features))
bi_weights = [
    rng.normal(size=s)
    for s in ((units, features), (units, units), (units, features), (units, units), (3, 2 * units))
]
grad = rng.normal(size=(4, 4)) * 3
check(
    "bidirectional_rnn_net",
    lambda: my_bidirectional_rnn_net(xs, *bi_weights),
    reference.bidirectional_rnn_net(xs, *bi_weights),
)
check(
    "gradient_clipping",
    lambda: my_gradient_clipping(grad, 1.0),
    reference.gradient_clipping(grad, 1.0),
)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.bidirectional [--preset course]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.bidirectional [--preset course]` (`--help`
# > lists its flags).
