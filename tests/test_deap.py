"""DEAP: the loader on good files (bad ones: test_bad_input.py), the emotion classes, the simulator."""

import json
import pickle

import numpy as np
import pytest

from influential_factors.data.deap import (BASELINE_SECONDS, CLASS_NAMES, DEAP_EEG_CHANNELS, N_CHANNELS, SAMPLING_RATE,
                                      TRIAL_SAMPLES, emotion_classes, load_subject, subject_path)
from influential_factors.data.deap_simulator import simulate_deap

BASELINE = BASELINE_SECONDS * SAMPLING_RATE
CHANNEL = {name: row for row, name in enumerate(DEAP_EEG_CHANNELS)}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Two simulated subjects of 8 trials, seed 0, and their ground truth."""
    root = tmp_path_factory.mktemp("deap_small")
    return root, simulate_deap(root, subjects=2, trials=8, seed=0)


@pytest.fixture(scope="module")
def forty_trials(tmp_path_factory):
    """One simulated subject of 40 trials (enough for clear correlations), loaded, and the ground truth."""
    root = tmp_path_factory.mktemp("deap_40")
    truth = simulate_deap(root, subjects=1, trials=40, seed=0)
    return (*load_subject(subject_path(root, 1)), truth)


def _log_band_power(data: np.ndarray, low: float, high: float, stimulus: bool = True) -> np.ndarray:
    """log FFT power in [low, high) Hz of the EEG channels, (trials, channels): the 60 s stimulus or the baseline."""
    segment = data[:, :len(DEAP_EEG_CHANNELS), BASELINE:] if stimulus else data[:, :len(DEAP_EEG_CHANNELS), :BASELINE]
    frequencies = np.fft.rfftfreq(segment.shape[-1], d=1 / SAMPLING_RATE)
    power = np.abs(np.fft.rfft(segment, axis=-1)) ** 2
    return np.log(power[..., (frequencies >= low) & (frequencies < high)].sum(axis=-1))


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def test_simulated_files_load_in_deap_format(small):
    root, truth = small
    for subject in (1, 2):
        data, labels = load_subject(subject_path(root, subject))
        assert data.shape == (8, N_CHANNELS, TRIAL_SAMPLES) and data.dtype == np.float64
        assert labels.shape == (8, 4) and labels.dtype == np.float64
        assert labels.min() >= 1 and labels.max() <= 9 and not np.any(labels[:, :2] == 5)
        assert np.bincount(emotion_classes(labels[:, 0], labels[:, 1], threshold=5.0), minlength=4).tolist() == [2, 2, 2, 2]
        assert 5 < data[:, :len(DEAP_EEG_CHANNELS)].std() < 50  # microvolt-like EEG
    assert json.loads((root / "ground_truth.json").read_text()) == truth
    assert truth["simulated"] is True and (truth["subjects"], truth["trials"], truth["seed"]) == (2, 8, 0)
    assert truth["bands"] == {"alpha": [8, 13], "beta": [13, 30], "gamma": [30, 45]}
    for factor, bands in (("valence", ["alpha"]), ("arousal", ["beta", "gamma"])):
        assert truth[factor]["bands"] == bands
        assert sorted(truth[factor]["channel_weights"]) == sorted(DEAP_EEG_CHANNELS)
    assert sorted(path.name for path in root.iterdir()) == ["ground_truth.json", "s01.dat", "s02.dat"]


def test_files_read_like_deap_with_python2_module_names(small, tmp_path):
    root, _ = small
    original = (root / "s01.dat").read_bytes()
    assert len(original) < 8 * N_CHANNELS * TRIAL_SAMPLES * 8 * 1.001  # raw array bytes, not latin-1 text
    assert pickle.loads(original, encoding="bytes").keys() == {b"data", b"labels"}  # Python 2 `str` keys
    python2 = tmp_path / "s01.dat"
    python2.write_bytes(original.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    for expected, loaded in zip(load_subject(root / "s01.dat"), load_subject(python2)):
        np.testing.assert_array_equal(expected, loaded)


def test_same_seed_same_bytes(small, tmp_path):
    root, _ = small
    simulate_deap(tmp_path / "again", subjects=2, trials=8, seed=0)
    simulate_deap(tmp_path / "one", subjects=1, trials=8, seed=0)
    simulate_deap(tmp_path / "other", subjects=1, trials=8, seed=1)
    first = (root / "s01.dat").read_bytes()
    for name in ("s01.dat", "s02.dat", "ground_truth.json"):
        assert (tmp_path / "again" / name).read_bytes() == (root / name).read_bytes()
    assert (tmp_path / "one" / "s01.dat").read_bytes() == first  # a subject does not depend on how many follow
    assert (tmp_path / "other" / "s01.dat").read_bytes() != first
    assert (root / "s02.dat").read_bytes() != first


def test_invalid_simulation_sizes_write_nothing(tmp_path):
    with pytest.raises(ValueError, match="subjects >= 1"):
        simulate_deap(tmp_path / "out", subjects=0, trials=40, seed=0)
    with pytest.raises(ValueError, match="trials >= 1"):
        simulate_deap(tmp_path / "out", subjects=1, trials=0, seed=0)
    assert not (tmp_path / "out").exists()


def test_valence_drives_frontal_alpha_asymmetry(forty_trials):
    data, labels, truth = forty_trials
    weights = truth["valence"]["channel_weights"]
    assert weights["F8"] > 0 > weights["F7"] and weights["F4"] > 0 > weights["F3"]
    alpha = _log_band_power(data, 8, 13)
    valence = labels[:, 0]
    for right, left in (("F8", "F7"), ("F4", "F3")):
        assert _correlation(alpha[:, CHANNEL[right]] - alpha[:, CHANNEL[left]], valence) > 0.5
    assert _correlation(alpha[:, CHANNEL["F8"]], valence) > 0.3
    assert _correlation(alpha[:, CHANNEL["F7"]], valence) < -0.3
    baseline_alpha = _log_band_power(data, 8, 13, stimulus=False)  # the 3 s baseline carries no emotion
    assert abs(_correlation(baseline_alpha[:, CHANNEL["F8"]] - baseline_alpha[:, CHANNEL["F7"]], valence)) < 0.4


def test_arousal_drives_centro_parietal_beta(forty_trials):
    data, labels, truth = forty_trials
    weights = truth["arousal"]["channel_weights"]
    top = sorted(weights, key=weights.get)[-4:]
    assert "Cz" in top and min(weights.values()) >= 0
    rows = [CHANNEL[name] for name in top]
    arousal = labels[:, 1]
    assert _correlation(_log_band_power(data, 13, 30)[:, rows].mean(axis=1), arousal) > 0.5
    assert _correlation(_log_band_power(data, 30, 45)[:, rows].mean(axis=1), arousal) > 0.5
    assert abs(_correlation(_log_band_power(data, 8, 13)[:, rows].mean(axis=1), arousal)) < 0.4  # not alpha


@pytest.mark.parametrize("valence, arousal, expected", [
    (5, 5, "LALV"), (5.01, 5.01, "HAHV"), (9, 1, "LAHV"), (1, 9, "HALV"),
    (5, 9, "HALV"), (9, 5, "LAHV"), (1, 1, "LALV"), (9, 9, "HAHV")])
def test_emotion_classes_at_the_edges(valence, arousal, expected):
    assert CLASS_NAMES[emotion_classes(np.array([valence]), np.array([arousal]), threshold=5.0)[0]] == expected


def test_emotion_classes_threshold_and_dtype():
    classes = emotion_classes(np.array([6.0, 6.0, 1.0]), np.array([6.0, 6.0, 9.0]), threshold=6.0)
    assert classes.dtype == np.int64 and [CLASS_NAMES[c] for c in classes] == ["LALV", "LALV", "HALV"]
    assert CLASS_NAMES[emotion_classes(6.0, 6.0, threshold=5.5)] == "HAHV"


def _content(trials: int = 2, **changes) -> dict:
    """A valid subject dict of `trials` trials with `changes` applied (key -> array or (index, value))."""
    content = {"data": np.zeros((trials, N_CHANNELS, TRIAL_SAMPLES)), "labels": np.full((trials, 4), 5.0)}
    for key, change in changes.items():
        if isinstance(change, tuple):
            content[key][change[0]] = change[1]
        else:
            content[key] = change
    return content


def _pickled(content) -> bytes:
    return pickle.dumps(content, protocol=2)


@pytest.mark.parametrize("missing, problem", [("folder", "folder .* does not exist"),
                                              ("file", "DEAP subject file does not exist")])
def test_missing_folder_or_file(missing, problem, tmp_path):
    path = subject_path(tmp_path / "nowhere" if missing == "folder" else tmp_path, 1)
    with pytest.raises(FileNotFoundError, match=problem) as error:
        load_subject(path)
    assert str(error.value).startswith(f"{path}: ") and list(tmp_path.iterdir()) == []


def test_good_python3_pickle_loads(tmp_path):
    path = tmp_path / "s01.dat"
    path.write_bytes(_pickled(_content(trials=1, data=np.ones((1, 33, TRIAL_SAMPLES), dtype=np.float32))))
    data, labels = load_subject(path)
    assert data.dtype == np.float64 and data.shape == (1, 33, TRIAL_SAMPLES) and labels.tolist() == [[5.0] * 4]
