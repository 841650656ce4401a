"""A dataset's headline metrics (results/metrics/<dataset>/headline.json): per run, what its information table
and its Table 1 or Table 2 say, and nothing else; written by headline-metrics (DEAP) and summarize-runs."""

import json

import pandas as pd
import pytest

from cli_settings import main
from influential_factors.reporting.headline import headline_metrics


def _information(path, values, threshold=0.7):
    pd.DataFrame({"factor": range(len(values)), "I_est": values, "variance": [0.1] * len(values),
                  "influential": [value > threshold for value in values]}).to_csv(path, index=False)
    return path


def _table1(path, rows):
    pd.DataFrame(rows, columns=["top_percent", "n_factors", "I_used", "mse"]).to_csv(path, index=False)
    return path


def _table2(path, rows):
    pd.DataFrame([(percent, 1, 0.0, mean, 0.01, 3, False) for percent, mean in rows],
                 columns=["top_percent", "n_factors", "I_used", "accuracy_mean", "accuracy_std", "n_seeds",
                          "retrained"]).to_csv(path, index=False)
    return path


def test_headline_holds_each_runs_total_information_influential_count_and_top10_error(tmp_path):
    information = [_information(tmp_path / "a.csv", [3.0, 0.5, 1.25, 0.0]), _information(tmp_path / "b.csv", [0.2, 0.1])]
    tables = [_table1(tmp_path / "ta.csv", [(100, 4, 4.75, 11.5), (20, 1, 3.0, 14.0), (10, 1, 3.0, 16.25)]),
              _table1(tmp_path / "tb.csv", [(100, 2, 0.3, 20.0), (0, 0, 0.0, 30.0)])]  # no 10% row: no key
    metrics = headline_metrics([("beta_vae", 10.0, 0), ("isa_vae", 0.5, 2)], information, tables)
    assert metrics == {"beta_vae_beta10_seed0": {"I_total": 4.75, "n_influential": 2, "mse_top10": 16.25},
                       "isa_vae_beta0.5_seed2": {"I_total": pytest.approx(0.3), "n_influential": 0}}
    assert isinstance(metrics["beta_vae_beta10_seed0"]["n_influential"], int)


def test_deap_headline_reads_table2s_mean_accuracy_through_the_cli(tmp_path, capsys):
    information = _information(tmp_path / "mi.csv", [2.0, 0.9, 0.3])
    table = _table2(tmp_path / "t2.csv", [(100, 0.71), (50, 0.7), (10, 0.625), (0, 0.3)])
    output = tmp_path / "metrics" / "headline.json"
    assert main(["headline-metrics", "--dataset", "deap", "--runs", "beta_vae:6:0", "--information", str(information),
                 "--tables", str(table), "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == {"deap": {"beta_vae_beta6_seed0": {"I_total": pytest.approx(3.2), "n_influential": 2,
                                                                          "accuracy_top10": 0.625}}}
    assert main(["headline-metrics", "--dataset", "deap", "--runs", "beta_vae:6:0", "beta_vae:10:0", "--information", str(information),
                 "--tables", str(table), "--output", str(tmp_path / "short.json")]) == 1
    assert "2 runs but 1 information tables" in capsys.readouterr().err and not (tmp_path / "short.json").exists()
    assert main(["headline-metrics", "--dataset", "deap", "--runs", "beta_vae:6:0", "--information", str(information), "--tables",
                 str(information), "--output", str(tmp_path / "wrong.json")]) == 1
    assert "neither a Table 1 nor a Table 2" in capsys.readouterr().err
