"""Emotion classification from frame-wise beta-VAE codes: the paper's EEG experiment (Table 2, Figure 5).

Every DEAP trial is a 63-frame video; the frame-wise beta-VAE encodes each frame to its posterior
mean mu(x_t) (128 factors; codes are means, no posterior sampling). The classifier reads a
trial's codes as a sequence (videos, frames, factors), runs an LSTM (hidden 128) over the frames
and maps the last hidden state linearly to the 4 valence-arousal classes.

Table 2 keeps the top-k% factors by I_est and sets the others to 0 in the codes, under one of two
protocols:
- retrain=False: one classifier trained on the full codes is evaluated on ablated test codes;
- retrain=True: one classifier per k is trained, selected and evaluated on codes ablated alike.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from .ablation import keep_factors
from ..information.mi import top_k_factors
from ..models.vae import default_device


class EmotionLSTM(nn.Module):
    """LSTM over the per-frame codes, then a linear layer on its last hidden state."""

    def __init__(self, n_factors: int, hidden: int, n_classes: int = 4):
        super().__init__()
        self.n_classes = n_classes
        self.lstm = nn.LSTM(n_factors, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes (batch, frames, factors) -> class logits (batch, n_classes)."""
        _, (last_hidden, _) = self.lstm(codes)
        return self.head(last_hidden[-1])


def train_classifier(train_codes: np.ndarray, train_labels: np.ndarray, val_codes: np.ndarray,
                     val_labels: np.ndarray, *, hidden: int, epochs: int, batch_size: int, lr: float,
                     seed: int, device: torch.device | None = None) -> tuple[EmotionLSTM, dict]:
    """Train an EmotionLSTM by Adam on the cross-entropy; keep the epoch with the best validation accuracy.

    Codes are float32 (videos, frames, factors), labels int64 class indices. The data live on the
    device and batches are drawn by a seeded permutation, so the same seed gives the same model on
    CPU. Validation accuracy is compared as a count of correct videos, so ties keep the earlier
    epoch. Returns the model (best weights, eval mode) and the history: per-epoch `train_loss` and
    `val_accuracy`, and `best_epoch`, the 0-based index of the selected epoch in those lists.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    device = device or default_device()
    torch.manual_seed(seed)
    model = EmotionLSTM(train_codes.shape[2], hidden).to(device)
    for labels in (train_labels, val_labels):
        if labels.min() < 0 or labels.max() >= model.n_classes:
            raise ValueError(f"labels must lie in [0, {model.n_classes}), got {labels.min()}..{labels.max()}")
    x_train, y_train = _to_device(train_codes, train_labels, device)
    x_val, y_val = _to_device(val_codes, val_labels, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    history = {"train_loss": [], "val_accuracy": [], "best_epoch": 0}
    best_correct, best_state = -1, None

    progress = tqdm(range(epochs), desc=f"emotion classifier seed {seed}", unit="epoch")
    for epoch in progress:
        model.train()
        order = torch.randperm(len(x_train), generator=generator).to(device)
        total = 0.0
        for start in range(0, len(x_train), batch_size):
            batch = order[start:start + batch_size]
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch) / len(x_train)
        if not math.isfinite(total):
            raise FloatingPointError(f"classifier training diverged at epoch {epoch + 1} (loss {total})")
        correct = _count_correct(model, x_val, y_val, batch_size)
        history["train_loss"].append(total)
        history["val_accuracy"].append(correct / len(x_val))
        progress.set_postfix(loss=f"{total:.3f}", val_accuracy=f"{correct / len(x_val):.3f}")
        if correct > best_correct:
            best_correct, history["best_epoch"] = correct, epoch
            best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}

    model.load_state_dict(best_state)
    return model.eval(), history


def accuracy(model: EmotionLSTM, codes: np.ndarray, labels: np.ndarray, batch_size: int = 256) -> float:
    """Fraction of videos whose most likely class is the label."""
    codes, labels = _to_device(codes, labels, next(model.parameters()).device)
    return _count_correct(model, codes, labels, batch_size) / len(labels)


def topk_accuracy_table(train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                        test: tuple[np.ndarray, np.ndarray], information: np.ndarray, percents: list[float], *,
                        seeds: list[int], retrain: bool, **train_settings) -> pd.DataFrame:
    """Table 2: for each top-k% (descending), the factors kept, I_used and the test accuracy over seeds.

    `train`, `val` and `test` are (codes, labels) pairs; `train_settings` go to `train_classifier`.
    accuracy_std is the population standard deviation over the seeds.
    """
    kept_sets = [(percent, top_k_factors(information, percent)) for percent in sorted(percents, reverse=True)]
    accuracies = np.array([_seed_accuracies(train, val, test, [kept for _, kept in kept_sets], seed=seed,
                                            retrain=retrain, train_settings=train_settings) for seed in seeds])
    return pd.DataFrame([{
        "top_percent": percent,
        "n_factors": len(kept),
        "I_used": float(np.sum(information[kept])),
        "accuracy_mean": float(np.mean(per_seed)),
        "accuracy_std": float(np.std(per_seed)),
        "n_seeds": len(seeds),
        "retrained": retrain,
    } for (percent, kept), per_seed in zip(kept_sets, accuracies.T)])


def video_splits(posteriors: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The (codes, labels) of the train, val and test videos of an encode-videos file."""
    codes, labels = posteriors["mu"], posteriors["labels"]
    return {name: (codes[posteriors[name]], labels[posteriors[name]]) for name in ("train", "val", "test")}


def classify_topk(posteriors: str | Path, information: str | Path, output_stem: str | Path, metrics: str | Path, *,
                  percents: list[float], seeds: list[int], retrain: bool, hidden: int, epochs: int, batch_size: int,
                  lr: float) -> pd.DataFrame:
    """Table 2 (`classify-topk`) on encoded videos, saved with its metrics (`ablation.save_topk_results`)."""
    from .ablation import save_topk_results
    from ..data.posteriors import load_posteriors
    from ..information.mi import read_information

    factors = read_information(information)
    codes = load_posteriors(posteriors)
    if codes["mu"].ndim != 3 or len(factors) != codes["mu"].shape[-1]:
        raise ValueError(f"{posteriors}: needs encoded videos with {len(factors)} factors ({information})")
    splits = video_splits(codes)
    table = topk_accuracy_table(splits["train"], splits["val"], splits["test"], factors["I_est"].to_numpy(), percents,
                                seeds=seeds, retrain=retrain, hidden=hidden, epochs=epochs, batch_size=batch_size,
                                lr=lr)
    save_topk_results(table, factors, output_stem, metrics, "accuracy_mean")
    return table


def factor_drop(model: EmotionLSTM, codes: np.ndarray, labels: np.ndarray, information: np.ndarray,
                factors: list[int]) -> pd.DataFrame:
    """Per factor zeroed alone (Figure 5): test accuracy and its drop from the full-code accuracy, and
    the rise of the mean cross-entropy (nats), a finer measure than accuracy on a few test videos."""
    full_accuracy, full_loss = accuracy(model, codes, labels), cross_entropy(model, codes, labels)
    everything = np.arange(codes.shape[2])
    rows = []
    for factor in factors:
        ablated = keep_factors(codes, np.delete(everything, factor))
        ablated_accuracy = accuracy(model, ablated, labels)
        rows.append({"factor": int(factor), "I_est": float(information[factor]), "accuracy": ablated_accuracy,
                     "accuracy_drop": full_accuracy - ablated_accuracy,
                     "loss_increase": cross_entropy(model, ablated, labels) - full_loss})
    return pd.DataFrame(rows, columns=["factor", "I_est", "accuracy", "accuracy_drop", "loss_increase"])


@torch.no_grad()
def cross_entropy(model: EmotionLSTM, codes: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy (nats) of the true classes."""
    model.eval()
    codes, labels = _to_device(codes, labels, next(model.parameters()).device)
    return float(F.cross_entropy(model(codes), labels))


def _seed_accuracies(train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                     test: tuple[np.ndarray, np.ndarray], kept_sets: list[np.ndarray], *, seed: int,
                     retrain: bool, train_settings: dict) -> list[float]:
    """Test accuracy for each kept-factor set under one seed: one model on the full codes, or one per set."""
    if not retrain:
        model, _ = train_classifier(*train, *val, seed=seed, **train_settings)
        return [accuracy(model, *_ablate(test, kept)) for kept in kept_sets]
    accuracies = []
    for kept in kept_sets:
        model, _ = train_classifier(*_ablate(train, kept), *_ablate(val, kept), seed=seed, **train_settings)
        accuracies.append(accuracy(model, *_ablate(test, kept)))
    return accuracies


def _ablate(split: tuple[np.ndarray, np.ndarray], kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return keep_factors(split[0], kept), split[1]


def _to_device(codes: np.ndarray, labels: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    return (torch.as_tensor(codes, dtype=torch.float32).to(device),
            torch.as_tensor(labels, dtype=torch.int64).to(device))


@torch.no_grad()
def _count_correct(model: EmotionLSTM, codes: torch.Tensor, labels: torch.Tensor, batch_size: int) -> int:
    model.eval()
    return sum(int((model(codes[start:start + batch_size]).argmax(1) == labels[start:start + batch_size]).sum())
               for start in range(0, len(codes), batch_size))
