"""Profile of a whole workflow run: every CLI command that `snakemake` runs, under cProfile, added up.

Runs `snakemake --cores N --forceall all` with INFLUENTIAL_FACTORS_PROFILE set (profiling.py), or reads the
profiles of an earlier run (--read-only), and prints: seconds per command (jobs, total, mean); the top
functions by their own time over every job; and the repeated work a job must not do: the most times one job
loaded a model (models/vae.load_model, torch.load) or encoded images (models/encoding.encode_images).

    python tests/benchmarks/profile_run.py [--folder results/logs/profile] [--cores 2] [--read-only] [--top 10]
"""

import argparse
import os
import pstats
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

from influential_factors.pipeline.profiling import PROFILE

REPEATED_WORK = {  # what one job should do at most once per model or split: (file suffix, function name)
    "load_model": ("influential_factors/models/vae.py", "load_model"),
    "torch.load": ("torch/serialization.py", "load"),
    "encode_images": ("influential_factors/models/encoding.py", "encode_images"),
}


def profiled_run(folder: Path, cores: str) -> None:
    """The whole DAG again (--forceall), every command profiled into `folder` (emptied first)."""
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run(["snakemake", "--cores", cores, "--forceall", "--quiet", "all"], check=True,
                   env=dict(os.environ, **{PROFILE: str(folder.resolve())}))


def command_of(profile: Path) -> str:
    return profile.stem.rpartition("-")[0]


def calls(stats: pstats.Stats, suffix: str, name: str) -> int:
    """How often the profiled job called the function `name` defined in a file ending in `suffix`."""
    return sum(value[1] for (file, _, function), value in stats.stats.items()
               if function == name and file.replace(os.sep, "/").endswith(suffix))


def summary(folder: Path, top: int) -> str:
    """The report printed by this script, for the profiles in `folder`."""
    profiles = sorted(folder.glob("*.prof"))
    if not profiles:
        raise SystemExit(f"{folder}: no profiles (run without --read-only first)")
    seconds, repeated = defaultdict(list), defaultdict(lambda: (0, ""))
    for path in profiles:
        stats = pstats.Stats(str(path))
        seconds[command_of(path)].append(stats.total_tt)
        for label, (suffix, name) in REPEATED_WORK.items():
            count = calls(stats, suffix, name)
            if count > repeated[label][0]:
                repeated[label] = (count, path.name)
    lines = [f"{len(profiles)} jobs, {sum(map(sum, seconds.values())):.0f} s of profiled time", "",
             f"{'command':24s} {'jobs':>5s} {'total s':>9s} {'mean s':>8s}"]
    for command, times in sorted(seconds.items(), key=lambda item: -sum(item[1])):
        lines.append(f"{command:24s} {len(times):5d} {sum(times):9.1f} {sum(times) / len(times):8.2f}")
    combined = pstats.Stats(*map(str, profiles))
    ranked = sorted(combined.stats.items(), key=lambda item: -item[1][2])[:top]
    lines += ["", f"top {top} functions by own time, all jobs:", f"{'own s':>8s} {'cum s':>8s} {'calls':>9s}  function"]
    for (file, line, function), (_, count, own, cumulative, _) in ranked:
        lines.append(f"{own:8.1f} {cumulative:8.1f} {count:9d}  {function} ({Path(file).name}:{line})")
    lines += ["", "most calls in one job (repeated work):"]
    lines += [f"  {label:14s} {count}  ({job})" for label, (count, job) in repeated.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=Path("results/logs/profile"), help="where the profiles go")
    parser.add_argument("--cores", default="2", help="Snakemake's --cores for the profiled run")
    parser.add_argument("--read-only", action="store_true", help="only add up the profiles already in --folder")
    parser.add_argument("--top", type=int, default=10, help="how many functions to list")
    args = parser.parse_args()
    if not args.read_only:
        profiled_run(args.folder, args.cores)
    print(summary(args.folder, args.top))


if __name__ == "__main__":
    main()
