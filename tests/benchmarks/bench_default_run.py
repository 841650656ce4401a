"""What the default run costs, objective by objective: `dvc repro` with every stage's wall time.

Runs `dvc repro` in the repository (or reads the timestamped log of an earlier run, --log) and attributes
the wall time between one "Running stage" line and the next to that stage: its Snakemake start, its job
and DVC's hashing of its outputs. Stages of an objective other than the beta-VAE carry its name
(`train_mnist_isa_vae@10`, dvc_stages.py), the generation from q* of every run is its own stage
(`generation_<dataset>`), and every other stage is the paper's run as it was before the objectives (the
beta-VAE grid, preparation, summaries, the report). Prints seconds per group and the ratio of the whole
run to the paper's alone: how much the objectives beyond the paper add to the default run.

    python tests/benchmarks/bench_default_run.py [--log results-run.log] [--read-only] [--markdown table.md]
"""

import argparse
import datetime
import re
import subprocess
import sys
import time
from collections import defaultdict

from influential_factors.objectives import DEFAULT, OBJECTIVES

STAGE = re.compile(r"Running stage '([^']+)'")
GENERATION = "generation"  # the stages generation_<dataset>: new for every run, the paper's included


def timestamped_repro(log_path: str) -> None:
    """Run `dvc repro`, echoing its output and writing each line to `log_path` behind the time it arrived.
    --no-run-cache: every stage runs, none is restored from an earlier run of the same command and deps."""
    with open(log_path, "w") as log, subprocess.Popen(["dvc", "repro", "--no-run-cache"], stdout=subprocess.PIPE,
                                                      stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(f"{time.time():.3f} {line}")
        log.write(f"{time.time():.3f} end\n")
    if process.returncode:
        sys.exit(f"dvc repro failed ({process.returncode}); the log so far is in {log_path}")


def stage_seconds(log_path: str) -> dict[str, float]:
    """Each stage's wall time from a timestamped log: until the next stage starts (the last: until the end)."""
    seconds, current, started = {}, None, None
    with open(log_path) as log:
        for line in log:
            stamp, _, text = line.partition(" ")
            match = STAGE.search(text)
            if current is not None and (match or text.strip() == "end"):
                seconds[current] = seconds.get(current, 0.0) + float(stamp) - started
                current = None
            if match:
                current, started = match.group(1), float(stamp)
    return seconds


def run_start(log_path: str) -> str:
    """When the timed run began (UTC), from the log's first stamp."""
    with open(log_path) as log:
        stamp = float(log.readline().partition(" ")[0])
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def group_of(stage: str) -> str:
    """What a stage is run for, by its name: an objective beyond the paper, the generation from q* of the
    beta-VAE's runs, or the paper's run."""
    name = stage.split("@")[0]
    objective = next((objective for objective in OBJECTIVES if objective != DEFAULT
                      and name.endswith(f"_{objective}")), None)
    return objective or (GENERATION if name.startswith(GENERATION) else DEFAULT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", default="results/logs/dvc_repro_timed.log",
                        help="the timestamped log to write (and read); with --read-only, an earlier run's")
    parser.add_argument("--read-only", action="store_true", help="only read --log, run nothing")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file (the README links it)")
    args = parser.parse_args()
    if not args.read_only:
        timestamped_repro(args.log)
    seconds = stage_seconds(args.log)
    groups, counts = defaultdict(float), defaultdict(int)
    for stage, value in seconds.items():
        groups[group_of(stage)] += value
        counts[group_of(stage)] += 1
    paper = groups[DEFAULT]
    rows = [(group, counts[group], value) for group, value in sorted(groups.items(), key=lambda item: item[0] != DEFAULT)]
    rows.append(("whole run", sum(counts.values()), sum(groups.values())))
    print(f"{'stages of':14s} {'count':>5s} {'seconds':>9s} {'vs the paper':>13s}")
    for group, count, value in rows:
        print(f"{group:14s} {count:5d} {value:9.0f} {value / paper:12.2f}x")
    if args.markdown:
        with open(args.markdown, "w") as table:
            table.write(f"<!-- written by `python {' '.join(sys.argv)}` from {args.log} -->\n\n"
                        f"`dvc repro --no-run-cache` of the default params.yaml, started {run_start(args.log)}:\n\n"
                        "| stages of | count | minutes | vs the paper's |\n|:--|--:|--:|--:|\n")
            table.writelines(f"| {group} | {count} | {value / 60:.1f} | {value / paper:.2f}x |\n"
                             for group, count, value in rows)


if __name__ == "__main__":
    main()
