"""Writes notebooks/<lab>.ipynb, one guided notebook per lab, from the cell lists below.

The notebooks are generated so that all nine share one skeleton (parameters cell, setup, the
course's walk, running the lab, exercises) and stay free of outputs. Edit the cells here, then:

    .venv/bin/python notebooks/build_notebooks.py           # rewrite every notebook
    .venv/bin/python notebooks/build_notebooks.py --check   # exit 1 if a notebook differs

Each notebook's lab code is the package's: the cells call `labs.<lab>.main`, `models.*` and
`models.reference.*`. Only the exercises are written in the notebook, and each is checked with an
assert against the package's reference.

Cell helpers: `bilingual(ja, en)` is a Markdown cell with the Japanese first and the English
beside it (a quoted paragraph below); `markdown(text)` and `code(source)` are plain cells;
`solution(source)` is a code cell whose source starts hidden in JupyterLab.
"""

import argparse
import pathlib
import sys
import textwrap

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _clean(text):
    return textwrap.dedent(text).strip("\n")


def markdown(text):
    return nbformat.v4.new_markdown_cell(_clean(text))


def bilingual(ja, en, heading=None):
    """A Markdown cell: an optional heading, the Japanese, then the English as a quote."""
    parts = [heading] if heading else []
    parts.append(_clean(ja))
    parts.append("\n".join("> " + line if line else ">" for line in _clean(en).splitlines()))
    return nbformat.v4.new_markdown_cell("\n\n".join(parts))


def code(source, tags=()):
    cell = nbformat.v4.new_code_cell(_clean(source))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def solution(source):
    cell = code(source, tags=("solution",))
    cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


# ---------------------------------------------------------------------------------------------
# The skeleton every notebook shares.

def parameters():
    return [
        bilingual(
            "**パラメータ**: `QUICK = True` にすると、どのセルも数秒〜数十秒で終わる最小設定"
            "（`--quick`）で動きます。CI はこのセルを `QUICK = True` に書き換えて全セルを実行します。"
            "`False` のままなら講座と同じ本番の設定です。",
            "**Parameters**: `QUICK = True` runs every cell at the smallest settings (`--quick`), "
            "seconds each; CI flips this cell to `QUICK = True` and runs the whole notebook. "
            "Left at `False`, the lab runs at its real settings.",
        ),
        code("QUICK = False  # True: the lab's --quick settings (what CI runs)",
             tags=("parameters",)),
    ]


def setup(lab):
    return [
        bilingual(
            "準備: パッケージ（`pip install -e .` 済みの `labs`・`models`）を読み込み、演習の出力先を"
            "決めます。データはオフラインでも読めるように、`LABS_MANUAL_DIR` が未設定なら"
            "チェックアウトの隣の `shared/data` を使います（`make notebooks` は設定済みで起動します）。",
            "Setup: import the package (`labs`, `models`, installed by `make`), choose where the "
            "lab writes its files, and point the offline loaders at the staged data: "
            "`LABS_MANUAL_DIR`, else `shared/data` beside the checkout (`make notebooks` sets it).",
        ),
        code(f"""
            import os
            import pathlib

            import matplotlib.pyplot as plt  # noqa: F401  (for your own plots)
            import numpy as np
            from IPython.display import Image, display

            import labs
            import labs.kit.plotting  # noqa: F401  (the labs draw their PNGs off-screen, with Agg)

            %matplotlib inline

            _shared = pathlib.Path(labs.__file__).resolve().parents[2] / "shared" / "data"
            if "LABS_MANUAL_DIR" not in os.environ and _shared.is_dir():
                os.environ["LABS_MANUAL_DIR"] = str(_shared)
                os.environ.setdefault("NLTK_DATA", str(_shared / "nltk_data"))

            OUT = pathlib.Path("runs") / "notebooks" / "{lab}"  # the lab's --output-dir
            QUICK_FLAG = ["--quick"] if QUICK else []


            def show(*names):
                \"\"\"Shows PNGs the lab wrote to OUT, inline.\"\"\"
                for name in names:
                    display(Image(filename=str(OUT / name)))
            """),
    ]


CHECK = code("""
    def check(name, run, expected, atol=1e-8):
        \"\"\"Runs your answer `run()` and compares it with the package's reference `expected`.

        A blank left as `...` only prints a reminder; a wrong answer fails the assert.
        \"\"\"
        try:
            got = run()
        except (TypeError, AttributeError) as error:  # arithmetic on a `...` blank
            if "ellipsis" in str(error):
                print(f"{name}: 空欄がまだあります / a blank is still `...`")
                return
            raise
        if got is Ellipsis:
            print(f"{name}: 空欄がまだあります / a blank is still `...`")
            return
        got = got if isinstance(got, tuple) else (got,)
        expected = expected if isinstance(expected, tuple) else (expected,)
        assert len(got) == len(expected), f"{name}: {len(got)} values, expected {len(expected)}"
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, atol=atol, err_msg=name)
        print(f"{name}: 正解 / correct")
    """)


def exercises_intro():
    return [
        bilingual(
            "## 演習 / Exercises\n\n"
            "講座の演習コードの空欄（`...`）を埋めてから、そのセルと次の確認セルを実行してください。"
            "確認は `models.reference`（テスト済みの numpy 実装）と比べる `assert` です。"
            "空欄のままなら注意が出るだけで、間違っていれば `AssertionError` になります。"
            "解答例のセルは JupyterLab では折りたたまれています（左の青い線をクリックで開きます）。",
            "Fill in the blanks (`...`) of the course's exercise code, then run that cell and the "
            "check after it: an `assert` against `models.reference`, the tested numpy version. A "
            "blank left as `...` only prints a reminder; a wrong answer raises `AssertionError`. "
            "Each solution cell starts collapsed in JupyterLab (click the blue bar to open it).",
        ),
        CHECK,
    ]


def closing(command, extra_en="", extra_ja=""):
    return bilingual(
        f"## この先 / Next\n\n同じ演習はコマンド1つでも実行できます: `{command}`"
        "（`--help` で全フラグ）。" + extra_ja,
        f"The same lab runs from a shell as `{command}` (`--help` lists its flags). " + extra_en,
    )


def notebook(lab, title_ja, title_en, course, intro_ja, intro_en, body):
    cells = [
        bilingual(intro_ja, intro_en, heading=f"# {title_ja} / {title_en}\n\n"
                  f"講座 / course: **{course}** · lab: `labs.{lab}`"),
        *parameters(),
        *setup(lab),
        *body,
    ]
    for index, cell in enumerate(cells):
        cell.id = f"{lab}-{index:02d}"  # stable ids, so --check compares like with like
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# ---------------------------------------------------------------------------------------------
# The notebooks, in the course's order of sections within each.

def activations():
    body = [
        bilingual(
            "## 1. 活性化関数と微分\n\n講座の8つの活性化関数を、講座と同じ格子 "
            "$x \\in [-6, 6]$（刻み 0.01）で描きます。\n\n"
            "| 関数 | $f(x)$ | $f'(x)$ |\n|---|---|---|\n"
            "| ステップ | $1\\ (x>0),\\ 0$ | $0$ |\n"
            "| シグモイド | $\\sigma(x) = \\dfrac{1}{1+e^{-x}}$ | $\\sigma(x)(1-\\sigma(x))$ |\n"
            "| tanh | $\\tanh x$ | $\\dfrac{1}{\\cosh^2 x}$ |\n"
            "| ReLU | $\\max(0, x)$ | $1\\ (x>0),\\ 0$ |\n"
            "| Leaky ReLU | $x\\ (x>0),\\ \\alpha x$ | $1\\ (x>0),\\ \\alpha$（$\\alpha=0.01$） |\n"
            "| Swish | $f = x\\,\\sigma(\\beta x)$ | $\\beta f + \\sigma(\\beta x)(1-\\beta f)$ |\n"
            "| ソフトマックス | $g_i = \\dfrac{e^{x_i}}{\\sum_j e^{x_j}}$ | "
            "$\\dfrac{\\partial g_i}{\\partial x_j} = g_i(\\delta_{ij} - g_j)$ |\n"
            "| 恒等 | $x$ | $1$ |",
            "The course's eight activation functions on its grid, x from -6 to 6 in steps of "
            "0.01, with the derivatives of the table. Softmax is taken over the whole vector x, "
            "so its derivative is a full Jacobian.",
        ),
        code("""
            from labs import activations as lab
            from models.reference import activations as act

            config = lab.PRESETS["course"].quick() if QUICK else lab.PRESETS["course"]
            x = np.arange(config.x_start, config.x_stop + 1) * config.x_scale  # the course's grid
            functions = lab.numpy_functions(config)  # name -> (f, f') with alpha, beta bound

            fig, axes = plt.subplots(2, 4, figsize=(16, 7))
            for ax, (name, (f, f_prime)) in zip(axes.flat, functions.items(), strict=True):
                ax.plot(x, f(x), label="f(x)")
                ax.plot(x, f_prime(x), "--", label="f'(x)")
                ax.set(title=name, xlabel="x")
                ax.grid(alpha=0.3)
            axes[0, 0].legend()
            fig.tight_layout()
            """),
        bilingual(
            "シグモイドの微分は最大でも $0.25$（$x=0$）。層を重ねるたびに勾配が $1/4$ 以下に"
            "縮むことが勾配消失の一因です。ReLU は $x>0$ で微分が 1 なので縮みません。",
            "The sigmoid's slope is at most 0.25 (at x = 0), so every layer shrinks the gradient by "
            "at least 4: one cause of vanishing gradients. ReLU's slope is 1 for x > 0.",
        ),
        code("""
            print("max sigmoid'(x) =", act.sigmoid_derivative(x).max())
            print("max tanh'(x)    =", act.tanh_derivative(x).max())
            print("softmax Jacobian of [-2, -1, 0, 1, 2]:")
            print(np.round(act.softmax_jacobian(np.array([-2.0, -1.0, 0.0, 1.0, 2.0])), 3))
            """),
        bilingual(
            "## 2. 自動微分との照合\n\n演習を実行すると、各関数を Keras の活性化関数で float64 で"
            "計算し、その微分を `tf.GradientTape` で取り、手で書いた微分と比べます"
            "（ソフトマックスは `tape.jacobian`）。",
            "Running the lab evaluates each function with its Keras counterpart in float64, takes "
            "its derivative with `tf.GradientTape` (`tape.jacobian` for softmax), and compares it "
            "with the hand-written derivative.",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            for name, r in metrics["functions"].items():
                print(f"{name:11s} {r['keras']:48s} |d - tape| = {r['max_abs_error_derivative']:.2g}")
            """),
        code('show("overview.png", "softmax.png")'),
        bilingual(
            "Leaky ReLU だけ誤差が 1e-10 程度なのは、TensorFlow が $\\alpha$ を float32 "
            "（0.0099999998）で持つためです。ほかは 1e-15 程度で一致します。",
            "Only Leaky ReLU differs by about 1e-10: TensorFlow stores its alpha as float32 "
            "(0.0099999998). The others agree to about 1e-15.",
        ),
        code("""
            assert metrics["max_abs_error_derivative"] < 1e-6
            assert metrics["functions"]["leaky_relu"]["max_abs_error_derivative"] > 1e-12
            """),
        *exercises_intro(),
        bilingual(
            "### 演習 1: シグモイドの微分\n\n$\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$ を "
            "`s = act.sigmoid(x)` から書いてください。",
            "Exercise 1: write the sigmoid's derivative from `s = act.sigmoid(x)`.",
        ),
        code("""
            def my_sigmoid_derivative(x):
                s = act.sigmoid(x)
                return ...  # 空欄 / blank


            check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))
            """),
        solution("""
            # 解答例 / a solution
            def my_sigmoid_derivative(x):
                s = act.sigmoid(x)
                return s * (1 - s)


            check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))
            """),
        bilingual(
            "### 演習 2: Swish の微分\n\n$f = x\\,\\sigma(\\beta x)$ のとき "
            "$f' = \\beta f + \\sigma(\\beta x)(1 - \\beta f)$。",
            "Exercise 2: Swish's derivative, the course's form.",
        ),
        code("""
            def my_swish_derivative(x, beta=1.0):
                f = x * act.sigmoid(beta * x)
                return ...  # 空欄 / blank


            for beta in (0.5, 1.0, 2.0):
                check(f"swish' beta={beta}", lambda beta=beta: my_swish_derivative(x, beta),
                      act.swish_derivative(x, beta))
            """),
        solution("""
            # 解答例 / a solution
            def my_swish_derivative(x, beta=1.0):
                f = x * act.sigmoid(beta * x)
                return beta * f + act.sigmoid(beta * x) * (1 - beta * f)


            for beta in (0.5, 1.0, 2.0):
                check(f"swish' beta={beta}", lambda beta=beta: my_swish_derivative(x, beta),
                      act.swish_derivative(x, beta))
            """),
        bilingual(
            "### 演習 3: ソフトマックスのヤコビ行列\n\n"
            "$J_{ij} = g_i(\\delta_{ij} - g_j)$。`np.diag` と `np.outer` で書けます。",
            "Exercise 3: the softmax Jacobian, with `np.diag` and `np.outer`.",
        ),
        code("""
            def my_softmax_jacobian(v):
                g = act.softmax(v)
                return ...  # 空欄 / blank


            v = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
            check("softmax Jacobian", lambda: my_softmax_jacobian(v), act.softmax_jacobian(v))
            """),
        solution("""
            # 解答例 / a solution
            def my_softmax_jacobian(v):
                g = act.softmax(v)
                return np.diag(g) - np.outer(g, g)


            check("softmax Jacobian", lambda: my_softmax_jacobian(v), act.softmax_jacobian(v))
            """),
        closing("python -m labs.activations"),
    ]
    return notebook(
        "activations", "活性化関数", "Activation functions", "activation functions",
        "講座の活性化関数8つとその微分を描き、手で書いた微分が TensorFlow の自動微分と一致する"
        "ことを確かめます。",
        "The course's eight activation functions and their derivatives, drawn, and the "
        "hand-written derivatives checked against TensorFlow's automatic differentiation.",
        body)


def simple_rnn():
    body = [
        bilingual(
            "## 1. 2進数の足し算という課題\n\n$a, b < 128$ を8ビットにして、下位ビットから1ステップに"
            "1組ずつ入力し、各ステップで $a+b$ の1ビットを出力します。桁上がりを覚えておく必要が"
            "あるので、隠れ状態が要る課題です。",
            "The task: a, b < 128 as 8 bits, fed one bit pair per step from the least significant "
            "bit; the network emits one bit of a + b per step. The carry must be remembered, so the "
            "task needs a hidden state.",
        ),
        code("""
            from labs import simple_rnn as lab
            from models.reference import binary_addition as ba

            a, b = np.array([45]), np.array([83])
            print("a     ", ba.to_bits(a, 8)[0])
            print("b     ", ba.to_bits(b, 8)[0])
            print("a + b ", ba.to_bits(a + b, 8)[0], "=", ba.from_bits(ba.to_bits(a + b, 8))[0])
            """),
        bilingual(
            "## 2. 順伝播\n\n講座の RNN（バイアスなし、出力はシグモイド）:\n\n"
            "$$u_t = x_t W_{in} + z_{t-1} W, \\qquad z_t = f(u_t), \\qquad "
            "y_t = \\sigma(z_t W_{out})$$\n\n"
            "損失は1回の足し算あたり $L = \\sum_t \\tfrac12 (d_t - y_t)^2$。",
            "The course's RNN (no biases, sigmoid output) and its loss per addition.",
        ),
        code("""
            rng = np.random.default_rng(0)
            weights = ba.init_weights(rng, "xavier", hidden_size=16)
            print({name: w.shape for name, w in weights.items()})
            print("untrained prediction:", ba.predict_bits(ba.to_bits(a, 8), ba.to_bits(b, 8), weights,
                                                           "sigmoid")[0])
            """),
        bilingual(
            "## 3. BPTT と初期化\n\n誤差は時間を遡って伝わります:\n\n"
            "$$\\delta_t = \\left(\\delta^{out}_t W_{out}^\\top + \\delta_{t+1} W^\\top\\right)"
            " \\odot f'(u_t)$$\n\n"
            "初期化は講座の3通り: 標準偏差1（`randn`）、Xavier（$1/\\sqrt{n}$）、He（$\\sqrt{2/n}$）。"
            "隠れ層の活性化はシグモイド・ReLU・tanh。演習は5つの組み合わせを同じ足し算で学習します。"
            "\n\n**講座の癖**: 講座は出力の微分に $y(1-y)$ ではなく `d_sigmoid(y)` = "
            "$\\sigma(y)(1-\\sigma(y))$ を使います。`--preset course` はそのまま、"
            "`--preset corrected` は正しい微分です。",
            "Errors flow back in time through W. Three initialisations (std 1, Xavier, He) and three "
            "hidden activations; the lab trains five combinations on the same additions. The "
            "course's quirk: it applies `d_sigmoid` to the output y instead of y(1 - y); "
            "`--preset course` keeps it, `--preset corrected` does not.",
        ),
        code("""
            iterations = [] if QUICK else ["--iterations", "10000"]
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG, *iterations])
            print(f"{'variant':16s} {'final loss':>10s} {'accuracy':>9s} {'max |grad|':>10s}")
            for name, v in metrics["variants"].items():
                print(f"{name:16s} {v['final_loss']:10.4g} {v['accuracy']:9.1%} {v['max_grad_norm']:10.3g}")
            """),
        code('show("loss.png", "grad_norm.png", "accuracy.png")'),
        bilingual(
            "He + ReLU は勾配ノルムが数百まで跳ね上がり（勾配爆発）、学習できません。"
            "`--preset corrected` で同じことを試すと、その失敗の多くが講座の微分の癖から来ることが"
            "わかります。",
            "He + ReLU's gradient norm jumps to the hundreds (explosion) and it does not learn. "
            "Try `--preset corrected`: much of that failure comes from the course's derivative quirk.",
        ),
        *exercises_intro(),
        bilingual(
            "### 演習 1: 講座の `bptt`\n\n線形 RNN $h_t = W x_t + U h_{t-1}$, $o_t = V h_t$ の"
            "勾配。内側のループで誤差を1ステップ過去へ送る行が空欄です"
            "（$\\delta \\leftarrow \\delta U$）。",
            "Exercise 1: the course's `bptt` for a linear RNN; the blank sends the error one step "
            "further back in time.",
        ),
        code("""
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
            """),
        solution("""
            # 解答例 / a solution: the blank is `delta_t.dot(U)`
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


            check("bptt", lambda: my_bptt(xs, ys, W, U, V), reference.bptt(xs, ys, W, U, V))
            """),
        bilingual(
            "### 演習 2: 再帰型ニューラルネットワークの `traverse`\n\n木の節点は左右の子を連結して "
            "$W$ を掛けます: $v = \\tanh(W[\\,v_{left}; v_{right}\\,])$。",
            "Exercise 2: the course's recursive `traverse`: an inner node is "
            "tanh(W [left; right]).",
        ),
        code("""
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
            """),
        solution("""
            # 解答例 / a solution
            def my_traverse(node, W):
                if not isinstance(node, dict):
                    return node
                left = my_traverse(node["left"], W)
                right = my_traverse(node["right"], W)
                return np.tanh(W.dot(np.concatenate([left, right])))


            check("traverse", lambda: my_traverse(tree, W_tree), reference.traverse(tree, W_tree))
            """),
        closing("python -m labs.simple_rnn [--preset corrected]"),
    ]
    return notebook(
        "simple_rnn", "numpy で作る RNN と BPTT", "A numpy RNN and BPTT", "3_1_simple_RNN",
        "講座の 3_1_simple_RNN: numpy だけで書いた RNN が2進数の足し算を学びます。"
        "BPTT を手で計算し、重みの初期化と活性化関数で学習できるかどうかが決まることを見ます。",
        "The course's 3_1_simple_RNN: a numpy RNN learns binary addition with hand-written BPTT; "
        "the initialisation and the activation decide whether it learns at all.",
        body)


NOTEBOOKS = {
    "activations": activations,
    "simple_rnn": simple_rnn,
}


def render(nb):
    return nbformat.writes(nb) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a committed notebook differs from what this script writes")
    args = parser.parse_args(argv)
    stale = []
    for name, make in NOTEBOOKS.items():
        nb = make()
        nbformat.validate(nb)
        path = HERE / f"{name}.ipynb"
        text = render(nb)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run {pathlib.Path(__file__).name}): {', '.join(stale)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
