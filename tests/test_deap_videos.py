"""DEAP files -> topographic-map videos: shapes, split, train-only normalisation, planted patterns."""

import pickle

import numpy as np
import pytest

from influential_factors.data.datasets import split_indices
from influential_factors.data.deap import subject_path
from influential_factors.data.deap_simulator import simulate_deap
from influential_factors.data.deap import BANDS
from influential_factors.data.deap_videos import load_videos, prepare_deap

SETTINGS = dict(montage="biosemi32", channels=None, bands=BANDS, split=(0.8, 0.1, 0.1), seed=0, grid_size=32,
                class_threshold=5.0)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap_raw")
    simulate_deap(root, subjects=2, trials=8, seed=0)
    return root


@pytest.fixture(scope="module")
def prepared(simulated, tmp_path_factory):
    output = tmp_path_factory.mktemp("processed") / "deap"
    sizes = prepare_deap(simulated, [1, 2], output, baseline="keep", **SETTINGS)
    return output, sizes


def test_videos_have_the_papers_shape_and_split(prepared):
    output, sizes = prepared
    videos, meta = load_videos(output)
    assert isinstance(videos, np.memmap) and videos.dtype == np.float32
    assert videos.shape == (16, 63, 3, 32, 32)
    assert sizes == {"trials": 16, "frames": 63, "train": 13, "val": 2, "test": 1}
    parts = split_indices(16, (0.8, 0.1, 0.1), seed=0)
    for name in ("train", "val", "test"):
        np.testing.assert_array_equal(meta[name], parts[name])
    assert list(meta["subjects"]) == [1] * 8 + [2] * 8 and list(meta["trials"]) == list(range(8)) * 2
    assert list(meta["band_names"]) == ["alpha", "beta", "gamma"] and len(meta["channels"]) == 32


def test_outside_the_hull_is_zero_and_the_training_range_is_unit(prepared):
    videos, meta = load_videos(prepared[0])
    inside = meta["inside"]
    assert 0.4 < inside.mean() < 0.95  # a convex hull of the scalp, not the whole square
    assert np.all(videos[..., ~inside] == 0)
    train = np.asarray(videos[meta["train"]])
    for band in range(3):
        values = train[:, :, band][..., inside]
        assert -0.25 < values.min() < 0.1 and 0.9 < values.max() < 1.25  # min-max at electrodes, interpolated
        assert np.isfinite(values).all() and values.std() > 0.05


def test_normalisation_uses_the_training_split_only(simulated, tmp_path):
    """Make one test trial 100x louder: the normalisation statistics must not move."""
    test_trial = split_indices(16, (0.8, 0.1, 0.1), seed=0)["test"][0]
    subject, trial = divmod(int(test_trial), 8)
    altered = tmp_path / "raw"
    altered.mkdir()
    for number in (1, 2):
        with open(subject_path(simulated, number), "rb") as handle:
            content = pickle.load(handle, encoding="latin1")
        if number == subject + 1:
            content["data"][trial] *= 100
        with open(subject_path(altered, number), "wb") as handle:
            pickle.dump(content, handle, protocol=2)
    reference = prepare_deap(simulated, [1, 2], tmp_path / "a", baseline="keep", **SETTINGS)
    changed = prepare_deap(altered, [1, 2], tmp_path / "b", baseline="keep", **SETTINGS)
    assert reference == changed
    meta_a, meta_b = load_videos(tmp_path / "a")[1], load_videos(tmp_path / "b")[1]
    np.testing.assert_array_equal(meta_a["band_low"], meta_b["band_low"])
    np.testing.assert_array_equal(meta_a["band_high"], meta_b["band_high"])
    assert load_videos(tmp_path / "b")[0][test_trial].max() > 1.5  # the loud trial itself is off the scale


@pytest.mark.parametrize("baseline, frames", [("drop", 60), ("subtract", 60)])
def test_baseline_modes(simulated, tmp_path, baseline, frames):
    sizes = prepare_deap(simulated, [1], tmp_path / "deap", baseline=baseline, **SETTINGS)
    assert sizes["frames"] == frames
    assert load_videos(tmp_path / "deap")[0].shape == (8, frames, 3, 32, 32)


def test_a_channel_subset_maps_onto_its_own_hull(simulated, tmp_path):
    channels = ["AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4"]
    prepare_deap(simulated, [1], tmp_path / "deap", baseline="keep", **dict(SETTINGS, channels=channels))
    videos, meta = load_videos(tmp_path / "deap")
    assert list(meta["channels"]) == channels and meta["positions"].shape == (14, 2)
    assert videos.shape == (8, 63, 3, 32, 32) and np.all(videos[..., ~meta["inside"]] == 0)


def test_planted_valence_pattern_shows_in_the_alpha_maps(tmp_path):
    """The simulator raises right-frontal and lowers left-frontal alpha with valence (its ground truth)."""
    simulate_deap(tmp_path / "raw", subjects=1, trials=40, seed=1)
    prepare_deap(tmp_path / "raw", [1], tmp_path / "deap", baseline="keep", **dict(SETTINGS, split=(0.5, 0.25, 0.25)))
    videos, meta = load_videos(tmp_path / "deap")
    alpha = np.asarray(videos[:, 3:, 0]).mean(axis=1)  # (trials, grid, grid), stimulus windows
    channels = list(meta["channels"])
    positions = meta["positions"]
    low, high = positions.min(axis=0), positions.max(axis=0)
    pixel = np.rint((positions - low) / (high - low) * 31).astype(int)

    def at(name):
        column, row_from_bottom = pixel[channels.index(name)]
        return alpha[:, 31 - row_from_bottom, column]  # row 0 is the front (highest y)

    asymmetry = at("F4") - at("F3")
    assert np.corrcoef(asymmetry, meta["ratings"][:, 0])[0, 1] > 0.5
