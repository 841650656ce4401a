"""Simulated EEG in DEAP's exact file format, with known emotion-dependent scalp patterns.

A simulation, not recorded EEG: the default data when DEAP's real files are not available, and
a ground truth to check the pipeline against. Per subject, `sXX.dat` holds what `deap.load_subject`
reads: a protocol-2 pickle of a dict of float64 `data` (trials, 40, 8064) and `labels` (trials, 4),
with strings stored as Python 2's `str` as in DEAP's own files (see _Python2Pickler).

Ratings: each trial gets one of the four classes (a shuffled cycle of the classes, so each
occurs once in every four trials); valence and arousal are 5 +- |N(2, 1)| on the class's side,
clipped to (5, 9] for high and [1, 5) for low (so 7 or 3 on average, consistent with the class
at the threshold 5); dominance and liking are uniform in [1, 9].

EEG (channels 1-32), per trial and channel, synthesised in the frequency domain over the whole
8064-sample trial (rfft of white noise times an amplitude spectrum, irfft):
- background: 1/f ("pink") power, flat below 1 Hz, no DC, plus white sensor noise;
- oscillations: alpha (8-13 Hz) and beta (13-30 Hz) + gamma (30-45 Hz), Hann-shaped in
  frequency inside each band, so they add power only within their band;
- trial-to-trial state: the log amplitude of each oscillation group varies by a trial-wide and
  a per-channel normal term, drawn separately for the 3 s baseline and the 60 s stimulus;
- emotion, in the stimulus part only (the baseline has none): with v = (valence - 5) / 4 and
  a = (arousal - 5) / 4 in [-1, 1], alpha amplitude is multiplied by exp(EFFECT * w_val * v)
  and beta + gamma amplitude by exp(EFFECT * w_aro * a). w_val = sigmoid((y - y0) / s) * x / max|x|
  (frontal alpha asymmetry: right frontal alpha rises and left frontal alpha falls with
  valence), w_aro a Gaussian bump over the centro-parietal scalp, both from MNE's biosemi32
  electrode positions (x right, y nose, z up) looked up by name and scaled to a largest |w| of 1;
  at the strongest channel an extreme rating multiplies the oscillation's power by
  exp(2 EFFECT) ~ 2.7 (band power, background included, by ~2-2.5);
- per-subject channel gains, lognormal with sigma 0.1.
Peripheral channels 33-40: smooth (< 2 Hz) low-amplitude noise, content irrelevant.
"""

from __future__ import annotations

import json
import pickle
import struct
from pathlib import Path

import numpy as np

from ..core.artifacts import atomic_path, save_json
from .deap import (BANDS, BASELINE_SECONDS, CLASS_NAMES, DEAP_EEG_CHANNELS, GROUND_TRUTH, N_CHANNELS,
                   SAMPLING_RATE, TRIAL_SAMPLES, subject_path)
from .topomap import electrode_positions

MONTAGE = "biosemi32"
CLASS_THRESHOLD = 5.0
EFFECT = 0.5  # log-amplitude change at the strongest channel for an extreme rating (1 or 9)
# Standard deviations in microvolts: pink background, white sensor noise, band oscillations,
# and the peripheral channels' smooth noise.
PINK_UV, SENSOR_UV, PERIPHERAL_UV = 12.0, 2.0, 10.0
OSCILLATION_UV = {"alpha": 8.0, "beta": 6.0, "gamma": 3.0}
PERIPHERAL_CUTOFF_HZ = 2.0
STATE_SIGMA = (0.2, 0.2)  # trial-wide and per-channel log-amplitude fluctuation of each oscillation group
CHANNEL_GAIN_SIGMA = 0.1
FRONTAL_Y0, FRONTAL_SCALE = 0.02, 0.015  # metres: where the valence pattern fades out towards the back
AROUSAL_CENTRE, AROUSAL_WIDTH = (0.0, -0.35, 0.94), 0.6  # direction from the head centre; chord width
BASELINE_SAMPLES = BASELINE_SECONDS * SAMPLING_RATE


class _Python2Pickler(pickle._Pickler):
    """Protocol 2 as Python 2 wrote DEAP's files: bytes and text as `str` (SHORT_BINSTRING / BINSTRING).

    Python 3's protocol 2 stores bytes as codecs.encode of latin-1 text, which UTF-8 inflates the
    arrays' raw bytes by about 45% and slows writing; loading with encoding="latin1" gives the same
    objects either way. Subclasses the pure-Python pickler, the one whose opcodes can be replaced.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]))
        else:
            self.write(pickle.BINSTRING + struct.pack("<I", len(obj)))
        self.write(obj)
        self.memoize(obj)

    def save_str(self, obj: str) -> None:
        self.save_bytes(obj.encode("latin1"))

    dispatch[bytes] = save_bytes
    dispatch[str] = save_str


def valence_weights(positions: np.ndarray) -> np.ndarray:
    """Frontal asymmetry: sigmoid of the front coordinate times the signed lateral coordinate, max |w| = 1."""
    x, y = positions[:, 0], positions[:, 1]
    weights = x / np.abs(x).max() / (1 + np.exp(-(y - FRONTAL_Y0) / FRONTAL_SCALE))
    return weights / np.abs(weights).max()


def arousal_weights(positions: np.ndarray) -> np.ndarray:
    """A Gaussian bump (in chord distance on the unit sphere) centred over the centro-parietal midline, max 1."""
    directions = positions / np.linalg.norm(positions, axis=1, keepdims=True)
    centre = np.asarray(AROUSAL_CENTRE) / np.linalg.norm(AROUSAL_CENTRE)
    weights = np.exp(-np.sum((directions - centre) ** 2, axis=1) / (2 * AROUSAL_WIDTH**2))
    return weights / weights.max()


def _scaled(spectrum: np.ndarray, std: float) -> np.ndarray:
    """`spectrum` scaled so that irfft(rfft(unit white noise) * spectrum) has standard deviation `std`."""
    weights = np.full(len(spectrum), 2.0)
    weights[[0, -1]] = 1.0  # DC and Nyquist appear once in the two-sided spectrum (even length)
    return spectrum * std / np.sqrt(np.sum(weights * spectrum**2) / TRIAL_SAMPLES)


def _band_spectrum(frequencies: np.ndarray, low: float, high: float) -> np.ndarray:
    """A Hann bump over [low, high] Hz, zero outside."""
    inside = (frequencies >= low) & (frequencies <= high)
    return np.where(inside, np.sin(np.pi * (frequencies - low) / (high - low)) ** 2, 0.0)


def amplitude_spectra() -> dict[str, np.ndarray]:
    """The amplitude spectra (rfft bins of a trial) of the background, alpha, arousal and peripheral parts."""
    frequencies = np.fft.rfftfreq(TRIAL_SAMPLES, d=1 / SAMPLING_RATE)
    pink = _scaled(1 / np.sqrt(np.maximum(frequencies, 1.0)), PINK_UV)
    pink[0] = 0.0
    sensor = _scaled(np.ones_like(frequencies), SENSOR_UV)
    bands = {name: _scaled(_band_spectrum(frequencies, *BANDS[name]), std) for name, std in OSCILLATION_UV.items()}
    peripheral = _scaled(np.exp(-0.5 * (frequencies / PERIPHERAL_CUTOFF_HZ) ** 2), PERIPHERAL_UV)
    peripheral[0] = 0.0
    return {"background": np.sqrt(pink**2 + sensor**2), "alpha": bands["alpha"],
            "arousal": np.sqrt(bands["beta"] ** 2 + bands["gamma"] ** 2), "peripheral": peripheral}


def simulate_ratings(rng: np.random.Generator, trials: int) -> np.ndarray:
    """Ratings (trials, 4) with every class in each cycle of four trials, consistent with the threshold 5."""
    classes = rng.permutation(np.resize(rng.permutation(len(CLASS_NAMES)), trials))
    high_arousal, high_valence = classes < 2, classes % 2 == 0  # CLASS_NAMES order: HAHV, HALV, LAHV, LALV
    distance = np.clip(np.abs(rng.normal(2.0, 1.0, (2, trials))), 0.01, 4.0)
    valence = CLASS_THRESHOLD + np.where(high_valence, 1, -1) * distance[0]
    arousal = CLASS_THRESHOLD + np.where(high_arousal, 1, -1) * distance[1]
    dominance, liking = rng.uniform(1.0, 9.0, (2, trials))
    return np.column_stack([valence, arousal, dominance, liking])


def simulate_subject(rng: np.random.Generator, trials: int, spectra: dict[str, np.ndarray],
                     patterns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One subject's {"data": (trials, 40, 8064), "labels": (trials, 4)}, both float64."""
    labels = simulate_ratings(rng, trials)
    n_eeg = len(DEAP_EEG_CHANNELS)
    gains = np.exp(rng.normal(0.0, CHANNEL_GAIN_SIGMA, n_eeg))[:, None]
    data = np.empty((trials, N_CHANNELS, TRIAL_SAMPLES))
    for trial, (valence, arousal) in enumerate(labels[:, :2]):
        noise = np.fft.rfft(rng.standard_normal((N_CHANNELS + n_eeg, TRIAL_SAMPLES)), axis=-1)
        background, bands = noise[:N_CHANNELS], noise[N_CHANNELS:]
        data[trial, n_eeg:] = np.fft.irfft(background[n_eeg:] * spectra["peripheral"], n=TRIAL_SAMPLES)
        eeg = np.fft.irfft(background[:n_eeg] * spectra["background"], n=TRIAL_SAMPLES)
        # (segment: baseline / stimulus, group: alpha / arousal, channel) log-amplitude state
        state = rng.normal(0.0, STATE_SIGMA[0], (2, 2, 1)) + rng.normal(0.0, STATE_SIGMA[1], (2, 2, n_eeg))
        emotion = EFFECT * np.stack([patterns["valence"] * (valence - 5) / 4, patterns["arousal"] * (arousal - 5) / 4])
        for group, name in enumerate(("alpha", "arousal")):  # disjoint bands: one noise draw serves both
            oscillation = np.fft.irfft(bands * spectra[name], n=TRIAL_SAMPLES)
            oscillation[:, :BASELINE_SAMPLES] *= np.exp(state[0, group])[:, None]
            oscillation[:, BASELINE_SAMPLES:] *= np.exp(state[1, group] + emotion[group])[:, None]
            eeg += oscillation
        data[trial, :n_eeg] = gains * eeg
    return {"data": data, "labels": labels}


def simulate_deap(root: str | Path, subjects: int, *, trials: int, seed: int) -> dict:
    """Write `root/s01.dat` .. `root/sNN.dat` in DEAP's format and `root/ground_truth.json`; return the truth.

    Subject k's file depends only on (seed, k), so adding subjects leaves earlier files unchanged;
    the same seed gives byte-identical files. One subject's data is in memory at a time.
    """
    if subjects < 1 or trials < 1:
        raise ValueError(f"{root}: need subjects >= 1 and trials >= 1, got subjects={subjects}, trials={trials}")
    refuse_foreign_files(root, subjects)
    positions = electrode_positions(MONTAGE, DEAP_EEG_CHANNELS)
    patterns = {"valence": valence_weights(positions), "arousal": arousal_weights(positions)}
    spectra = amplitude_spectra()
    for subject in range(1, subjects + 1):
        content = simulate_subject(np.random.default_rng([seed, subject]), trials, spectra, patterns)
        with atomic_path(subject_path(root, subject)) as tmp, open(tmp, "wb") as handle:
            _Python2Pickler(handle, protocol=2).dump(content)
        del content  # before the next subject is generated
    gain = "stimulus amplitude x exp(effect * w * ({} - 5) / 4)"
    truth = {
        "simulated": True, "seed": seed, "subjects": subjects, "trials": trials, "sampling_rate": SAMPLING_RATE,
        "bands": {name: list(edges) for name, edges in BANDS.items()},
        "valence": {"bands": ["alpha"], "effect": EFFECT, "channel_weights": _by_name(patterns["valence"]),
                    "pattern": f"frontal alpha asymmetry: alpha {gain.format('valence')}, w > 0 right frontal, "
                               "< 0 left frontal"},
        "arousal": {"bands": ["beta", "gamma"], "effect": EFFECT, "channel_weights": _by_name(patterns["arousal"]),
                    "pattern": f"centro-parietal beta and gamma: beta + gamma {gain.format('arousal')}, w >= 0 a "
                               "Gaussian bump over the centro-parietal midline"},
        "class_threshold": CLASS_THRESHOLD,
    }
    save_json(Path(root) / GROUND_TRUTH, truth)
    return truth


def refuse_foreign_files(root: str | Path, subjects: int) -> None:
    """A ValueError when writing subjects 1..`subjects` into `root` would overwrite files the simulator did not
    write: sXX.dat or ground_truth.json without a simulator's ground truth (real DEAP data, say) beside them.
    Other files in `root` are left alone (the simulator writes only its own names)."""
    root = Path(root)
    if not root.exists():
        return
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder; simulate-deap writes a folder of sXX.dat files")
    truth = root / GROUND_TRUTH
    ours = False
    if truth.is_file():
        try:
            ours = json.loads(truth.read_text()).get("simulated") is True
        except (OSError, ValueError, AttributeError):
            ours = False
    existing = [path.name for path in (subject_path(root, subject) for subject in range(1, subjects + 1))
                if path.exists()]
    if not ours and (existing or truth.exists()):
        named = (existing + [GROUND_TRUTH] * truth.exists())[:3]
        raise ValueError(f"{root}: holds {named} not written by simulate-deap (no simulator {GROUND_TRUTH}); "
                         "refusing to overwrite them (choose an empty --output-dir)")


def _by_name(weights: np.ndarray) -> dict[str, float]:
    """Channel name -> weight, for the ground truth."""
    return {name: round(float(weight), 6) for name, weight in zip(DEAP_EEG_CHANNELS, weights)}
