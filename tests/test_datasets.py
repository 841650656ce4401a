"""MNIST: the embedded digits, real IDX files in torchvision's layout, and the seeded split."""

import gzip
import struct

import numpy as np

from influential_factors.data.datasets import embedded_mnist, load_split, prepare_mnist, real_mnist, split_indices


def test_embedded_digits_are_real_mnist():
    images, labels = embedded_mnist()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))
    assert 0.10 < (images > 127).mean() < 0.25  # MNIST strokes cover about 13-19% of the pixels
    assert images[:, :, :2, :].mean() < 1  # and the top rows are (almost always) blank


def test_split_is_a_seeded_partition():
    parts = split_indices(1000, (0.6, 0.2, 0.2), seed=3)
    assert [len(parts[name]) for name in ("train", "val", "test")] == [600, 200, 200]
    assert np.array_equal(np.sort(np.concatenate(list(parts.values()))), np.arange(1000))
    again = split_indices(1000, (0.6, 0.2, 0.2), seed=3)
    assert all(np.array_equal(parts[name], again[name]) for name in parts)
    assert not np.array_equal(parts["test"], split_indices(1000, (0.6, 0.2, 0.2), seed=4)["test"])


def _write_idx(path, array, code):
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") if path.suffix == ".gz" else open(path, "wb") as handle:
        handle.write(header + array.tobytes())


def fake_mnist_root(root, n_train=30, n_test=10):
    """IDX files as torchvision's MNIST expects them under <root>/MNIST/raw."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), 0x08)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", (np.arange(count) % 10).astype(np.uint8), 0x08)


def test_real_mnist_reads_torchvision_layout(tmp_path):
    fake_mnist_root(tmp_path)
    images, labels = real_mnist(tmp_path)
    assert images.shape == (40, 1, 28, 28) and images.dtype == np.uint8
    assert list(labels[:12]) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]


def test_prepare_round_trip(tmp_path):
    fake_mnist_root(tmp_path / "raw")
    output = tmp_path / "processed" / "mnist.npz"
    sizes = prepare_mnist(output, str(tmp_path / "raw"), (0.5, 0.25, 0.25), seed=0)
    assert sizes == {"train": 20, "val": 10, "test": 10}
    images, labels = load_split(output, "test")
    assert images.shape == (10, 1, 28, 28) and labels.shape == (10,)
    assert sorted(p.name for p in output.parent.iterdir()) == ["mnist.npz"]  # no temporary left behind
