"""The command line: round trips, reproducible figures, params refused before any job (bad files: test_bad_input)."""

import subprocess

import numpy as np
import pandas as pd

from influential_factors.core.artifacts import save_arrays
from influential_factors.cli import main

from workflow_project import ScratchProject


def test_estimate_and_plot_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(100, 1)) * np.linspace(0, 3, 8)  # factor h scales one signal by 3h/7
    save_arrays(tmp_path / "latents.npz", mu=mu, logvar=np.full((100, 8), -2.0), labels=np.zeros(100, dtype=np.int64))
    assert main(["estimate-mi", "--posteriors", str(tmp_path / "latents.npz"), "--output-stem",
                 str(tmp_path / "estimates")]) == 0
    assert main(["flag-influential", "--estimates", str(tmp_path / "estimates.parquet"), "--output-stem",
                 str(tmp_path / "mi"), "--threshold", "0.5"]) == 0
    table = pd.read_csv(tmp_path / "mi.csv")
    assert list(table.sort_values("rank")["factor"]) == list(range(7, -1, -1))
    assert table["influential"].tolist() == (table["I_est"] > 0.5).tolist()
    assert main(["plot-information", "--information", str(tmp_path / "mi.csv"), "--output", str(tmp_path / "f.png"),
                 "--threshold", "0.5"]) == 0
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_workflow_refuses_bad_params_before_any_job(tmp_path, venv_bin):
    project = ScratchProject(tmp_path, venv_bin)
    project.set_param("analysis", "topk_percent", [100, 150])
    result = subprocess.run(["snakemake", "-n"], cwd=tmp_path, env=project.env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "analysis.topk_percent[1]: 150 is greater than the maximum of 100" in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()  # results/ holds only the code fingerprints, written with the workflow
    assert [path.name for path in (tmp_path / "results").iterdir()] == ["code"]


def test_figures_are_byte_reproducible(tmp_path):
    """No timestamp in the PDF: the same table draws the same bytes (DVC's hashes stay put)."""
    (tmp_path / "mi.csv").write_text("factor,I_est,variance,influential\n0,1.5,0.9,True\n1,0.1,0.05,False\n")
    for name in ("a", "b"):
        assert main(["plot-information", "--information", str(tmp_path / "mi.csv"),
                     "--output", str(tmp_path / f"{name}.pdf"), str(tmp_path / f"{name}.png"), "--threshold", "0.7"]) == 0
    for suffix in (".pdf", ".png"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    assert b"/CreationDate" not in (tmp_path / "a.pdf").read_bytes()
