"""Every run of a dataset side by side: known shares and anchor checks, the order of the rows, the metrics
JSON, and a clear error when a per-run list is short."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from influential_factors.reporting import run_summary
from influential_factors.cli import main


def write_run(root, name, information, mse=(8.0, 9.0), gain=1.5, mig=None):
    """An information table (I_est per factor, influential above 0.7), a Table 1 with top_percent 100 and 10
    rows (the 10 row left out when mse has one value), a generation metrics JSON and optionally a MIG JSON."""
    information = np.asarray(information, dtype=float)
    pd.DataFrame({"factor": range(len(information)), "I_est": information, "variance": information / 2,
                  "influential": information > 0.7}).to_csv(root / f"mi_{name}.csv", index=False)
    rows = [(100, len(information), information.sum(), mse[0], -2 * mse[0])] + (
        [(10, 1, information.max(), mse[1], -2 * mse[1])] if len(mse) > 1 else [])
    pd.DataFrame(rows, columns=["top_percent", "n_factors", "I_used", "mse", "log_px"]).to_csv(root / f"t_{name}.csv",
                                                                                                index=False)
    (root / f"g_{name}.json").write_text(json.dumps({"log_q_prior": -10.0, "log_q_qstar": -10.0 + gain,
                                                     "log_q_posterior": -8.0, "qstar_gain": gain}))
    if mig is not None:
        (root / f"mig_{name}.json").write_text(json.dumps({"mig": mig, "true_factors": 5, "n_influential": 2}))
    return [root / f"{prefix}_{name}.{suffix}" for prefix, suffix in (("mi", "csv"), ("t", "csv"), ("g", "json"))]


def test_top_share_is_the_information_of_the_top_ceil_ten_percent():
    information = np.array([0.0, 4.0, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 2.5, 0.0, 2.0])  # 12 factors: top 2
    assert run_summary.top_share(information) == pytest.approx((4.0 + 2.5) / 10.0)
    assert run_summary.top_share(information, 100) == 1.0
    assert np.isnan(run_summary.top_share(np.zeros(5)))


def test_anchors_count_those_among_the_top_factors():
    information = np.array([0.1, 3.0, 0.2, 2.0, 2.5])
    assert run_summary.anchors_in_top(information, [1, 4]) == 2  # the top two are 1 and 4
    assert run_summary.anchors_in_top(information, [1, 3]) == 1  # 3 is third
    assert run_summary.anchors_in_top(information, [0, 2, 3]) == 1  # the top three are 1, 4, 3
    with pytest.raises(ValueError, match=r"anchored factors \[5\] do not exist in a model of 5 factors"):
        run_summary.anchors_in_top(information, [1, 5])


def test_rows_put_beta_vae_first_then_the_objectives_as_given_each_by_beta_and_seed(tmp_path):
    runs = [("isa_vae", 2.0, 0), ("anchor_vae", 4.0, 0), ("beta_vae", 10.0, 0), ("anchor_vae", 1.0, 0), ("beta_vae", 1.0, 0)]
    files = [write_run(tmp_path, f"{objective}{beta:g}", [3.0, 0.1, 0.9, beta]) for objective, beta, _ in runs]
    summary = run_summary.run_summary(runs, *map(list, zip(*files)), anchors=[3])
    assert list(zip(summary["objective"], summary["beta"])) == [("beta_vae", 1.0), ("beta_vae", 10.0),
                                                                ("isa_vae", 2.0), ("anchor_vae", 1.0), ("anchor_vae", 4.0)]
    anchor = summary.set_index(["objective", "beta"])
    assert anchor.loc[("anchor_vae", 4.0), "anchors_in_top"] == 1 and anchor.loc[("anchor_vae", 4.0), "anchors_are_top"]
    assert anchor.loc[("anchor_vae", 1.0), "anchors_in_top"] == 0 and not anchor.loc[("anchor_vae", 1.0), "anchors_are_top"]
    assert summary["anchors_in_top"].isna().sum() == 3  # not anchored: no answer
    row = anchor.loc[("beta_vae", 10.0)]
    assert (row["I_total"], row["n_influential"], row["top10_share"]) == (pytest.approx(14.0), 3, pytest.approx(10 / 14))
    assert (row["mse"], row["mse_top10"], row["qstar_gain"], row["log_q_qstar"]) == (8.0, 9.0, 1.5, -8.5)


def test_command_writes_table_figure_and_metrics_and_names_a_short_list(tmp_path, capsys):
    first = write_run(tmp_path, "a", [2.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], mse=(7.0,), mig=0.4)
    second = write_run(tmp_path, "b", [1.0, 1.0, 0.0], gain=-0.5, mig=0.1)
    arguments = ["summarize-runs", "--runs", "beta_vae:4:0", "anchor_vae:2:3", "--tables", str(first[1]), str(second[1]),
                 "--generation", str(first[2]), str(second[2]), "--anchors", "0", "--output-stem",
                 str(tmp_path / "summary"), "--figure", str(tmp_path / "s.png"), str(tmp_path / "s.pdf"),
                 "--metrics", str(tmp_path / "m.json"), "--threshold", "0.7", "--title", "shapes",
                 "--headline", str(tmp_path / "headline.json"), "--dataset", "shapes"]
    both = ["--information", str(first[0]), str(second[0])]
    mig = ["--mig", str(tmp_path / "mig_a.json"), str(tmp_path / "mig_b.json")]
    assert main(arguments + mig + ["--information", str(first[0])]) == 1
    assert "2 --runs but 1 --information tables" in capsys.readouterr().err
    assert not (tmp_path / "summary.csv").exists() and not (tmp_path / "m.json").exists()
    assert main(arguments + both + mig[:2]) == 1
    assert "2 --runs but 1 --mig metrics" in capsys.readouterr().err
    assert main(arguments + both + mig) == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics == {
        "beta_vae_beta4_seed0": {"I_total": pytest.approx(3.0), "n_influential": 1, "top10_share": pytest.approx(2.1 / 3.0),
                                 "mse": 7.0, "log_px": -14.0, "qstar_gain": 1.5, "mig": 0.4},
        "anchor_vae_beta2_seed3": {"I_total": 2.0, "n_influential": 2, "top10_share": 0.5, "mse": 8.0, "log_px": -16.0,
                                   "qstar_gain": -0.5,
                             "mig": 0.1, "anchors_in_top": 1}}
    assert json.loads((tmp_path / "headline.json").read_text()) == {"shapes": {  # the few numbers dvc metrics shows
        "beta_vae_beta4_seed0": {"I_total": pytest.approx(3.0), "n_influential": 1},  # its Table 1 has no 10% row
        "anchor_vae_beta2_seed3": {"I_total": 2.0, "n_influential": 2, "mse_top10": 9.0}}}
    table = pd.read_parquet(tmp_path / "summary.parquet")
    assert list(table.columns) == ["objective", "beta", "seed", "I_total", "n_influential", "top10_share", "mse", "mse_top10",
                                   "log_px", "log_q_prior", "log_q_qstar", "qstar_gain", "mig", "anchors_in_top", "anchors_are_top"]
    assert np.isnan(table["mse_top10"].iloc[0]) and table["anchors_are_top"].iloc[1]
    image = imread(tmp_path / "s.png")
    assert image.shape[1] > 1200 and image[..., :3].std() > 0.05


def test_runs_must_be_objective_colon_beta_colon_seed_and_given_once(tmp_path, capsys):
    files = write_run(tmp_path, "a", [1.0, 0.0])
    common = ["--information", str(files[0]), str(files[0]), "--tables", str(files[1]), str(files[1]),
              "--generation", str(files[2]), str(files[2]), "--output-stem", str(tmp_path / "s"), "--figure",
              str(tmp_path / "s.png"), "--metrics", str(tmp_path / "m.json"), "--threshold", "0.7"]
    assert main(["summarize-runs", "--runs", "beta_vae:1:0", "beta_vae:1:0", *common]) == 1
    assert "a run is given twice" in capsys.readouterr().err
    assert main(["summarize-runs", "--runs", "beta_vae:1:0", "beta_vae:1:1", *common]) == 0  # two seeds: two runs
    for bad in ("beta_vae", "beta_vae:2", "beta_vae:2:x", "beta_vae:2:-1", "beta_vae:2:0:1"):
        with pytest.raises(SystemExit):
            main(["summarize-runs", "--runs", bad, "beta_vae:2:0", *common])
        assert f"{bad!r} is not OBJECTIVE:BETA:SEED" in capsys.readouterr().err


def test_the_figure_shows_each_objective_and_beta_as_the_mean_over_seeds_with_its_standard_error():
    summary = pd.DataFrame({"objective": ["beta_vae"] * 3 + ["isa_vae"], "beta": [1.0, 1.0, 1.0, 1.0],
                            "seed": [0, 1, 2, 0], "I_total": [1.0, 2.0, 6.0, 4.0], "mse": [3.0, 3.0, 3.0, 5.0]})
    means = run_summary.over_seeds(summary, ("I_total", "mse"))
    assert list(means["objective"]) == ["beta_vae", "isa_vae"]
    beta_vae = means.iloc[0]
    assert beta_vae["I_total"] == pytest.approx(3.0) and beta_vae["mse_se"] == 0
    assert beta_vae["I_total_se"] == pytest.approx(np.std([1.0, 2.0, 6.0], ddof=1) / np.sqrt(3))
    assert means.iloc[1]["I_total_se"] == 0  # one seed: no error bar
