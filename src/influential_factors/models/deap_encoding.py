"""Encoding DEAP's videos frame by frame with the frame-wise beta-VAE, kept apart from encoding.py so
that reading posteriors (the estimators, the ablations, the classifier) never imports DEAP's video code."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.datasets import SPLITS
from ..data.deap_videos import load_videos
from .encoding import encode_images
from ..data.posteriors import Posteriors
from .vae import load_model


def encode_videos(model_path: str | Path, video_dir: str | Path, output: str | Path, videos_per_batch: int = 16) -> int:
    """Encode every frame of every video: `mu`, `logvar` (videos, frames, latents), `labels` (the
    emotion classes) and the split's `train`, `val`, `test` video indices."""
    model = load_model(model_path)
    videos, meta = load_videos(video_dir)
    mus, logvars = [], []
    for start in range(0, len(videos), videos_per_batch):
        chunk = np.array(videos[start:start + videos_per_batch])  # a writable copy of the memory map
        mu, logvar = encode_images(model, chunk.reshape(-1, *chunk.shape[2:]))
        mus.append(mu.reshape(len(chunk), chunk.shape[1], -1))
        logvars.append(logvar.reshape(len(chunk), chunk.shape[1], -1))
    Posteriors(np.concatenate(mus), np.concatenate(logvars), meta["classes"],
               {split: meta[split] for split in SPLITS}).save(output)
    return len(videos)
