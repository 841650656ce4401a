"""`make reproduce`: Snakemake runs the jobs, side by side; DVC records what they built.

`dvc repro` runs one stage at a time, each through a Snakemake start of its own. For a whole run, one
Snakemake run that keeps every core busy (one single-threaded job per core, workflow/rules/common.smk) is
faster, and DVC only has to record the results:
1. dvc.yaml is written for params.yaml (dvc_stages.py).
2. What DVC calls stale (`dvc status`: changed data, params, or code that a stage's command imports) goes
   to Snakemake as --forcerun: Snakemake alone would not see a changed module under src/.
3. `snakemake --cores N all` runs those jobs, everything downstream of them and whatever is missing.
4. The stages that do more than Snakemake's jobs (the report: its --report is not a job of the DAG) run
   the lines of their command beyond those jobs, where they, or a stage upstream of them in DVC's graph,
   were stale, rewritten by Snakemake or miss an output (what `dvc repro` would run of them; the commit
   below records them, so a `dvc repro` of its own would only write dvc.lock twice).
5. `dvc commit` records every stage in dvc.lock and the cache, in one pass (DVC's .gitignore entries are
   written first; uncached outputs, kept in git, are left out of them), so `dvc status` agrees and a later
   `dvc repro` re-runs only what a change touches; entries of stages dvc.yaml no longer has (an objective
   switched off, a beta dropped, a stage renamed) leave dvc.lock, which DVC itself would keep.
DVC's status and commit parse params.yaml once, not once per parameter dependency (`params_parsed_once`).
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import dvc_stages

if TYPE_CHECKING:
    from networkx import DiGraph


def stale_stages(repo) -> tuple[list, DiGraph]:
    """The stages DVC calls stale (`dvc status`: every stage of a fresh clone), and DVC's stage graph (an
    edge runs from a stage to each stage whose outputs it reads)."""
    from dvc.repo import lock_repo

    with lock_repo(repo):  # one read of dvc.yaml and dvc.lock for both (each locked call reads them anew)
        stale = repo.status()
        return [stage for stage in repo.index.stages if stage.addressing in stale], repo.index.graph


def written_since(stages, since: float) -> set[str]:
    """The stages with an output (or a file in an output folder) modified at or after `since` (time.time())."""
    def paths(out) -> list[Path]:
        path = Path(out.fs_path)
        return [path, *path.rglob("*")] if path.is_dir() else [path]

    return {stage.addressing for stage in stages
            if any(path.exists() and path.stat().st_mtime >= since for out in stage.outs for path in paths(out))}


def run_beyond_snakemake(graph: DiGraph, changed: set[str]) -> list[str]:
    """The stages whose command does more than Snakemake's jobs (the report) that must run, upstream first:
    those that are, or are downstream of (in DVC's `graph`), a stage in `changed` or one with an output missing.
    Not the code fingerprints' stage, upstream of every stage and changed by any edit of the sources: Snakemake
    has rewritten them (the Snakefile does when read), and a stage whose fingerprint changed is stale itself."""
    import networkx as nx

    changed = (changed | {stage.addressing for stage in graph if not all(out.exists for out in stage.outs)}) \
        - {dvc_stages.FINGERPRINT_STAGE}
    return [stage.addressing for stage in reversed(list(nx.topological_sort(graph)))
            if dvc_stages.beyond_snakemake_jobs(stage.cmd) and stage.addressing != dvc_stages.FINGERPRINT_STAGE
            and {stage.addressing, *(upstream.addressing for upstream in nx.descendants(graph, stage))} & changed]


@contextmanager
def params_parsed_once():
    """Within this block DVC parses each parameter file once per version (its path, size and modification time),
    and each reader gets its own copy. DVC otherwise parses params.yaml anew for every parameter dependency it
    reads (`dvc.dependency.param.load_path`): for the status, the lock entry and the run-cache entry of each stage,
    some 800 parses of one file for the default's 171 stages."""
    from dvc.dependency import param

    parse, parsed = param.load_path, {}

    def parse_once(path, fs, **kwargs):
        info = fs.info(path)
        version = (path, info["size"], info.get("mtime"), tuple(sorted(kwargs.items())))
        if version not in parsed:
            parsed[version] = parse(path, fs, **kwargs)
        return copy.deepcopy(parsed[version])

    param.load_path = parse_once
    try:
        yield
    finally:
        param.load_path = parse


def ignore_outputs(stages) -> None:
    """DVC's .gitignore entries for every cached output, written before `dvc commit` hashes the folders they land
    in (the deps of the stages over the whole grid), so that one commit pass records every stage as it ends up;
    an uncached output (`cache: false`: metrics, the reader's tables, kept in git) loses an entry left from when
    it was cached, which DVC itself never removes. The commit must read the .gitignore files anew: a later locked
    call of DVC's API does (under one `lock_repo` with this, DVC would add each entry a second time)."""
    for stage in stages:
        stage.ignore_outs()
        for out in stage.outs:
            if out.is_in_repo and not out.use_cache:
                stage.repo.scm_context.ignore_remove(out.fspath)


def prune_lock(stages, lock: str | Path = "dvc.lock") -> list[str]:
    """Drop from `lock` the entries of stages that are not among `stages` (DVC's index of dvc.yaml); the names
    dropped."""
    from dvc.utils.serialize import modify_yaml

    current = {stage.addressing for stage in stages}
    with modify_yaml(lock) as data:
        gone = [name for name in data.get("stages", {}) if name not in current]
        for name in gone:
            del data["stages"][name]
    return gone


def reproduce(cores: str = "all") -> None:
    """The whole workflow for params.yaml: Snakemake runs it on `cores`, DVC records it (module docstring)."""
    from dvc.repo import Repo

    if dvc_stages.main([]):
        raise SystemExit(1)
    with params_parsed_once():
        with Repo() as repo:
            stale, graph = stale_stages(repo)
            forced = [target for stage in stale for target in dvc_stages.snakemake_targets(stage.cmd)]
            started = time.time()
            subprocess.run(["snakemake", "--cores", cores, "--rerun-incomplete",
                            *(["--forcerun", *forced] if forced else []), "--", "all"], check=True)
            left = run_beyond_snakemake(graph, {stage.addressing for stage in stale} | written_since(graph, started))
            commands = {stage.addressing: dvc_stages.beyond_snakemake_jobs(stage.cmd) for stage in graph}
            ignore_outputs(graph)
        for name in left:
            for command in commands[name]:  # its other lines build Snakemake targets: the run above built them
                subprocess.run(command, shell=True, check=True)
        with Repo() as repo:
            recorded = repo.commit(force=True, relink=False)  # relinking rewrites files: Snakemake would redo them
            prune_lock(repo.index.stages)
    print(f"dvc.lock: {len(recorded)} stages recorded ({', '.join(left) or 'none'} run beyond Snakemake's jobs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", default="all", help="Snakemake's --cores: jobs run side by side (default: all)")
    args = parser.parse_args(argv)
    try:
        reproduce(args.cores)
    except subprocess.CalledProcessError as error:
        command = error.cmd if isinstance(error.cmd, str) else " ".join(error.cmd[:2])
        print(f"{command} failed (exit {error.returncode}); what finished is kept, run again to "
              "go on", file=sys.stderr)
        return error.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
