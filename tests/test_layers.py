"""The package's layers, read statically from the source (ast), so a regression fails here.

Each folder of src/influential_factors is a layer (influential_factors.LAYERS gives their order, bottom first);
a module imports only modules of its own layer and the layers before it, imports inside functions included.
Within that order, reading posteriors and estimating information must not pull in the training loop or DEAP's
video code, and the table-only jobs must not import torch.
"""

import ast
from pathlib import Path

import pytest

import influential_factors
from influential_factors import LAYERS
from influential_factors.pipeline.code_deps import SOURCE, import_closure as closure, _module_imports

MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(path) for path in SOURCE.rglob("*.py") if "__pycache__" not in path.parts)
FOLDERS = sorted(path.name for path in SOURCE.iterdir() if path.is_dir() and (path / "__init__.py").is_file())


def layer(module: str) -> str | None:
    """The layer (top folder) of a module; None for the package's own __init__ and __main__."""
    return module.split(".")[0] if module.split(".")[0] in FOLDERS else None


def imported_modules(module: str) -> set[str]:
    """The package modules `module` imports anywhere in its source, without the packages above it."""
    return {name for name in _module_imports(module) if name and not module.startswith(name + ".")} - {module}


def test_every_folder_is_a_layer_and_every_module_lies_in_one():
    assert sorted(LAYERS) == FOLDERS
    loose = [module for module in MODULES if layer(module) is None and module not in ("", "__main__")]
    assert not loose, f"modules outside the layer folders: {loose}"


@pytest.mark.parametrize("module", [module for module in MODULES if layer(module)])
def test_no_module_imports_a_layer_above_its_own(module):
    rank = LAYERS.index(layer(module))
    above = sorted(name for name in imported_modules(module) if layer(name) and LAYERS.index(layer(name)) > rank)
    assert not above, f"{module} ({layer(module)}) imports {above} from layers above it"


def test_no_import_cycle():
    graph = {module: imported_modules(module) for module in MODULES}
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for name in sorted(graph.get(module, ())):
            if state.get(name) == "open":
                cycles.append(path[path.index(name):] + [name] if name in path else [module, name])
            elif name not in state:
                visit(name, path + [name])
        state[module] = "done"

    for module in MODULES:
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize("path", sorted(SOURCE.rglob("*.py")), ids=lambda path: str(path.relative_to(SOURCE)))
def test_every_module_is_under_400_lines(path):
    assert len(path.read_text().splitlines()) < MAX_LINES


def import_chains(module: str) -> dict[str, list[str]]:
    """Every package module `module` reaches through imports, each with one import chain leading to it."""
    chains, todo = {module: [module]}, [module]
    while todo:
        current = todo.pop()
        for name in sorted(imported_modules(current)):
            if name not in chains:
                chains[name] = chains[current] + [name]
                todo.append(name)
    return chains


# Modules that read models or posteriors, and what none of them may import, directly or through others.
LAYERED = ("models.vae", "models.encoding", "information.mi", "information.estimators", "information.comparison",
           "information.neural_mi", "information.mine", "evaluation.classifier", "evaluation.ablation",
           "evaluation.attribute_classifier", "evaluation.supervised_evaluation")
FORBIDDEN = ("models.training", "data.deap_videos", "data.deap", "data.topomap", "data.deap_simulator")


def test_the_analysis_sees_imports_at_module_level_and_inside_functions():
    assert {"models.vae", "data.deap_videos", "data.datasets"} <= imported_modules("models.training")
    assert {"data.topomap", "data.deap"} <= set(import_chains("models.training"))
    assert "models.training" in imported_modules("cli.train")  # train-vae's handler imports it inside the function


@pytest.mark.parametrize("module", LAYERED)
def test_readers_of_models_and_posteriors_do_not_import_training_or_deap_code(module):
    chains = import_chains(module)
    reached = {name: " -> ".join(chains[name]) for name in FORBIDDEN if name in chains}
    assert not reached, f"{module} imports {sorted(reached)}: {'; '.join(reached.values())}"


def test_training_does_not_import_the_estimators():
    """Algorithm 1 and the other estimators can change without retraining: training's closure holds none of
    information/ (MMVAE's critics live in models/critics.py)."""
    assert not [name for name in closure("models.training") if layer(name) == "information"]


def imports_torch(module: str) -> bool:
    """Whether `module`'s source imports torch anywhere (module level or in functions)."""
    path = SOURCE.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
        if any(name.split(".")[0] == "torch" for name in names):
            return True
    return False


# The table-only jobs (Algorithm 1, the MIG, each dataset's summary, the paper comparison, the tables page)
# start in a fraction of a second without torch, whose import takes ~2 s of every job that loads it; the
# attribute labels (numpy and pandas) and the objectives' settings stay usable by them and by validation too.
TORCH_FREE = ("data.posteriors", "information.mi", "information.mig", "reporting.run_summary", "reporting.paper",
              "reporting.report", "data.attributes", "pipeline.config", "models.objectives.settings")


def test_the_analysis_sees_torch_imports():
    assert imports_torch("models.vae") and imports_torch("models.encoding") and not imports_torch("data.posteriors")


@pytest.mark.parametrize("module", TORCH_FREE)
def test_table_jobs_do_not_import_torch(module):
    chains = import_chains(module)
    reached = [" -> ".join(chains[name]) for name in sorted(chains) if imports_torch(name)]
    assert not reached, f"{module} reaches torch through {'; '.join(reached)}"
