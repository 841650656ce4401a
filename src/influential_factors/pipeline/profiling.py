"""Where a run's time goes: with INFLUENTIAL_FACTORS_PROFILE set to a folder, every CLI command runs under
cProfile and leaves `<folder>/<command>-<pid>.prof` (imports included: the commands import lazily);
tests/benchmarks/profile_run.py runs the workflow so and adds the profiles up."""

from __future__ import annotations

import contextlib
import cProfile
import os
from pathlib import Path

PROFILE = "INFLUENTIAL_FACTORS_PROFILE"


@contextlib.contextmanager
def profiled(command: str):
    """Profile the block into the folder named by $INFLUENTIAL_FACTORS_PROFILE (nothing when unset)."""
    folder = os.environ.get(PROFILE)
    if not folder:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        Path(folder).mkdir(parents=True, exist_ok=True)
        profile.dump_stats(Path(folder) / f"{command}-{os.getpid()}.prof")
