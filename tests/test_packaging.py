"""The package installs (`pip install .`) and works from any directory, without the checkout."""

import shutil
import subprocess
import sys

from tests.conftest import REPO

IMPORTS = """
import pathlib, sys
import augmentation, labs, labs.kit, models.reference, models.seq2seq
from labs.__main__ import LABS
target = pathlib.Path(sys.argv[1]).resolve()
for module in (augmentation, labs, models.reference):
    assert target in pathlib.Path(module.__file__).resolve().parents, module.__file__
print(len(LABS), "labs")
"""


def test_installed_package_imports_and_lists_labs_from_another_directory(tmp_path):
    source = tmp_path / "source"  # a copy: building in place would leave build/ in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in ("labs", "augmentation", "models", "tests", "benchmarks"):
        shutil.copytree(
            REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    target = tmp_path / "site"
    # --no-deps: the pinned dependencies are this venv's already; --no-build-isolation: build
    # with its setuptools rather than download one.
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    assert not (target / "tests").exists() and not (target / "benchmarks").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    imported = subprocess.run(
        [sys.executable, "-c", IMPORTS, str(target)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    listed = subprocess.run(
        [sys.executable, "-m", "labs"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0 and "python -m labs.<name>" in listed.stdout
    script = (target / "bin" / "day3-labs").read_text()
    assert "labs.__main__" in script
