# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # numpy で作る RNN と BPTT / A numpy RNN and BPTT
#
# 講座 / course: **3_1_simple_RNN** · lab: `labs.simple_rnn`
#
# 講座の 3_1_simple_RNN: numpy だけで書いた RNN が2進数の足し算を学びます。BPTT
# を手で計算し、重みの初期化と活性化関数で学習できるかどうかが決まることを見ます。
#
# > The course's 3_1_simple_RNN: a numpy RNN learns binary addition with hand-written BPTT; the
# > initialisation and the activation decide whether it learns at all.

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

OUT = setup("simple_rnn")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 2進数の足し算という課題
#
# $a, b < 128$ を8ビットにして、下位ビットから1ステップに1組ずつ入力し、各ステップで $a+b$
# の1ビットを出力します。桁上がりを覚えておく必要があるので、隠れ状態が要る課題です。
#
# > The task: a, b < 128 as 8 bits, fed one bit pair per step from the least significant bit; the
# > network emits one bit of a + b per step. The carry must be remembered, so the task needs a
# > hidden state.

# %%
from labs import kit
from labs import simple_rnn as lab
from models.reference import binary_addition as ba

a, b = np.array([45]), np.array([83])
print("a     ", ba.to_bits(a, 8)[0])
print("b     ", ba.to_bits(b, 8)[0])
print("a + b ", ba.to_bits(a + b, 8)[0], "=", ba.from_bits(ba.to_bits(a + b, 8))[0])

# %% [markdown]
# ## 2. 順伝播
#
# 講座の RNN（バイアスなし、出力はシグモイド）:
#
# $$u_t = x_t W_{in} + z_{t-1} W, \qquad z_t = f(u_t), \qquad y_t = \sigma(z_t W_{out})$$
#
# 損失は1回の足し算あたり $L = \sum_t \tfrac12 (d_t - y_t)^2$。
#
# > The course's RNN (no biases, sigmoid output) and its loss per addition.

# %%
rng = np.random.default_rng(0)
weights = ba.init_weights(rng, "xavier", hidden_size=16)
print({name: w.shape for name, w in weights.items()})
print(
    "untrained prediction:",
    ba.predict_bits(ba.to_bits(a, 8), ba.to_bits(b, 8), weights, "sigmoid")[0],
)

# %% [markdown]
# ## 3. BPTT と初期化
#
# 誤差は時間を遡って伝わります:
#
# $$\delta_t = \left(\delta^{out}_t W_{out}^\top + \delta_{t+1} W^\top\right) \odot f'(u_t)$$
#
# 初期化は講座の3通り: 標準偏差1（`randn`）、Xavier（$1/\sqrt{n}$）、He（$\sqrt{2/n}$）。
# 隠れ層の活性化はシグモイド・ReLU・tanh。演習は5つの組み合わせを同じ足し算で学習します。
#
# **講座の癖**: 講座は出力の微分に $y(1-y)$ ではなく `d_sigmoid(y)` = $\sigma(y)(1-\sigma(y))$
# を使います。`--preset course` はそのまま、`--preset corrected` は正しい微分です。
#
# > Errors flow back in time through W. Three initialisations (std 1, Xavier, He) and three hidden
# > activations; the lab trains five combinations on the same additions. The course's quirk: it
# > applies `d_sigmoid` to the output y instead of y(1 - y); `--preset course` keeps it,
# > `--preset corrected` does not.

# %%
# 10,000 iterations per variant (QUICK: 300)
metrics = kit.execute(lab.LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
print(f"{'variant':16s} {'final loss':>10s} {'accuracy':>9s} {'max |grad|':>10s}")
for name, v in metrics["variants"].items():
    print(f"{name:16s} {v['final_loss']:10.4g} {v['accuracy']:9.1%} {v['max_grad_norm']:10.3g}")

# %%
show("loss.png", "grad_norm.png", "accuracy.png")

# %% [markdown]
# He + ReLU は勾配ノルムが数百まで跳ね上がり（勾配爆発）、学習できません。`--preset corrected`
# で同じことを試すと、その失敗の多くが講座の微分の癖から来ることがわかります。
#
# > He + ReLU's gradient norm jumps to the hundreds (explosion) and it does not learn. Try
# > `--preset corrected`: much of that failure comes from the course's derivative quirk.

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
# ### 演習 1: 講座の `bptt`
#
# 線形 RNN $h_t = W x_t + U h_{t-1}$, $o_t = V h_t$ の勾配。
# 内側のループで誤差を1ステップ過去へ送る行が空欄です（$\delta \leftarrow \delta U$）。
#
# > Exercise 1: the course's `bptt` for a linear RNN; the blank sends the error one step further
# > back in time.
# %%
from models import reference


def my_bptt(xs, ys, W, U, V):
    hiddens, outputs = reference.rnn_net(xs, W, U, V)
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    do = outputs - ys
    batch_size, n_seq = ys.shape[:2]
    for t in reversed(range(n_seq)):
        dV += np.dot(do[:, t].T, hiddens[:, t]) / batch_size
        delta_t = do[:, t].dot(V)
        for bptt_step in reversed(range(t + 1)):
            h_prev = hiddens[:, bptt_step - 1] if bptt_step > 0 else 0 * hiddens[:, 0]
            dW += np.dot(delta_t.T, xs[:, bptt_step]) / batch_size
            dU += np.dot(delta_t.T, h_prev) / batch_size
            delta_t = ...  # 空欄 / blank
    return dW, dU, dV


rng = np.random.default_rng(1)
xs, ys = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5, 2))
W, U, V = rng.normal(size=(6, 3)), 0.3 * rng.normal(size=(6, 6)), rng.normal(size=(2, 6))
check("bptt", lambda: my_bptt(xs, ys, W, U, V), reference.bptt(xs, ys, W, U, V))

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
from models import reference


def my_bptt(xs, ys, W, U, V):
    hiddens, outputs = reference.rnn_net(xs, W, U, V)
    dW, dU, dV = np.zeros_like(W), np.zeros_like(U), np.zeros_like(V)
    do = outputs - ys
    batch_size, n_seq = ys.shape[:2]
    for t in reversed(range(n_seq)):
        dV += np.dot(do[:, t].T, hiddens[:, t]) / batch_size
        delta_t = do[:, t].dot(V)
        for bptt_step in reversed(range(t + 1)):
            h_prev = hiddens[:, bptt_step - 1] if bptt_step > 0 else 0 * hiddens[:, 0]
            dW += np.dot(delta_t.T, xs[:, bptt_step]) / batch_size
            dU += np.dot(delta_t.T, h_prev) / batch_size
            delta_t = delta_t.dot(U)
    return dW, dU, dV


rng = np.random.default_rng(1)
xs, ys = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5, 2))
W, U, V = rng.normal(size=(6, 3)), 0.3 * rng.normal(size=(6, 6)), rng.normal(size=(2, 6))
check("bptt", lambda: my_bptt(xs, ys, W, U, V), reference.bptt(xs, ys, W, U, V))


# %% [markdown]
# ### 演習 2: 再帰型ニューラルネットワークの `traverse`
#
# 木の節点は左右の子を連結して $W$ を掛けます: $v = \tanh(W[\,v_{left}; v_{right}\,])$。
#
# > Exercise 2: the course's recursive `traverse`: an inner node is tanh(W [left; right]).


# %%
def my_traverse(node, W):
    if not isinstance(node, dict):
        return node
    left = my_traverse(node["left"], W)
    right = my_traverse(node["right"], W)
    return np.tanh(...)  # 空欄 / blank


rng = np.random.default_rng(2)
leaf = lambda: rng.normal(size=4)  # noqa: E731
tree = {"left": leaf(), "right": {"left": leaf(), "right": leaf()}}
W_tree = rng.normal(size=(4, 8))
check("traverse", lambda: my_traverse(tree, W_tree), reference.traverse(tree, W_tree))


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_traverse(node, W):
    if not isinstance(node, dict):
        return node
    left = my_traverse(node["left"], W)
    right = my_traverse(node["right"], W)
    return np.tanh(W.dot(np.concatenate([left, right])))


rng = np.random.default_rng(2)
leaf = lambda: rng.normal(size=4)  # noqa: E731
tree = {"left": leaf(), "right": {"left": leaf(), "right": leaf()}}
W_tree = rng.normal(size=(4, 8))
check("traverse", lambda: my_traverse(tree, W_tree), reference.traverse(tree, W_tree))

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.simple_rnn [--preset corrected]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.simple_rnn [--preset corrected]` (`--help`
# > lists its flags).
