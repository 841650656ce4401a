"""Encoding a split once: posterior means and log-variances of every sample, saved for reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .artifacts import load_arrays, save_arrays
from .datasets import load_split
from .training import images_to_tensor, load_model

POSTERIOR_ARRAYS = ("mu", "logvar", "labels")


@torch.no_grad()
def encode_images(model, images: np.ndarray, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """mu(x) and log sigma^2(x) of q(z|x) for uint8 images, as float32 arrays (N, latents)."""
    device = next(model.parameters()).device
    mus, logvars = [], []
    for start in range(0, len(images), batch_size):
        mu, logvar = model.encode(images_to_tensor(images[start:start + batch_size], device))
        mus.append(mu.cpu().numpy())
        logvars.append(logvar.cpu().numpy())
    return np.concatenate(mus), np.concatenate(logvars)


def encode_split(model_path: str | Path, data_path: str | Path, output: str | Path, split: str = "test") -> int:
    """Encode one split of a processed data set and save `mu`, `logvar` and `labels` to `output`."""
    model = load_model(model_path)
    images, labels = load_split(data_path, split)
    mu, logvar = encode_images(model, images)
    save_arrays(output, mu=mu, logvar=logvar, labels=labels)
    return len(mu)


def load_posteriors(path: str | Path) -> dict[str, np.ndarray]:
    """The saved posterior parameters, checked for shape agreement and finite values."""
    arrays = load_arrays(path, required=POSTERIOR_ARRAYS)
    mu, logvar = arrays["mu"], arrays["logvar"]
    if mu.ndim != 2 or mu.shape != logvar.shape or len(arrays["labels"]) != len(mu):
        raise ValueError(f"{path}: mu {mu.shape}, logvar {logvar.shape} and labels {arrays['labels'].shape} disagree")
    if not (np.isfinite(mu).all() and np.isfinite(logvar).all()):
        raise ValueError(f"{path}: mu or logvar holds NaN or infinite values")
    return arrays
