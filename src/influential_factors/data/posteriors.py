"""The saved posterior parameters of an encoded split, `Posteriors`: the one type every step after
encoding reads (numpy only, so the estimators and tables start without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.artifacts import load_arrays, save_arrays
from .datasets import SPLITS

POSTERIOR_ARRAYS = ("mu", "logvar", "labels")


def non_finite_problem(mu: np.ndarray, logvar: np.ndarray) -> str | None:
    """What is wrong with non-finite posterior parameters (where, and sigma = 0 named as such), or None."""
    for name, array in (("mu", mu), ("logvar", logvar)):
        bad = ~np.isfinite(array)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            if name == "logvar" and np.isneginf(array[first]):
                return (f"logvar is -inf at index {first}: sigma = 0, where the estimator divides by zero "
                        f"({int(bad.sum())} non-finite values)")
            return f"{name} holds {int(bad.sum())} NaN or infinite values (first at index {first})"
    return None


@dataclass(frozen=True, eq=False)
class Posteriors:
    """The saved posterior parameters of one encoded split: what the estimators, the ablations and the
    classifier read, whether the VAE encoded images or the frames of DEAP videos.

    Images: `mu`, `logvar` (samples, factors), one code per test image, and their `labels`.
    Videos: `mu`, `logvar` (videos, frames, factors), one code per frame of every video, `labels`
    (videos,) and `splits`, the train/val/test video indices. Algorithm 1 reads `test_codes()`, the
    classifier `per_trial(split)`. For callers not yet moved over, `posteriors[name]` still gives the
    arrays by their names in the file ("mu", "logvar", "labels", and for videos "train", "val", "test").
    """

    mu: np.ndarray
    logvar: np.ndarray
    labels: np.ndarray
    splits: dict[str, np.ndarray] | None = None

    def __post_init__(self):
        mu, logvar, labels = self.mu, self.logvar, self.labels
        if mu.ndim not in (2, 3) or mu.shape != logvar.shape or labels.ndim == 0 or len(labels) != len(mu):
            raise ValueError(f"mu {mu.shape}, logvar {logvar.shape} and labels {labels.shape} disagree")
        if mu.ndim == 3 and (self.splits is None or not all(split in self.splits for split in SPLITS)):
            raise ValueError(f"encoded videos need their {SPLITS} indices")
        if mu.ndim == 2 and self.splits is not None:
            raise ValueError("encoded images have no video split indices")

    @property
    def videos(self) -> bool:
        """True for the codes of every frame of DEAP videos, False for one code per image."""
        return self.splits is not None

    @property
    def factors(self) -> int:
        """The number of latent factors H."""
        return self.mu.shape[-1]

    def test_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar) as (samples, factors) of the test set, the samples Algorithm 1 averages over: the
        encoded test images, or every frame of the test videos (the paper estimates DEAP's information on
        test-set frames)."""
        if not self.videos:
            return self.mu, self.logvar
        test = self.splits["test"]
        return self.mu[test].reshape(-1, self.factors), self.logvar[test].reshape(-1, self.factors)

    def per_trial(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """The posterior means (videos, frames, factors) and labels of one split's videos, the classifier's input."""
        if not self.videos:
            raise ValueError("per-trial codes need encoded videos; these are encoded images")
        indices = self.splits[split]
        return self.mu[indices], self.labels[indices]

    def arrays(self) -> dict[str, np.ndarray]:
        """The named arrays of the .npz file, in the order they are written."""
        splits = {split: self.splits[split] for split in SPLITS} if self.videos else {}
        return {"mu": self.mu, "logvar": self.logvar, "labels": self.labels} | splits

    def save(self, path: str | Path) -> None:
        """Write the arrays to an .npz file, atomically."""
        save_arrays(path, **self.arrays())

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays()[name]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays()


def load_posteriors(path: str | Path) -> Posteriors:
    """The saved posterior parameters, checked for shape agreement and finite values."""
    arrays = load_arrays(path, required=POSTERIOR_ARRAYS)
    splits = {split: arrays[split] for split in SPLITS if split in arrays} if arrays["mu"].ndim == 3 else None
    try:
        posteriors = Posteriors(arrays["mu"], arrays["logvar"], arrays["labels"], splits)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    problem = non_finite_problem(posteriors.mu, posteriors.logvar)
    if problem:
        raise ValueError(f"{path}: {problem}")
    return posteriors
