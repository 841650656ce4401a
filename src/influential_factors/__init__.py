"""Discovering influential latent factors of variational autoencoders (Liu et al.).

The package is in layers, each a folder importing only the layers before it (tests/test_layers.py):
core (atomic files) -> data (readers, generators, DEAP videos, saved posteriors) -> models (networks,
objectives, critics, training, encoding) -> information (Algorithm 1, the other estimators, MINE, MIG) ->
reporting (figures, tables, docs) -> evaluation (ablations, classifiers, generation, supervised runs) ->
pipeline (parameters, file layout, DVC stages, code fingerprints) -> cli (one module per group of commands).

A module's old flat name (`influential_factors.mi`) still imports, with a DeprecationWarning naming the new
one (MOVED; docs/development.md lists them), and `python -m influential_factors.dvc_stages` runs the moved
module.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

__version__ = "0.1.0"

# The layers, bottom first: each folder imports only its own and the ones before it (tests/test_layers.py).
LAYERS = ("core", "data", "models", "information", "reporting", "evaluation", "pipeline", "cli")

# Where each module of the flat package (before the layers) lives now.
MOVED = {
    "artifacts": "core.artifacts",
    **{name: f"data.{name}" for name in ("datasets", "registry", "faces", "shapes", "attributes", "deap",
                                         "deap_simulator", "topomap", "deap_videos", "posteriors")},
    "models": "models.vae", "gaussian": "models.gaussian", "training": "models.training",
    "encoding": "models.encoding", "deap_encoding": "models.deap_encoding",
    "objectives": "models.objectives", "objective_settings": "models.objectives.settings",
    **{name: f"information.{name}" for name in ("mi", "estimators", "neural_mi", "mine", "comparison", "synthetic",
                                                "mig")},
    **{name: f"reporting.{name}" for name in ("figures", "paper", "run_summary", "headline", "report", "docs_tables")},
    **{name: f"evaluation.{name}" for name in ("ablation", "classifier", "generation", "traversal", "emotion_factors",
                                               "supervised_evaluation", "attribute_classifier")},
    **{name: f"pipeline.{name}" for name in ("layout", "config", "dvc_stages", "code_deps", "reproduce",
                                             "snakemake_locks", "checkout", "profiling")},
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `influential_factors.<old>` as the module it moved to (the same module object)."""

    @staticmethod
    def moved_to(fullname: str) -> str | None:
        """The new name of an old module (`influential_factors.objectives.mmvae` too), or None."""
        head, _, rest = fullname.removeprefix(__name__ + ".").partition(".")
        if not fullname.startswith(__name__ + ".") or head not in MOVED:
            return None
        return f"{__name__}.{MOVED[head]}" + (f".{rest}" if rest else "")

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_loader(fullname, self) if self.moved_to(fullname) else None

    def create_module(self, spec):
        new = self.moved_to(spec.name)
        warnings.warn(f"{spec.name} moved to {new}", DeprecationWarning, stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module):
        pass  # the module it moved to ran already

    def get_code(self, fullname):
        """`python -m influential_factors.<old>`: run the module it moved to as the main module."""
        return compile(f"import runpy\nrunpy.run_module({self.moved_to(fullname)!r}, run_name='__main__', alter_sys=True)",
                       fullname, "exec")


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())
