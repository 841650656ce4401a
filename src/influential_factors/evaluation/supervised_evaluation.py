"""The evaluation of a supervised model (MMVAE, r_cvae, csvae; objectives/mmvae.py) by the thesis 004 (section
3.4's two methods; section 4.2: Tables 2 and 3, Figure 10), beside Algorithm 1's information per factor.

- Table 2, the encoder: MINE lower bounds on I(z; y), I(z; c) and I(c; y) in nats (the thesis's bits are
  nats / ln 2), each from a fresh critic (mine.mine_information) as wide as the model's own critics, as the
  thesis's testing networks are, on one draw (z, c) ~ q(z, c|x) per test image and the image's label y;
  and H(y), the ceiling of I(c; y). An encoder that factorises the attribute has I(c; y) near H(y) and
  I(z; y), I(z; c) near 0.
- Algorithm 1 (mi.py) summed over the z block and over the c block: how the information moved between them.
- Table 3, the decoder: for the first `swap_images` test images, z at its posterior mean and c set to each
  class's prior mean m_j, decoded and judged by the attribute classifier (attribute_classifier.py); the
  swap accuracy is the share judged to be the class j asked for. The thesis swaps only to the opposite
  attribute value, with c drawn from p(c|y): `swap_accuracy` counts every target class, the image's own
  included, `swap_accuracy_other` only the others (the thesis's swap), both at the prior means.
- Figure 10: the first of those images, one row each (the input first), one column per class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .attribute_classifier import accuracy, load_attribute_classifier, predict
from ..data.attributes import Attribute
from ..information.mi import check_posteriors
from ..information.mine import label_entropy, mine_information, one_hot_labels
from ..models.vae import load_trained
from ..models.objectives.base import Objective

FIGURE_ROWS = 8  # the figure shows the first swapped images, at most this many
TABLE_COLUMNS = ("objective", "beta", "I_z_y", "I_z_c", "I_c_y", "H_y", "I_est_z", "I_est_c", "swap_accuracy",
                 "swap_accuracy_other", "classifier_test_accuracy")
TABLE_NOTE = ("MINE lower bounds and H(y) in nats (bits: / ln 2); I_est_z, I_est_c: Algorithm 1's I_est summed over "
              "the z and the c factors; swap accuracy: the share of images decoded with c at class j's prior mean that "
              "the attribute classifier judges to be j (_other: j not the image's own class, the thesis's Table 3)")


def code_information(objective: Objective, mu: np.ndarray, logvar: np.ndarray, labels: np.ndarray, *, seed: int,
                     steps: int) -> dict[str, float]:
    """Table 2: MINE's I(z; y), I(z; c), I(c; y) (nats) of one code (z, c) ~ q(z, c|x) per row of the posteriors
    (mu, logvar) and its label, and H(y)."""
    mu, logvar = (torch.from_numpy(array) for array in check_posteriors(mu, logvar))
    noise = torch.randn(mu.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z, c = (block.numpy() for block in objective.split(mu + torch.exp(0.5 * logvar) * noise))
    y = one_hot_labels(labels, objective.classes).numpy()
    settings = {"steps": steps, "hidden": objective.settings["mine"]["hidden"], "seed": seed}
    return {"I_z_y": mine_information(z, y, **settings), "I_z_c": mine_information(z, c, **settings),
            "I_c_y": mine_information(c, y, **settings), "H_y": label_entropy(labels)}


def block_information(objective: Objective, information: np.ndarray) -> dict[str, float]:
    """Algorithm 1's I_est per factor (latents,) summed over the z factors and over the c factors."""
    z, c = objective.split(torch.tensor(information)[None])
    return {"I_est_z": float(z.sum()), "I_est_c": float(c.sum())}


def swap_codes(z: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """Codes (classes, N, latents): every z_i of z (N, rest) with c set to each class's prior mean (classes, dims)."""
    return torch.cat([z.expand(len(means), *z.shape), means[:, None].expand(-1, len(z), -1)], dim=2)


def swap_accuracies(predictions: np.ndarray, labels: np.ndarray, classes: list[str]) -> dict:
    """Table 3 from the judged classes (classes, N) of the images swapped to each class and the images' own
    labels (N,): the share judged to be the class asked for, over all, over the other classes, and per class."""
    targets = np.arange(len(classes))[:, None]
    hits = predictions == targets
    return {"swap_accuracy": float(hits.mean()), "swap_accuracy_other": float(hits[targets != labels].mean()),
            "swap_accuracy_per_class": {name: float(row.mean()) for name, row in zip(classes, hits)}}


def evaluate_supervised(model_path: str | Path, data_path: str | Path, posteriors_path: str | Path,
                        information_path: str | Path, attribute: Attribute, classifier_path: str | Path,
                        output_stem: str | Path, figure_paths: list[str | Path], metrics_path: str | Path, *,
                        seed: int, mine_steps: int, swap_images: int) -> dict:
    """`evaluate-supervised`: the module docstring's numbers for a supervised model on the test split of
    `data_path` labelled by `attribute` (its posteriors and information table from encode and estimate-mi,
    the judge from train-attribute-classifier), `seed` the codes and the critics; a one-row table (STEM.csv,
    .parquet, .md), Figure 10 at every figure path and the metrics JSON (also per target class). Returns it."""
    from ..core.artifacts import save_json, save_table
    from ..reporting.figures import plot_input_columns
    from .generation import decode
    from ..information.mi import read_information
    from ..data.posteriors import load_posteriors

    if swap_images < 1:
        raise ValueError(f"swap_images must be at least 1, got {swap_images}")
    model, objective = load_trained(model_path)
    if not objective.supervised:
        raise ValueError(f"{model_path}: trained as {objective.name}, not a supervised objective (mmvae, r_cvae, "
                         "csvae): it has no attribute code c to evaluate")
    images, labels, classes = attribute.labelled_split(data_path, "test")
    classifier, judged = load_attribute_classifier(classifier_path)
    if len(classes) != objective.classes or judged != classes:
        raise ValueError(f"{attribute.name} of {data_path} has the classes {classes}; {model_path} was trained on "
                         f"{objective.classes} classes and {classifier_path} judges {judged}")
    mu, logvar = load_posteriors(posteriors_path).test_codes()
    information = read_information(information_path)["I_est"].to_numpy()
    if mu.shape != (len(images), model.latents) or len(information) != model.latents:
        raise ValueError(f"{posteriors_path} ({mu.shape[0]} codes of {mu.shape[1]} factors) and {information_path} "
                         f"({len(information)} factors) must match the {len(images)} test images of {data_path} and "
                         f"the {model.latents} latents of {model_path}")

    count = min(swap_images, len(images))
    codes = swap_codes(objective.split(torch.from_numpy(mu[:count]))[0], objective.prior_means.cpu())
    swapped = decode(model, codes.reshape(-1, model.latents).numpy()).reshape(*codes.shape[:2], *images.shape[1:])
    predictions = predict(classifier, torch.from_numpy(swapped).flatten(0, 1)).reshape(codes.shape[:2]).cpu().numpy()
    metrics = {"objective": objective.name, "beta": objective.beta,
               **code_information(objective, mu, logvar, labels, seed=seed, steps=mine_steps),
               **block_information(objective, information), **swap_accuracies(predictions, labels[:count], classes),
               "classifier_test_accuracy": accuracy(classifier, torch.from_numpy(images), labels), "classes": classes}
    save_table(pd.DataFrame([{column: metrics[column] for column in TABLE_COLUMNS}]), output_stem, note=TABLE_NOTE)
    rows = min(FIGURE_ROWS, count)
    plot_input_columns(images[:rows] / 255.0, swapped[:, :rows], classes,
                       "c set to the prior mean $m_j$ of each class, z kept at the test image's posterior mean",
                       f"{attribute.dataset} {objective.name} (beta {objective.beta:g}): attribute {attribute.name}",
                       *figure_paths)
    save_json(metrics_path, metrics)
    return metrics
