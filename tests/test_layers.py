"""Layering rules of the package, read statically from the source (ast), so a regression fails here.

Reading posteriors and estimating information must not pull in the training loop or DEAP's video code
(training.py imports deap_videos, which imports topomap and MNE): saving, loading and device placement
of models live in models.py, encoding DEAP's videos in deap_encoding.py. Imports inside functions count.
"""

import ast
from pathlib import Path

import pytest

import influential_factors

PACKAGE = "influential_factors"
SOURCE = Path(influential_factors.__file__).resolve().parent
MODULES = {path.stem for path in SOURCE.glob("*.py")}

# Modules that read models or posteriors, and what none of them may import, directly or through others.
LAYERED = ("models", "encoding", "mi", "estimators", "comparison", "neural_mi", "mine", "classifier", "ablation",
           "attribute_classifier", "supervised_evaluation")
FORBIDDEN = ("training", "deap_videos", "deap", "topomap", "deap_simulator")


def imported_modules(module: str) -> set[str]:
    """The package modules that `module` imports anywhere in its source (module level or in functions)."""
    found = set()
    for node in ast.walk(ast.parse((SOURCE / f"{module}.py").read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name.removeprefix(PACKAGE + ".") for alias in node.names
                          if alias.name.startswith(PACKAGE + ".")]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import y, from . import x
                base = node.module or ""
            elif node.level == 0 and node.module and (node.module + ".").startswith(PACKAGE + "."):
                base = node.module.removeprefix(PACKAGE).lstrip(".")
            else:
                continue
            candidates = [base] + [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
        else:
            continue
        found |= {name.split(".")[0] for name in candidates if name} & MODULES
    return found - {module}


def import_closure(module: str) -> dict[str, list[str]]:
    """Every package module `module` reaches through imports, each with one import chain leading to it."""
    chains, todo = {module: [module]}, [module]
    while todo:
        current = todo.pop()
        for name in sorted(imported_modules(current)):
            if name not in chains:
                chains[name] = chains[current] + [name]
                todo.append(name)
    return chains


def test_the_analysis_sees_imports_at_module_level_and_inside_functions():
    assert {"models", "deap_videos", "datasets"} <= imported_modules("training")
    assert {"topomap", "deap"} <= set(import_closure("training"))
    assert "training" in imported_modules("cli")  # train-vae's handler imports it inside the function


@pytest.mark.parametrize("module", LAYERED)
def test_readers_of_models_and_posteriors_do_not_import_training_or_deap_code(module):
    chains = import_closure(module)
    reached = {name: " -> ".join(chains[name]) for name in FORBIDDEN if name in chains}
    assert not reached, f"{module} imports {sorted(reached)}: {'; '.join(reached.values())}"


def test_models_import_nothing_above_them():
    assert set(import_closure("models")) <= {"models", "artifacts", "gaussian"}


def imports_torch(module: str) -> bool:
    """Whether `module`'s source imports torch anywhere (module level or in functions)."""
    for node in ast.walk(ast.parse((SOURCE / f"{module}.py").read_text())):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        if any(name.split(".")[0] == "torch" for name in names):
            return True
    return False


# The table-only jobs (Algorithm 1, the MIG, each dataset's summary, the paper comparison, the tables page)
# start in a fraction of a second without torch, whose import takes ~2 s of every job that loads it; the
# attribute labels (numpy and pandas) stay usable by them and by validation too.
TORCH_FREE = ("posteriors", "mi", "mig", "run_summary", "paper", "report", "attributes")


def test_the_analysis_sees_torch_imports():
    assert imports_torch("models") and imports_torch("encoding") and not imports_torch("posteriors")


@pytest.mark.parametrize("module", TORCH_FREE)
def test_table_jobs_do_not_import_torch(module):
    chains = import_closure(module)
    reached = [" -> ".join(chains[name]) for name in sorted(chains) if imports_torch(name)]
    assert not reached, f"{module} reaches torch through {'; '.join(reached)}"
