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
`exercise(solved, check)` is an exercise cell with blanks and its solution (a code cell whose
source starts hidden in JupyterLab), both written from the one solved code.
"""

import argparse
import pathlib
import re
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


ANSWER = re.compile(r"«(.*?)»")


def exercise(solved, check, *, before="", setup=""):
    """An exercise cell and its hidden solution, both written from the solved code.

    Args:
        solved: the code as it should end up, each blank's answer written `«answer»`; a line
            with a blank may end in a `# hint`, shown to the learner after the blank's marker.
        check: the last lines of both cells, comparing the result with the package's.
        before: what the exercise cell starts with (imports).
        setup: what the exercise cell defines between the code and `check` (inputs, helpers).

    Returns:
        `[exercise, solution]`: the exercise has `...` in each blank, the solution the answers.
    """

    def blanked(line):
        code, _, hint = line.partition("  # ")
        return ANSWER.sub("...", code) + "  # 空欄 / blank" + (f": {hint}" if hint else "")

    solved = _clean(solved).splitlines()
    exercise_code = "\n".join(blanked(line) if ANSWER.search(line) else line for line in solved)
    answers = "\n".join(
        ANSWER.sub(r"\1", line.partition("  # ")[0]) if ANSWER.search(line) else line
        for line in solved
    )
    tail = "\n".join(part for part in (_clean(setup), _clean(check)) if part)
    return [
        code("\n\n\n".join(part for part in (_clean(before), exercise_code, tail) if part)),
        solution(f"# 解答例 / a solution\n{answers}\n\n\n{_clean(check)}"),
    ]


# ---------------------------------------------------------------------------------------------
# The skeleton every notebook shares.


def parameters():
    return [
        bilingual(
            "**パラメータ**: `QUICK = True` にすると、どのセルも数秒〜数十秒で終わる最小設定"
            "（`--quick`）で動きます。CI はこのセルを `QUICK = True` に書き換えて全セルを実行します。"
            "`False` のままなら各演習の既定の（本番の）設定です。",
            "**Parameters**: `QUICK = True` runs every cell at the smallest settings (`--quick`), "
            "seconds each; CI flips this cell to `QUICK = True` and runs the whole notebook. "
            "Left at `False`, the lab runs at its default, full settings.",
        ),
        code(
            "QUICK = False  # True: the lab's --quick settings (what CI runs)", tags=("parameters",)
        ),
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

            OUT = pathlib.Path("runs") / "{lab}"  # the lab's --output-dir, beside this notebook
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
        got = got if isinstance(got, tuple) else (got,)
        if any(g is Ellipsis for g in got):
            print(f"{name}: 空欄がまだあります / a blank is still `...`")
            return
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
        bilingual(
            intro_ja,
            intro_en,
            heading=f"# {title_ja} / {title_en}\n\n講座 / course: **{course}** · lab: `labs.{lab}`",
        ),
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
        *exercise(
            """
                def my_sigmoid_derivative(x):
                    s = act.sigmoid(x)
                    return «s * (1 - s)»
                """,
            check="""
                check("sigmoid'", lambda: my_sigmoid_derivative(x), act.sigmoid_derivative(x))
                """,
        ),
        bilingual(
            "### 演習 2: Swish の微分\n\n$f = x\\,\\sigma(\\beta x)$ のとき "
            "$f' = \\beta f + \\sigma(\\beta x)(1 - \\beta f)$。",
            "Exercise 2: Swish's derivative, the course's form.",
        ),
        *exercise(
            """
                def my_swish_derivative(x, beta=1.0):
                    f = x * act.sigmoid(beta * x)
                    return «beta * f + act.sigmoid(beta * x) * (1 - beta * f)»
                """,
            check="""
                for beta in (0.5, 1.0, 2.0):
                    check(f"swish' beta={beta}", lambda beta=beta: my_swish_derivative(x, beta),
                          act.swish_derivative(x, beta))
                """,
        ),
        bilingual(
            "### 演習 3: ソフトマックスのヤコビ行列\n\n"
            "$J_{ij} = g_i(\\delta_{ij} - g_j)$。`np.diag` と `np.outer` で書けます。",
            "Exercise 3: the softmax Jacobian, with `np.diag` and `np.outer`.",
        ),
        *exercise(
            """
                def my_softmax_jacobian(v):
                    g = act.softmax(v)
                    return «np.diag(g) - np.outer(g, g)»
                """,
            check="""
                check("softmax Jacobian", lambda: my_softmax_jacobian(v), act.softmax_jacobian(v))
                """,
            setup="""
                v = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
                """,
        ),
        closing("python -m labs.activations"),
    ]
    return notebook(
        "activations",
        "活性化関数",
        "Activation functions",
        "activation functions",
        "講座の活性化関数8つとその微分を描き、手で書いた微分が TensorFlow の自動微分と一致する"
        "ことを確かめます。",
        "The course's eight activation functions and their derivatives, drawn, and the "
        "hand-written derivatives checked against TensorFlow's automatic differentiation.",
        body,
    )


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
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])  # 10,000 iterations (QUICK: 300)
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
        *exercise(
            """
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
                            delta_t = «delta_t.dot(U)»
                    return dW, dU, dV
                """,
            check="""
                check("bptt", lambda: my_bptt(xs, ys, W, U, V), reference.bptt(xs, ys, W, U, V))
                """,
            before="""
                from models import reference
                """,
            setup="""
                rng = np.random.default_rng(1)
                xs, ys = rng.normal(size=(4, 5, 3)), rng.normal(size=(4, 5, 2))
                W, U, V = rng.normal(size=(6, 3)), 0.3 * rng.normal(size=(6, 6)), rng.normal(size=(2, 6))
                """,
        ),
        bilingual(
            "### 演習 2: 再帰型ニューラルネットワークの `traverse`\n\n木の節点は左右の子を連結して "
            "$W$ を掛けます: $v = \\tanh(W[\\,v_{left}; v_{right}\\,])$。",
            "Exercise 2: the course's recursive `traverse`: an inner node is "
            "tanh(W [left; right]).",
        ),
        *exercise(
            """
                def my_traverse(node, W):
                    if not isinstance(node, dict):
                        return node
                    left = my_traverse(node["left"], W)
                    right = my_traverse(node["right"], W)
                    return np.tanh(«W.dot(np.concatenate([left, right]))»)
                """,
            check="""
                check("traverse", lambda: my_traverse(tree, W_tree), reference.traverse(tree, W_tree))
                """,
            setup="""
                rng = np.random.default_rng(2)
                leaf = lambda: rng.normal(size=4)  # noqa: E731
                tree = {"left": leaf(), "right": {"left": leaf(), "right": leaf()}}
                W_tree = rng.normal(size=(4, 8))
                """,
        ),
        closing("python -m labs.simple_rnn [--preset corrected]"),
    ]
    return notebook(
        "simple_rnn",
        "numpy で作る RNN と BPTT",
        "A numpy RNN and BPTT",
        "3_1_simple_RNN",
        "講座の 3_1_simple_RNN: numpy だけで書いた RNN が2進数の足し算を学びます。"
        "BPTT を手で計算し、重みの初期化と活性化関数で学習できるかどうかが決まることを見ます。",
        "The course's 3_1_simple_RNN: a numpy RNN learns binary addition with hand-written BPTT; "
        "the initialisation and the activation decide whether it learns at all.",
        body,
    )


def seq2seq():
    body = [
        bilingual(
            "## 1. データ: sin の窓から cos の窓へ\n\n"
            "$x = \\mathrm{linspace}(-3\\pi, 3\\pi, 100)$ を24点ずつの窓に切り、76窓を作ります。"
            "エンコーダには $\\sin$、デコーダには1つ右にずらした $\\cos$（先頭は0）を入れ、"
            "$\\cos$ を当てさせます（teacher forcing）。",
            "Data: x = linspace(-3π, 3π, 100) cut into 76 windows of 24 points. The encoder reads "
            "sin; the decoder reads cos shifted right by one step (a leading 0) and predicts cos "
            "(teacher forcing).",
        ),
        code("""
            from labs import seq2seq as lab
            from labs.data.sincos import PLOT_WINDOWS, make_windows
            from models import seq2seq as s2s

            windows = make_windows()
            print("encoder input", windows.encoder_input.shape, " decoder input",
                  windows.decoder_input.shape, " target", windows.target.shape)
            i = PLOT_WINDOWS[1]
            plt.plot(windows.x[i], windows.encoder_input[i, :, 0], label="encoder input: sin")
            plt.plot(windows.x[i], windows.decoder_input[i, :, 0], "o--", ms=3,
                     label="decoder input: cos shifted")
            plt.plot(windows.x[i], windows.target[i, :, 0], label="target: cos")
            plt.legend()
            plt.title(f"window {i}");
            """),
        bilingual(
            "## 2. エンコーダ・デコーダ\n\nエンコーダの最終状態 $h_T$ がデコーダの初期状態になります:\n\n"
            "$$h^{enc}_t = \\tanh(W x_t + U h^{enc}_{t-1} + b), \\qquad "
            "h^{dec}_0 = h^{enc}_T, \\qquad \\hat y_t = V h^{dec}_t + c$$\n\n"
            "講座のモデルは SimpleRNN(10) ×2 と Dense(1) で 251 パラメータです。",
            "The encoder's final state starts the decoder. The course's model: two SimpleRNN(10) "
            "and a Dense(1), 251 parameters.",
        ),
        code("""
            model = s2s.build_seq2seq(s2s.Seq2SeqConfig())  # the course's model
            model.summary()
            assert model.count_params() == 251
            """),
        bilingual(
            "## 3. 学習（講座の設定: adam, MSE, batch 16, 80 エポック）",
            "Training at the course's settings (adam, MSE, batch 16, 80 epochs; `QUICK`: 2).",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            course = metrics["variants"]["course"]
            print({k: course[k] for k in ("params", "epochs", "final_loss", "val_mse",
                                          "free_running_mse", "shifted_free_running_mse")})
            """),
        code('show("loss.png", "predictions_course.png", "error_by_step.png")'),
        bilingual(
            "**講座の落とし穴**: `validation_split=0.2` は最後の16窓を取りますが、33点で1周期なので"
            "それらは学習用の窓の繰り返しです。だから `val_mse` は未知データの成績ではありません。"
            "半ステップずらした格子での `shifted_free_running_mse` がその代わりです。",
            "The course's trap: `validation_split=0.2` holds out the last 16 windows, which repeat "
            "training windows one period (33 steps) earlier, so `val_mse` is not a held-out score; "
            "`shifted_free_running_mse`, on a grid shifted by half a step, is.",
        ),
        bilingual(
            "## 4. 推論: 自分の出力を次の入力に（free-running）\n\n"
            "講座は1ステップごとに `predict` を呼びます（76窓 × 24ステップ）。"
            "`models.seq2seq.generate` は同じループを `tf.while_loop` 1回で全窓まとめて回します。"
            "同じ重みで同じ数値になることを確かめ、速さを比べます。",
            "Inference feeds back the decoder's own output. The course calls `predict` once per "
            "step and window; `models.seq2seq.generate` runs the same loop as one compiled "
            "`tf.while_loop` over all windows. Same numbers, compared here, and the speed.",
        ),
        code("""
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
            print(f"course loop {course_seconds:.2f} s, generate {fast_seconds:.4f} s, "
                  f"max difference {np.abs(course_loop - fast).max():.1e}")
            np.testing.assert_allclose(course_loop, fast, atol=1e-5)
            """),
        bilingual(
            "`--preset improved` は GRU(32)・Attention・96ステップを比べます（約17分）。"
            "この課題では Attention は効きません: cos は sin を1/4周期ずらしただけなので、"
            "最終状態に必要な情報（位相）がすべて入っているからです。",
            "`--preset improved` compares GRU(32), Luong attention and a 96-step horizon (about "
            "17 minutes). Attention does not help here: cos is sin shifted by a quarter period, so "
            "the final state already holds what the decoder needs.",
        ),
        *exercises_intro(),
        bilingual(
            "### 演習 1: teacher forcing のデコーダ入力\n\n"
            "目標 `target`（形 `(窓, 24, 1)`）から、先頭に0を置き1つ右にずらしたデコーダ入力を"
            "作ってください: $dx_{i,0} = 0,\\ dx_{i,t} = \\cos_{i+t-1}$。",
            "Exercise 1: the teacher-forcing decoder input: the target shifted right by one step, "
            "a 0 first.",
        ),
        *exercise(
            """
                def my_decoder_input(target):
                    zeros = np.zeros_like(target[:, :1])
                    return «np.concatenate([zeros, target[:, :-1]], axis=1)»  # np.concatenate([...], axis=1)
                """,
            check="""
                check("decoder input", lambda: my_decoder_input(windows.target), windows.decoder_input)
                """,
        ),
        bilingual(
            "### 演習 2: 講座の `encode`\n\n単語の one-hot $w$ を埋め込み $e = E w$ にしてから RNN に"
            "入れます: $h \\leftarrow \\tanh(W e + U h + b)$。空欄は埋め込みの行です。",
            "Exercise 2: the course's `encode`: embed each one-hot word (e = E w), then the RNN "
            "step. The blank is the embedding.",
        ),
        *exercise(
            """
                def my_encode(words, E, W, U, b):
                    h = np.zeros(W.shape[0])
                    for w in words:
                        e = «E.dot(w)»
                        h = np.tanh(W.dot(e) + U.dot(h) + b)
                    return h
                """,
            check="""
                check("encode", lambda: my_encode(words, E, W, U, b), reference.encode(words, E, W, U, b))
                """,
            before="""
                from models import reference
                """,
            setup="""
                rng = np.random.default_rng(0)
                vocab, dim, units = 7, 4, 5
                words = [np.eye(vocab)[k] for k in (3, 1, 4, 1, 5)]
                E, W, U = rng.normal(size=(dim, vocab)), rng.normal(size=(units, dim)), rng.normal(
                    size=(units, units))
                b = rng.normal(size=units)
                """,
        ),
        closing("python -m labs.seq2seq [--preset improved]"),
    ]
    return notebook(
        "seq2seq",
        "Seq2Seq（エンコーダ・デコーダ）: sin → cos",
        "Seq2seq: sin to cos",
        "3_5_Seq2Seq(Encoder-Decoder)_sin-cos",
        "講座の 3_5: sin の系列から cos の系列を出すエンコーダ・デコーダ。teacher forcing で学習し、"
        "推論では自分の出力を次の入力にします。講座の遅い推論ループと、同じ結果を出す速いループを"
        "比べます。",
        "The course's 3_5: an encoder-decoder turns a sin sequence into a cos sequence, trained "
        "with teacher forcing and run free at inference; the course's slow inference loop beside "
        "a compiled one that gives the same numbers.",
        body,
    )


def word2vec():
    body = [
        bilingual(
            "## 1. コーパス: Penn Treebank\n\n約93万語、語彙1万語。"
            "「同じ文脈に現れる単語は似た意味を持つ」（分布仮説）を使ってベクトルを学びます。",
            "The corpus: Penn Treebank, about 930k tokens, 10,000 words. Words used in the same "
            "contexts get similar vectors (the distributional hypothesis).",
        ),
        code("""
            from labs import word2vec as lab
            from labs.data import skipgrams
            from labs.data.ptb import load_ptb
            from models import count_embeddings

            ptb = load_ptb(manual_dir=os.environ.get("LABS_MANUAL_DIR"))
            print(len(ptb.train), "training tokens,", len(ptb.vocabulary), "words")
            print(" ".join(ptb.decode(ptb.train[:30])))
            """),
        bilingual(
            "## 2. word2vec がコーパスにすること\n\n"
            "- 頻出語の間引き（subsampling）: 単語 $w$ の出現を確率 "
            "$P_{keep}(w) = \\left(\\sqrt{f(w)/t} + 1\\right) \\dfrac{t}{f(w)}$ で残す"
            "（$f(w)$ は相対頻度、$t = 10^{-3}$）。\n"
            "- 負例は $P_n(w) \\propto \\mathrm{count}(w)^{3/4}$ から引く。",
            "What word2vec does to the corpus: frequent words are subsampled with the keep "
            "probability above (f is the relative frequency, t = 1e-3), and negatives are drawn "
            "from the unigram counts to the power 3/4.",
        ),
        code("""
            keep = skipgrams.keep_probabilities(ptb.counts, 1e-3)
            noise = skipgrams.negative_distribution(ptb.counts)
            for word in ("the", "<unk>", "stock", "toyota"):
                i = ptb.word_to_id[word]
                print(f"{word:8s} count {ptb.counts[i]:6d}  keep {keep[i]:.3f}  "
                      f"unigram {ptb.counts[i] / ptb.counts.sum():.4f}  noise {noise[i]:.4f}")
            """),
        bilingual(
            "## 3. skip-gram と負例サンプリング\n\n中心語 $c$ と文脈語 $o$、負例 $k_1..k_K$ について\n\n"
            "$$L = -\\log \\sigma(u_o^\\top v_c) - \\sum_{k=1}^{K} \\log \\sigma(-u_k^\\top v_c)$$\n\n"
            "語彙全体のソフトマックス（1万行）の代わりに $K+1$ 個の2値分類で済みます。",
            "Skip-gram with negative sampling: K + 1 binary questions instead of a softmax over "
            "all 10,000 words.",
        ),
        bilingual(
            "## 4. 数え上げによる方法: PPMI → SVD\n\n"
            "$$\\mathrm{PPMI}(w, c) = \\max\\left(0, \\log \\frac{P(w, c)}{P(w) P(c)}\\right)$$\n\n"
            "共起行列を PPMI にし、切り詰めた SVD で100次元にします。小さなコーパスではこちらが強い"
            "基準になります。",
            "The count-based route: co-occurrence counts, PPMI, then a truncated SVD to 100 "
            "dimensions; on a small corpus a strong baseline.",
        ),
        bilingual(
            "## 5. 学習と評価\n\n演習は skip-gram（Keras）、PPMI/SVD、gensim の Word2Vec を同じ"
            "トークンで学習し、WordSim-353（人の類似度判断との順位相関）と類推問題で比べます。"
            "`QUICK` ではコーパスの一部だけなので数字は意味を持ちません。",
            "The lab trains skip-gram (Keras), PPMI/SVD and gensim's Word2Vec on the same tokens "
            "and scores them on WordSim-353 and the Google analogies. Under `QUICK` the corpus is "
            "a slice and the scores mean nothing.",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            print(f"{metrics['tokens']:,} tokens")
            for name, e in metrics["embeddings"].items():
                print(f"{name:9s} WordSim-353 rho {e['wordsim353']['spearman']:.3f}  "
                      f"analogies {e['analogy']['accuracy']:.1%}")
            """),
        code('show("loss.png", "pca_skipgram.png", "similarity_skipgram.png")'),
        code("""
            # 保存したベクトルに問い合わせる / query the saved vectors (no TensorFlow)
            found = lab.main(["similar", "stock", "year", "--run", str(OUT), "--top", "5"])
            """),
        *exercises_intro(),
        bilingual(
            "### 演習 1: 間引きの残す確率\n\n"
            "$P_{keep} = \\min\\left(1, \\left(\\sqrt{f/t} + 1\\right) t / f\\right)$、"
            "$f$ は相対頻度 `counts / counts.sum()`。",
            "Exercise 1: the subsampling keep probability.",
        ),
        *exercise(
            """
                def my_keep_probabilities(counts, sample):
                    f = counts / counts.sum()
                    return «np.minimum(1.0, (np.sqrt(f / sample) + 1) * sample / f)»
                """,
            check="""
                check("keep probabilities", lambda: my_keep_probabilities(ptb.counts, 1e-3),
                      skipgrams.keep_probabilities(ptb.counts, 1e-3))
                """,
        ),
        bilingual(
            "### 演習 2: PPMI\n\n小さな共起行列 $C$ で、$P(w,c) = C_{wc}/\\sum C$、"
            "$P(w) = \\sum_c C_{wc} / \\sum C$、文脈は平滑化 $P(c) \\propto (\\sum_w C_{wc})^{0.75}$。",
            "Exercise 2: PPMI of a small co-occurrence matrix, with the context distribution "
            "smoothed by the power 0.75.",
        ),
        *exercise(
            """
                def my_ppmi(C, power=0.75):
                    p_wc = C / C.sum()
                    p_w = C.sum(axis=1) / C.sum()
                    p_c = C.sum(axis=0) ** power / (C.sum(axis=0) ** power).sum()
                    with np.errstate(divide="ignore"):
                        pmi = «np.log(p_wc / np.outer(p_w, p_c))»  # log of p_wc over p_w times p_c
                    return np.maximum(pmi, 0)
                """,
            check="""
                check("ppmi", lambda: my_ppmi(C), count_embeddings.ppmi(C).toarray())
                """,
            before="""
                C = np.array([[0, 4, 1, 0], [4, 0, 2, 1], [1, 2, 0, 3], [0, 1, 3, 0]], float)
                """,
        ),
        closing(
            "python -m labs.word2vec",
            "`python -m labs.word2vec analogy take took go` asks an analogy of a saved run.",
            "`python -m labs.word2vec analogy take took go` で類推も引けます。",
        ),
    ]
    return notebook(
        "word2vec",
        "word2vec: 単語の分散表現",
        "word2vec: word embeddings",
        "Section 6 (word2vec)",
        "Section 6: skip-gram と負例サンプリングで PTB から単語ベクトルを学び、数え上げの方法"
        "（PPMI/SVD）と gensim と同じ物差しで比べます。",
        "Section 6: word vectors from Penn Treebank with skip-gram and negative sampling, scored "
        "beside the count-based route (PPMI/SVD) and gensim with the same yardsticks.",
        body,
    )


def attention():
    body = [
        bilingual(
            "## 1. 課題: 日付の書式変換\n\nいろいろな書き方の日付を `YYYY-MM-DD` にします"
            "（DLFS2 の date.txt、5万行）。入力も出力も1文字ずつです。",
            "The task: dates in many formats to `YYYY-MM-DD` (DLFS2's date.txt, 50,000 lines), "
            "character by character.",
        ),
        code("""
            from labs import attention as lab
            from labs.data.dlfs2 import load_task
            from models.reference import attention as ref

            task = load_task("date", manual_dir=os.environ.get("LABS_MANUAL_DIR"))
            for i in range(5):
                print(repr(task.decode(task.x_test[i])), "->", repr(task.decode(task.t_test[i])))
            print(len(task.vocabulary), "characters; questions", task.question_length,
                  "long, answers", task.answer_length)
            """),
        bilingual(
            "## 2. Attention\n\nデコーダの各ステップ $i$ の状態 $q_i$ が、エンコーダの全出力 "
            "$v_1..v_T$ を見ます:\n\n"
            "$$s_{ij} = q_i^\\top v_j \\ (\\text{Luong, dot}), \\qquad "
            "s_{ij} = \\textstyle\\sum_d w_d \\tanh(q_{id} + v_{jd}) \\ (\\text{additive})$$\n\n"
            "$$a_{ij} = \\mathrm{softmax}_j(s_{ij}), \\qquad c_i = \\sum_j a_{ij} v_j$$\n\n"
            "重み $a_{ij}$ が「出力の $i$ 文字目が入力の $j$ 文字目をどれだけ見るか」です。",
            "Attention: each decoder state q_i scores every encoder output v_j (dot or additive), "
            "the softmax of the scores gives the weights a_ij, and the context c_i is the weighted "
            "sum. a_ij is how much answer character i looks at question character j.",
        ),
        code("""
            rng = np.random.default_rng(0)
            query, values = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 5, 4))
            context, weights, _ = ref.dot_attention_forward(query, values)
            print("weights (3 decoder steps x 5 encoder steps); each row sums to 1")
            print(np.round(weights[0], 3))
            """),
        bilingual(
            "## 3. 5つのモデルを比べる\n\nbaseline（最終状態だけ）、reverse（入力を逆順）、"
            "peeky（状態を毎ステップ渡す）、Luong・Bahdanau Attention。既定は baseline と Luong を"
            "3エポック。評価は DLFS2 と同じ「答え全体の完全一致」です。",
            "Five encoder-decoders: baseline, reverse, peeky, Luong and Bahdanau attention; by "
            "default baseline and Luong for 3 epochs. The score is DLFS2's: the whole answer "
            "exactly right.",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            for name, v in metrics["variants"].items():
                print(f"{name:9s} exact match per epoch", [f"{m:.1%}" for m in
                                                           v["test_exact_match_per_epoch"]])
            """),
        code('show("exact_match.png", "attention_luong.png")'),
        bilingual(
            "ヒートマップでは、月の単語が MM に、日の数字が DD に、年が YYYY に並びます"
            "（本番の設定で学習したとき）。自分の日付を学習済みモデルで変換できます:",
            "On a fully trained model the month word lines up with MM, the day with DD, the year "
            "with YYYY. Translate your own dates with the trained model:",
        ),
        code("""
            answers = lab.main(["translate", "march 3, 2007", "2/10/93", "--output-dir", str(OUT)])
            """),
        *exercises_intro(),
        bilingual(
            "### 演習 1: 内積 Attention\n\nスコア $s = q v^\\top$、重み $a = \\mathrm{softmax}(s)$、"
            "文脈 $c = a v$ を書いてください（形は `(batch, T_q, T_v)` と `(batch, T_q, dim)`）。"
            "`ref.softmax` を使えます。",
            "Exercise 1: dot-product attention: scores, weights, context. `ref.softmax` is there.",
        ),
        *exercise(
            """
                def my_dot_attention(query, values):
                    scores = query @ np.swapaxes(values, 1, 2)  # (batch, T_q, T_v)
                    weights = «ref.softmax(scores)»
                    context = «weights @ values»
                    return context, weights
                """,
            check="""
                check("dot attention", lambda: my_dot_attention(query, values),
                      ref.dot_attention_forward(query, values)[:2])
                """,
        ),
        bilingual(
            "### 演習 2: 加法 Attention のスコア\n\n"
            "$s_{ij} = \\sum_d w_d \\tanh(q_{id} + v_{jd})$。ブロードキャストで "
            "`(batch, T_q, T_v, dim)` を作ります。",
            "Exercise 2: the additive score, by broadcasting to (batch, T_q, T_v, dim).",
        ),
        *exercise(
            """
                def my_additive_attention(query, values, scale):
                    hidden = np.tanh(query[:, :, None, :] + values[:, None, :, :])
                    scores = «hidden @ scale»
                    weights = ref.softmax(scores)
                    return weights @ values, weights
                """,
            check="""
                check("additive attention", lambda: my_additive_attention(query, values, scale),
                      ref.additive_attention_forward(query, values, scale)[:2])
                """,
            before="""
                scale = rng.normal(size=4)
                """,
        ),
        closing("python -m labs.attention [--task addition]"),
    ]
    return notebook(
        "attention",
        "Attention 付き Seq2Seq",
        "Seq2seq with attention",
        "Sections 5 and 7 (attention)",
        "Section 5・7: 日付の書式変換と足し算で、Attention の有無によって Seq2Seq がどう変わるかを"
        "比べ、出力の各文字が入力のどこを見ているかをヒートマップで確かめます。",
        "Sections 5 and 7: seq2seq with and without attention on date formats and additions, "
        "and heat maps of where each answer character looks.",
        body,
    )


def autoencoders():
    body = [
        bilingual(
            "## 1. データと線形の基準: PCA\n\nFashion-MNIST（28×28の服の画像）。"
            "オートエンコーダは同じ大きさのコードを持つ PCA（最良の線形オートエンコーダ）に"
            "勝たなければ意味がありません。",
            "Fashion-MNIST (28x28 clothes). An autoencoder must beat PCA with as many numbers, "
            "the best linear autoencoder.",
        ),
        code("""
            from labs import autoencoders as lab
            from labs.data.images import load_images
            from models.autoencoders import PCA, mean_squared_error
            from models.reference import vae as vae_ref
            from models.reference import vector_quantizer as vq_ref

            data = load_images("fashion_mnist", manual_dir=os.environ.get("LABS_MANUAL_DIR"),
                               train_size=2000 if QUICK else None, test_size=500)
            pca = PCA(16).fit(data.train_images)
            test = data.test_images
            print("PCA-16 test MSE", round(mean_squared_error(test, pca.reconstruct(test)), 4))
            fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
            for k in range(8):
                axes[0, k].imshow(test[k, :, :, 0], cmap="gray")
                axes[1, k].imshow(pca.reconstruct(test[k:k + 1])[0, :, :, 0], cmap="gray")
            for ax in axes.flat:
                ax.axis("off")
            fig.suptitle("test images (top) and their PCA-16 reconstructions (bottom)");
            """),
        bilingual(
            "## 2. VAE\n\nエンコーダは $q(z|x) = \\mathcal N(\\mu, \\sigma^2)$ を出し、"
            "再パラメータ化 $z = \\mu + \\sigma \\odot \\varepsilon,\\ \\varepsilon \\sim \\mathcal N(0, I)$ "
            "でサンプルを微分可能にします。損失は負の ELBO:\n\n"
            "$$-\\mathrm{ELBO} = -\\mathbb E_q[\\log p(x|z)] + "
            "\\mathrm{KL}(q(z|x)\\,\\|\\,\\mathcal N(0, I)), \\qquad "
            "\\mathrm{KL} = \\tfrac12 \\sum \\left(\\mu^2 + \\sigma^2 - 1 - \\log \\sigma^2\\right)$$",
            "VAE: the encoder gives N(mu, sigma^2), the reparameterisation makes sampling "
            "differentiable, and the loss is -ELBO = reconstruction + KL, in nats.",
        ),
        bilingual(
            "## 3. VQ-VAE\n\nコードは学習する辞書（コードブック）$e_1..e_K$ の番号です: "
            "$k = \\arg\\min_j \\|z_e - e_j\\|^2,\\ z_q = e_k$。勾配は $z_q$ から $z_e$ へそのまま流し"
            "（straight-through）、損失は\n\n"
            "$$L = \\|x - \\hat x\\|^2 + \\|\\mathrm{sg}[z_e] - e\\|^2 + "
            "\\beta \\|z_e - \\mathrm{sg}[e]\\|^2 \\quad (\\beta = 0.25)$$",
            "VQ-VAE: the code is the index of the nearest codebook vector; the gradient passes "
            "straight through; codebook and commitment losses (beta 0.25).",
        ),
        bilingual(
            "## 4. 4つのモデルを学習して比べる\n\nAE・Denoising AE・VAE（潜在16と2）・VQ-VAE と"
            "PixelCNN の事前分布（本番は約10〜20分、`QUICK` は小さなデータで数十秒）。",
            "Train AE, denoising AE, VAE (latent 16 and 2), VQ-VAE and its PixelCNN prior "
            "(10-20 minutes at full settings; seconds under `QUICK`).",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            for name, m in metrics["models"].items():
                scores = {k: round(v, 4) for k, v in m.items()
                          if k in ("test_mse", "pca_test_mse", "test_negative_elbo_nats",
                                   "test_bits_per_code")}
                print(f"{name:9s}", scores)
            """),
        code('show("reconstructions.png", "denoising.png", "vae_latent_2d.png", "samples.png")'),
        code('show("latent_edit.png", "interpolation.png", "vq_code_usage.png")'),
        *exercises_intro(),
        bilingual(
            "### 演習 1: ガウス分布の KL\n\n"
            "$\\mathrm{KL} = \\tfrac12 \\sum_d (\\mu_d^2 + e^{v_d} - 1 - v_d)$、"
            "$v = \\log \\sigma^2$（1例ごとの和、形 `(batch,)`）。",
            "Exercise 1: the KL of N(mu, exp(v)) from N(0, I), per example.",
        ),
        *exercise(
            """
                def my_gaussian_kl(z_mean, z_log_var):
                    return «0.5 * np.sum(z_mean**2 + np.exp(z_log_var) - 1 - z_log_var, axis=-1)»
                """,
            check="""
                check("KL", lambda: my_gaussian_kl(z_mean, z_log_var),
                      vae_ref.gaussian_kl_forward(z_mean, z_log_var)[0])
                """,
            before="""
                rng = np.random.default_rng(0)
                z_mean, z_log_var = rng.normal(size=(6, 16)), rng.normal(size=(6, 16))
                """,
        ),
        bilingual(
            "### 演習 2: 再パラメータ化と最近傍コード\n\n"
            "$z = \\mu + e^{v/2} \\varepsilon$。それから、各ベクトルに最も近いコードブックの番号"
            "（二乗距離の argmin）。",
            "Exercise 2: the reparameterised sample, then the nearest codebook entry of each "
            "vector (argmin of the squared distance).",
        ),
        *exercise(
            """
                def my_reparameterize(z_mean, z_log_var, epsilon):
                    return «z_mean + np.exp(0.5 * z_log_var) * epsilon»


                def my_nearest_codes(z_e, codebook):
                    distances = ((z_e[:, None, :] - codebook[None, :, :]) ** 2).sum(axis=-1)
                    return «distances.argmin(axis=1)»
                """,
            check="""
                check("z", lambda: my_reparameterize(z_mean, z_log_var, epsilon),
                      vae_ref.reparameterize_forward(z_mean, z_log_var, epsilon)[0])
                check("codes", lambda: my_nearest_codes(z_e, codebook), vq_ref.nearest_codes(z_e, codebook),
                      atol=0)
                """,
            before="""
                epsilon = rng.normal(size=z_mean.shape)
                codebook, z_e = rng.normal(size=(8, 3)), rng.normal(size=(10, 3))
                """,
        ),
        closing("python -m labs.autoencoders [--models ae,vae]"),
    ]
    return notebook(
        "autoencoders",
        "オートエンコーダ・VAE・VQ-VAE",
        "Autoencoders, VAE and VQ-VAE",
        "Section 5 (VAE, VQ-VAE)",
        "Section 5: 画像を小さなコードに圧縮する4つの方法（AE・Denoising AE・VAE・VQ-VAE）を"
        "Fashion-MNIST で PCA と比べます。",
        "Section 5: four ways to compress an image into a small code (AE, denoising AE, VAE, "
        "VQ-VAE), each beside PCA, on Fashion-MNIST.",
        body,
    )


def bidirectional():
    body = [
        bilingual(
            "## 1. データ: Free Spoken Digit Dataset\n\n話者5人が0〜9を50回ずつ読んだ 8 kHz の"
            '録音 2,500 本（`tfds.load("spoken_digit")`）。講座は `train[:70%]` / `[70%:85%]` / '
            "`[85%:]` に分け、各音声の最初の1,000サンプル（0.125秒）を正規化せずに使います。",
            "Free Spoken Digit Dataset: 2,500 recordings at 8 kHz, 5 speakers x 10 digits x 50 "
            "takes. The course splits 70/15/15 and feeds the first 1,000 raw samples of each clip, "
            "unnormalised.",
        ),
        code("""
            from labs.bidirectional import __main__ as lab
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
            plt.legend();
            """),
        bilingual(
            "## 2. 講座の5つのモデル\n\nどれも `Input((1000, 1))` → 本体 → `Dense(10, softmax)`。"
            "パラメータ数は講座のノートブックと同じです（テストで確認）。",
            "The course's five models: the same input and softmax head around five bodies; the "
            "parameter counts are the notebook's (tested).",
        ),
        code("""
            for name in COURSE_ARCHITECTURES:
                print(f"{name:11s} {build_course_model(name).count_params():7,d} parameters")
            """),
        bilingual(
            "## 3. 式: LSTM・GRU・双方向 RNN\n\n"
            "LSTM（講座の並び $a, i, f, o$。Keras は $i, f, c, o$）:\n\n"
            "$$a = \\tanh(W_a x + U_a h + b_a),\\quad i, f, o = \\sigma(\\cdot),\\quad "
            "c_t = i \\odot a + f \\odot c_{t-1},\\quad h_t = o \\odot \\tanh(c_t)$$\n\n"
            "GRU（講座の $z$ は Keras の $1 - z$）:\n\n"
            "$$r = \\sigma(W_r x + U_r h),\\quad z = \\sigma(W_z x + U_z h),\\quad "
            "\\bar h = \\tanh(W x + U (r \\odot h)),\\quad h_{new} = (1 - z) \\odot h + z \\odot \\bar h$$\n\n"
            "双方向 RNN: 順方向の状態と、逆順に読んだ状態を時刻をそろえて連結します: "
            "$[\\,\\overrightarrow{h_t};\\ \\overleftarrow{h_t}\\,]$。",
            "LSTM in the course's gate order (a, i, f, o; Keras packs i, f, c, o), GRU (the "
            "course's z is Keras's 1 - z), and the bidirectional RNN: forward and backward states "
            "concatenated at each time step.",
        ),
        bilingual(
            "## 4. 勾配クリッピング\n\n勾配のノルムがしきい値 $t$ を超えたら縮めます: "
            "$g \\leftarrow g \\cdot t / \\|g\\|$（Keras の `clipnorm`。`clipvalue` は各要素を "
            "$[-t, t]$ に切る）。講座版を実行すると、クリッピングなし・`clipvalue=0.5`・"
            "`clipnorm=1.0` で同じ LSTM を学習し、各ステップの本当の勾配ノルムを記録します。",
            "Gradient clipping rescales g to norm t when its norm is larger (`clipnorm`; "
            "`clipvalue` clips each entry). The course preset then trains the same LSTM without "
            "clipping, with `clipvalue=0.5` and with `clipnorm=1.0`, logging every step's real "
            "gradient norm.",
        ),
        code("""
            course = lab.main(["--preset", "course", "--output-dir", str(OUT / "course"),
                               *QUICK_FLAG])
            for name, m in course["models"].items():
                print(f"{name:11s} test accuracy {m['test_accuracy']:.1%}")
            for label, run in course["clipping_study"]["runs"].items():
                print(f"{label:15s} gradient norm median {run['gradient_norm']['median']:.3g}, "
                      f"max {run['gradient_norm']['max']:.3g}")
            """),
        code('show("course/gradient_norms.png", "course/clipping_loss.png")'),
        bilingual(
            "1エポック・生波形では、どのモデルもほぼ偶然（10 %）程度です。講座の公開出力と同じです。",
            "One epoch on raw samples gets little more than chance (10 %), as the published "
            "notebook does.",
        ),
        bilingual(
            "## 5. 改良版: ログメル特徴量・データ拡張・early stopping\n\n"
            "特徴量（40バンドのログメル）とデータ拡張（時間のずれ・速さ・雑音・SpecAugment）を"
            "モデルの中で計算し、公式の分割（テイク0〜4がテスト）で6つのモデルを学習し、そのうち"
            "4つの多数決（確率の平均）を作ります（本番は各30エポックまで、2コアで4〜6分）。",
            "The modern preset: log-mel features and augmentation inside the model, the official "
            "split (takes 0-4 are the test set), six models and the vote of four of them "
            "(probabilities averaged; 30 epochs at most each, 4 to 6 minutes on 2 cores).",
        ),
        code("""
            modern = lab.main(["--output-dir", str(OUT / "modern"), *QUICK_FLAG])
            for name, m in modern["models"].items():
                print(f"{name:11s} val {m['val_accuracy']:.1%}  test {m['test_accuracy']:.1%}  "
                      f"{m['params']:,d} params")
            print("best by validation:", modern["best"]["name"])
            """),
        code('show("modern/comparison.png", "modern/confusion_matrix.png", "modern/digits.png")'),
        bilingual(
            "自分の声の wav も認識できます: `python -m labs.bidirectional predict one.wav`。"
            "ただし未知の話者では正解率が下がります（5分割の平均 82.5 %）。",
            "Classify your own recordings with `python -m labs.bidirectional predict one.wav`; on "
            "voices it has never heard it does worse (82.5 % mean over five held-out speakers).",
        ),
        *exercises_intro(),
        bilingual(
            "### 演習 1: 講座の `lstm`\n\n空欄はセルの更新 $c = i \\odot a + f \\odot c_{prev}$ です。",
            "Exercise 1: the course's `lstm`; the blank is the cell update.",
        ),
        *exercise(
            """
                def my_lstm(x, prev_h, prev_c, W, U, b):
                    lstm_in = x.dot(W.T) + prev_h.dot(U.T) + b
                    a, i, f, o = np.split(lstm_in, 4, axis=-1)
                    a, input_gate = np.tanh(a), 1 / (1 + np.exp(-i))
                    forget_gate, output_gate = 1 / (1 + np.exp(-f)), 1 / (1 + np.exp(-o))
                    c = «input_gate * a + forget_gate * prev_c»
                    h = output_gate * np.tanh(c)
                    return h, c
                """,
            check="""
                check("lstm", lambda: my_lstm(x, h0, c0, W, U, b), reference.lstm(x, h0, c0, W, U, b))
                """,
            setup="""
                rng = np.random.default_rng(0)
                batch, features, units = 3, 4, 5
                x, h0, c0 = (rng.normal(size=(batch, n)) for n in (features, units, units))
                W, U, b = (rng.normal(size=(4 * units, features)), rng.normal(size=(4 * units, units)),
                           rng.normal(size=4 * units))
                """,
        ),
        bilingual(
            "### 演習 2: 講座の `gru`\n\n空欄は新しい状態 $h_{new} = (1 - z) h + z \\bar h$ です。",
            "Exercise 2: the course's `gru`; the blank is the new state.",
        ),
        *exercise(
            """
                def my_gru(x, h, W_r, U_r, W_z, U_z, W, U):
                    r = 1 / (1 + np.exp(-(x.dot(W_r.T) + h.dot(U_r.T))))
                    z = 1 / (1 + np.exp(-(x.dot(W_z.T) + h.dot(U_z.T))))
                    h_bar = np.tanh(x.dot(W.T) + (r * h).dot(U.T))
                    return «(1 - z) * h + z * h_bar»
                """,
            check="""
                check("gru", lambda: my_gru(x, h0, *gru_weights), reference.gru(x, h0, *gru_weights))
                """,
            setup="""
                gru_weights = [rng.normal(size=(units, n)) for n in (features, units) * 3]
                """,
        ),
        bilingual(
            "### 演習 3: 講座の `bidirectional_rnn_net` と `gradient_clipping`\n\n"
            "1つめの空欄は順方向と（時刻を戻した）逆方向の状態の連結、2つめはノルムがしきい値を"
            "超えたときの縮小です。",
            "Exercise 3: the bidirectional concatenation (the backward states put back in time "
            "order) and gradient clipping by norm.",
        ),
        *exercise(
            """
                def my_concat(h_f, h_b):
                    # one sequence: h_f, h_b (time, units); h_b was computed on the reversed input
                    return «np.concatenate([h_f, h_b[::-1]], axis=1)»


                def my_gradient_clipping(grad, threshold):
                    norm = np.linalg.norm(grad)
                    rate = threshold / norm
                    if rate < 1:
                        return «grad * rate»
                    return grad
                """,
            check="""
                check("bidirectional_rnn_net", lambda: my_bidirectional_rnn_net(xs, *bi_weights),
                      reference.bidirectional_rnn_net(xs, *bi_weights))
                check("gradient_clipping", lambda: my_gradient_clipping(grad, 1.0),
                      reference.gradient_clipping(grad, 1.0))
                """,
            setup="""
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
                bi_weights = [rng.normal(size=s) for s in ((units, features), (units, units),
                                                           (units, features), (units, units),
                                                           (3, 2 * units))]
                grad = rng.normal(size=(4, 4)) * 3
                """,
        ),
        closing("python -m labs.bidirectional [--preset course]"),
    ]
    return notebook(
        "bidirectional",
        "音声数字認識: 双方向 RNN と勾配クリッピング",
        "Spoken digits: bidirectional RNN and gradient clipping",
        "3_4_spoken_digit",
        "講座の 3_4_spoken_digit: 音声の数字を Conv1D・SimpleRNN・GRU・双方向 LSTM で認識し、"
        "勾配クリッピングの効果を勾配ノルムで確かめます。そのあと、特徴量とデータ拡張で 99 % に"
        "届く改良版を動かします。",
        "The course's 3_4_spoken_digit: spoken digits with Conv1D, SimpleRNN, GRU and a "
        "bidirectional LSTM, gradient clipping seen through the gradient norm, then the modern "
        "preset that reaches 99 % with features and augmentation.",
        body,
    )


def augmentation():
    body = [
        bilingual(
            "## 1. 拡張は「パラメータを引く」と「適用する」の2段階\n\n"
            "各操作は `sample(batch_shape, seed)` でランダムなパラメータを引き、"
            "`apply(images, params)` で適用します。シードが同じなら同じバッチになるので、"
            "再現でき、テストできます。講座の写真（matplotlib 同梱の Grace Hopper）を使います。",
            "An augmentation is two steps: `sample(batch_shape, seed)` draws its random "
            "parameters and `apply(images, params)` applies them, so a seed reproduces a batch. "
            "The photo is Grace Hopper's portrait that ships with matplotlib.",
        ),
        code("""
            import tensorflow as tf

            import augmentation
            from labs import augmentation as lab

            size = 64 if QUICK else 224
            photo = lab.load_photo(lab.sample_photo_path(lab.DEFAULT_PHOTO), size)  # (H, W, 3)
            images = tf.repeat(photo[None], 8, axis=0)  # a batch of 8 copies

            flip = augmentation.RandomFlip("horizontal", seed=123)
            params = flip.sample(tf.shape(images), seed=(1, 2))
            print({k: v.numpy().tolist() for k, v in params.items()})
            flipped = flip.apply(images, params)
            np.testing.assert_array_equal(flipped, flip.apply(images, params))  # same params, same
            fig, axes = plt.subplots(1, 8, figsize=(14, 2))
            for ax, image in zip(axes, flipped.numpy(), strict=True):
                ax.imshow(image)
                ax.axis("off")
            """),
        bilingual(
            "## 2. 講座の操作とギャラリー\n\n反転・切り抜き（100×100）・コントラスト $U(0.4, 0.6)$・"
            "明るさ $\\pm 0.8$・色相 $\\pm 0.1$・rot90、Random Erasing（確率0.5、面積比 $0.02$〜$0.4$、"
            "縦横比 $0.2$〜$0.8$）、ガウシアンぼかし "
            "$G(x, y) = \\dfrac{1}{2\\pi\\sigma^2} e^{-(x^2+y^2)/2\\sigma^2}$、RandAugment。"
            "演習はそれぞれのギャラリーを、引いたパラメータをタイトルにして描きます。",
            "The course's ops (flips, crop, contrast, brightness, hue, rot90), random erasing, "
            "Gaussian blur and RandAugment; the lab draws a gallery of each, every tile titled "
            "with its sampled parameters.",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            galleries = sorted(p.name for p in OUT.glob("gallery_*.png"))
            print(galleries)
            show(*galleries[:3], "pipeline.png", "random_erasing.png")
            """),
        bilingual(
            "## 3. MixUp と CutMix\n\n$\\lambda \\sim \\mathrm{Beta}(0.4, 0.4)$ で2枚の画像とその "
            "one-hot ラベルを同じ比で混ぜます:\n\n"
            "$$\\tilde x = \\lambda x_i + (1 - \\lambda) x_j, \\qquad "
            "\\tilde y = \\lambda y_i + (1 - \\lambda) y_j$$\n\n"
            "CutMix は $x_j$ の長方形を貼り、ラベルは貼った面積の比で混ぜます。",
            "MixUp blends two images and their one-hot labels with one λ ~ Beta(0.4, 0.4); "
            "CutMix pastes a rectangle of the other image and mixes the labels by its area.",
        ),
        code('show("mixup.png", "cutmix.png")'),
        bilingual(
            "## 4. 文章の拡張: EDA\n\n同義語置換・ランダム挿入・ランダム入れ替え・ランダム削除"
            "（Wei & Zou, 2019）。",
            "EDA for text: synonym replacement, random insertion, random swap, random deletion "
            "(Wei & Zou, 2019).",
        ),
        code("""
            print((OUT / "eda.txt").read_text()[:1500])
            """),
        bilingual(
            "同じパイプラインを `tf.data` に入れれば `model.fit` にそのまま使えます: "
            "`augmentation.make_pipeline('strong', seed=0).apply(dataset.batch(32))`。",
            "The same pipeline goes into `tf.data` for `model.fit`: "
            "`augmentation.make_pipeline('strong', seed=0).apply(dataset.batch(32))`.",
        ),
        *exercises_intro(),
        bilingual(
            "### 演習 1: MixUp\n\n引いた `lam`（形 `(B,)`）と相手 `partner` で画像を混ぜてください。"
            "`lam` は `(B, 1, 1, 1)` に整形してから掛けます。",
            "Exercise 1: MixUp with the sampled `lam` (reshaped to (B, 1, 1, 1)) and `partner`.",
        ),
        *exercise(
            """
                def my_mixup(images, lam, partner):
                    lam = np.reshape(lam, (-1, 1, 1, 1))
                    return «lam * images + (1 - lam) * images[partner]»  # images[partner] is the other image
                """,
            check="""
                check("MixUp", lambda: my_mixup(batch.numpy(), mix_params["lam"].numpy(),
                                                mix_params["partner"].numpy()),
                      mixup.apply(batch, mix_params).numpy(), atol=1e-6)
                """,
            before="""
                mixup = augmentation.MixUp(alpha=0.4)
                batch = tf.random.stateless_uniform([6, 8, 8, 3], seed=(3, 4))
                mix_params = mixup.sample(tf.shape(batch), seed=(5, 6))
                """,
        ),
        bilingual(
            "### 演習 2: ガウシアンカーネル\n\n2次元のカーネルは $g(x) g(y)$ に分かれます。"
            "1次元のタップ $g(t) = e^{-t^2/2\\sigma^2}$（$t = -r..r$）を和が1になるよう正規化して"
            "ください。",
            "Exercise 2: the 1-D Gaussian taps, normalised to sum 1 (the 2-D kernel is g(x) g(y)).",
        ),
        *exercise(
            """
                def my_gaussian_taps(sigma, kernel_size):
                    t = np.arange(kernel_size) - kernel_size // 2
                    taps = «np.exp(-(t**2) / (2 * sigma**2))»
                    return taps / taps.sum()
                """,
            check="""
                check("Gaussian taps", lambda: my_gaussian_taps(1.5, 7),
                      gaussian_kernel_1d(tf.constant([1.5]), 7).numpy()[0], atol=1e-6)
                """,
            before="""
                from augmentation.gaussian_blur import gaussian_kernel_1d
                """,
        ),
        closing("python -m labs.augmentation [--preset strong]"),
    ]
    return notebook(
        "augmentation",
        "データ拡張",
        "Data augmentation",
        "3_6_data_augmentation_with_tf",
        "講座の 3_6: 画像の各拡張操作が写真に何をするかを見て、講座の組み合わせ・Random Erasing・"
        "MixUp / CutMix・文章の EDA を試します。",
        "The course's 3_6: what each image augmentation does to a photo, the course's combined "
        "pipeline, random erasing, MixUp / CutMix, and EDA for text.",
        body,
    )


def language_model():
    body = [
        bilingual(
            "## 1. 1本の長い文章を truncated BPTT で読む\n\n"
            "PTB（約93万語）を `batch` 本の並んだ流れに分け、それぞれを `unroll` ステップずつ切って"
            "バッチにします。stateful な LSTM は状態をバッチからバッチへ引き継ぎ、勾配は "
            "`unroll` ステップで打ち切ります。",
            "Truncated BPTT: the corpus becomes `batch` parallel streams cut into `unroll`-step "
            "batches; a stateful LSTM carries its state from batch to batch while gradients stop "
            "after `unroll` steps.",
        ),
        code("""
            from labs import language_model as lab
            from labs.data.ptb import load_ptb
            from labs.data.token_stream import stream_batches
            from models.reference import language_model as lm_ref

            ptb = load_ptb(manual_dir=os.environ.get("LABS_MANUAL_DIR"))
            batches = stream_batches(ptb.train, batch_size=4, unroll=6)
            print(batches.inputs.shape, "= (steps, batch, unroll)")
            for stream in range(2):
                print(f"stream {stream}, batch 0:", " ".join(ptb.decode(batches.inputs[0, stream])))
                print(f"stream {stream}, batch 1:", " ".join(ptb.decode(batches.inputs[1, stream])))
            """),
        bilingual(
            "## 2. パープレキシティ\n\n次の単語の交差エントロピーの平均の指数です:\n\n"
            "$$\\mathrm{PPL} = \\exp\\left(-\\frac{1}{N} \\sum_{t=1}^{N} "
            "\\log p(w_t \\mid w_{<t})\\right)$$\n\n"
            "一様に当てずっぽうなら語彙数（10,000）、完璧なら1です。",
            "Perplexity is exp of the mean next-word cross-entropy: 10,000 for a uniform guess "
            "over the vocabulary, 1 for a perfect model.",
        ),
        bilingual(
            "## 3. 学習\n\n既定のプリセット（LSTM 512、入出力の重み共有、dropout、sampled softmax）"
            "は本番で1時間以上かかります。`QUICK` は小さなモデルを短い文章で2エポックだけ"
            "学習します（数字に意味はありません）。評価は常に語彙全体の正確なソフトマックスです。",
            "The default preset (LSTM 512, tied embeddings, dropout, sampled softmax) takes over "
            "an hour at full settings; `QUICK` trains a tiny model on a short text for 2 epochs. "
            "Every perplexity uses the exact full softmax.",
        ),
        code("""
            metrics = lab.main(["--output-dir", str(OUT), *QUICK_FLAG])
            model = metrics["model"]
            print(f"valid perplexity {model['valid_perplexity']:.1f}, "
                  f"test {model['test_perplexity']:.1f} (Zaremba small: 114.5)")
            print("gradient norm:", model["gradient_norm"])
            """),
        code('show("perplexity.png", "gradient_norm.png", "next_word.png")'),
        bilingual(
            "## 4. 次の単語の確率（講座の predict_word）と文章生成",
            "The next-word distribution, printed as the course does, and sampling.",
        ),
        code("""
            saved = OUT / "models" / f"{metrics['preset']}.keras"
            lab.main(["predict", "the stock market", "--model", str(saved), "--top-k", "5"])
            lab.main(["generate", "the company", "--model", str(saved), "--words", "12"])
            """),
        *exercises_intro(),
        bilingual(
            "### 演習 1: 並んだ流れへの分割\n\n長さ $n$ の文章を `batch` 本に分けると、流れ $s$ は"
            "`tokens[s * L : (s + 1) * L]`（$L = \\lfloor (n - 1) / \\mathrm{batch} \\rfloor$）。"
            "最初のバッチの入力 `(batch, unroll)` を作ってください。",
            "Exercise 1: the parallel streams; build the first batch's inputs (batch, unroll).",
        ),
        *exercise(
            """
                def my_first_batch(tokens, batch_size, unroll):
                    length = (len(tokens) - 1) // batch_size  # each stream keeps one more for targets
                    streams = «np.asarray(tokens[: batch_size * length]).reshape(batch_size, length)»  # (batch_size, length), stream s = tokens[s*length:...]
                    return streams[:, :unroll]
                """,
            check="""
                check("first batch", lambda: my_first_batch(tokens, 2, 2),
                      stream_batches(tokens, 2, 2).inputs[0], atol=0)
                """,
            setup="""
                tokens = np.arange(11)
                """,
        ),
        bilingual(
            "### 演習 2: 交差エントロピーとパープレキシティ\n\n"
            "ロジット `(batch, time, vocab)` と正解 `(batch, time)` から、"
            "$-\\log \\mathrm{softmax}$ の平均を計算してください（最大値を引いて安定に）。",
            "Exercise 2: the mean cross-entropy of logits against targets (shift by the maximum "
            "for stability); its exp is the perplexity.",
        ),
        *exercise(
            """
                def my_cross_entropy(logits, targets):
                    shifted = logits - logits.max(axis=-1, keepdims=True)
                    log_probabilities = «shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))»  # log softmax
                    return -np.take_along_axis(log_probabilities, targets[..., None], axis=-1).mean()
                """,
            check="""
                check("cross-entropy", lambda: my_cross_entropy(logits, targets),
                      lm_ref.cross_entropy(logits, targets))
                """,
            before="""
                rng = np.random.default_rng(0)
                logits, targets = rng.normal(size=(2, 5, 50)) * 3, rng.integers(0, 50, size=(2, 5))
                """,
        ),
        closing(
            'python -m labs.language_model predict "the stock market"',
            "Train first with `python -m labs.language_model` (about 20 minutes on 2 cores).",
            "先に `python -m labs.language_model` で学習してください（2コアで約20分）。",
        ),
    ]
    return notebook(
        "language_model",
        "LSTM 言語モデル（predict_word）",
        "An LSTM language model (predict_word)",
        "predict_word (Section 3)",
        "Section 3 の実装演習 predict_word: Penn Treebank で単語レベルの LSTM 言語モデルを学習し、"
        "文脈のあとに来る単語の確率を講座と同じ形式で表示し、文章を生成します。",
        "Section 3's predict_word: a word-level LSTM language model trained on Penn Treebank "
        "prints the probability of every word coming next, as the course does, and writes text.",
        body,
    )


NOTEBOOKS = {
    "bidirectional": bidirectional,
    "activations": activations,
    "simple_rnn": simple_rnn,
    "seq2seq": seq2seq,
    "augmentation": augmentation,
    "language_model": language_model,
    "word2vec": word2vec,
    "attention": attention,
    "autoencoders": autoencoders,
}


def render(nb):
    return nbformat.writes(nb) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a committed notebook differs from what this script writes",
    )
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
        print(
            f"out of date (run {pathlib.Path(__file__).name}): {', '.join(stale)}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
