"""Whether params.yaml's settings of an objective (`objectives.<name>`) can build it for a model's latents.

Without torch, so that validating the parameters (config.py, every Snakemake start: each DVC stage is one)
does not pay for importing it; each objective's class in objectives/ checks its settings here.
"""

from __future__ import annotations

import math
from numbers import Real


def check_keys(name: str, settings: dict, keys: tuple[str, ...]) -> None:
    """Raise ValueError unless `settings` (params.yaml `objectives.<name>`) has exactly `keys`."""
    if not isinstance(settings, dict):
        raise ValueError(f"objectives.{name}: expected a mapping of {', '.join(keys)}, got {type(settings).__name__}")
    missing, unknown = sorted(set(keys) - settings.keys()), sorted(settings.keys() - set(keys))
    if missing or unknown:
        raise ValueError(f"objectives.{name}: " + "; ".join(
            [f"missing {key}" for key in missing] + [f"unknown setting {key}" for key in unknown]))


def check_number(name: str, settings: dict, key: str, *, positive: bool = False) -> None:
    """Raise ValueError unless `settings[key]` is a finite number >= 0 (a weight of a KL term), or > 0 with
    `positive` (an exponent)."""
    value = settings[key]
    if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0
            or (positive and value == 0)):
        raise ValueError(f"objectives.{name}.{key}: expected a finite number {'>' if positive else '>='} 0, "
                         f"got {value!r}")


def no_settings(name: str, settings: dict) -> None:
    """An objective without settings (the beta-VAE, any without a check in CHECKS) must be given none."""
    if settings:
        raise ValueError(f"objective {name} takes no settings, got {sorted(settings)}")


def beta_vae(settings: dict, latents: int) -> None:
    """The paper's beta-VAE: no settings."""
    no_settings("beta_vae", settings)


def anchor_vae(settings: dict, latents: int) -> None:
    """`anchors`, the anchored factors' indices (distinct, in [0, latents)); `anchor_weight`, their KL weight
    (finite, >= 0)."""
    check_keys("anchor_vae", settings, ("anchors", "anchor_weight"))
    check_number("anchor_vae", settings, "anchor_weight")
    anchors, key = settings["anchors"], "objectives.anchor_vae.anchors"
    if not isinstance(anchors, list) or not anchors:
        raise ValueError(f"{key}: expected a non-empty list of factor indices, got {anchors!r}")
    for factor in anchors:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise ValueError(f"{key}: expected factor indices (integers), got {factor!r}")
        if not 0 <= factor < latents:
            raise ValueError(f"{key}: factor {factor} is outside the model's {latents} latents")
    repeated = sorted({factor for factor in anchors if anchors.count(factor) > 1})
    if repeated:
        raise ValueError(f"{key}: factors {repeated} are listed more than once")


def beta_tcvae(settings: dict, latents: int) -> None:
    """`alpha`, the weight of MI, and `gamma`, that of DWKL (finite, >= 0); TC's is beta."""
    check_keys("beta_tcvae", settings, ("alpha", "gamma"))
    for key in ("alpha", "gamma"):
        check_number("beta_tcvae", settings, key)


def isa_vae(settings: dict, latents: int) -> None:
    """Exactly the keys layout, p0, p1, learn_exponents; layout two positive integers whose product is
    `latents`; exponents finite and > 0; learn_exponents a boolean."""
    check_keys("isa_vae", settings, ("layout", "p0", "p1", "learn_exponents"))
    layout = settings["layout"]
    if (not isinstance(layout, (list, tuple)) or len(layout) != 2
            or not all(isinstance(size, int) and not isinstance(size, bool) and size > 0 for size in layout)):
        raise ValueError(f"objectives.isa_vae.layout must be two positive integers [l0, l1] "
                         f"(l0 subspaces of l1 factors), got {layout!r}")
    l0, l1 = layout
    if l0 * l1 != latents:
        size = max(d for d in range(1, min(l1, latents) + 1) if latents % d == 0)
        raise ValueError(f"objectives.isa_vae.layout {list(layout)} holds {l0 * l1} factors but the model has "
                         f"{latents} latents (vae.<dataset>.latents): l0 * l1 must equal it, "
                         f"e.g. [{latents // size}, {size}]")
    for key in ("p0", "p1"):
        check_number("isa_vae", settings, key, positive=True)
    if not isinstance(settings["learn_exponents"], bool):
        raise ValueError(f"objectives.isa_vae.learn_exponents must be true or false, "
                         f"got {settings['learn_exponents']!r}")


MMVAE_KEYS = ("attributes", "attribute_dims", "prior_radius", "prior_sigma", "weights", "mine")
MMVAE_WEIGHTS = ("c_y", "z_y", "z_c")
MINE_KEYS = ("hidden", "lr", "ema_rate")


def mmvae(settings: dict, latents: int) -> None:
    """`attributes`, a mapping dataset -> attribute (attributes.py checks the names against the data);
    `attribute_dims`, c's size, in [1, latents); `prior_radius` >= 0 and `prior_sigma` > 0; `weights` c_y, z_y,
    z_c >= 0; `mine`: the critics' `hidden` width (a positive integer), `lr` > 0, `ema_rate` in (0, 1]."""
    check_keys("mmvae", settings, MMVAE_KEYS)
    attributes = settings["attributes"]
    if not isinstance(attributes, dict) or not all(isinstance(value, str) for value in attributes.values()):
        raise ValueError(f"objectives.mmvae.attributes: expected a mapping of dataset to attribute name, got {attributes!r}")
    dims = settings["attribute_dims"]
    if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims < latents:
        raise ValueError(f"objectives.mmvae.attribute_dims: expected an integer in [1, {latents}) (the model's latents "
                         f"hold c and the rest z), got {dims!r}")
    check_number("mmvae", settings, "prior_radius")
    check_number("mmvae", settings, "prior_sigma", positive=True)
    for section, keys in (("weights", MMVAE_WEIGHTS), ("mine", MINE_KEYS)):
        check_keys(f"mmvae.{section}", settings[section], keys)
    for key in MMVAE_WEIGHTS:
        check_number("mmvae.weights", settings["weights"], key)
    mine = settings["mine"]
    if isinstance(mine["hidden"], bool) or not isinstance(mine["hidden"], int) or mine["hidden"] < 1:
        raise ValueError(f"objectives.mmvae.mine.hidden: expected a positive integer, got {mine['hidden']!r}")
    check_number("mmvae.mine", mine, "lr", positive=True)
    check_number("mmvae.mine", mine, "ema_rate", positive=True)
    if mine["ema_rate"] > 1:
        raise ValueError(f"objectives.mmvae.mine.ema_rate: expected a rate in (0, 1], got {mine['ema_rate']!r}")


# The baselines of MMVAE (objectives/mmvae.py) read its settings: params.yaml has one section for the three.
SETTINGS_SECTION = {"r_cvae": "mmvae", "csvae": "mmvae"}
SUPERVISED = ("mmvae", *SETTINGS_SECTION)  # the objectives that train on attribute labels
ATTRIBUTE_DATASETS = ("mnist", "shapes", "celeba")  # the datasets with attribute labels (CelebA: real only)
CHECKS = {check.__name__: check for check in (beta_vae, anchor_vae, beta_tcvae, isa_vae, mmvae)}
CHECKS |= {name: CHECKS[section] for name, section in SETTINGS_SECTION.items()}


def has_attributes(dataset: str, celeba_root: str | None) -> bool:
    """Whether a dataset's images carry attribute labels (attributes.py): MNIST, shapes, and CelebA when real
    (a root is given; the embedded ORL faces carry none)."""
    return dataset in ATTRIBUTE_DATASETS and (dataset != "celeba" or celeba_root is not None)


def settings_section(name: str) -> str:
    """The params.yaml section `objectives.<section>` that holds objective `name`'s settings."""
    return SETTINGS_SECTION.get(name, name)


def check_settings(name: str, settings: dict, latents: int) -> None:
    """Raise ValueError naming the key when `settings` cannot build objective `name` for `latents` factors
    (the schema has already refused names that are not objectives)."""
    if name in CHECKS:
        CHECKS[name](settings, latents)
    else:
        no_settings(name, settings)


def settings_problem(name: str, settings: dict, latents: int) -> str | None:
    """Why `settings` cannot build objective `name` for `latents` factors (validation before any job), or None."""
    try:
        check_settings(name, settings, latents)
    except ValueError as error:
        return str(error)
    return None
