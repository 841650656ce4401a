"""The GPU benchmark script runs whole at a tiny size on the CPU, so it is ready for a machine with a GPU."""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parent / "benchmarks" / "bench_gpu.py"


def test_every_part_runs_at_a_tiny_size_on_the_cpu(tmp_path):
    markdown = tmp_path / "gpu.md"
    printed = subprocess.run([sys.executable, str(BENCH), "--tiny", "--device", "cpu", "--markdown", str(markdown)],
                             check=True, capture_output=True, text=True).stdout
    text = markdown.read_text()
    assert text.strip() == printed.strip()
    assert text.startswith("# GPU benchmarks\n\ndevice: CPU only; torch ")
    titles = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert titles == ["Training throughput, three networks", "Mixture estimator",
                      "Paper-size MNIST preset (workflow/presets/paper-mnist.yaml)"]
    training = text.split("## ")[1]
    for network in ("mnist", "celeba", "deap"):  # both loops measured for every network, with a ratio
        rows = [line for line in training.splitlines() if f"| {network} |" in line]
        assert any("baseline" in row for row in rows) and any("| project |" in row for row in rows), network
        assert all(re.search(r"\| \d+\.\d\dx \|", row) for row in rows), rows
    mixture = text.split("## ")[2]  # both posterior sets, the current way against the new, same draws
    for posteriors in ("random posteriors", "beta-VAE-like"):
        row = re.search(rf"mixture, {posteriors}.*ratio [\d.]+x; max \|difference\| per factor ([\d.e-]+)", mixture)
        assert row and float(row.group(1)) < 1e-6, mixture
    epoch = re.search(r"one epoch of 256 digits: ([\d.]+) s; at this rate an epoch of 42,000 takes ([\d.]+) s", text)
    assert epoch and float(epoch.group(2)) > float(epoch.group(1)) > 0
