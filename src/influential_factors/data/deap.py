"""DEAP's preprocessed files (`data_preprocessed_python/sXX.dat`): the format, the loader, the classes.

Each file is a Python 2 pickle of a dict with `data`, float64 (40 trials, 40 channels, 8064
samples at 128 Hz: a 3 s pre-trial baseline, then 60 s of the music video), and `labels`,
float64 (40 trials, 4 ratings in [1, 9]: valence, arousal, dominance, liking). Channels 1-32
are EEG in DEAP_EEG_CHANNELS order, 33-40 peripheral signals (EOG, EMG, GSR, respiration,
plethysmograph, temperature).
"""

from __future__ import annotations

import math
import os
import pickle
import struct
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
# What a subject file may make the loader allocate: its own size times ALLOCATION_FACTOR plus
# ALLOCATION_SLACK, summed over every array and bytes object it builds, checked before allocating
# (an array's raw bytes are stored in the file: a real file needs 1x, a Python 3 pickle's bytes and
# the array copied from them 2x). A 74-byte pickle
# could otherwise ask for bytes(10**11) or an array of shape (10**12,).
ALLOCATION_FACTOR = 3
ALLOCATION_SLACK = 1 << 20
NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
MESSAGE_CHARS = 200  # the most characters of anything taken from a file's content that an error message shows
TEXT_ENCODINGS = {"latin1", "latin-1", "iso-8859-1", "iso8859-1", "utf-8", "utf8"}


class DeapFormatError(ValueError):
    """A DEAP subject file that cannot be read or does not hold DEAP's arrays."""


def _short(value, limit: int = MESSAGE_CHARS) -> str:
    """str(value) cut to `limit` characters, for error messages about file content."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


class _NdarrayClass:
    """Stands in for numpy.ndarray in a pickle: usable only as _reconstruct's subtype, not callable."""


class _BoundedFile:
    """A file whose reads never ask for more than the bytes left: a pickle's length field of 10**18
    is 'truncated', not an allocation of 10**18 bytes."""

    def __init__(self, handle, size: int):
        self.handle, self.size = handle, size

    def _count(self, n: int) -> int:
        left = self.size - self.handle.tell()
        if n < 0 or n > left:
            raise pickle.UnpicklingError(f"pickle data was truncated (a field of {n} bytes, {left} left)")
        return n

    def read(self, n: int = -1) -> bytes:
        return self.handle.read(self._count(n if n >= 0 else self.size - self.handle.tell()))

    def readinto(self, buffer) -> int:
        return self.handle.readinto(memoryview(buffer)[: self._count(len(buffer))])

    def readline(self, limit: int = -1) -> bytes:
        return self.handle.readline(min(limit, 1 << 16) if limit >= 0 else 1 << 16)


class _ArrayUnpickler(pickle._Unpickler):
    """An unpickler that builds numeric numpy arrays and plain containers only, so a file can neither run
    code nor allocate more memory than its size can hold.

    The pure-Python unpickler, because its opcodes can be replaced (the C one allocates a length
    field's bytes before reading them); DEAP's files hold a few large strings, so it is as fast.
    Object construction (INST, OBJ, NEWOBJ) is refused, REDUCE reaches only the checked wrappers
    that find_class returns, and BUILD only a numeric array's or a plain dtype's state.
    """

    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, handle, size: int):
        super().__init__(_BoundedFile(handle, size), encoding="latin1")
        self.budget = ALLOCATION_FACTOR * size + ALLOCATION_SLACK

    def _allocate(self, nbytes: int, what: str) -> None:
        if nbytes > self.budget:
            raise pickle.UnpicklingError(f"{what} of {nbytes} bytes is more than the file can hold")
        self.budget -= nbytes

    def find_class(self, module: str, name: str):
        if (module, name) not in PICKLE_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {_short(module)}.{_short(name)} (not a numpy array)")
        return {"_reconstruct": self._reconstruct, "ndarray": _NdarrayClass, "dtype": self._dtype,
                "encode": self._encode, "bytes": self._bytes}[name]

    def _reconstruct(self, subtype, shape, dtype):
        if subtype is not _NdarrayClass:
            raise pickle.UnpicklingError("_reconstruct of something other than numpy.ndarray")
        dtype = self._dtype(dtype)
        self._allocate(_nbytes(shape, dtype), "an array")
        return np.ndarray.__new__(np.ndarray, tuple(shape), dtype)

    def _dtype(self, spec, align=False, copy=False):
        if isinstance(spec, np.dtype):
            dtype = spec
        elif isinstance(spec, (str, bytes)) and len(spec) <= 8:
            dtype = np.dtype(spec.decode("latin1") if isinstance(spec, bytes) else spec)
        else:
            raise pickle.UnpicklingError(f"dtype {_short(repr(spec), 40)} is not a plain numeric type")
        if dtype.kind not in NUMERIC_KINDS or dtype.names is not None or dtype.subdtype is not None:
            raise pickle.UnpicklingError(f"dtype {dtype} is not numeric")
        return dtype

    def _bytes(self, source=b"", encoding=None, errors="strict"):
        if isinstance(source, int):
            self._allocate(source, "bytes")
            return bytes(source)
        if isinstance(source, str):
            return self._encode(source, encoding or "latin1")
        if isinstance(source, bytes) and encoding is None:
            return source
        raise pickle.UnpicklingError("bytes() of something other than a length or text")

    def _encode(self, text, encoding="utf-8", errors="strict"):
        if not isinstance(text, str) or str(encoding).lower() not in TEXT_ENCODINGS:
            raise pickle.UnpicklingError("_codecs.encode of something other than latin-1 or UTF-8 text")
        encoded = text.encode(encoding, errors)  # at most 4 bytes per character of text the file holds
        self._allocate(len(encoded), "bytes")
        return encoded

    def load_build(self):
        state, inst = self.stack[-1], self.stack[-2]
        if type(inst) is np.ndarray:
            self._check_array_state(state)
        elif isinstance(inst, np.dtype):
            if not (isinstance(state, tuple) and len(state) >= 5 and state[2:5] == (None, None, None)):
                raise pickle.UnpicklingError("a dtype with fields or sub-arrays (DEAP's arrays are plain numbers)")
        else:
            raise pickle.UnpicklingError(f"refusing to set the state of a {type(inst).__name__}")
        super().load_build()

    def _check_array_state(self, state) -> None:
        """(version, shape, dtype, fortran, raw bytes) of a numeric array, raw bytes of exactly its size."""
        if not (isinstance(state, tuple) and len(state) == 5 and isinstance(state[4], (bytes, str))):
            raise pickle.UnpicklingError("an array without raw numeric data")
        _, shape, dtype, _, raw = state
        dtype = self._dtype(dtype)
        nbytes = _nbytes(shape, dtype)
        if nbytes != len(raw):
            raise pickle.UnpicklingError(f"an array of shape {_short(shape, 60)} needs {nbytes} bytes, "
                                         f"the file holds {len(raw)}")
        self._allocate(nbytes, "an array")

    def _refuse_objects(self):
        raise pickle.UnpicklingError("refusing to construct objects (a DEAP file holds numpy arrays only)")

    dispatch[pickle.BUILD[0]] = load_build
    for _opcode in (pickle.INST, pickle.OBJ, pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.EXT1, pickle.EXT2, pickle.EXT4,
                    pickle.PERSID, pickle.BINPERSID):
        dispatch[_opcode[0]] = _refuse_objects
    del _opcode


def _nbytes(shape, dtype: np.dtype) -> int:
    """The bytes of an array of `shape` (a tuple of non-negative ints) and `dtype`, in Python integers."""
    if not (isinstance(shape, tuple) and len(shape) <= 32
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise pickle.UnpicklingError(f"array shape {_short(repr(shape), 60)} is not a tuple of counts")
    return math.prod(shape) * dtype.itemsize


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
            size = os.fstat(handle.fileno()).st_size
            content = _ArrayUnpickler(handle, size).load()
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            LookupError, struct.error, MemoryError, OverflowError, RecursionError) as error:
        raise DeapFormatError(f"{path}: truncated or unreadable pickle ({type(error).__name__}: "
                              f"{_short(error)})") from error
    if not isinstance(content, dict):
        raise DeapFormatError(f"{path}: expected a dict with 'data' and 'labels', got {type(content).__name__}")
    missing = [key for key in ("data", "labels") if key not in content]
    if missing:
        raise DeapFormatError(f"{path}: missing {missing} (has {_short(sorted(_short(key, 40) for key in content))})")
    data = _float_array(path, "data", content["data"], size)
    labels = _float_array(path, "labels", content["labels"], size)
    _check_shapes(path, data, labels)
    _check_values(path, data, labels)
    return data, labels


def _float_array(path: Path, key: str, value, size: int) -> np.ndarray:
    """`value`, a numeric array, as float64, or a DeapFormatError naming the key. Lists are refused: a
    list can repeat one array a million times by reference, which float64 would copy a million times."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in NUMERIC_KINDS:
        kind = f"{value.dtype} array" if isinstance(value, np.ndarray) else type(value).__name__
        raise DeapFormatError(f"{path}: '{key}' is not a numeric array (got {_short(kind, 40)})")
    if value.size * 8 > ALLOCATION_FACTOR * size + ALLOCATION_SLACK:  # as float64 too, it must fit the bound
        raise DeapFormatError(f"{path}: '{key}' of shape {value.shape} is more than the file can hold")
    return np.asarray(value, dtype=np.float64)


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


def emotion_classes(valence: np.ndarray, arousal: np.ndarray, *, threshold: float) -> np.ndarray:
    """Class index into CLASS_NAMES per trial: HAHV=0, HALV=1, LAHV=2, LALV=3 (int64).

    A rating is high only when strictly greater than `threshold`, so a rating of exactly 5 counts
    as low: (valence 5, arousal 5) is LALV.
    """
    low_valence = np.asarray(valence) <= threshold
    low_arousal = np.asarray(arousal) <= threshold
    return (2 * low_arousal + low_valence).astype(np.int64)
