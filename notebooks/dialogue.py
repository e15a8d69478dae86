# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # HRED と VHRED: 文脈を読む対話モデル / HRED and VHRED: dialogue models that read the context
#
# 講座 / course: **Section 5 (seq2seq → HRED → VHRED)** · lab: `labs.dialogue`
#
# Section 5 の最後: seq2seq は直前の発話だけに答えます。HRED は発話ごとのエンコーダの上に
# 文脈 RNN を重ね、会話の流れに沿って答えます。ただし最尤学習＋貪欲デコードの HRED は
# いちばん多い無難な返事（「うん そうだね」）ばかり返します。VHRED は発話ごとの潜在変数 z
# （事前分布・事後分布ネット、再パラメータ化、KL 項）で、同じ文脈にいくつもの、それでいて
# 話題に合った返事を返します。答えの分布が分かっている生成タスクで、それぞれを数字で確かめます。
#
# > The end of Section 5: seq2seq answers the last utterance only; HRED puts a context RNN over
# > the utterance encoder and follows the conversation, but trained by maximum likelihood and
# > decoded greedily it gives the one most likely, generic reply ("うん そうだね"); VHRED's latent
# > z per utterance (prior and posterior networks, reparameterisation, a KL term) gives several
# > different replies that still fit. Each claim is measured on a generated task whose answer
# > distribution is known.

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

OUT = setup("dialogue")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 課題: 答えの分布が分かっている会話
#
# A が話題（インコ・映画・ラーメン … 8つ、言い方4通り）を出し、B があいづち（うん / へえ /
# そうなんだ）、A が「どう 思う ？」と聞きます。B の返事は確率 0.31 で「うん そうだね」、
# 残りは話題ごとの3つの返事（0.23 ずつ）です。最後の発話は話題を何も語らないので、
# 直前の発話しか見ないモデルの最善は8話題を混ぜた分布、文脈全体を見るモデルの最善は話題の4つの
# 返事です。どちらの最善の perplexity（返事の1語あたり、`<eos>` 込み）も正確に計算できます。
#
# > The task: A names a topic (8 topics, 4 phrasings), B backchannels, A asks "どう 思う ？"
# > (what do you think?). B replies うん そうだね with probability 0.31, else one of the topic's
# > three replies (0.23 each). The last utterance says nothing about the topic, so the best a
# > model that reads only it can do is the mixture over the 8 topics; a model reading the whole
# > context can learn the topic's four replies. Both optimal perplexities (per reply word, `<eos>`
# > counted) are computed exactly.

# %%
from labs import kit
from labs.data import dialogue as task
from labs.data.switchboard import backchannel_share, load_switchboard_turns, most_common_turns
from labs.dialogue import LAB
from models import dialogue as dm

sample = task.generate_dialogues(2000, seed=0)
for i in range(4):
    turns = [task.translate(turn) for turn in sample.contexts[i]]
    print(" / ".join(sample.contexts[i]), "->", sample.replies[i])
    print("   ", " / ".join(turns), "->", task.translate(sample.replies[i]))
print("valid replies about インコ:", task.valid_replies("インコ"))
for sees in ("context", "last_utterance"):
    print(f"optimum perplexity seeing the {sees}: {task.optimum_perplexity(sample, sees):.3f}")

# %% [markdown]
# ## 2. 本物の会話はあいづちだらけ（Switchboard）
#
# nltk の Switchboard サンプル（電話の会話36本）で、いちばん多い15種類のターンが全ターンに
# 占める割合を数えます。「uh-huh」「yeah」が上位を占めます。最尤学習はこういう返事を覚えます。
#
# > Real talk is full of backchannels: in nltk's Switchboard sample (36 telephone calls), the 15
# > most common turns and their share of all turns. Maximum likelihood learns exactly these.

# %%
turns = load_switchboard_turns(os.environ.get("LABS_MANUAL_DIR"))
print(most_common_turns(turns, 15))
print(f"backchannel share: {backchannel_share(turns):.1%} of {len(turns):,} turns")

# %% [markdown]
# ## 3. モデル
#
# 発話 $n$ の単語を GRU で読んで発話ベクトル $e_n$ にし、文脈 RNN（もう1つの GRU）が
# $c_n = \mathrm{GRU}(e_n, c_{n-1})$ で会話の状態を更新します。デコーダ GRU は $c_N$ から始まり、
# 各単語の隣にも $c_N$ を読みます。seq2seq は最後の発話だけを読みます。VHRED は
# 事前分布 $p(z \mid c) = \mathcal N(\mu_p, \sigma_p^2)$ と事後分布
# $q(z \mid c, \text{返事}) = \mathcal N(\mu_q, \sigma_q^2)$ を持ち、学習では
# $z = \mu_q + \sigma_q \varepsilon$ をデコーダに渡して $-\mathrm{ELBO} = -\log p(\text{返事}
# \mid z, c) + \beta\, \mathrm{KL}(q \| p)$ を最小化します（$\beta$ は 0 から 1 へ、入力語の
# 25 % を `<unk>` に置き換える word drop 付き）。
#
# > Each utterance's words go through a GRU into a vector e_n; the context RNN updates the
# > dialogue state, c_n = GRU(e_n, c_{n-1}); the decoder GRU starts from c_N and reads it beside
# > every word. seq2seq reads the last utterance only. VHRED adds a prior p(z | c) and a posterior
# > q(z | c, reply), trains on z = mu_q + sigma_q * eps and minimises the negative ELBO, the KL
# > weight beta annealed from 0 to 1, with 25 % of the decoder's input words dropped to `<unk>`.

# %%
hred = dm.build_hred(dm.DialogueModelConfig())
hred.get_layer("context_encoder").summary()

# %% [markdown]
# ## 4. 3つのモデルを学習する（既定で数分）
#
# 各モデルの perplexity を2つの最善値と並べ、同じ文脈への返事（10回、VHRED は毎回事前分布から
# 新しい z）と VHRED の KL を図にします。VHRED の perplexity は重要度サンプリングによる上界です。
#
# > Train the three models (a few minutes at the defaults): perplexities beside the two optima,
# > the replies to the same contexts (10 each; VHRED draws a new z from its prior each time), and
# > VHRED's KL per epoch. VHRED's perplexity is an importance-sampled bound.

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
for name, scores in metrics["models"].items():
    print(name, {key: round(value, 3) for key, value in scores.items() if value is not None})
print("Switchboard:", metrics["switchboard"])

# %%
show("perplexity.png", "replies.png", "kl.png")

# %% [markdown]
# seq2seq は自分の最善（直前の発話だけ）に、HRED は文脈全体の最善に届きます。それでも貪欲デコードの
# HRED はどの文脈にも同じ1つの返事しか言いません。VHRED は z を引き直すたびに別の、話題に合った
# 返事をします。`reply` で自分の会話を試せます（知らない単語は `<unk>` として読まれます）。
#
# > seq2seq reaches its own optimum (last utterance only), HRED the whole-context one; still,
# > greedy HRED says one reply per context, while VHRED says a different, fitting one for each new
# > z. Try your own turns with `reply` (unknown words are read as `<unk>`).

# %%
turns = ["ねえ 猫 の こと なんだ けど", "へえ", "どう 思う ？"]
kit.execute(LAB, ["reply", "--output-dir", str(OUT), *turns])

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
import keras

from labs.kit.notebook import check  # your answer against the package's
from models.reference import gru_cell_forward, gru_forward
from models.reference.dialogue import gaussian_kl_forward

trained = kit.load_run(OUT).model("hred")
encoder = trained.get_layer("context_encoder")
utterance_weights = [w.astype(np.float64) for w in encoder.get_layer("turns").layer.get_weights()]
context_weights = [w.astype(np.float64) for w in encoder.get_layer("context_gru").get_weights()]
contexts = task.encode_contexts(sample.contexts[:5], task.Tokenizer())  # (5, 3 turns, 6 words)
keras_states = keras.ops.convert_to_numpy(encoder(contexts))  # (5, units): what HRED computed
rng = np.random.default_rng(0)
mean_q, log_var_q, mean_p, log_var_p = rng.normal(size=(4, 3, 8))  # for exercise 2


def encode_utterance(ids):
    """An utterance's vector e_n: its words' embeddings through the utterance GRU (padding, the
    id 0 at the end, skipped as Keras's mask does)."""
    embeddings, *gru_weights = utterance_weights
    vectors = []
    for row in ids:
        words = row[row != 0]
        h, _, _ = gru_forward(embeddings[words][None], gru_weights)
        vectors.append(h[0])
    return np.stack(vectors)


# %% [markdown]
# ### 演習 1: 文脈 RNN
#
# 3つの発話を順に読み、文脈の状態を $c_n = \mathrm{GRU}(e_n, c_{n-1})$、$c_0 = 0$ で更新して
# ください。$e_n$ は `encode_utterance(contexts[:, n])`、1ステップは
# `gru_cell_forward(e, (c,), context_weights)`（返り値 `((c_new,), cache)`）です。
# 学習済み HRED の文脈エンコーダと同じ数値になれば正解です。
#
# > Exercise 1: the context RNN. Read the three utterances in order and update the dialogue state,
# > c_n = GRU(e_n, c_{n-1}) from c_0 = 0, with `encode_utterance` and `gru_cell_forward`. The
# > trained HRED's context encoder is the answer.


# %%
def my_context_rnn(contexts):
    c = np.zeros((len(contexts), context_weights[1].shape[0]))
    for n in range(contexts.shape[1]):
        e = encode_utterance(contexts[:, n])
        c = ...  # 空欄 / blank: one step of the context GRU
    return c


check("context RNN", lambda: my_context_rnn(contexts), keras_states, atol=1e-5)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_context_rnn(contexts):
    c = np.zeros((len(contexts), context_weights[1].shape[0]))
    for n in range(contexts.shape[1]):
        e = encode_utterance(contexts[:, n])
        c = gru_cell_forward(e, (c,), context_weights)[0][0]
    return c


check("context RNN", lambda: my_context_rnn(contexts), keras_states, atol=1e-5)

# %% [markdown]
# ### 演習 2: 事後分布と事前分布の KL
#
# 対角ガウス同士の KL:
# $\mathrm{KL}(q \| p) = \tfrac12 \sum \big(v_p - v_q + (e^{v_q} + (\mu_q - \mu_p)^2)/e^{v_p}
# - 1\big)$（$v$ は log 分散）。VHRED の KL 項です。
#
# > Exercise 2: the KL between VHRED's posterior and prior, two diagonal Gaussians (v: the
# > log-variances).


# %%
def my_kl(mean_q, log_var_q, mean_p, log_var_p):
    ratio = (np.exp(log_var_q) + (mean_q - mean_p) ** 2) / np.exp(log_var_p)
    return ...  # 空欄 / blank: one number per row, summed over the 8 dimensions


expected_kl = gaussian_kl_forward(mean_q, log_var_q, mean_p, log_var_p)[0]
check("KL(q || p)", lambda: my_kl(mean_q, log_var_q, mean_p, log_var_p), expected_kl)


# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
def my_kl(mean_q, log_var_q, mean_p, log_var_p):
    ratio = (np.exp(log_var_q) + (mean_q - mean_p) ** 2) / np.exp(log_var_p)
    return 0.5 * np.sum(log_var_p - log_var_q + ratio - 1.0, axis=-1)


expected_kl = gaussian_kl_forward(mean_q, log_var_q, mean_p, log_var_p)[0]
check("KL(q || p)", lambda: my_kl(mean_q, log_var_q, mean_p, log_var_p), expected_kl)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.dialogue`（`--help` で全フラグ）。
# `--word-drop 0` で word drop を外すと VHRED の KL と返事の多様さがどう変わるか、
# 試してみてください。
#
# > The same lab runs from a shell as `python -m labs.dialogue` (`--help` lists its flags). Try
# > `--word-drop 0`: what happens to VHRED's KL and to the variety of its replies?
