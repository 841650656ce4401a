"""Code fingerprints: one small file per rule (results/code/<rule>.sha256, layout.CODE_FINGERPRINT) holding the
sha256 of the code the rule runs, normalised so that only a change in what the code does changes it:
- every package module of the import closure of the rule's CLI subcommands (code_deps.py), by module name,
  as `ast.dump` of its syntax tree without docstrings (comments, blank lines and formatting never reach the
  tree, and `ast.dump` leaves out line and column numbers);
- the rule's .smk file as its Python tokens, without comments, blank lines or indentation widths;
- for the generic `prepare_dataset`, also the closure of the dataset's own module (registry.py), so its
  fingerprint is per dataset: results/code/prepare_dataset_<dataset>.sha256.

Each rule takes its fingerprint as an input and each DVC stage as a dep (in place of the module files
themselves), and a file is rewritten only when its text changes: a docstring or comment edit re-runs
nothing, in Snakemake (times) as in DVC (hashes), and a code edit re-runs exactly the rules whose closure
holds the module. They are written by the Snakefile whenever it is read, and by the DVC stage
`code_fingerprints` (`python -m influential_factors.pipeline.fingerprints`, run when a source changed): this module reads the
rules' text alone (`^rule NAME:` blocks and their `influential-factors COMMAND`), never the Snakemake workflow,
so it runs in a fraction of a second. Module sources are read under `root` (the checkout); their imports are
read by code_deps from the running package's source, the same files in a checkout that runs its own code.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import sys
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

from . import layout
from .code_deps import _module_path, _statements, _tree, import_closure, module_file, subcommand_modules
from ..data.registry import DATASETS

RULES = "workflow/rules"
RULE_BLOCK = re.compile(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", re.M | re.S)  # a rule runs to the next unindented line
SUBCOMMAND = re.compile(r"influential-factors\s+([a-z][a-z-]*)")
GENERIC_RULE = "prepare_dataset"  # runs the module of the dataset it is given: one fingerprint per dataset
LAYOUT_TOKENS = {tokenize.NEWLINE: "<newline>", tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>"}
SKIPPED_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class RuleCode:
    """A rule that runs the CLI: its name, its .smk file (relative to the root) and its subcommands."""

    name: str
    snakefile: str
    subcommands: tuple[str, ...]


def rule_code(root: str | os.PathLike = ".") -> dict[str, RuleCode]:
    """Every rule of workflow/rules/*.smk whose shell command runs `influential-factors`, by name."""
    rules = {}
    for path in sorted((Path(root) / RULES).glob("*.smk")):
        for name, body in RULE_BLOCK.findall(path.read_text()):
            subcommands = tuple(dict.fromkeys(SUBCOMMAND.findall(body)))
            if subcommands:
                rules[name] = RuleCode(name, f"{RULES}/{path.name}", subcommands)
    return rules


def _docstring_owners(node: ast.AST):
    """The module, classes and functions under `node` whose first statement is a docstring (a string constant),
    at any depth of statements (expressions hold none: code_deps' walk of statements)."""
    for item in _statements(node):
        if isinstance(item, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and item.body:
            first = item.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                yield item


def _dump(tree: ast.Module) -> str:
    """`ast.dump` of `tree` without its docstrings; the tree is left as it was (code_deps caches it)."""
    owners = list(_docstring_owners(tree))
    docstrings = [owner.body[0] for owner in owners]
    for owner in owners:
        owner.body = owner.body[1:]
    try:
        return ast.dump(tree)
    finally:
        for owner, docstring in zip(owners, docstrings):
            owner.body = [docstring, *owner.body]


def normalised_module(source: str) -> str:
    """A module's code as its syntax tree without docstrings: equal for sources that differ only in comments,
    docstrings, blank lines and formatting."""
    return _dump(ast.parse(source))


def _module_digest(module: str, root: Path) -> str:
    """The sha256 of a package module's normalised code, read under `root` (the tree code_deps has already
    parsed when the file is the running package's own)."""
    path = root / module_file(module)
    own = _module_path(module)
    tree = _tree(module) if own is not None and path.resolve() == own.resolve() else ast.parse(path.read_text())
    return hashlib.sha256(_dump(tree).encode()).hexdigest()


def normalised_snakefile(source: str) -> str:
    """A rule file's tokens (Snakemake's syntax tokenizes as Python), one space apart, without comments and
    blank lines; a new logical line and a change of indentation count, not their width."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return " ".join(LAYOUT_TOKENS.get(token.type, token.string) for token in tokens
                    if token.type not in SKIPPED_TOKENS)


def rule_modules(rule: RuleCode, dataset: str | None = None) -> frozenset[str]:
    """The package modules a rule runs (dotted, relative to the package): the closure of its subcommands and,
    for the generic preparation of `dataset`, of the dataset's own module under data/."""
    modules = frozenset().union(*(subcommand_modules(subcommand) for subcommand in rule.subcommands))
    if dataset is not None:
        modules |= import_closure(f"data.{DATASETS[dataset].module}")
    return modules


def fingerprint(rule: RuleCode, root: str | os.PathLike = ".", dataset: str | None = None,
                digests: dict[str, str] | None = None) -> str:
    """The sha256 (hex) of the normalised code `rule` runs (for the generic preparation, on `dataset`);
    `digests` keeps each module's digest and each rule file's tokens between calls."""
    root, digests = Path(root), {} if digests is None else digests
    digest = hashlib.sha256()
    for module in sorted(rule_modules(rule, dataset)):
        if module not in digests:
            digests[module] = _module_digest(module, root)
        digest.update(f"module {module} {digests[module]}\n".encode())
    key = f"rules {rule.snakefile}"  # a rule file holds several rules: tokenized once
    if key not in digests:
        digests[key] = normalised_snakefile((root / rule.snakefile).read_text())
    digest.update(f"{key}\n{digests[key]}\n".encode())
    return digest.hexdigest()


def generic_datasets() -> list[str]:
    """The registered datasets the generic rule prepares (a module of their own)."""
    return [name for name, entry in DATASETS.items() if entry.module is not None]


def _jobs(rules: dict[str, RuleCode]) -> list[tuple[RuleCode, str | None]]:
    return [(rule, dataset) for rule in rules.values()
            for dataset in (generic_datasets() if rule.name == GENERIC_RULE else [None])]


def fingerprint_files(root: str | os.PathLike = ".") -> list[str]:
    """The fingerprint files of the rules under `root` (relative paths), in the order of the rule files."""
    return [layout.code_fingerprint(rule.name, dataset) for rule, dataset in _jobs(rule_code(root))]


def fingerprints(root: str | os.PathLike = ".") -> dict[str, str]:
    """{fingerprint file (relative to `root`): its text} for every rule under `root` that runs the CLI."""
    digests = {}
    return {layout.code_fingerprint(rule.name, dataset): fingerprint(rule, root, dataset, digests) + "\n"
            for rule, dataset in _jobs(rule_code(root))}


def write_fingerprints(root: str | os.PathLike = ".") -> list[str]:
    """Write every fingerprint file under `root` whose text changed (atomically; the others keep their time,
    so Snakemake re-runs nothing for them); the files written."""
    written = []
    for name, text in fingerprints(root).items():
        target = Path(root) / name
        if target.is_file() and target.read_text() == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        written.append(name)
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m influential_factors.pipeline.fingerprints [ROOT]`: write the changed fingerprints under ROOT
    (default: here), naming each."""
    args = sys.argv[1:] if argv is None else argv
    for name in write_fingerprints(args[0] if args else "."):
        print(f"{name}: the rule's code changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
