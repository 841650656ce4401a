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


def split_errors(params: dict) -> list[str]:
    """The one rule JSON schema cannot state: each data set's split fractions sum to 1."""
    sections = params.get("data") if isinstance(params, dict) else None
    errors = []
    for name, section in (sections.items() if isinstance(sections, dict) else ()):
        split = section.get("split") if isinstance(section, dict) else None
        if isinstance(split, list) and all(isinstance(value, (int, float)) for value in split) \
                and abs(sum(split) - 1) > 1e-6:
            errors.append(f"data.{name}.split: {split} must sum to 1")
    return errors


def validate_params(params: dict, schema_path: str | Path = DEFAULT_SCHEMA, source: str = "params.yaml") -> dict:
    """Return `params` unchanged if valid, else raise ParamsError listing every violation."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = validation_errors(params, schema) + split_errors(params)
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
