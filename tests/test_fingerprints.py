"""Code fingerprints (pipeline/fingerprints.py): a comment, docstring, blank line or reformatting leaves every
fingerprint as it is; a change in what a module does changes exactly the fingerprints of the rules whose
command's import closure holds it; a file is rewritten only when its text changes; the committed files are
current; and the fingerprint step reads the rule files alone (no Snakemake, no numpy)."""

import ast
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from influential_factors.data.registry import DATASETS, Dataset
from influential_factors.pipeline import fingerprints
from influential_factors.pipeline.code_deps import module_file, subcommand_modules
from influential_factors.pipeline.layout import code_fingerprint

# A module of each kind: one dataset's, one estimator's, an objective's, the CLI's package, the atomic files.
MODULES = ("data.topomap", "information.mig", "models.objectives.lp_nested", "cli", "core.artifacts",
           "evaluation.emotion_factors")


def _copy(root):
    """The package and the rule files in `root` (fingerprints read module sources under their root)."""
    for name in ("src", "workflow"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root


def _changed(before, after):
    return {name for name in after if after[name] != before.get(name)}


def test_the_committed_fingerprints_are_current():
    """Fails when code changes in what it does and `python -m influential_factors.pipeline.fingerprints` (or any
    `snakemake`) was not run before the commit."""
    expected = fingerprints.fingerprints(REPO)
    assert {name: (REPO / name).read_text() if (REPO / name).is_file() else None for name in expected} == expected


def test_each_rule_running_the_cli_has_its_fingerprint_as_input():
    """The rule files' text, read without Snakemake, names the same rules and subcommands as the parsed
    workflow, and every such rule takes its fingerprint as the input `code`."""
    from influential_factors.pipeline.dvc_stages import loaded_workflow

    rules = fingerprints.rule_code(REPO)
    assert rules["train_vae"] == fingerprints.RuleCode("train_vae", "workflow/rules/train.smk", ("train-vae",))
    with loaded_workflow(REPO / "Snakefile") as workflow:
        running = {rule.name: rule for rule in workflow.rules if "influential-factors" in (rule.shellcmd or "")}
    assert set(rules) == set(running)
    for name, rule in running.items():
        expected = code_fingerprint(name, "{dataset}" if name == fingerprints.GENERIC_RULE else None)
        assert str(rule.input.code) == expected, name
        assert rules[name].snakefile == os.path.relpath(rule.snakefile, REPO), name


def test_a_rules_modules_are_its_subcommands_closure():
    for rule in fingerprints.rule_code(REPO).values():
        assert fingerprints.rule_modules(rule) == frozenset().union(*map(subcommand_modules, rule.subcommands))


def _replace_docstrings(source):
    """`source` with every docstring's text replaced (the module's, each class's and function's)."""
    lines = source.splitlines(keepends=True)
    owners = [node for node in ast.walk(ast.parse(source))
              if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
              and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
              and isinstance(node.body[0].value.value, str)]
    for docstring in sorted((owner.body[0] for owner in owners), key=lambda node: -node.lineno):
        start, end = docstring.lineno - 1, docstring.end_lineno
        indent = lines[start][: docstring.col_offset]
        lines[start:end] = [f'{indent}"""Another text,\n{indent}on two lines."""\n']
    return "".join(lines)


EDITS = {
    "a comment": lambda source: source + "\n# a comment\n",
    "blank lines": lambda source: source.replace("\n\n", "\n\n\n", 3),
    "docstrings": _replace_docstrings,
    "reformatting": lambda source: ast.unparse(ast.parse(source)),  # comments gone, formatting Python's own
}


@pytest.mark.parametrize("edit", EDITS)
def test_comments_docstrings_and_formatting_change_no_fingerprint(tmp_path, edit):
    root = _copy(tmp_path)
    before = fingerprints.fingerprints(root)
    for module in MODULES:
        path = root / module_file(module)
        path.write_text(EDITS[edit](path.read_text()))
    if edit in ("a comment", "blank lines"):
        for path in (root / "workflow/rules").glob("*.smk"):
            path.write_text(EDITS[edit](path.read_text()))
    assert fingerprints.fingerprints(root) == before


def test_a_code_change_changes_exactly_the_fingerprints_of_the_rules_running_it(tmp_path):
    root = _copy(tmp_path)
    rules = fingerprints.rule_code(root)
    before = fingerprints.fingerprints(root)
    for module in MODULES:
        path = root / module_file(module)
        original = path.read_text()
        path.write_text(original + "\n_FINGERPRINT_PROBE = 1\n")
        expected = {code_fingerprint(name, dataset) for name, rule in rules.items()  # the generic rule: per dataset
                    for dataset in (fingerprints.generic_datasets() if name == fingerprints.GENERIC_RULE else [None])
                    if any(module in subcommand_modules(subcommand) for subcommand in rule.subcommands)}
        assert expected, module
        assert _changed(before, fingerprints.fingerprints(root)) == expected, module
        path.write_text(original)
    rules_file = root / "workflow/rules/supervised.smk"
    rules_file.write_text(rules_file.read_text().replace('"analysis.supervised.mine_steps"', '"analysis.other"'))
    assert _changed(before, fingerprints.fingerprints(root)) == {
        code_fingerprint("train_attribute_classifier"), code_fingerprint("evaluate_supervised")}


def test_only_a_changed_fingerprint_is_written(tmp_path):
    root = _copy(tmp_path)
    written = fingerprints.write_fingerprints(root)
    assert written == fingerprints.fingerprint_files(root) and len(written) > 20
    times = {name: (root / name).stat().st_mtime_ns for name in written}
    (root / module_file("information.mig")).write_text((root / module_file("information.mig")).read_text() + "# x\n")
    assert fingerprints.write_fingerprints(root) == []
    assert {name: (root / name).stat().st_mtime_ns for name in written} == times
    (root / module_file("information.mig")).write_text((root / module_file("information.mig")).read_text() + "X = 1\n")
    assert fingerprints.write_fingerprints(root) == [code_fingerprint("mutual_information_gap")]


def test_the_generic_preparation_has_a_fingerprint_per_dataset(tmp_path, monkeypatch):
    """prepare_dataset runs the dataset's own module: its fingerprint, one per dataset, covers that module."""
    root = _copy(tmp_path)
    monkeypatch.setitem(DATASETS, "squares", Dataset("image", 8, module="shapes"))
    before = fingerprints.fingerprints(root)
    assert code_fingerprint("prepare_dataset", "squares") in before
    path = root / module_file("data.shapes")
    path.write_text(path.read_text() + "\n_FINGERPRINT_PROBE = 1\n")
    changed = _changed(before, fingerprints.fingerprints(root))
    assert code_fingerprint("prepare_dataset", "squares") in changed
    assert code_fingerprint("prepare_mnist") not in changed


def test_the_fingerprint_step_loads_neither_snakemake_nor_numpy():
    """What keeps the DVC stage code_fingerprints, run by every `dvc repro`, well under a second."""
    code = ("import sys\nfrom influential_factors.pipeline import fingerprints\nfingerprints.fingerprints('.')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'snakemake', 'numpy', 'dvc', 'yaml', 'torch'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_algorithm_1_edited_retrains_nothing(tmp_path):
    """The module of Algorithm 1 (information/mi.py): a new docstring line changes no fingerprint; a changed
    constant changes the estimate's and its readers' fingerprints, and no training's or encoding's."""
    root = _copy(tmp_path)
    path = root / module_file("information.mi")
    before = fingerprints.fingerprints(root)
    original = path.read_text()
    path.write_text(original.replace('Algorithm 1.\n', 'Algorithm 1.\nA line a reader added.\n', 1))
    assert path.read_text() != original and fingerprints.fingerprints(root) == before
    path.write_text(original.replace("LOGVAR_CEILING = 30.0", "LOGVAR_CEILING = 31.0"))
    changed = _changed(before, fingerprints.fingerprints(root))
    assert {code_fingerprint("estimate_mi"), code_fingerprint("compare_estimators")} <= changed
    untouched = [code_fingerprint(rule) for rule in ("train_vae", "encode", "encode_videos", "prepare_mnist",
                                                     "simulate_deap", "prepare_deap", "train_attribute_classifier")]
    assert not changed & set(untouched)
