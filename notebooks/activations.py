# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 活性化関数 / Activation functions
#
# 講座 / course: **activation functions** · lab: `labs.activations`
#
# 講座の活性化関数8つとその微分を描き、手で書いた微分が TensorFlow
# の自動微分と一致することを確かめます。
#
# > The course's eight activation functions and their derivatives, drawn, and the hand-written
# > derivatives checked against TensorFlow's automatic differentiation.

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

OUT = setup("activations")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 活性化関数と微分
#
# 講座の8つの活性化関数を、講座と同じ格子 $x \in [-6, 6]$（刻み 0.01）で描きます。
#
# | 関数 | $f(x)$ | $f'(x)$ |
# |---|---|---|
# | ステップ | $1\ (x>0),\ 0$ | $0$ |
# | シグモイド | $\sigma(x) = \dfrac{1}{1+e^{-x}}$ | $\sigma(x)(1-\sigma(x))$ |
# | tanh | $\tanh x$ | $\dfrac{1}{\cosh^2 x}$ |
# | ReLU | $\max(0, x)$ | $1\ (x>0),\ 0$ |
# | Leaky ReLU | $x\ (x>0),\ \alpha x$ | $1\ (x>0),\ \alpha$（$\alpha=0.01$） |
# | Swish | $f = x\,\sigma(\beta x)$ | $\beta f + \sigma(\beta x)(1-\beta f)$ |
# | ソフトマックス | $g_i = e^{x_i} / \sum_j e^{x_j}$ | $\partial_j g_i = g_i(\delta_{ij} - g_j)$ |
# | 恒等 | $x$ | $1$ |
#
# > The course's eight activation functions on its grid, x from -6 to 6 in steps of 0.01, with the
# > derivatives of the table. Softmax is taken over the whole vector x, so its derivative is a full
# > Jacobian.

# %%
from labs import activations as lab
from labs import kit
from labs.activations.run import numpy_functions
from models.reference import activations as act

config = lab.PRESETS["course"].quick() if QUICK else lab.PRESETS["course"]
x = np.arange(config.x_start, config.x_stop + 1) * config.x_scale  # the course's grid
functions = numpy_functions(config)  # name -> (f, f') with alpha, beta bound

fig, axes = plt.subplots(2, 4, figsize=(16, 7))
for ax, (name, (f, f_prime)) in zip(axes.flat, functions.items(), strict=True):
    ax.plot(x, f(x), label="f(x)")
    ax.plot(x, f_prime(x), "--", label="f'(x)")
    ax.set(title=name, xlabel="x")
    ax.grid(alpha=0.3)
axes[0, 0].legend()
fig.tight_layout()

# %% [markdown]
# シグモイドの微分は最大でも $0.25$（$x=0$）。層を重ねるたびに勾配が $1/4$
# 以下に縮むことが勾配消失の一因です。ReLU は $x>0$ で微分が 1 なので縮みません。
#
# > The sigmoid's slope is at most 0.25 (at x = 0), so every layer shrinks the gradient by at least
# > 4: one cause of vanishing gradients. ReLU's slope is 1 for x > 0.

# %%
print("max sigmoid'(x) =", act.sigmoid_derivative(x).max())
print("max tanh'(x)    =", act.tanh_derivative(x).max())
print("softmax Jacobian of [-2, -1, 0, 1, 2]:")
print(np.round(act.softmax_jacobian(np.array([-2.0, -1.0, 0.0, 1.0, 2.0])), 3))

# %% [markdown]
# ## 2. 自動微分との照合
#
# 演習を実行すると、各関数を Keras の活性化関数で float64 で計算し、その微分を `tf.GradientTape`
# で取り、手で書いた微分と比べます（ソフトマックスは `tape.jacobian`）。
#
# > Running the lab evaluates each function with its Keras counterpart in float64, takes its
# > derivative with `tf.GradientTape` (`tape.jacobian` for softmax), and compares it with the
# > hand-written derivative.

# %%
metrics = kit.execute(lab.LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
for name, r in metrics["functions"].items():
    print(f"{name:11s} {r['keras']:48s} |d - tape| = {r['max_abs_error_derivative']:.2g}")

# %%
show("overview.png", "softmax.png")

# %% [markdown]
# Leaky ReLU だけ誤差が 1e-10 程度なのは、TensorFlow が $\alpha$ を float32
# （0.0099999998）で持つためです。ほかは 1e-15 程度で一致します。
#
# > Only Leaky ReLU differs by about 1e-10: TensorFlow stores its alpha as float32 (0.0099999998).
# > The others agree to about 1e-15.

# %%
assert metrics["max_abs_error_derivative"] < 1e-6
assert metrics["functions"]["leaky_relu"]["max_abs_error_derivative"] > 1e-12

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
# ### 演習 1: シグモイドの微分
#
# $\sigma'(x) = \sigma(x)(1 - \sigma(x))$ を `s = act.sigmoid(x)` から書いてください。
#
# > Exercise 1: write the sigmoid's derivative from `s = act.sigmoid(x)`.


# %%
def my_sigmoid_derivative(x):
    s = act.sigmoid(x)
    return ...  # 空欄 / blank


check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_sigmoid_derivative(x):
    s = act.sigmoid(x)
    return s * (1 - s)


check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))


# %% [markdown]
# ### 演習 2: Swish の微分
#
# $f = x\,\sigma(\beta x)$ のとき $f' = \beta f + \sigma(\beta x)(1 - \beta f)$。
#
# > Exercise 2: Swish's derivative, the course's form.


# %%
def my_swish_derivative(x, beta=1.0):
    f = x * act.sigmoid(beta * x)
    return ...  # 空欄 / blank


for beta in (0.5, 1.0, 2.0):
    check(
        f"swish' beta={beta}",
        lambda beta=beta: my_swish_derivative(x, beta),
        act.swish_derivative(x, beta),
    )


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_swish_derivative(x, beta=1.0):
    f = x * act.sigmoid(beta * x)
    return beta * f + act.sigmoid(beta * x) * (1 - beta * f)


for beta in (0.5, 1.0, 2.0):
    check(
        f"swish' beta={beta}",
        lambda beta=beta: my_swish_derivative(x, beta),
        act.swish_derivative(x, beta),
    )


# %% [markdown]
# ### 演習 3: ソフトマックスのヤコビ行列
#
# $J_{ij} = g_i(\delta_{ij} - g_j)$。`np.diag` と `np.outer` で書けます。
#
# > Exercise 3: the softmax Jacobian, with `np.diag` and `np.outer`.


# %%
def my_softmax_jacobian(v):
    g = act.softmax(v)
    return ...  # 空欄 / blank


v = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
check("softmax Jacobian", lambda: my_softmax_jacobian(v), act.softmax_jacobian(v))


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_softmax_jacobian(v):
    g = act.softmax(v)
    return np.diag(g) - np.outer(g, g)


v = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
check("softmax Jacobian", lambda: my_softmax_jacobian(v), act.softmax_jacobian(v))

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.activations`（`--help` で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.activations` (`--help` lists its flags).
