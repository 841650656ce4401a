"""Stale Snakemake locks: a killed run (kill -9, a lost session) leaves `.snakemake/locks/` behind, and
every later run, `dvc repro` included, stops with "Directory cannot be locked" until `--unlock`.

A lock is stale when no Snakemake process is running in the working folder. The Snakefile calls
`release_stale_locks` in the main process of a run that takes the lock, before Snakemake locks, so
"run it again" is all a user needs to do after a crash. Live processes are found in /proc (Linux);
where there is no /proc, nothing is released and Snakemake's own message stands. A run on another
machine sharing the folder (a second login node) is not seen: keep to one main run per folder there.
"""

from __future__ import annotations

import os
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def _is_snakemake(argv: list[str]) -> bool:
    """`snakemake ...`, `python .../bin/snakemake ...` or `python -m snakemake ...`."""
    names = [Path(part).name for part in argv[:2]]
    return "snakemake" in names or argv[1:3] == ["-m", "snakemake"]


def running_snakemake(workdir: str | os.PathLike, proc: str | os.PathLike = "/proc") -> list[int]:
    """The process ids of Snakemake processes, other than this one, whose working folder is `workdir`."""
    workdir, own = Path(workdir).resolve(), os.getpid()
    found = []
    for entry in Path(proc).iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if _is_snakemake(argv) and Path(os.readlink(entry / "cwd")).resolve() == workdir:
                found.append(int(entry.name))
        except OSError:  # the process ended meanwhile, or belongs to someone we may not inspect
            continue
    return found


def release_stale_locks(workdir: str | os.PathLike = ".", proc: str | os.PathLike = "/proc") -> list[Path]:
    """Remove the lock files of `workdir` if no other Snakemake process runs there; the removed files."""
    locks = Path(workdir) / LOCKS
    files = sorted(locks.glob("*.lock")) if locks.is_dir() else []
    if not files or not Path(proc).is_dir() or running_snakemake(workdir, proc):
        return []
    for path in files:
        path.unlink(missing_ok=True)
    return files
