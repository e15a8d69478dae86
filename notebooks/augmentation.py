# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # データ拡張 / Data augmentation
#
# 講座 / course: **3_6_data_augmentation_with_tf** · lab: `labs.augmentation`
#
# 講座の 3_6: 画像の各拡張操作が写真に何をするかを見て、講座の組み合わせ・Random Erasing・MixUp /
# CutMix・文章の EDA を試します。
#
# > The course's 3_6: what each image augmentation does to a photo, the course's combined pipeline,
# > random erasing, MixUp / CutMix, and EDA for text.

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

OUT = setup("augmentation")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. 拡張は「パラメータを引く」と「適用する」の2段階
#
# 各操作は `sample(batch_shape, seed)` でランダムなパラメータを引き、`apply(images, params)`
# で適用します。シードが同じなら同じバッチになるので、再現でき、テストできます。
# 講座の写真（matplotlib 同梱の Grace Hopper）を使います。
#
# > An augmentation is two steps: `sample(batch_shape, seed)` draws its random parameters and
# > `apply(images, params)` applies them, so a seed reproduces a batch. The photo is Grace Hopper's
# > portrait that ships with matplotlib.

# %%
import tensorflow as tf

import augmentation
from labs import kit
from labs.augmentation import LAB, gallery

size = 64 if QUICK else 224
photo = gallery.load_photo(gallery.sample_photo_path(gallery.DEFAULT_PHOTO), size)  # (H, W, 3)
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

# %% [markdown]
# ## 2. 講座の操作とギャラリー
#
# 反転・切り抜き（100×100）・コントラスト $U(0.4, 0.6)$・明るさ $\pm 0.8$・色相
# $\pm 0.1$・rot90、Random Erasing（確率0.5、面積比 $0.02$〜$0.4$、縦横比
# $0.2$〜$0.8$）、ガウシアンぼかし $G(x, y) = \dfrac{1}{2\pi\sigma^2} e^{-(x^2+y^2)/2\sigma^2}$、
# RandAugment。演習はそれぞれのギャラリーを、引いたパラメータをタイトルにして描きます。
#
# > The course's ops (flips, crop, contrast, brightness, hue, rot90), random erasing, Gaussian blur
# > and RandAugment; the lab draws a gallery of each, every tile titled with its sampled parameters.

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
galleries = sorted(p.name for p in OUT.glob("gallery_*.png"))
print(galleries)
show(*galleries[:3], "pipeline.png", "random_erasing.png")

# %% [markdown]
# ## 3. MixUp と CutMix
#
# $\lambda \sim \mathrm{Beta}(0.4, 0.4)$ で2枚の画像とその one-hot ラベルを同じ比で混ぜます:
#
# $$\tilde x = \lambda x_i + (1 - \lambda) x_j, \qquad \tilde y = \lambda y_i + (1 - \lambda) y_j$$
#
# CutMix は $x_j$ の長方形を貼り、ラベルは貼った面積の比で混ぜます。
#
# > MixUp blends two images and their one-hot labels with one λ ~ Beta(0.4, 0.4); CutMix pastes a
# > rectangle of the other image and mixes the labels by its area.

# %%
show("mixup.png", "cutmix.png")

# %% [markdown]
# ## 4. 文章の拡張: EDA
#
# 同義語置換・ランダム挿入・ランダム入れ替え・ランダム削除（Wei & Zou, 2019）。
#
# > EDA for text: synonym replacement, random insertion, random swap, random deletion (Wei & Zou,
# > 2019).

# %%
print((OUT / "eda.txt").read_text()[:1500])

# %% [markdown]
# 同じパイプラインを `tf.data` に入れれば `model.fit` にそのまま使えます:
# `augmentation.make_pipeline('strong', seed=0).apply(dataset.batch(32))`。
#
# > The same pipeline goes into `tf.data` for `model.fit`:
# > `augmentation.make_pipeline('strong', seed=0).apply(dataset.batch(32))`.

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
# ### 演習 1: MixUp
#
# 引いた `lam`（形 `(B,)`）と相手 `partner` で画像を混ぜてください。`lam` は `(B, 1, 1, 1)`
# に整形してから掛けます。
#
# > Exercise 1: MixUp with the sampled `lam` (reshaped to (B, 1, 1, 1)) and `partner`.

# %%
mixup = augmentation.MixUp(alpha=0.4)
batch = tf.random.stateless_uniform([6, 8, 8, 3], seed=(3, 4))
mix_params = mixup.sample(tf.shape(batch), seed=(5, 6))


def my_mixup(images, lam, partner):
    lam = np.reshape(lam, (-1, 1, 1, 1))
    return ...  # 空欄 / blank: images[partner] is the other image


check(
    "MixUp",
    lambda: my_mixup(batch.numpy(), mix_params["lam"].numpy(), mix_params["partner"].numpy()),
    mixup.apply(batch, mix_params).numpy(),
    atol=1e-6,
)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
mixup = augmentation.MixUp(alpha=0.4)
batch = tf.random.stateless_uniform([6, 8, 8, 3], seed=(3, 4))
mix_params = mixup.sample(tf.shape(batch), seed=(5, 6))


def my_mixup(images, lam, partner):
    lam = np.reshape(lam, (-1, 1, 1, 1))
    return lam * images + (1 - lam) * images[partner]


check(
    "MixUp",
    lambda: my_mixup(batch.numpy(), mix_params["lam"].numpy(), mix_params["partner"].numpy()),
    mixup.apply(batch, mix_params).numpy(),
    atol=1e-6,
)

# %% [markdown]
# ### 演習 2: ガウシアンカーネル
#
# 2次元のカーネルは $g(x) g(y)$ に分かれます。1次元のタップ
# $g(t) = e^{-t^2/2\sigma^2}$（$t = -r..r$）を和が1になるよう正規化してください。
#
# > Exercise 2: the 1-D Gaussian taps, normalised to sum 1 (the 2-D kernel is g(x) g(y)).

# %%
from augmentation.gaussian_blur import gaussian_kernel_1d


def my_gaussian_taps(sigma, kernel_size):
    t = np.arange(kernel_size) - kernel_size // 2
    taps = ...  # 空欄 / blank
    return taps / taps.sum()


check(
    "Gaussian taps",
    lambda: my_gaussian_taps(1.5, 7),
    gaussian_kernel_1d(tf.constant([1.5]), 7).numpy()[0],
    atol=1e-6,
)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
from augmentation.gaussian_blur import gaussian_kernel_1d


def my_gaussian_taps(sigma, kernel_size):
    t = np.arange(kernel_size) - kernel_size // 2
    taps = np.exp(-(t**2) / (2 * sigma**2))
    return taps / taps.sum()


check(
    "Gaussian taps",
    lambda: my_gaussian_taps(1.5, 7),
    gaussian_kernel_1d(tf.constant([1.5]), 7).numpy()[0],
    atol=1e-6,
)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.augmentation [--preset strong]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.augmentation [--preset strong]` (`--help`
# > lists its flags).
