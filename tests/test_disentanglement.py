"""ISA-VAE's comparison over the seeds: means, standard errors and the paper's upper-half statistic on known
numbers, the paper's representative models beside the right rows, and the command's files."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from influential_factors.cli import main
from influential_factors.reporting.disentanglement import PAPER_REPRESENTATIVE, disentanglement_table, upper_half_mean


def runs_table() -> pd.DataFrame:
    """summarize-runs' table: beta-VAE at beta 2 from three seeds, ISA-VAE at beta 2 from two, beta-TCVAE at 5."""
    return pd.DataFrame({"objective": ["beta_vae"] * 3 + ["isa_vae"] * 2 + ["beta_tcvae"],
                         "beta": [2.0, 2.0, 2.0, 2.0, 2.0, 5.0], "seed": [0, 1, 2, 0, 1, 0],
                         "mig": [0.1, 0.4, 0.1, 0.3, 0.5, 0.2], "log_px": [-30.0, -32.0, -34.0, -25.0, -27.0, -40.0]})


def test_the_upper_half_is_the_better_ceil_half():
    assert upper_half_mean(pd.Series([0.1, 0.4, 0.1])) == pytest.approx(0.25)  # the better 2 of 3
    assert upper_half_mean(pd.Series([0.3, 0.5, 0.1, 0.2])) == pytest.approx(0.4)  # the better 2 of 4
    assert upper_half_mean(pd.Series([0.7])) == pytest.approx(0.7)


def test_each_objective_and_beta_is_its_seeds_mean_and_standard_error_beside_the_paper():
    table = disentanglement_table(runs_table()).set_index(["objective", "beta"])
    beta_vae = table.loc[("beta_vae", 2.0)]
    assert beta_vae["seeds"] == 3 and beta_vae["mig_mean"] == pytest.approx(0.2)
    assert beta_vae["mig_se"] == pytest.approx(np.std([0.1, 0.4, 0.1], ddof=1) / math.sqrt(3))
    assert beta_vae["log_px_mean"] == pytest.approx(-32.0) and beta_vae["log_px_se"] == pytest.approx(2 / math.sqrt(3))
    assert (beta_vae["mig_paper"], beta_vae["log_px_paper"]) == PAPER_REPRESENTATIVE[("beta_vae", 2.0)] == (0.28, -29.40)
    assert table.loc[("isa_vae", 2.0), "mig_paper"] == 0.41 and table.loc[("isa_vae", 2.0), "mig_upper_half"] == 0.5
    one_seed = table.loc[("beta_tcvae", 5.0)]
    assert one_seed["mig_se"] == 0 and math.isnan(one_seed["mig_paper"])  # no representative model at beta 5


def test_a_table_without_mig_or_log_likelihood_is_refused():
    with pytest.raises(ValueError, match="the runs table lacks log_px, mig"):
        disentanglement_table(runs_table().drop(columns=["mig", "log_px"]))


def test_the_command_writes_table_figure_and_metrics(tmp_path):
    runs_table().to_parquet(tmp_path / "runs.parquet")
    assert main(["disentanglement", "--runs", str(tmp_path / "runs.parquet"), "--output-stem", str(tmp_path / "d"),
                 "--figure", str(tmp_path / "d.png"), str(tmp_path / "d.pdf"), "--metrics", str(tmp_path / "d.json"),
                 "--title", "dSprites"]) == 0
    metrics = json.loads((tmp_path / "d.json").read_text())
    assert sorted(metrics) == ["beta_tcvae_beta5", "beta_vae_beta2", "isa_vae_beta2"]
    assert metrics["isa_vae_beta2"] == pytest.approx({"seeds": 2, "mig": 0.4, "mig_se": 0.1, "mig_upper_half": 0.5,
                                                      "log_px": -26.0})
    assert pd.read_csv(tmp_path / "d.csv")["objective"].tolist() == ["beta_vae", "isa_vae", "beta_tcvae"]
    image = imread(tmp_path / "d.png")
    assert image.shape[1] > 600 and image[..., :3].std() > 0.05
    assert (tmp_path / "d.pdf").read_bytes()[:5] == b"%PDF-"
