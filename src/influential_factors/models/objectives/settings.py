"""The objectives' declarations: each objective's name and its settings' rules, read without torch.

Each objective module of this package starts with a declaration, `DECLARATION = Declaration(...)` (or
`DECLARATIONS = (Declaration(...), ...)` for a module of several), built from the rule types below alone
and literal values. Validation (config.py, every Snakemake start: each DVC stage is one) reads it from the
module's source (`ast`) without running the module, so without importing torch; the module, imported,
builds the same objects. From the declarations come the schema's objective sections (`schema_sections`),
the settings checks (`check_settings`) and the registry's list of objectives (registry.py).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from functools import cache
from numbers import Real
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
NAME = re.compile(r"[a-z][a-z0-9_]*")  # an objective's name: a params.yaml key and the rules' {objective} wildcard
ATTRIBUTE_DATASETS = ("mnist", "shapes", "celeba")  # the datasets with attribute labels (CelebA: real only)


class Rule:
    """What one setting must be: `check` raises ValueError naming the key; `schema` is its JSON schema."""

    def check(self, key: str, value, latents: int) -> None:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Rule):
    """A finite number >= `minimum` (> 0 with `positive`), at most `maximum`."""

    positive: bool = False
    maximum: float = 100000

    def check(self, key, value, latents):
        if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0
                or (self.positive and value == 0) or value > self.maximum):
            bound = f"{'>' if self.positive else '>='} 0" + (f" and <= {self.maximum}" if self.maximum < 1000 else "")
            raise ValueError(f"objectives.{key}: expected a finite number {bound}, got {value!r}")

    def schema(self):
        return {"type": "number", ("exclusiveMinimum" if self.positive else "minimum"): 0, "maximum": self.maximum}


@dataclass(frozen=True)
class Integer(Rule):
    """An integer >= `minimum`; with `below_latents` also < the model's latents."""

    minimum: int = 1
    maximum: int = 65536
    below_latents: bool = False

    def check(self, key, value, latents):
        top = min(self.maximum + 1, latents) if self.below_latents else self.maximum + 1
        if isinstance(value, bool) or not isinstance(value, int) or not self.minimum <= value < top:
            which = " (the model's latents hold c and the rest z)" if self.below_latents else ""
            raise ValueError(f"objectives.{key}: expected an integer in [{self.minimum}, {top}){which}, got {value!r}")

    def schema(self):
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class Boolean(Rule):
    def check(self, key, value, latents):
        if not isinstance(value, bool):
            raise ValueError(f"objectives.{key} must be true or false, got {value!r}")

    def schema(self):
        return {"type": "boolean"}


@dataclass(frozen=True)
class Factors(Rule):
    """A non-empty list of distinct factor indices, each in [0, latents)."""

    def check(self, key, value, latents):
        key = f"objectives.{key}"
        if not isinstance(value, list) or not value:
            raise ValueError(f"{key}: expected a non-empty list of factor indices, got {value!r}")
        for factor in value:
            if isinstance(factor, bool) or not isinstance(factor, int):
                raise ValueError(f"{key}: expected factor indices (integers), got {factor!r}")
            if not 0 <= factor < latents:
                raise ValueError(f"{key}: factor {factor} is outside the model's {latents} latents")
        repeated = sorted({factor for factor in value if value.count(factor) > 1})
        if repeated:
            raise ValueError(f"{key}: factors {repeated} are listed more than once")

    def schema(self):
        return {"type": "array", "minItems": 1, "maxItems": 4096, "uniqueItems": True,
                "items": {"type": "integer", "minimum": 0, "maximum": 4095}}


@dataclass(frozen=True)
class SubspaceSize(Rule):
    """A positive integer l1 that divides the model's latents: its l0 = latents / l1 subspaces of l1 factors each
    (ISA-VAE's layout; the paper's dSprites layout l0 = 5, l1 = 4 is 4 with 20 latents)."""

    def check(self, key, value, latents):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= latents or latents % value:
            sizes = [size for size in range(1, latents + 1) if latents % size == 0]
            raise ValueError(f"objectives.{key}: expected the size of each subspace, an integer dividing the model's "
                             f"{latents} latents (one of {sizes}), got {value!r}")

    def schema(self):
        return {"type": "integer", "minimum": 1, "maximum": 4096}


@dataclass(frozen=True)
class Attributes(Rule):
    """A mapping dataset -> attribute name (data/attributes.py checks the names against the data)."""

    def check(self, key, value, latents):
        if not isinstance(value, dict) or not all(isinstance(name, str) for name in value.values()):
            raise ValueError(f"objectives.{key}: expected a mapping of dataset to attribute name, got {value!r}")

    def schema(self):
        return {"type": "object", "additionalProperties": False,
                "properties": {"mnist": {"type": "string", "pattern": "^digit(>=[1-9])?$"},
                               "shapes": {"enum": ["shape"]}, "celeba": {"type": "string", "minLength": 1, "maxLength": 100}}}


@dataclass(frozen=True)
class Section(Rule):
    """A mapping holding exactly `rules`' keys, each checked by its rule."""

    rules: dict = field(default_factory=dict)

    def check(self, key, value, latents):
        check_keys(key, value, tuple(self.rules))
        for name, rule in self.rules.items():
            rule.check(f"{key}.{name}", value[name], latents)

    def schema(self):
        return {"type": "object", "additionalProperties": False, "required": list(self.rules),
                "properties": {name: rule.schema() for name, rule in self.rules.items()}}


@dataclass(frozen=True)
class Declaration:
    """An objective: its `name` (a params.yaml key: [a-z][a-z0-9_]*), its settings' rules (params.yaml
    `objectives.<name>`; none: it takes no settings), whether it trains on attribute labels (`supervised`),
    and `settings_of`, another objective whose settings section it reads instead of its own (MMVAE's baselines)."""

    name: str
    settings: dict = field(default_factory=dict)
    supervised: bool = False
    settings_of: str | None = None


RULES = {rule.__name__: rule for rule in (Number, Integer, Boolean, Factors, SubspaceSize, Attributes, Section,
                                          Declaration)}


def _evaluate(node: ast.AST):
    """The value of a declaration's expression: literals, and calls of the rule types with literal arguments."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in RULES:
        return RULES[node.func.id](*map(_evaluate, node.args),
                                   **{keyword.arg: _evaluate(keyword.value) for keyword in node.keywords})
    if isinstance(node, ast.Dict):
        return {_evaluate(key): _evaluate(value) for key, value in zip(node.keys, node.values)}
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(map(_evaluate, node.elts))
    return ast.literal_eval(node)


def module_declarations(path: Path) -> tuple[Declaration, ...]:
    """The declarations a module's source assigns to DECLARATION or DECLARATIONS (none: not an objective)."""
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        targets = [target.id for target in getattr(node, "targets", []) if isinstance(target, ast.Name)]
        if "DECLARATION" in targets:
            return (_evaluate(node.value),)
        if "DECLARATIONS" in targets:
            return tuple(_evaluate(node.value))
    return ()


@cache
def declarations() -> dict[str, Declaration]:
    """Every objective of this folder's modules by name, the beta-VAE (the paper's) first, then by module."""
    found = {}
    for path in sorted(FOLDER.glob("*.py"), key=lambda path: (path.stem != "beta_vae", path.stem)):
        for declaration in module_declarations(path):
            if not NAME.fullmatch(declaration.name):
                raise ValueError(f"{path.name}: objective name {declaration.name!r} is not lower-case letters, "
                                 f"digits and underscores starting with a letter")
            if declaration.name in found:
                raise ValueError(f"{path.name}: objective {declaration.name} is declared twice")
            found[declaration.name] = declaration
    return found


def supervised() -> tuple[str, ...]:
    """The objectives that train on attribute labels."""
    return tuple(name for name, declaration in declarations().items() if declaration.supervised)


def settings_section(name: str) -> str:
    """The params.yaml section `objectives.<section>` that holds objective `name`'s settings."""
    declaration = declarations().get(name)
    return (declaration.settings_of or name) if declaration else name


def schema_sections() -> tuple[dict, dict]:
    """The schema of params.yaml's `objectives` (one section per objective with settings, all required) and
    of a dataset's `vae.<dataset>.objectives` (one beta grid per objective but the beta-VAE's; [] trains none)."""
    owners = {name: declaration for name, declaration in declarations().items()
              if declaration.settings and not declaration.settings_of}
    settings = {"type": "object", "additionalProperties": False, "required": list(owners),
                "properties": {name: Section(declaration.settings).schema() for name, declaration in owners.items()}}
    grid = {"type": "array", "maxItems": 100, "uniqueItems": True,
            "items": {"type": "number", "minimum": 0, "maximum": 100000}}
    grids = {"type": "object", "additionalProperties": False,
             "properties": {name: grid for name in declarations() if name != "beta_vae"}}
    return settings, grids


def check_keys(name: str, settings: dict, keys: tuple[str, ...]) -> None:
    """Raise ValueError unless `settings` (params.yaml `objectives.<name>`) has exactly `keys`."""
    if not isinstance(settings, dict):
        raise ValueError(f"objectives.{name}: expected a mapping of {', '.join(keys)}, got {type(settings).__name__}")
    missing, unknown = sorted(set(keys) - settings.keys()), sorted(settings.keys() - set(keys))
    if missing or unknown:
        raise ValueError(f"objectives.{name}: " + "; ".join(
            [f"missing {key}" for key in missing] + [f"unknown setting {key}" for key in unknown]))


def has_attributes(dataset: str, celeba_root: str | None) -> bool:
    """Whether a dataset's images carry attribute labels (attributes.py): MNIST, shapes, and CelebA when real
    (a root is given; the embedded ORL faces carry none)."""
    return dataset in ATTRIBUTE_DATASETS and (dataset != "celeba" or celeba_root is not None)


def check_settings(name: str, settings: dict, latents: int) -> None:
    """Raise ValueError naming the key when `settings` cannot build objective `name` for `latents` factors
    (the schema has already refused names that are not objectives)."""
    declaration = declarations().get(name, Declaration(name))
    if declaration.settings_of:
        declaration = declarations()[declaration.settings_of]
    if not declaration.settings:
        if settings:
            raise ValueError(f"objective {name} takes no settings, got {sorted(settings)}")
        return
    Section(declaration.settings).check(settings_section(name), settings, latents)


def settings_problem(name: str, settings: dict, latents: int) -> str | None:
    """Why `settings` cannot build objective `name` for `latents` factors (validation before any job), or None."""
    try:
        check_settings(name, settings, latents)
    except ValueError as error:
        return str(error)
    return None
