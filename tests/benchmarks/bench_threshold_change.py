"""What a change of the influential threshold re-runs, and how long it takes: `dvc repro` and Snakemake.

In a scratch copy of the project on the smoke configuration (tests/smoke_params.yaml, as the workflow tests
use), runs the whole workflow once with `dvc repro`, copies the finished project (Snakemake's metadata and
the files' times with it), then changes analysis.influential_threshold (0.7 -> 0.8 by default) in both
copies and times `dvc repro` in one and `snakemake --cores 2` in the other. Prints, and writes as Markdown,
each command's wall time and the stages (DVC) or jobs (Snakemake) it re-ran; no training, encoding, estimate-mi
or estimator stage may be among them (exit status 1 if one is).

    python tests/benchmarks/bench_threshold_change.py [--workdir /tmp/threshold_change] [--to 0.8]
                                                      [--markdown tests/benchmarks/threshold_change.md]

With `--from DIR`, a finished project (a checkout after `make reproduce`: the default configuration) is copied
instead of running the smoke configuration first.
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the workflow tests' scratch project

from workflow_project import ScratchProject  # noqa: E402

VENV_BIN = str(Path(sys.executable).parent)
EXPENSIVE_STAGES = re.compile(r"^(train|encode|mi|estimators)_")  # DVC stage names (dvc_stages.py)
EXPENSIVE_RULES = {"train_vae", "encode", "encode_videos", "estimate_mi", "compare_estimators"}
DVC_STAGE = re.compile(r"^Running stage '([^']+)'")
SNAKEMAKE_JOB = re.compile(r"^(?:local)?rule (\w+):")


def timed(project: ScratchProject, *command: str) -> tuple[float, str]:
    """Wall seconds and output of `command` in `project` (a failure stops the benchmark)."""
    start = time.perf_counter()
    output = project.run(*command)
    return time.perf_counter() - start, output


def set_threshold(project: ScratchProject, value: float) -> None:
    project.set_param("analysis", "influential_threshold", value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/threshold_change"))
    parser.add_argument("--to", type=float, default=0.8, help="the new threshold (smoke params: 0.7)")
    parser.add_argument("--markdown", type=Path, help="write the result there")
    parser.add_argument("--reuse", action="store_true",
                        help="finish the scratch project a failed run left in --workdir instead of starting afresh")
    parser.add_argument("--from", dest="source", type=Path,
                        help="copy this finished project (after `make reproduce`) instead of running the smoke one")
    args = parser.parse_args()
    dvc_root, snakemake_root = args.workdir / "dvc", args.workdir / "snakemake"
    os.environ["PYTHONPATH"] = str(dvc_root / "src")  # the copy's code: an edit elsewhere changes nothing here
    if args.source:
        shutil.rmtree(args.workdir, ignore_errors=True)
        shutil.copytree(args.source, dvc_root, symlinks=True, ignore=shutil.ignore_patterns(".venv", "dvc_plots"))
        project = ScratchProject(dvc_root, VENV_BIN, copy=False)
    elif args.reuse:
        shutil.rmtree(snakemake_root, ignore_errors=True)
        project = ScratchProject(dvc_root, VENV_BIN, copy=False)
    else:
        shutil.rmtree(args.workdir, ignore_errors=True)
        dvc_root.mkdir(parents=True)
        project = ScratchProject(dvc_root, VENV_BIN)
        project.run("dvc", "init", "-q", "--force")
    before = project.params["analysis"]["influential_threshold"]
    started = datetime.datetime.now(datetime.timezone.utc)
    first, _ = timed(project, "dvc", "repro")
    config = f"the project of {args.source} (its params.yaml)" if args.source else "the smoke configuration"
    print(f"first dvc repro ({config}{', finishing an earlier run' if args.reuse else ''}): {first:.0f} s", flush=True)
    shutil.copytree(dvc_root, snakemake_root, symlinks=True)  # copy2: the files' times, so Snakemake sees no change
    other = ScratchProject(snakemake_root, VENV_BIN, copy=False)
    other.env["PYTHONPATH"] = str(snakemake_root / "src")

    set_threshold(project, args.to)
    dvc_seconds, output = timed(project, "dvc", "repro")
    stages = sorted({match.group(1) for line in output.splitlines() if (match := DVC_STAGE.match(line))})
    set_threshold(other, args.to)
    snakemake_seconds, output = timed(other, "snakemake", "--cores", "2")
    jobs = [match.group(1) for line in output.splitlines() if (match := SNAKEMAKE_JOB.match(line))]
    job_counts = {rule: jobs.count(rule) for rule in sorted(set(jobs))}

    expensive = [stage for stage in stages if EXPENSIVE_STAGES.match(stage)] + sorted(EXPENSIVE_RULES & set(jobs))
    print(f"threshold {before:g} -> {args.to:g}")
    print(f"dvc repro: {dvc_seconds:.0f} s, {len(stages)} stages re-ran: {', '.join(stages)}")
    print(f"snakemake --cores 2: {snakemake_seconds:.0f} s, {len(jobs)} jobs re-ran: "
          + ", ".join(f"{rule} x{count}" for rule, count in job_counts.items()))
    print("expensive steps re-run: " + (", ".join(expensive) if expensive else "none"))
    if args.markdown:
        command = "python " + " ".join([str(Path(sys.argv[0]))] + sys.argv[1:])
        args.markdown.write_text(
            f"<!-- written by `{command}` -->\n\n"
            f"analysis.influential_threshold changed {before:g} -> {args.to:g} after a complete run, "
            + (f"the default configuration (params.yaml: {', '.join(project.params['datasets'])}; a copy of a"
               " checkout after `make reproduce`)" if args.source else
               f"smoke configuration (tests/smoke_params.yaml: {', '.join(project.params['datasets'])})")
            + f", on this machine ({os.cpu_count()} cores), started {started:%Y-%m-%d %H:%M} UTC. The first `dvc repro`"
            + (" (nothing to do) took" if args.source else " finished an earlier run's project in" if args.reuse
               else " of everything took") + f" {first:.0f} s.\n\n"
            "| command | wall seconds | re-ran |\n|:--|--:|:--|\n"
            f"| `dvc repro` | {dvc_seconds:.0f} | {len(stages)} stages: {', '.join(stages)} |\n"
            f"| `snakemake --cores 2` | {snakemake_seconds:.0f} | {len(jobs)} jobs: "
            + ", ".join(f"{rule} x{count}" for rule, count in job_counts.items()) + " |\n\n"
            + "Training, encoding, estimate-mi and estimator stages re-run: "
            + (", ".join(expensive) if expensive else "none") + ". `dvc repro` runs its stages one at a time,"
            " each starting Snakemake; `snakemake --cores 2` runs its jobs side by side.\n")
    return 1 if expensive else 0


if __name__ == "__main__":
    sys.exit(main())
