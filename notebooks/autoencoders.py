# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # オートエンコーダ・VAE・VQ-VAE / Autoencoders, VAE and VQ-VAE
#
# 講座 / course: **Section 5 (VAE, VQ-VAE)** · lab: `labs.autoencoders`
#
# Section 5: 画像を小さなコードに圧縮する4つの方法（AE・Denoising AE・VAE・VQ-VAE）をFashion-MNIST
# で PCA と比べます。
#
# > Section 5: four ways to compress an image into a small code (AE, denoising AE, VAE, VQ-VAE),
# > each beside PCA, on Fashion-MNIST.

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

OUT = setup("autoencoders")  # the lab's --output-dir, beside this notebook
QUICK_FLAG = ["--quick"] if QUICK else []

# %% [markdown]
# ## 1. データと線形の基準: PCA
#
# Fashion-MNIST（28×28の服の画像）。オートエンコーダは同じ大きさのコードを持つ
# PCA（最良の線形オートエンコーダ）に勝たなければ意味がありません。
#
# > Fashion-MNIST (28x28 clothes). An autoencoder must beat PCA with as many numbers, the best
# > linear autoencoder.

# %%
from labs import kit
from labs.autoencoders import LAB
from labs.data.images import load_images
from models.autoencoders import PCA, mean_squared_error
from models.reference import vae as vae_ref
from models.reference import vector_quantizer as vq_ref

data = load_images(
    "fashion_mnist",
    manual_dir=os.environ.get("LABS_MANUAL_DIR"),
    train_size=2000 if QUICK else None,
    test_size=500,
)
pca = PCA(16).fit(data.train_images)
test = data.test_images
print("PCA-16 test MSE", round(mean_squared_error(test, pca.reconstruct(test)), 4))
fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
for k in range(8):
    axes[0, k].imshow(test[k, :, :, 0], cmap="gray")
    axes[1, k].imshow(pca.reconstruct(test[k : k + 1])[0, :, :, 0], cmap="gray")
for ax in axes.flat:
    ax.axis("off")
fig.suptitle("test images (top) and their PCA-16 reconstructions (bottom)")
plt.show()

# %% [markdown]
# ## 2. VAE
#
# エンコーダは $q(z|x) = \mathcal N(\mu, \sigma^2)$ を出し、再パラメータ化
# $z = \mu + \sigma \odot \varepsilon,\ \varepsilon \sim \mathcal N(0, I)$
# でサンプルを微分可能にします。損失は負の ELBO:
#
# $$-\mathrm{ELBO} = -\mathbb E_q[\log p(x|z)] + \mathrm{KL}(q(z|x)\,\|\,\mathcal N(0, I)), \qquad
# \mathrm{KL} = \tfrac12 \sum \left(\mu^2 + \sigma^2 - 1 - \log \sigma^2\right)$$
#
# > VAE: the encoder gives N(mu, sigma^2), the reparameterisation makes sampling differentiable,
# > and the loss is -ELBO = reconstruction + KL, in nats.

# %% [markdown]
# ## 3. VQ-VAE
#
# コードは学習する辞書（コードブック）$e_1..e_K$ の番号です:
# $k = \arg\min_j \|z_e - e_j\|^2,\ z_q = e_k$。勾配は $z_q$ から $z_e$
# へそのまま流し（straight-through）、損失は
#
# $$L = \|x - \hat x\|^2 + \|\mathrm{sg}[z_e] - e\|^2 + \beta \|z_e - \mathrm{sg}[e]\|^2 \quad
# (\beta = 0.25)$$
#
# > VQ-VAE: the code is the index of the nearest codebook vector; the gradient passes straight
# > through; codebook and commitment losses (beta 0.25).

# %% [markdown]
# ## 4. 4つのモデルを学習して比べる
#
# AE・Denoising AE・VAE（潜在16と2）・VQ-VAE とPixelCNN の事前分布（本番は約10〜20分、`QUICK`
# は小さなデータで数十秒）。
#
# > Train AE, denoising AE, VAE (latent 16 and 2), VQ-VAE and its PixelCNN prior (10-20 minutes at
# > full settings; seconds under `QUICK`).

# %%
metrics = kit.execute(LAB, ["--output-dir", str(OUT), *QUICK_FLAG])
for name, m in metrics["models"].items():
    scores = {
        k: round(v, 4)
        for k, v in m.items()
        if k in ("test_mse", "pca_test_mse", "test_negative_elbo_nats", "test_bits_per_code")
    }
    print(f"{name:9s}", scores)

# %%
show("reconstructions.png", "denoising.png", "vae_latent_2d.png", "samples.png")

# %%
show("latent_edit.png", "interpolation.png", "vq_code_usage.png")

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
# ### 演習 1: ガウス分布の KL
#
# $\mathrm{KL} = \tfrac12 \sum_d (\mu_d^2 + e^{v_d} - 1 - v_d)$、$v = \log \sigma^2$（1例ごとの和、
# 形 `(batch,)`）。
#
# > Exercise 1: the KL of N(mu, exp(v)) from N(0, I), per example.

# %%
rng = np.random.default_rng(0)
z_mean, z_log_var = rng.normal(size=(6, 16)), rng.normal(size=(6, 16))


def my_gaussian_kl(z_mean, z_log_var):
    return ...  # 空欄 / blank


check(
    "KL",
    lambda: my_gaussian_kl(z_mean, z_log_var),
    vae_ref.gaussian_kl_forward(z_mean, z_log_var)[0],
)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
rng = np.random.default_rng(0)
z_mean, z_log_var = rng.normal(size=(6, 16)), rng.normal(size=(6, 16))


def my_gaussian_kl(z_mean, z_log_var):
    return 0.5 * np.sum(z_mean**2 + np.exp(z_log_var) - 1 - z_log_var, axis=-1)


check(
    "KL",
    lambda: my_gaussian_kl(z_mean, z_log_var),
    vae_ref.gaussian_kl_forward(z_mean, z_log_var)[0],
)

# %% [markdown]
# ### 演習 2: 再パラメータ化と最近傍コード
#
# $z = \mu + e^{v/2} \varepsilon$。それから、各ベクトルに最も近いコードブックの番号（二乗距離の
# argmin）。
#
# > Exercise 2: the reparameterised sample, then the nearest codebook entry of each vector (argmin
# > of the squared distance).

# %%
epsilon = rng.normal(size=z_mean.shape)
codebook, z_e = rng.normal(size=(8, 3)), rng.normal(size=(10, 3))


def my_reparameterize(z_mean, z_log_var, epsilon):
    return ...  # 空欄 / blank


def my_nearest_codes(z_e, codebook):
    distances = ((z_e[:, None, :] - codebook[None, :, :]) ** 2).sum(axis=-1)
    return ...  # 空欄 / blank


check(
    "z",
    lambda: my_reparameterize(z_mean, z_log_var, epsilon),
    vae_ref.reparameterize_forward(z_mean, z_log_var, epsilon)[0],
)
check("codes", lambda: my_nearest_codes(z_e, codebook), vq_ref.nearest_codes(z_e, codebook), atol=0)

# %% jupyter={"source_hidden": true} tags=["solution"]
# 解答例 / a solution
epsilon = rng.normal(size=z_mean.shape)
codebook, z_e = rng.normal(size=(8, 3)), rng.normal(size=(10, 3))


def my_reparameterize(z_mean, z_log_var, epsilon):
    return z_mean + np.exp(0.5 * z_log_var) * epsilon


def my_nearest_codes(z_e, codebook):
    distances = ((z_e[:, None, :] - codebook[None, :, :]) ** 2).sum(axis=-1)
    return distances.argmin(axis=1)


check(
    "z",
    lambda: my_reparameterize(z_mean, z_log_var, epsilon),
    vae_ref.reparameterize_forward(z_mean, z_log_var, epsilon)[0],
)
check("codes", lambda: my_nearest_codes(z_e, codebook), vq_ref.nearest_codes(z_e, codebook), atol=0)

# %% [markdown]
# ## この先 / Next
#
# 同じ演習はコマンド1つでも実行できます: `python -m labs.autoencoders [--models ae,vae]`（`--help`
# で全フラグ）。
#
# > The same lab runs from a shell as `python -m labs.autoencoders [--models ae,vae]` (`--help`
# > lists its flags).
