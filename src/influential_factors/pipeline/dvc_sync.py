"""Keeping dvc.yaml in line with params.yaml and the rules as the workflow runs: the Snakefile calls
`sync_dvc_yaml` once its rules are read (dvc_stages.py generates the file)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import ParamsError
from .dvc_stages import DVC_YAML, NO_SYNC, write_dvc_yaml


class StaleDvcYaml(ParamsError):
    """dvc.yaml was written for other parameters (it has been rewritten: run `dvc repro` again)."""


def sync_dvc_yaml(workflow, config: dict, params: dict, path: str | os.PathLike = DVC_YAML) -> None:
    """Called by the Snakefile once its rules are read: bring dvc.yaml in line with params.yaml (what DVC
    reads). Skipped when this run's config differs from params.yaml (--configfile, --config: the rules then
    describe another run) and while this module loads the workflow itself. Under `dvc repro` (DVC_STAGE set)
    a rewrite means DVC is running the stages of other parameters, so stop before any job."""
    if os.environ.get(NO_SYNC) or config != params:
        return
    if os.environ.get("DVC_STAGE") and _newer_than_its_sources(Path(path), Path(workflow.basedir)):
        return  # written after every file it is generated from, as the generator would write it: ~0.5 s a stage
    if not write_dvc_yaml(workflow, params, path):
        return
    if os.environ.get("DVC_STAGE"):
        raise StaleDvcYaml(f"{path} was written for other parameters or rules and has now been rewritten: "
                           "run `dvc repro` again")
    print(f"{path}: rewritten for the current rules and params.yaml", file=sys.stderr)


def _newer_than_its_sources(path: Path, base: Path) -> bool:
    """Whether dvc.yaml was written after params.yaml, the Snakefile, the rule files and the package's sources last
    changed (else, as in a fresh clone whose times say nothing, it is generated again to compare)."""
    sources = [base / "params.yaml", base / "Snakefile", *(base / "workflow" / "rules").glob("*.smk"),
               *Path(__file__).resolve().parents[1].rglob("*.py")]
    try:
        return path.stat().st_mtime_ns > max(source.stat().st_mtime_ns for source in sources)
    except OSError:
        return False
