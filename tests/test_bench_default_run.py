"""The default-run benchmark's reading of a timestamped `make reproduce` log (tests/benchmarks/bench_default_run.py)."""

import runpy
import sys
from pathlib import Path

import pytest
import yaml

BENCH = Path(__file__).parent / "benchmarks" / "bench_default_run.py"

LOG = """1000.000 start make -o install reproduce
1000.500 [Sat Dec  5 08:28:13 2026]
1000.500 localrule prepare_mnist:
1000.500     output: data/processed/mnist.npz
1000.500     jobid: 3
1010.000 [Sat Dec  5 08:28:23 2026]
1010.000 localrule train_vae:
1010.000     wildcards: dataset=mnist, objective=isa_vae, beta=10
1010.000     jobid: 5
1011.000 train isa_vae beta=10: 50%
1012.500 Finished jobid: 3 (Rule: prepare_mnist)
1110.000 Finished jobid: 5 (Rule: train_vae)
1111.000 rule generate:
1111.000     wildcards: dataset=mnist, objective=anchor_vae, beta=10
1111.000     jobid: 7
1120.000 Finished jobid: 7 (Rule: generate)
1130.000 end
"""


@pytest.fixture
def bench():
    return runpy.run_path(str(BENCH))


def test_each_job_runs_from_its_rule_line_to_its_finished_line(bench, tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG)
    start, wall, jobs = bench["read_log"](log)
    assert (start, wall) == (1000.0, 130.0)
    assert jobs == {"3": ("beta_vae", pytest.approx(12.0)), "5": ("isa_vae", pytest.approx(100.0)),
                    "7": ("generation", pytest.approx(9.0))}  # generation of any objective is its own group


def test_the_markdown_table_gives_job_and_wall_minutes_and_the_ratio(tmp_path, monkeypatch, capsys):
    (tmp_path / "whole.log").write_text(LOG)
    (tmp_path / "paper.log").write_text("1000.000 start\n" + LOG.split("\n", 1)[1].split("1010.000 [")[0]
                                        + "1012.500 Finished jobid: 3 (Rule: prepare_mnist)\n1065.000 end\n")
    table = tmp_path / "table.md"
    monkeypatch.setattr(sys, "argv", ["bench", "--read-only", "--workdir", str(tmp_path), "--markdown", str(table)])
    runpy.run_path(str(BENCH), run_name="__main__")
    rows = [line for line in table.read_text().splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == ["| whole | beta_vae | 1 | 0.2 | |", "| whole | isa_vae | 1 | 1.7 | |",
                        "| whole | generation | 1 | 0.1 | |", "| whole | all | 3 | | 2.2 |",
                        "| paper | beta_vae | 1 | 0.2 | |", "| paper | all | 1 | | 1.1 |"]
    assert "1970-01-01 00:16 UTC" in table.read_text()
    assert "takes 2.00x the paper's runs alone" in table.read_text()
    assert "whole / paper wall time: 2.00x" in capsys.readouterr().out


def test_the_papers_run_is_a_clone_without_the_other_objectives(bench, tmp_path):
    root = bench["clone"](tmp_path, "paper")
    params = yaml.safe_load((root / "params.yaml").read_text())
    assert params["vae"]["mnist"]["betas"] and all("objectives" not in settings for settings in params["vae"].values())
    assert (root / "Snakefile").read_bytes() == (Path(bench["REPOSITORY"]) / "Snakefile").read_bytes()
