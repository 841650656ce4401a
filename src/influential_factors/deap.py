"""DEAP's preprocessed files (`data_preprocessed_python/sXX.dat`): the format, the loader, the classes.

Each file is a Python 2 pickle of a dict with `data`, float64 (40 trials, 40 channels, 8064
samples at 128 Hz: a 3 s pre-trial baseline, then 60 s of the music video), and `labels`,
float64 (40 trials, 4 ratings in [1, 9]: valence, arousal, dominance, liking). Channels 1-32
are EEG in DEAP_EEG_CHANNELS order, 33-40 peripheral signals (EOG, EMG, GSR, respiration,
plethysmograph, temperature).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

DEAP_EEG_CHANNELS = ("Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3", "O1",
                     "Oz", "Pz", "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6", "CP2",
                     "P4", "P8", "PO4", "O2")
SAMPLING_RATE = 128
BASELINE_SECONDS = 3
TRIAL_SAMPLES = 8064
GROUND_TRUTH = "ground_truth.json"  # the simulator's planted patterns, beside its sXX.dat files
N_CHANNELS = 40
RATING_NAMES = ("valence", "arousal", "dominance", "liking")
CLASS_NAMES = ("HAHV", "HALV", "LAHV", "LALV")
RATING_RANGE = (1.0, 9.0)
BANDS = {"alpha": (8.0, 13.0), "beta": (13.0, 30.0), "gamma": (30.0, 45.0)}  # Hz, the paper's bands, R G B
# The only globals a pickle of a dict of numpy arrays needs (Python 2's numpy.core, NumPy 2's
# numpy._core, and _codecs.encode or bytes for Python 3's protocol-2 bytes); anything else is refused.
PICKLE_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                  ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), ("__builtin__", "bytes"),
                  ("builtins", "bytes")}


class DeapFormatError(ValueError):
    """A DEAP subject file that cannot be read or does not hold DEAP's arrays."""


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and plain containers only, so a file cannot run code."""

    def find_class(self, module: str, name: str):
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (not a numpy array)")
        return super().find_class(module, name)


def subject_path(root: str | Path, subject: int) -> Path:
    """`root/sXX.dat` of subject XX (1-based, two digits as DEAP names them)."""
    return Path(root) / f"s{subject:02d}.dat"


def load_subject(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Data (trials, channels, 8064) and labels (trials, 4) of one subject file, both float64, checked.

    Raises FileNotFoundError for a missing folder or file and DeapFormatError, naming the file and
    the problem, for an unreadable pickle, missing arrays, wrong shapes, non-finite values or a
    rating outside [1, 9]. Any number of trials >= 1 is accepted (DEAP's files have 40).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: folder {path.parent} does not exist")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: DEAP subject file does not exist")
    try:
        with open(path, "rb") as handle:
            content = _ArrayUnpickler(handle, encoding="latin1").load()
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            UnicodeDecodeError) as error:
        raise DeapFormatError(f"{path}: truncated or unreadable pickle ({type(error).__name__}: {error})") from error
    if not isinstance(content, dict):
        raise DeapFormatError(f"{path}: expected a dict with 'data' and 'labels', got {type(content).__name__}")
    missing = [key for key in ("data", "labels") if key not in content]
    if missing:
        raise DeapFormatError(f"{path}: missing {missing} (has {sorted(map(str, content))})")
    data = _float_array(path, "data", content["data"])
    labels = _float_array(path, "labels", content["labels"])
    _check_shapes(path, data, labels)
    _check_values(path, data, labels)
    return data, labels


def _float_array(path: Path, key: str, value) -> np.ndarray:
    """`value` as a float64 array, or a DeapFormatError naming the key."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DeapFormatError(f"{path}: '{key}' is not a numeric array ({error})") from error


def _check_shapes(path: Path, data: np.ndarray, labels: np.ndarray) -> None:
    """data (trials >= 1, >= 32 channels, TRIAL_SAMPLES) and labels (same trials, 4)."""
    if (data.ndim != 3 or data.shape[0] < 1 or data.shape[1] < len(DEAP_EEG_CHANNELS)
            or data.shape[2] != TRIAL_SAMPLES):
        raise DeapFormatError(f"{path}: 'data' must have shape (trials >= 1, channels >= {len(DEAP_EEG_CHANNELS)}, "
                              f"{TRIAL_SAMPLES}), got {data.shape}")
    if labels.shape != (data.shape[0], len(RATING_NAMES)):
        raise DeapFormatError(f"{path}: 'labels' must have shape ({data.shape[0]}, {len(RATING_NAMES)}) to match "
                              f"{data.shape[0]} trials of 'data', got {labels.shape}")


def _check_values(path: Path, data: np.ndarray, labels: np.ndarray) -> None:
    """All samples and ratings finite, all ratings in RATING_RANGE."""
    for key, array in (("data", data), ("labels", labels)):
        bad = ~np.isfinite(array)
        if bad.any():
            raise DeapFormatError(f"{path}: '{key}' holds {int(bad.sum())} NaN or infinite values "
                                  f"(first at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
    low, high = RATING_RANGE
    outside = (labels < low) | (labels > high)
    if outside.any():
        trial, column = np.argwhere(outside)[0]
        raise DeapFormatError(f"{path}: {int(outside.sum())} ratings outside [{low:g}, {high:g}] (first: "
                              f"{RATING_NAMES[column]} {labels[trial, column]:g} of trial index {trial})")


def emotion_classes(valence: np.ndarray, arousal: np.ndarray, threshold: float = 5.0) -> np.ndarray:
    """Class index into CLASS_NAMES per trial: HAHV=0, HALV=1, LAHV=2, LALV=3 (int64).

    A rating is high only when strictly greater than `threshold`, so a rating of exactly 5 counts
    as low: (valence 5, arousal 5) is LALV.
    """
    low_valence = np.asarray(valence) <= threshold
    low_arousal = np.asarray(arousal) <= threshold
    return (2 * low_arousal + low_valence).astype(np.int64)
