"""The code a workflow step runs, read statically from the source: the modules of this package that a
CLI subcommand imports, directly or not. The dvc.yaml generator lists them as the stage's deps, so a
change to any of them makes `dvc status` name exactly the stages it can affect.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PACKAGE = "influential_factors"
SOURCE = Path(__file__).resolve().parents[1]  # the package, above this layer


@lru_cache(maxsize=None)  # asked for every name each import statement binds
def _module_path(name: str) -> Path | None:
    """The file of package module `name` (dotted, relative to the package), or None if not ours."""
    parts = name.split(".") if name else []
    candidate = SOURCE.joinpath(*parts)
    if candidate.with_suffix(".py").is_file():
        return candidate.with_suffix(".py")
    if (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


def _statements(node: ast.AST):
    """`node` and every statement under it (an import is a statement: expressions need no visit)."""
    yield node
    for _, value in ast.iter_fields(node):
        if isinstance(value, list):
            for item in value:
                if isinstance(item, (ast.stmt, ast.excepthandler, ast.match_case)):
                    yield from _statements(item)


def _imported(node: ast.AST, module: str) -> set[str]:
    """Package modules imported anywhere under `node` (module-level and inside functions), relative names."""
    if _module_path(module).name == "__init__.py":  # a package's relative imports start from the package itself
        package = module
    else:
        package = module.rsplit(".", 1)[0] if "." in module else ""
    found = set()
    for item in _statements(node):
        if isinstance(item, ast.Import):
            names = [alias.name for alias in item.names]
        elif isinstance(item, ast.ImportFrom):
            if item.level:  # from .x import y / from . import x
                base = package.split(".")[: len(package.split(".")) - (item.level - 1)] if package else []
                prefix = ".".join(base + ([item.module] if item.module else []))
            elif item.module and (item.module == PACKAGE or item.module.startswith(PACKAGE + ".")):
                prefix = item.module[len(PACKAGE) + 1:]
            else:
                continue
            names = [f"{prefix}.{alias.name}".strip(".") for alias in item.names] + [prefix]
        else:
            continue
        for name in names:
            if name.startswith(PACKAGE + "."):
                name = name[len(PACKAGE) + 1:]
            if name and _module_path(name):
                found.add(name)
    return found


@lru_cache(maxsize=None)
def _tree(module: str) -> ast.Module:
    return ast.parse(_module_path(module).read_text(), filename=str(_module_path(module)))


def _discovered(tree: ast.Module, module: str) -> set[str]:
    """The sibling modules of a module that imports them at run time (`DISCOVERS_PACKAGE_MODULES = True`:
    objectives/registry.py finds each objective's module by scanning its folder), else none."""
    if not any(isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "DISCOVERS_PACKAGE_MODULES"
                                                    for target in node.targets) for node in tree.body):
        return set()
    package = module.rsplit(".", 1)[0]
    return {f"{package}.{path.stem}" for path in _module_path(module).parent.glob("*.py") if path.stem != "__init__"}


@lru_cache(maxsize=None)
def _module_imports(module: str) -> frozenset[str]:
    return frozenset(_imported(_tree(module), module) | _discovered(_tree(module), module))


@lru_cache(maxsize=None)
def import_closure(module: str) -> frozenset[str]:
    """`module` and every package module it imports, directly or through others, with the packages holding them
    (importing a module runs their __init__.py)."""
    seen, todo = set(), [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parents = {".".join(name.split(".")[:depth]) for depth in range(len(name.split(".")))}
        todo.extend((_module_imports(name) | {parent for parent in parents if _module_path(parent)}) - seen)
    return frozenset(seen)


def command_module(subcommand: str, cli: str = "cli") -> str:
    """The module of the CLI that holds `subcommand` (its parser and handler): the CLI's COMMANDS table, read
    statically."""
    table = next(node.value for node in _tree(cli).body if isinstance(node, ast.Assign)
                 and any(getattr(target, "id", "") == "COMMANDS" for target in node.targets))
    commands = ast.literal_eval(table)
    if subcommand not in commands:
        raise KeyError(f"the CLI has no subcommand {subcommand!r}")
    return f"{cli}.{commands[subcommand]}"


def _handler(tree: ast.Module, subcommand: str) -> str:
    """The function that `register` binds to `subcommand`: `add_parser(subcommand)` ... `set_defaults(run=f)`."""
    register = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "register")
    current = None
    for statement in register.body:
        for call in (node for node in ast.walk(statement) if isinstance(node, ast.Call)):
            method = getattr(call.func, "attr", "")
            if method == "add_parser" and call.args and isinstance(call.args[0], ast.Constant):
                current = call.args[0].value
            elif method == "set_defaults" and current == subcommand:
                return next(keyword.value.id for keyword in call.keywords if keyword.arg == "run")
    raise KeyError(f"the CLI has no subcommand {subcommand!r}")


@lru_cache(maxsize=None)
def subcommand_modules(subcommand: str, cli: str = "cli") -> frozenset[str]:
    """The modules the CLI subcommand runs: the CLI's own package (its imports included), the command's module
    with its module-level imports, the imports of its handler and of the module's functions the handler calls,
    and everything those import. Another command's handler is not among them."""
    module = command_module(subcommand, cli)
    tree = _tree(module)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    top_level = ast.Module(body=[node for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.ClassDef))],
                           type_ignores=[])
    modules, called, todo = _imported(top_level, module), set(), [_handler(tree, subcommand)]
    while todo:
        name = todo.pop()
        if name in called:
            continue
        called.add(name)
        modules |= _imported(functions[name], module)
        todo.extend(node.id for node in ast.walk(functions[name])
                    if isinstance(node, ast.Name) and node.id in functions and node.id not in called)
    return frozenset({module}.union(import_closure(cli), *(import_closure(name) for name in modules)))


def module_file(module: str) -> str:
    """The repository path of package module `module` (src/influential_factors/...)."""
    return str(Path("src") / PACKAGE / _module_path(module).relative_to(SOURCE))
