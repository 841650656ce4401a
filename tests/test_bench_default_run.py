"""The default-run benchmark's reading of a timestamped `dvc repro` log (tests/benchmarks/bench_default_run.py)."""

import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent / "benchmarks" / "bench_default_run.py"

LOG = """1000.000 Running stage 'prepare_mnist':
1010.000 some output
1012.500 Running stage 'train_mnist@10':
1112.500 Running stage 'train_mnist_isa_vae@10':
1200.000 Updating lock file 'dvc.lock'
1212.500 Running stage 'generation_mnist@10':
1220.000 Running stage 'generation_mnist_anchor_vae@10':
1230.000 Running stage 'train_mnist@10':
1231.000 end
"""


@pytest.fixture
def bench():
    return runpy.run_path(str(BENCH))


def test_each_stage_runs_until_the_next_starts_and_repeats_add_up(bench, tmp_path):
    log = tmp_path / "run.log"
    log.write_text(LOG)
    seconds = bench["stage_seconds"](str(log))
    assert seconds == pytest.approx({"prepare_mnist": 12.5, "train_mnist@10": 101.0, "train_mnist_isa_vae@10": 100.0,
                                     "generation_mnist@10": 7.5, "generation_mnist_anchor_vae@10": 10.0})


def test_stages_are_grouped_by_the_objective_their_name_ends_with(bench):
    group_of = bench["group_of"]
    assert [group_of(stage) for stage in ("train_mnist@10", "train_mnist_isa_vae@10", "generation_mnist@1",
                                          "generation_mnist_anchor_vae@10", "summary_mnist", "mig_shapes_beta_tcvae@4")] \
        == ["beta_vae", "isa_vae", "generation", "anchor_vae", "beta_vae", "beta_tcvae"]


def test_the_markdown_table_gives_minutes_and_ratios_to_the_papers_stages(tmp_path, monkeypatch, capsys):
    log, table = tmp_path / "run.log", tmp_path / "table.md"
    log.write_text(LOG)
    monkeypatch.setattr(sys, "argv", ["bench", "--read-only", "--log", str(log), "--markdown", str(table)])
    runpy.run_path(str(BENCH), run_name="__main__")
    rows = [line for line in table.read_text().splitlines() if line.startswith("| ") and "---" not in line]
    # the paper's: prepare 12.5 + train 101 = 113.5 s; isa_vae 100 s; generation 7.5 s; anchor_vae 10 s
    assert rows[1:] == ["| beta_vae | 2 | 1.9 | 1.00x |", "| isa_vae | 1 | 1.7 | 0.88x |",
                        "| generation | 1 | 0.1 | 0.07x |", "| anchor_vae | 1 | 0.2 | 0.09x |",
                        "| whole run | 5 | 3.9 | 2.04x |"]
    assert "1970-01-01 00:16 UTC" in table.read_text()
    assert "whole run" in capsys.readouterr().out
