"""What the default run costs: the README's `make reproduce` (after the install), timed with and without the
objectives beyond the paper.

Runs the README's command twice, each in a clean clone of HEAD under --workdir: `whole` with the default
params.yaml (the paper's runs and the other objectives), `paper` with every `vae.<dataset>.objectives` dropped
(the paper's runs alone). Each run's output is logged line by line with the time it arrived; from Snakemake's
job lines the seconds each job ran are added up by what it is run for: an objective beyond the paper, the
generation from q* (new for every run, the paper's included), or the paper's run. Prints each run's wall time,
its job seconds per group, and the ratio of the whole run's wall time to the paper's (issue 16 bounds it at 1.4).

    python tests/benchmarks/bench_default_run.py [--workdir /tmp/default_run] [--runs whole paper]
                                                 [--read-only] [--markdown table.md]
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

from influential_factors.models.objectives.registry import DEFAULT

REPOSITORY = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent  # the installed environment: `make -o install` uses it as it is
JOB = re.compile(r"^(?:local)?rule (\w+):")
JOB_ID = re.compile(r"^\s+jobid: (\d+)")
OBJECTIVE = re.compile(r"^\s+wildcards: .*\bobjective=(\w+)")
FINISHED = re.compile(r"^Finished jobid: (\d+)")
GENERATION = "generation"  # rule `generate`: new for every run, the paper's included
RUNS = ("whole", "paper")


def clone(workdir: Path, run: str) -> Path:
    """A clean clone of HEAD for `run`; for `paper`, params.yaml without the objectives beyond the paper."""
    root = workdir / run
    subprocess.run(["rm", "-rf", str(root)], check=True)
    subprocess.run(["git", "clone", "-q", str(REPOSITORY), str(root)], check=True)
    if run == "paper":
        params_path = root / "params.yaml"
        params = yaml.safe_load(params_path.read_text())
        for settings in params["vae"].values():
            settings.pop("objectives", None)
        params_path.write_text(yaml.safe_dump(params, sort_keys=False))
    return root


def timestamped_run(root: Path, log_path: Path) -> None:
    """The README's `make reproduce` in `root`, its install taken as done (make -o install), every output
    line written to `log_path` behind the time it arrived."""
    command = ["make", "-o", "install", "reproduce", f"VENV={VENV}"]
    env = dict(os.environ, PYTHONPATH=str(root / "src"))  # the clone's code, whatever the venv was installed from
    with open(log_path, "w") as log, subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                                                      stderr=subprocess.STDOUT, text=True) as process:
        log.write(f"{time.time():.3f} start {' '.join(command)}\n")
        for line in process.stdout:
            log.write(f"{time.time():.3f} {line}")
        log.write(f"{time.time():.3f} end\n")
    if process.returncode:
        sys.exit(f"{' '.join(command)} failed in {root} ({process.returncode}); the log is {log_path}")


def read_log(log_path: Path) -> tuple[float, float, dict[str, tuple[str, float]]]:
    """The run's start and wall seconds, and each Snakemake job's (group, seconds) by job id: from the line
    naming its rule to the line saying it finished."""
    jobs, started, current = {}, {}, None
    with open(log_path) as log:
        lines = [line.rstrip("\n").partition(" ")[::2] for line in log]
    for stamp, text in lines:
        stamp = float(stamp)
        if match := JOB.match(text):
            current = {"group": GENERATION if match.group(1) == "generate" else DEFAULT, "start": stamp}
        elif current is not None and (match := OBJECTIVE.match(text)) and current["group"] != GENERATION:
            current["group"] = match.group(1)
        elif current is not None and (match := JOB_ID.match(text)):
            started[match.group(1)] = current
        elif (match := FINISHED.match(text)) and match.group(1) in started:
            job = started.pop(match.group(1))
            jobs[match.group(1)] = (job["group"], stamp - job["start"])
    start, end = float(lines[0][0]), float(lines[-1][0])
    return start, end - start, jobs


def summary(logs: dict[str, Path]) -> list[tuple[str, str, int, float]]:
    """Rows (run, group, jobs, seconds): each run's job seconds per group, then its wall time."""
    rows = []
    for run, log_path in logs.items():
        _, wall, jobs = read_log(log_path)
        seconds, counts = defaultdict(float), defaultdict(int)
        for group, value in jobs.values():
            seconds[group] += value
            counts[group] += 1
        rows += [(run, group, counts[group], seconds[group]) for group in sorted(seconds, key=lambda g: g != DEFAULT)]
        rows.append((run, "wall time", len(jobs), wall))
    return rows


def markdown(rows, logs: dict[str, Path], command: str) -> str:
    """The table as Markdown, with the ratio of the runs' wall times."""
    walls = {run: value for run, group, _, value in rows if group == "wall time"}
    start = datetime.datetime.fromtimestamp(read_log(next(iter(logs.values())))[0], datetime.timezone.utc)
    text = (f"<!-- written by `{command}` from {', '.join(map(str, logs.values()))} -->\n\n"
            f"`make reproduce` from a clean clone on this machine, started {start:%Y-%m-%d %H:%M} UTC "
            "(job seconds overlap: jobs run side by side):\n\n"
            "| run | jobs of | jobs | job minutes | wall minutes |\n|:--|:--|--:|--:|--:|\n")
    text += "".join(f"| {run} | {group} | {count} | {value / 60:.1f} | |\n" if group != "wall time"
                    else f"| {run} | all | {count} | | {value / 60:.1f} |\n" for run, group, count, value in rows)
    if {"whole", "paper"} <= set(walls):
        text += f"\nThe whole run takes {walls['whole'] / walls['paper']:.2f}x the paper's runs alone.\n"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/default_run"), help="where the clones go")
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=RUNS, help="which runs (default: both)")
    parser.add_argument("--read-only", action="store_true", help="only read the logs of earlier runs in --workdir")
    parser.add_argument("--markdown", help="also write the table as Markdown to this file (the README links it)")
    args = parser.parse_args()
    logs = {run: args.workdir / f"{run}.log" for run in args.runs}
    if not args.read_only:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for run in args.runs:
            timestamped_run(clone(args.workdir, run), logs[run])
    rows = summary(logs)
    print(f"{'run':6s} {'jobs of':12s} {'jobs':>5s} {'seconds':>9s}")
    for run, group, count, value in rows:
        print(f"{run:6s} {group:12s} {count:5d} {value:9.0f}")
    walls = {run: value for run, group, _, value in rows if group == "wall time"}
    if len(walls) == 2:
        print(f"whole / paper wall time: {walls['whole'] / walls['paper']:.2f}x")
    if args.markdown:
        Path(args.markdown).write_text(markdown(rows, logs, f"python {' '.join(sys.argv)}"))


if __name__ == "__main__":
    main()
