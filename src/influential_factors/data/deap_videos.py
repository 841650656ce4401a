"""DEAP trials -> topographic-map videos (the paper's EEG input, after Bashivan et al. 2015).

Per trial and 1-s window: band power per channel (alpha, beta, gamma), log10, optional baseline
handling, per-band min-max normalisation with statistics of the training split only, then the
Clough-Tocher interpolation of each band onto a grid (one matrix product) as one colour channel.
The result is one float32 array (trials, frames, bands, grid, grid) in NumPy's .npy format, written
chunk by chunk so training can memory-map it, and `meta.npz` with labels, split and normalisation beside it.

Frames: DEAP's 8064 samples are 63 s = 3 s baseline + 60 s stimulus. `baseline="keep"` keeps all
63 windows (the paper's 63 frames); "drop" keeps the 60 stimulus windows; "subtract" keeps those 60
and subtracts each channel's mean log band power over the 3 baseline windows.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core.artifacts import atomic_directory, load_arrays
from .datasets import split_indices
from .deap import (BANDS, BASELINE_SECONDS, CLASS_NAMES, DEAP_EEG_CHANNELS, GROUND_TRUTH, SAMPLING_RATE,
                   emotion_classes, load_subject, subject_path)
from .topomap import TopomapInterpolator, azimuthal_equidistant, band_powers, electrode_positions

BASELINE_MODES = ("keep", "drop", "subtract")
VIDEOS = "videos.npy"
META = "meta.npz"
META_ARRAYS = ("ratings", "classes", "subjects", "trials", "train", "val", "test", "band_low", "band_high",
               "inside", "positions", "channels", "band_names", "band_edges")
POWER_FLOOR = 1e-12  # log10 of a flat channel's zero power would be -inf


def log_band_frames(data: np.ndarray, channel_rows: list[int], band_edges: list[tuple[float, float]],
                    baseline: str) -> np.ndarray:
    """log10 band power per 1-s window: (trials, frames, channels, bands), baseline handled as documented."""
    power = band_powers(data[:, channel_rows, :], SAMPLING_RATE, band_edges, SAMPLING_RATE)
    log_power = np.log10(np.maximum(power, POWER_FLOOR))
    baseline_windows = BASELINE_SECONDS  # one window per second
    if baseline == "keep":
        return log_power
    stimulus = log_power[:, baseline_windows:]
    if baseline == "drop":
        return stimulus
    return stimulus - log_power[:, :baseline_windows].mean(axis=1, keepdims=True)


def prepare_deap(raw_root: str | Path, subjects: list[int], output_dir: str | Path, *, montage: str,
                 channels: list[str] | None, bands: dict[str, list[float]], baseline: str,
                 split: tuple[float, float, float], seed: int, grid_size: int,
                 class_threshold: float) -> dict[str, int]:
    """Turn DEAP subject files into normalised topographic-map videos under `output_dir`.

    Reads one subject's raw file at a time; only the small band-power features of all trials are
    kept in memory before the videos are written, chunk by chunk, into a memory-mapped .npy file.
    A simulator's ground_truth.json in `raw_root` is copied beside them.
    """
    raw_root = Path(raw_root)
    if baseline not in BASELINE_MODES:
        raise ValueError(f"baseline must be one of {BASELINE_MODES}, got {baseline!r}")
    if not raw_root.is_dir():
        raise FileNotFoundError(f"{raw_root}: DEAP folder does not exist (data.deap.root)")
    paths = [subject_path(raw_root, subject) for subject in subjects]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"{raw_root}: missing subject files {missing}")
    channels = list(channels or DEAP_EEG_CHANNELS)
    unknown = [name for name in channels if name not in DEAP_EEG_CHANNELS]
    if unknown:
        raise ValueError(f"{raw_root}: channels {unknown} are not among DEAP's 32 EEG channels")
    channel_rows = [DEAP_EEG_CHANNELS.index(name) for name in channels]
    positions = azimuthal_equidistant(electrode_positions(montage, channels))
    interpolator = TopomapInterpolator(positions, grid_size)
    band_edges = [tuple(edges) for edges in bands.values()]

    frames, ratings, subject_ids, trial_ids = [], [], [], []
    for subject, path in tqdm(list(zip(subjects, paths)), desc="DEAP band power", unit="subject"):
        data, labels = load_subject(path)
        frames.append(log_band_frames(data, channel_rows, band_edges, baseline).astype(np.float32))
        ratings.append(labels)
        subject_ids.append(np.full(len(labels), subject))
        trial_ids.append(np.arange(len(labels)))
        del data
    features = np.concatenate(frames)
    ratings = np.concatenate(ratings)
    parts = split_indices(len(features), split, seed, source=str(raw_root))
    band_low = features[parts["train"]].min(axis=(0, 1, 2))
    band_high = features[parts["train"]].max(axis=(0, 1, 2))
    scale = np.where(band_high > band_low, band_high - band_low, 1.0)

    with atomic_directory(output_dir) as tmp:
        shape = (len(features), features.shape[1], len(bands), grid_size, grid_size)
        with open(tmp / VIDEOS, "wb") as handle:  # streamed chunk by chunk: the videos never sit in memory
            np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": shape})
            for start in tqdm(range(0, len(features), 64), desc="topographic maps", unit="chunk"):
                chunk = (features[start:start + 64] - band_low) / scale  # (trials, frames, channels, bands)
                handle.write(interpolator(np.moveaxis(chunk, -1, -2)).astype("<f4").tobytes())
        np.savez(tmp / META, ratings=ratings, classes=emotion_classes(ratings[:, 0], ratings[:, 1], threshold=class_threshold),
                 subjects=np.concatenate(subject_ids), trials=np.concatenate(trial_ids), **parts,
                 band_low=band_low, band_high=band_high, inside=interpolator.inside, positions=positions,
                 channels=np.array(channels), band_names=np.array(list(bands)),
                 band_edges=np.array(band_edges, dtype=np.float64))
        if (raw_root / GROUND_TRUTH).is_file():
            shutil.copyfile(raw_root / GROUND_TRUTH, tmp / GROUND_TRUTH)
    return {"trials": len(features), "frames": features.shape[1]} | {name: len(index) for name, index in parts.items()}


def load_videos(directory: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The memory-mapped videos (trials, frames, bands, grid, grid) and their metadata."""
    directory = Path(directory)
    try:
        videos = np.load(directory / VIDEOS, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise ValueError(f"{directory / VIDEOS}: not a readable video array ({error})") from error
    meta = load_arrays(directory / META, required=META_ARRAYS)
    if videos.ndim != 5 or videos.dtype != np.float32 or len(videos) != len(meta["classes"]):
        raise ValueError(f"{directory / VIDEOS}: videos {videos.dtype} {videos.shape} do not match "
                         f"{len(meta['classes'])} labelled trials (float32, 5 dimensions)")
    outside = meta["classes"][(meta["classes"] < 0) | (meta["classes"] >= len(CLASS_NAMES))]
    if outside.size:
        raise ValueError(f"{directory / META}: emotion class {int(outside[0])} outside 0..{len(CLASS_NAMES) - 1}")
    for split in ("train", "val", "test"):
        index = meta[split]
        if len(index) == 0 or index.min() < 0 or index.max() >= len(videos):
            raise ValueError(f"{directory / META}: the {split} split is empty or indexes beyond {len(videos)} trials")
    for start in range(0, len(videos), 64):  # chunk by chunk: the videos never sit in memory
        if not np.isfinite(videos[start:start + 64]).all():
            raise ValueError(f"{directory / VIDEOS}: NaN or infinite values in trials {start}..{start + 63}")
    return videos, meta
