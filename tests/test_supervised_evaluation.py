"""The evaluation of a supervised model (the thesis 004's Tables 2 and 3, Figure 10): the attribute classifier
learns and round-trips, evaluate-supervised's numbers on a tiny MMVAE keep their bounds and sums, the swap has a
known answer, and a model without an attribute code is refused."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from influential_factors.reporting import figures

from influential_factors.evaluation import supervised_evaluation
from influential_factors.core.artifacts import save_arrays
from influential_factors.evaluation.attribute_classifier import (load_attribute_classifier, predict,
                                                      train_attribute_classifier)
from influential_factors.data.attributes import Attribute
from influential_factors.cli import main
from influential_factors.data.datasets import embedded_mnist, save_splits
from influential_factors.models.encoding import encode_split
from influential_factors.information.mi import estimate_information
from influential_factors.models.vae import BetaVAE
from influential_factors.evaluation.supervised_evaluation import evaluate_supervised
from influential_factors.models.training import train_vae

ATTRIBUTE = Attribute("mnist", "digit>=5")
CLASSES = ["digit<5", "digit>=5"]
LATENTS = 4
MMVAE = {"attributes": {"mnist": "digit>=5"}, "attribute_dims": 1, "prior_radius": 2.0, "prior_sigma": 0.5,
         "weights": {"c_y": 0.0, "z_y": 1.0, "z_c": 1.0}, "mine": {"hidden": 8, "lr": 1e-3, "ema_rate": 0.1}}
CLASSIFIER = {"channels": [4], "epochs": 4, "batch_size": 16, "lr": 1e-2, "seed": 0}
EVALUATION = {"seed": 0, "mine_steps": 30, "swap_images": 12}


def train(tmp_path, objective, settings, epochs):
    model = tmp_path / f"{objective}.pt"
    train_vae(tmp_path / "d.npz", model, tmp_path / f"live_{objective}", objective=objective,
              objective_settings=settings, beta=1.0, sigma2_x=0.05, channels=[4], hidden=8, latents=LATENTS,
              epochs=epochs, batch_size=12, lr=1e-2, seed=0, attribute=ATTRIBUTE if settings else None)
    return model


@pytest.fixture(scope="module")
def mmvae(tmp_path_factory):
    """A tiny MMVAE (2 epochs) on 200 MNIST digits (every 25th: the embedded digits are sorted by class), its test
    posteriors and information table, and an attribute classifier trained through the CLI."""
    root = tmp_path_factory.mktemp("mmvae")
    images, digits = embedded_mnist()
    save_splits(root / "d.npz", images[::25], digits[::25], (0.6, 0.2, 0.2), seed=0)
    model = train(root, "mmvae", MMVAE, epochs=2)
    encode_split(model, root / "d.npz", root / "posteriors.npz")
    estimate_information(root / "posteriors.npz", root / "mi")
    assert main(["train-attribute-classifier", "--data", str(root / "d.npz"), "--dataset", "mnist", "--attribute",
                 "digit>=5", "--output", str(root / "classifier.pt"), "--metrics", str(root / "classifier.json"),
                 "--channels", "4", "--epochs", "2", "--batch-size", "16", "--lr", "1e-2", "--seed", "0"]) == 0
    return root


def evaluation_paths(root, name):
    return dict(model_path=root / "mmvae.pt", data_path=root / "d.npz", posteriors_path=root / "posteriors.npz",
                information_path=root / "mi.csv", attribute=ATTRIBUTE, classifier_path=root / "classifier.pt",
                output_stem=root / name, figure_paths=[root / f"{name}.png"], metrics_path=root / f"{name}.json")


def brightness_data(path, seed=0):
    """Images whose brightness is the attribute digit>=5: dark noise for digits below 5, bright above."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, count in (("train", 160), ("val", 20), ("test", 80)):
        digits = rng.integers(0, 10, count)
        base = np.where(digits >= 5, 150, 0)[:, None, None, None]
        arrays |= {f"x_{split}": (base + rng.integers(0, 106, (count, 1, 8, 8))).astype(np.uint8),
                   f"y_{split}": digits.astype(np.int64)}
    save_arrays(path, **arrays)


def test_the_classifier_learns_a_separable_attribute_and_round_trips(tmp_path):
    brightness_data(tmp_path / "d.npz")
    metrics = train_attribute_classifier(tmp_path / "d.npz", ATTRIBUTE, tmp_path / "c.pt", tmp_path / "c.json",
                                         **CLASSIFIER)
    assert metrics["test_accuracy"] > 0.9 and metrics["classes"] == CLASSES
    assert json.loads((tmp_path / "c.json").read_text()) == metrics
    test = np.load(tmp_path / "d.npz")
    share = float((test["y_test"] >= 5).mean())
    assert metrics["chance"] == pytest.approx(max(share, 1 - share))
    classifier, classes = load_attribute_classifier(tmp_path / "c.pt", torch.device("cpu"))
    found = predict(classifier, torch.from_numpy(test["x_test"]) / 255.0).numpy()
    assert classes == CLASSES and (found == (test["y_test"] >= 5)).mean() == pytest.approx(metrics["test_accuracy"])
    train_attribute_classifier(tmp_path / "d.npz", ATTRIBUTE, tmp_path / "again.pt", tmp_path / "again.json",
                               **CLASSIFIER)
    assert (tmp_path / "again.pt").read_bytes() == (tmp_path / "c.pt").read_bytes()  # seeded


def test_the_evaluation_keeps_its_bounds_sums_and_figure_grid(mmvae, monkeypatch):
    drawn = []
    save = figures.save_figure

    def keep_grid(figure, *paths):
        axis = figure.axes[0]
        drawn.append((axis.images[0].get_array().shape, [label.get_text() for label in axis.get_xticklabels()]))
        save(figure, *paths)

    monkeypatch.setattr(figures, "save_figure", keep_grid)
    stem = mmvae / "evaluation"
    assert main(["evaluate-supervised", "--model", str(mmvae / "mmvae.pt"), "--data", str(mmvae / "d.npz"),
                 "--dataset", "mnist", "--attribute", "digit>=5", "--posteriors", str(mmvae / "posteriors.npz"),
                 "--information", str(mmvae / "mi.csv"), "--classifier", str(mmvae / "classifier.pt"),
                 "--output-stem", str(stem), "--figure", str(stem) + ".png", str(stem) + ".pdf",
                 "--metrics", str(stem) + ".json", "--seed", "0", "--mine-steps", "30", "--swap-images", "5"]) == 0
    table = pd.read_csv(str(stem) + ".csv")
    metrics = json.loads((mmvae / "evaluation.json").read_text())
    assert len(table) == 1 and table.loc[0, "objective"] == "mmvae" and table.loc[0, "beta"] == 1.0
    for column in ("I_z_y", "I_z_c", "I_c_y", "H_y", "I_est_z", "I_est_c"):
        assert math.isfinite(table.loc[0, column]) and table.loc[0, column] == pytest.approx(metrics[column])
    share = float((np.load(mmvae / "d.npz")["y_test"] >= 5).mean())
    assert table.loc[0, "H_y"] == pytest.approx(-share * math.log(share) - (1 - share) * math.log(1 - share))
    assert table.loc[0, "I_c_y"] <= table.loc[0, "H_y"] + 0.1
    information = pd.read_csv(mmvae / "mi.csv")["I_est"]
    assert table.loc[0, "I_est_c"] == pytest.approx(information.iloc[-1])  # c: the last attribute_dims (1) factor
    assert table.loc[0, "I_est_z"] + table.loc[0, "I_est_c"] == pytest.approx(information.sum())
    for column in ("swap_accuracy", "swap_accuracy_other", "classifier_test_accuracy"):
        assert 0 <= table.loc[0, column] <= 1
    assert set(metrics["swap_accuracy_per_class"]) == set(CLASSES)
    assert np.mean(list(metrics["swap_accuracy_per_class"].values())) == pytest.approx(metrics["swap_accuracy"])
    # one row per swapped image (5), the input then one column per class: tiles of 28 + 2 pixels
    assert drawn == [((5 * 30, 3 * 30), ["input", *CLASSES])]
    assert (stem.parent / "evaluation.png").stat().st_size > 0 and (stem.parent / "evaluation.pdf").stat().st_size > 0


class NearestPriorMean(nn.Module):
    """A judge that reads c back from an image whose first pixels hold the code it was decoded from (see
    `codes_as_images`) and names the class whose prior mean is nearest."""

    def __init__(self, means: torch.Tensor):
        super().__init__()
        self.means = nn.Parameter(means, requires_grad=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        c = images.flatten(1)[:, LATENTS - self.means.shape[1]:LATENTS]
        return -torch.cdist(c, self.means)


def codes_as_images(model, codes):
    images = torch.zeros(len(codes), *model.image_shape)
    images.view(len(codes), -1)[:, :LATENTS] = codes
    return images


def test_a_judge_that_reads_c_finds_every_swap(mmvae, monkeypatch):
    """Decoding writes the code into the image and the judge names the nearest prior mean: each image swapped to
    class j must be judged j, whatever the image's own class, so the swap accuracy is 1."""
    from influential_factors.models.vae import load_objective

    means = load_objective(mmvae / "mmvae.pt").prior_means
    monkeypatch.setattr(BetaVAE, "decode", codes_as_images)
    monkeypatch.setattr(supervised_evaluation, "load_attribute_classifier",
                        lambda path: (NearestPriorMean(means), CLASSES))
    metrics = evaluate_supervised(**evaluation_paths(mmvae, "stub"), **EVALUATION)
    assert metrics["swap_accuracy"] == 1.0 and metrics["swap_accuracy_other"] == 1.0
    assert metrics["swap_accuracy_per_class"] == {name: 1.0 for name in CLASSES}


def test_a_model_without_an_attribute_code_is_refused(mmvae):
    model = train(mmvae, "beta_vae", {}, epochs=1)
    with pytest.raises(ValueError, match=r"beta_vae\.pt: trained as beta_vae, not a supervised objective"):
        evaluate_supervised(**evaluation_paths(mmvae, "refused") | {"model_path": model}, **EVALUATION)
    assert not (mmvae / "refused.csv").exists()
