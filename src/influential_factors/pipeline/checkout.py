"""Which code runs: a warning when the working folder is a checkout of this project but `influential_factors`
was imported from elsewhere (two clones sharing one environment run the clone it was installed from)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # influential_factors, above this layer


def _sources(package: Path) -> dict[Path, bytes]:
    return {path.relative_to(package): path.read_bytes() for path in sorted(package.rglob("*.py"))}


def foreign_package(folder: str | Path) -> Path | None:
    """The checkout's own package when `folder` is a checkout of this project (a Snakefile beside
    src/influential_factors) whose code differs from the imported package's, else None."""
    own = Path(folder).resolve() / "src" / "influential_factors"
    if own == PACKAGE or not (own.parent.parent / "Snakefile").is_file() or not own.is_dir():
        return None
    return own if _sources(own) != _sources(PACKAGE) else None


@functools.cache
def warn_if_foreign(folder: str) -> None:
    """Say once on stderr when the checkout in `folder` is not the code that runs (`foreign_package`)."""
    own = foreign_package(folder)
    if own:
        print(f"warning: running influential_factors from {PACKAGE}, not this checkout's {own}; install it here"
              f" (`make install`) or set PYTHONPATH={own.parent}", file=sys.stderr)
