"""Top-k selection (ties, k = 0 and 100) and the Table 1 rule on a model with a known answer."""

import math

import numpy as np
import pytest
import torch

from influential_factors.evaluation.ablation import keep_factors, reconstruction_table
from influential_factors.information.mi import top_k_count, top_k_factors


@pytest.mark.parametrize("percent, expected", [(100, 128), (20, 26), (10, 13), (7, 9), (5, 7), (4, 6),
                                               (3, 4), (2, 3), (1, 2), (0, 0)])
def test_top_k_count_is_the_ceiling_of_the_share_of_128_factors(percent, expected):
    assert top_k_count(percent, 128) == expected


def test_top_k_count_does_not_round_up_float_noise():
    assert top_k_count(7, 100) == 7  # 7 * 100 / 100 is 7.000000000000001 in floating point
    assert top_k_count(10, 10) == 1


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_top_k_count_rejects_percentages_outside_0_100(percent):
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        top_k_count(percent, 10)


def test_top_k_factors_breaks_ties_by_index_and_covers_the_extremes():
    information = np.array([0.5, 2.0, 2.0, 0.1])
    assert list(top_k_factors(information, 50)) == [1, 2]
    assert list(top_k_factors(information, 25)) == [1]
    assert list(top_k_factors(information, 0)) == []
    assert sorted(top_k_factors(information, 100)) == [0, 1, 2, 3]


def test_keep_factors_zeroes_exactly_the_other_factors():
    codes = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    kept = keep_factors(codes, np.array([3, 1]))
    np.testing.assert_array_equal(kept, [[0, 2, 0, 4], [0, 6, 0, 8], [0, 10, 0, 12]])
    assert kept.dtype == codes.dtype
    np.testing.assert_array_equal(codes[:, 0], [1, 5, 9])  # the input is not modified


class PixelDecoder(torch.nn.Module):
    """Decodes z (N, 3) to 1x1x3 'images' equal to sigmoid-free z itself, a Gaussian of variance 1/2: the SSE and
    log p(x|z) = -SSE - 3/2 log(pi) are known exactly."""

    def __init__(self):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(()))

    def decoder(self, z):
        return z.view(-1, 3, 1, 1)

    def decode_params(self, x_params):
        return x_params

    def decode(self, z):
        return self.decode_params(self.decoder(z))

    def log_likelihood(self, x, x_params):
        return -(x_params - x).pow(2).flatten(1).sum(1) - 1.5 * math.log(math.pi)


def test_reconstruction_table_on_an_identity_decoder():
    images = np.array([[[[51]], [[102]], [[255]]]] * 4, dtype=np.uint8)  # values 0.2, 0.4, 1.0
    mu = np.tile(np.array([0.2, 0.4, 1.0], dtype=np.float32), (4, 1))
    information = np.array([0.3, 0.1, 2.0])
    table = reconstruction_table(PixelDecoder(), images, mu, information, [0, 100, 34])
    assert list(table["top_percent"]) == [100, 34, 0]
    assert list(table["n_factors"]) == [3, 2, 0]
    np.testing.assert_allclose(table["I_used"], [2.4, 2.3, 0.0])
    np.testing.assert_allclose(table["mse"], [0.0, 0.4**2, 0.2**2 + 0.4**2 + 1.0], atol=1e-6)
    np.testing.assert_allclose(table["log_px"], -table["mse"] - 1.5 * math.log(math.pi), atol=1e-6)


def test_topk_metrics_name_each_row_by_its_percent():
    import pandas as pd

    from influential_factors.evaluation.ablation import topk_metrics

    information = pd.DataFrame({"I_est": [1.5, 0.25, 0.0], "influential": [True, False, False]})
    table = pd.DataFrame({"top_percent": [100, 33.3, 0], "I_used": [1.75, 1.5, 0.0], "accuracy_mean": [0.5, 0.4, 0.25],
                          "accuracy_std": [0.1, 0.0, 0.05]})
    assert topk_metrics(table, information, "accuracy_mean") == {
        "I_total": 1.75, "n_influential": 1, "I_used": {"top100": 1.75, "top33.3": 1.5, "top0": 0.0},
        "accuracy": {"top100": 0.5, "top33.3": 0.4, "top0": 0.25},
        "accuracy_std": {"top100": 0.1, "top33.3": 0.0, "top0": 0.05}}
    assert set(topk_metrics(table.drop(columns="accuracy_std"), information, "accuracy_mean")) == {
        "I_total", "n_influential", "I_used", "accuracy"}


def test_influential_metrics_add_the_count_where_the_thresholded_metrics_had_it(tmp_path):
    """ablate-topk and classify-topk write their metrics without a threshold (estimate-mi's table has no flag);
    influential-metrics adds the count after I_total: the same JSON as from the flagged table."""
    import json

    import pandas as pd

    from influential_factors.core.artifacts import save_json
    from influential_factors.evaluation.ablation import add_influential_count, topk_metrics

    flagged = pd.DataFrame({"factor": [0, 1, 2], "I_est": [1.5, 0.25, 0.0], "variance": [1.0, 0.1, 0.0],
                            "influential": [True, False, False]})
    table = pd.DataFrame({"top_percent": [100, 0], "I_used": [1.75, 0.0], "mse": [1.0, 4.0]})
    unflagged = topk_metrics(table, flagged.drop(columns="influential"), "mse")
    assert "n_influential" not in unflagged
    save_json(tmp_path / "topk.json", unflagged)
    flagged.drop(columns="influential").to_parquet(tmp_path / "estimates.parquet", index=False)
    result = add_influential_count(tmp_path / "topk.json", tmp_path / "estimates.parquet", tmp_path / "metrics.json",
                                   threshold=0.7)
    expected = topk_metrics(table, flagged, "mse")
    assert result == expected and list(result) == list(expected)
    assert json.loads((tmp_path / "metrics.json").read_text()) == expected


def test_ablate_topk_writes_table1_and_figure4_from_the_same_decoder(tmp_path, monkeypatch):
    """`ablate-topk` draws Figure 4 with the model it ablates: the input column is the first test images, the
    100% column their full reconstructions (whose error is Table 1's top-100 row over all test images), the 0%
    column the image of z = 0."""
    import pandas as pd

    from influential_factors.core.artifacts import save_arrays
    from influential_factors.cli import main
    from influential_factors.models.encoding import encode_images
    from influential_factors.data.posteriors import Posteriors
    from test_generation import save_tiny_model

    model = save_tiny_model(tmp_path / "model.pt")
    images = np.random.default_rng(0).integers(0, 256, size=(12, 1, 8, 8), dtype=np.uint8)
    save_arrays(tmp_path / "data.npz", x_test=images, y_test=np.zeros(12, dtype=np.int64))
    mu, logvar = encode_images(model, images)
    Posteriors(mu, logvar, np.zeros(12, dtype=np.int64)).save(tmp_path / "latents.npz")
    pd.DataFrame({"factor": range(3), "I_est": [0.5, 2.0, 0.1], "variance": [1.0] * 3,
                  "influential": [False, True, False]}).to_csv(tmp_path / "mi.csv", index=False)
    drawn = []
    monkeypatch.setattr("influential_factors.reporting.figures.plot_topk_generation",
                        lambda originals, columns, labels, title, *paths: drawn.append((originals, columns, labels)))
    assert main(["ablate-topk", "--model", str(tmp_path / "model.pt"), "--data", str(tmp_path / "data.npz"),
                 "--posteriors", str(tmp_path / "latents.npz"), "--information", str(tmp_path / "mi.csv"),
                 "--output-stem", str(tmp_path / "table1"), "--metrics", str(tmp_path / "m.json"),
                 "--figure", str(tmp_path / "f4.png"), "--percents", "0", "100", "34", "--images", "4"]) == 0
    (originals, columns, labels), = drawn
    with torch.no_grad():
        full = model.decode(torch.from_numpy(mu)).numpy()
        empty = model.decode(torch.zeros(1, 3)).numpy()
    np.testing.assert_array_equal(originals, images[:4] / 255.0)
    assert columns.shape == (3, 4, 1, 8, 8) and labels == ["100%\n(3)", "34%\n(2)", "0%\n(0)"]
    np.testing.assert_allclose(columns[0], full[:4], atol=1e-6)
    np.testing.assert_allclose(columns[2], np.broadcast_to(empty, (4, 1, 8, 8)), atol=1e-6)
    table = pd.read_csv(tmp_path / "table1.csv")
    assert list(table["top_percent"]) == [100, 34, 0]
    assert table["mse"][0] == pytest.approx(((full - images / 255.0) ** 2).sum(axis=(1, 2, 3)).mean(), rel=1e-5)
