"""The settings the CLI takes from params.yaml (required options, no defaults), for tests that call it.

`with_settings(args)` appends, for each such option of the command `args[0]` that `args` does not give,
a fixed value: the default the option had before params.yaml became the only source of defaults
(mostly params.yaml's values; train-vae checkpoints every epoch, compare-estimators runs no InfoNCE),
written out here so that a test's inputs do not move when params.yaml does. `main` is the CLI's `main` on `with_settings(args)`: for tests about something else
(bad input files, hostile options) that give only the options they are about.
"""

from influential_factors import cli

CLASSIFIER = {"--seeds": [0, 1, 2], "--hidden": [128], "--epochs": [30], "--batch-size": [16], "--lr": [0.001]}
SETTINGS = {
    "prepare-mnist": {"--split": [0.6, 0.2, 0.2], "--seed": [0]},
    "prepare-faces": {"--crop": [148], "--split-mode": ["random"], "--split": [0.8, 0.1, 0.1], "--seed": [0]},
    "prepare-shapes": {"--count": [6000], "--split": [0.6, 0.2, 0.2], "--seed": [0]},
    "simulate-deap": {"--trials": [40], "--seed": [0]},
    "prepare-deap": {"--montage": ["biosemi32"], "--band": ["alpha", 8, 13, "--band", "beta", 13, 30, "--band",
                                                             "gamma", 30, 45],
                     "--baseline": ["keep"], "--split": [0.8, 0.1, 0.1], "--seed": [0], "--grid-size": [32],
                     "--class-threshold": [5]},
    "train-vae": {"--objective": ["beta_vae"], "--objective-settings": ["{}"], "--likelihood": ["gaussian"], "--network": ["conv"], "--channels": [32, 32], "--hidden": [256], "--latents": [128],
                  "--epochs": [20], "--batch-size": [64], "--lr": [0.001], "--seed": [0], "--checkpoint-every": [1],
                  "--precision": ["float32"]},
    "classify-topk": {"--percents": [100, 50, 10, 7, 5, 4, 3, 2, 1, 0], **CLASSIFIER},
    "emotion-factors": {"--n-factors": [8], "--min-loss-increase": [0.05], "--pattern-threshold": [0.7],
                        **CLASSIFIER},
    "flag-influential": {"--threshold": [0.7]},
    "influential-metrics": {"--threshold": [0.7]},
    "summarize-estimators": {"--threshold": [0.7]},
    "compare-estimators": {"--mixture-samples": [1], "--infonce-factors": [0], "--seed": [0]},
    "benchmark-estimators": {"--samples": [10000], "--seed": [0]},
    "ablate-topk": {"--percents": [100, 20, 10, 7, 5, 4, 3, 2, 1, 0], "--images": [4]},
    "plot-traversals": {"--threshold": [0.5], "--max-factors": [16], "--seed-images": [4]},
    "generate": {"--samples": [16], "--seed": [0]},
    "summarize-runs": {"--threshold": [0.7]},
    "plot-information": {"--threshold": [0.7]},
}


def with_settings(args: list[str]) -> list[str]:
    """`args` with params.yaml's value of every settings option of its command that it lacks."""
    given = {word.split("=")[0] for word in args if word.startswith("--")}
    extra = []
    for option, values in SETTINGS.get(args[0], {}).items():
        if option not in given:
            extra += [option, *map(str, values)]
    return [*args, *extra]


def main(args: list[str]) -> int:
    return cli.main(with_settings(list(args)))
