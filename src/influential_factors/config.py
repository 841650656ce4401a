"""params.yaml: loading and validation against the JSON schema in workflow/schemas/."""

from __future__ import annotations

from pathlib import Path

import yaml

DEFAULT_SCHEMA = Path("workflow") / "schemas" / "params.schema.yaml"


class ParamsError(ValueError):
    """params.yaml breaks the schema; the message has one line per broken rule, naming the key."""


def _key_path(path) -> str:
    """`vae.mnist.betas[0]` from jsonschema's deque of keys and indices."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validation_errors(params: dict, schema: dict) -> list[str]:
    """One line per schema violation: the key, its value and the rule it broke."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    lines = []
    for error in sorted(validator.iter_errors(params), key=lambda e: list(map(str, e.absolute_path))):
        lines.append(f"{_key_path(error.absolute_path)}: {error.message}")
    return lines


def relation_errors(params: dict) -> list[str]:
    """The rules JSON schema cannot state: split fractions sum to 1, band edges are increasing."""
    sections = params.get("data") if isinstance(params, dict) else None
    errors = []
    for name, section in (sections.items() if isinstance(sections, dict) else ()):
        section = section if isinstance(section, dict) else {}
        split = section.get("split")
        if _numbers(split) and abs(sum(split) - 1) > 1e-6:
            errors.append(f"data.{name}.split: {split} must sum to 1")
        bands = section.get("bands")
        for band, edges in (bands.items() if isinstance(bands, dict) else ()):
            if _numbers(edges) and len(edges) == 2 and edges[0] >= edges[1]:
                errors.append(f"data.{name}.bands.{band}: {edges} must be [low, high] with low < high")
    return errors


def data_root_errors(params: dict) -> list[str]:
    """A real-data root (data.<dataset>.root) that is not a folder, for every dataset the run builds
    (MNIST with `download: true` may create its root). Relative roots are taken from the working folder."""
    data, built = params.get("data"), params.get("datasets")
    if not isinstance(data, dict) or not isinstance(built, list):
        return []
    errors = []
    for name in ("mnist", "celeba", "deap"):
        section = data.get(name) if name in built else None
        root = section.get("root") if isinstance(section, dict) else None
        if isinstance(root, str) and root and not Path(root).is_dir() and section.get("download") is not True:
            problem = "is a file, not a folder" if Path(root).exists() else "does not exist"
            errors.append(f"data.{name}.root: '{root}' {problem} (real data selected; null uses the embedded data)")
    return errors


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, (int, float)) for item in value)


def validate_params(params: dict, schema_path: str | Path = DEFAULT_SCHEMA, source: str = "params.yaml") -> dict:
    """Return `params` unchanged if valid, else raise ParamsError listing every violation."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = validation_errors(params, schema) + relation_errors(params) + data_root_errors(params)
    if errors:
        raise ParamsError(f"{source} is invalid:\n" + "\n".join(f"  {line}" for line in errors))
    return params


def load_params(path: str | Path, schema_path: str | Path = DEFAULT_SCHEMA) -> dict:
    """Read and validate a params file."""
    try:
        params = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ParamsError(f"{path}: cannot read parameters ({error})") from error
    return validate_params(params, schema_path, source=str(path))
