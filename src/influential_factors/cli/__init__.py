"""Layer 8, cli: the command line, one subcommand per workflow rule, with explicit input and output paths."""

from __future__ import annotations

import argparse
import errno
import functools
import importlib
import re
import sys
from pathlib import Path

from .options import HelpFormatter


# Each subcommand's module (parser and handler side by side), in workflow order. Read statically by
# pipeline/code_deps.py: a stage's code dependencies are this package's own code and its command's module.
COMMANDS = {
    "validate-params": "params",
    "prepare-mnist": "prepare",
    "prepare-faces": "prepare",
    "prepare-shapes": "prepare",
    "prepare-dataset": "prepare",
    "simulate-deap": "prepare",
    "prepare-deap": "prepare",
    "train-vae": "train",
    "train-attribute-classifier": "train",
    "encode": "encode",
    "encode-videos": "encode",
    "estimate-mi": "information",
    "flag-influential": "information",
    "mig": "information",
    "compare-estimators": "information",
    "benchmark-estimators": "information",
    "plot-information": "figures",
    "plot-traversals": "figures",
    "ablate-topk": "evaluate",
    "classify-topk": "evaluate",
    "emotion-factors": "evaluate",
    "generate": "evaluate",
    "evaluate-supervised": "evaluate",
    "influential-metrics": "thresholds",
    "summarize-estimators": "thresholds",
    "summarize-runs": "summaries",
    "disentanglement": "summaries",
    "headline-metrics": "summaries",
    "compare-paper": "summaries",
    "tables-page": "summaries",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The subcommands in workflow order: prepare, train, encode, estimate, figures, evaluate, summaries; with
    `command`, only its module's subcommands are built (a job imports its own command's module alone)."""
    parser = argparse.ArgumentParser(prog="influential-factors", description=__doc__, formatter_class=HelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     title="commands, in workflow order",
                                     parser_class=functools.partial(argparse.ArgumentParser,
                                                                    formatter_class=HelpFormatter))
    modules = [COMMANDS[command]] if command in COMMANDS else dict.fromkeys(COMMANDS.values())
    for module in modules:
        importlib.import_module(f".{module}", __name__).register(commands)
    return parser


MESSAGE_CHARS = 1000  # an error line longer than this is cut: its tail is file content, not news
# OSError numbers that mean the machine, not the program, refused: reported as one line, not a traceback.
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EMFILE, errno.ENFILE}
ACCESS_ERRORS = {errno.EACCES, errno.EPERM}
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp(\.[A-Za-z0-9]+)?$")  # artifacts.atomic_* names
OUTPUT_OPTIONS = ("output", "output_dir", "output_stem", "agreement_stem", "metrics", "model", "live_dir", "figure")


def _as_written(filename) -> str:
    """`filename` with artifacts' hidden temporaries (`.model.pt.x1y2.tmp.pt`) named as the file they become."""
    parts = Path(str(filename)).parts
    return str(Path(*[(_TEMPORARY.match(part) or {"name": part})["name"] for part in parts])) if parts else ""


def _outputs(args) -> str:
    """The command's output paths, to name when an OSError names no file."""
    paths = []
    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        paths += [str(item) for item in (value if isinstance(value, list) else [value]) if item is not None]
    return ", ".join(paths) or "the output"


def _one_line(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + f"... ({len(message)} characters)"


def user_error(error: BaseException, args) -> str | None:
    """The one-line message for an error caused by the input or the machine, None for a bug (a traceback).

    ValueError, FileNotFoundError, FloatingPointError: bad input (messages name the file). OSError with
    a full disk, a quota, a read-only or unwritable folder: `cannot write FILE: reason`. MemoryError and
    OverflowError: input too large for this machine or for the numbers it holds.
    """
    if getattr(error, "one_problem_per_line", False):  # pipeline.config.ParamsError, not imported: every command's
        return str(error)  # code would hold the validation's whole closure
    if isinstance(error, (ValueError, FileNotFoundError, FloatingPointError)):
        return _one_line(str(error))
    if isinstance(error, OSError) and (error.errno in WRITE_ERRORS or error.errno in ACCESS_ERRORS):
        target = _as_written(error.filename) if error.filename else _outputs(args)
        reading = (error.errno in ACCESS_ERRORS and error.filename and Path(error.filename).is_file()
                   and error.filename2 is None)
        verb = "cannot open" if reading else "cannot write"
        return _one_line(f"{verb} {target}: {error.strerror or errno.errorcode.get(error.errno, error.errno)}")
    if isinstance(error, MemoryError):
        return _one_line(f"out of memory ({type(error).__name__}{': ' + str(error) if str(error) else ''}): an input "
                         "is corrupt or too large for this machine")
    if isinstance(error, OverflowError):
        return _one_line(f"a number in the input is too large ({error})")
    return None


def main(argv: list[str] | None = None) -> int:
    from ..pipeline.checkout import warn_if_foreign
    from ..pipeline.profiling import profiled

    warn_if_foreign(str(Path.cwd()))
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(next((word for word in argv if not word.startswith("-")), None)).parse_args(argv)
    try:
        with profiled(args.command):
            args.run(args)
    except (ValueError, FileNotFoundError, FloatingPointError, OSError, MemoryError, OverflowError) as error:
        message = user_error(error, args)
        if message is None:
            raise
        print(f"influential-factors {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0

