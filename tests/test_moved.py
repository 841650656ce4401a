"""The flat package's old module names, after the move into layers: the same modules, with a warning."""

import importlib
import subprocess
import sys
import warnings

import pytest

import influential_factors
from influential_factors import MOVED

from conftest import REPO


@pytest.mark.parametrize("old", sorted(name for name in MOVED if name != "models"))
def test_an_old_name_imports_the_moved_module_and_warns(old):
    sys.modules.pop(f"influential_factors.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"influential_factors.{old} moved to influential_factors.{MOVED[old]}"):
        module = importlib.import_module(f"influential_factors.{old}")
    assert module is importlib.import_module(f"influential_factors.{MOVED[old]}")


def test_a_submodule_of_a_moved_package_imports_too():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from influential_factors.objectives import lp_nested
    assert lp_nested.__name__ == "influential_factors.models.objectives.lp_nested"


def test_the_models_layer_is_no_alias():
    """`influential_factors.models` is the models layer now; the network moved to models.vae (the docs say so)."""
    assert importlib.import_module("influential_factors.models").__file__.endswith("models/__init__.py")


def test_python_m_runs_the_moved_module_as_main():
    old = subprocess.run([sys.executable, "-m", "influential_factors.docs_tables", "--check"], cwd=REPO,
                         capture_output=True, text=True)
    new = subprocess.run([sys.executable, "-m", "influential_factors.reporting.docs_tables", "--check"], cwd=REPO,
                         capture_output=True, text=True)
    assert (old.returncode, old.stdout) == (new.returncode, new.stdout) and "Traceback" not in old.stderr
    assert influential_factors.__file__.startswith(str(REPO / "src"))
