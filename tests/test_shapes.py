"""The shapes data set: seeded, each factor visibly moves the image, the saved file round-trips."""

import numpy as np
import pytest

from influential_factors.data.datasets import load_split
from influential_factors.data.shapes import FACTOR_NAMES, SHAPES, prepare_shapes, render_shapes, sample_factors


def test_same_seed_gives_the_same_images_and_factors():
    first = sample_factors(50, np.random.default_rng(3))
    np.testing.assert_array_equal(first, sample_factors(50, np.random.default_rng(3)))
    np.testing.assert_array_equal(render_shapes(first), render_shapes(first.copy()))
    assert set(first[:, 0]) <= {0.0, 1.0, 2.0}


def test_pixel_mass_grows_with_scale_and_the_centroid_follows_the_position():
    rng = np.random.default_rng(4)
    grid = sample_factors(400, rng)
    images = render_shapes(grid).astype(float)[:, 0]
    mass = images.sum(axis=(1, 2))
    rows, columns = np.mgrid[0:32, 0:32] + 0.5
    centroid_x = (images * columns).sum(axis=(1, 2)) / mass
    centroid_y = (images * rows).sum(axis=(1, 2)) / mass
    assert np.corrcoef(centroid_x, grid[:, 3])[0, 1] > 0.95
    assert np.corrcoef(centroid_y, grid[:, 4])[0, 1] > 0.95
    for shape in range(len(SHAPES)):  # area ~ scale^2 within one shape
        same = grid[:, 0] == shape
        assert np.corrcoef(mass[same], grid[same, 1] ** 2)[0, 1] > 0.95
    assert np.all(images[:, 0, :] == 0) and np.all(images[:, :, -1] == 0)  # shapes stay inside the frame


def test_shapes_and_rotations_draw_different_images():
    base = np.array([[0, 1.0, 0.0, 16, 16], [1, 1.0, 0.0, 16, 16], [2, 1.0, 0.0, 16, 16], [0, 1.0, 30.0, 16, 16],
                     [1, 1.0, 59.0, 16, 16], [2, 1.0, 45.0, 16, 16]])
    images = render_shapes(base).astype(float)
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i] - images[j]).sum() > 255 * 5, (i, j)


def test_saved_file_round_trips_with_the_true_factors(tmp_path):
    sizes = prepare_shapes(tmp_path / "shapes.npz", 100, (0.6, 0.2, 0.2), seed=0)
    assert sizes == {"train": 60, "val": 20, "test": 20}
    images, labels = load_split(tmp_path / "shapes.npz", "test")
    assert images.shape == (20, 1, 32, 32) and images.dtype == np.uint8
    assert labels.shape == (20, len(FACTOR_NAMES)) and labels.dtype == np.float64
    np.testing.assert_array_equal(render_shapes(labels), images)
    assert list(np.load(tmp_path / "shapes.npz")["factor_names"]) == list(FACTOR_NAMES)
