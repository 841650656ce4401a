"""`make reproduce`: Snakemake runs the jobs, side by side; DVC records what they built.

`dvc repro` runs one stage at a time, each through a Snakemake start of its own. For a whole run, one
Snakemake run that keeps every core busy (one single-threaded job per core, workflow/rules/common.smk) is
faster, and DVC only has to record the results:
1. dvc.yaml is written for params.yaml (dvc_stages.py).
2. What DVC calls stale (`dvc status`: changed data, params, or code that a stage's command imports) goes
   to Snakemake as --forcerun: Snakemake alone would not see a changed module under src/.
3. `snakemake --cores N all` runs those jobs, everything downstream of them and whatever is missing.
4. `dvc repro --single-item` runs the stale stages that do more than Snakemake's jobs: the report (its
   --report is not a job of the DAG).
5. `dvc commit` records every stage in dvc.lock and the cache, so `dvc status` agrees and a later
   `dvc repro` re-runs only what a change touches.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from . import dvc_stages


def stale_stages(repo) -> list:
    """The stages DVC calls stale (`dvc status`): every stage of a fresh clone."""
    stale = repo.status()
    return [stage for stage in repo.index.stages if stage.addressing in stale]


def reproduce(cores: str = "all") -> None:
    """The whole workflow for params.yaml: Snakemake runs it on `cores`, DVC records it (module docstring)."""
    from dvc.repo import Repo

    if dvc_stages.main([]):
        raise SystemExit(1)
    with Repo() as repo:  # what Snakemake must rebuild: the files each stale stage's command names
        forced = [target for stage in stale_stages(repo) for target in dvc_stages.snakemake_targets(stage.cmd)]
    subprocess.run(["snakemake", "--cores", cores, "--rerun-incomplete",
                    *(["--forcerun", *forced] if forced else []), "--", "all"], check=True)
    with Repo() as repo:  # after Snakemake: the stale stages that do more than its jobs (the report)
        left = [stage.addressing for stage in stale_stages(repo) if dvc_stages.beyond_snakemake_jobs(stage.cmd)]
    if left:
        subprocess.run(["dvc", "repro", "--single-item", *left], check=True)
    with Repo() as repo:  # twice: the first pass writes DVC's .gitignore entries into output folders that
        for _ in range(2):  # later stages read as deps; the second records those folders as they end up
            recorded = repo.commit(force=True, relink=False)  # relinking rewrites files: Snakemake would redo them
    print(f"dvc.lock: {len(recorded)} stages recorded ({', '.join(left) or 'none'} run by `dvc repro`)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="all", help="Snakemake's --cores: jobs run side by side (default: all)")
    args = parser.parse_args(argv)
    try:
        reproduce(args.cores)
    except subprocess.CalledProcessError as error:
        print(f"{' '.join(error.cmd[:2])} failed (exit {error.returncode}); what finished is kept, run again to "
              "go on", file=sys.stderr)
        return error.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
