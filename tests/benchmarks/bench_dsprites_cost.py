"""What ISA-VAE's dSprites preset costs (workflow/presets/paper-dsprites.yaml): one epoch of its network (Chen et
al.'s MLP, 1200 wide, 20 latents, Bernoulli, batch 2048) in the project's training loop on random binary images,
timed after a warm-up epoch, then the preset's whole grid at that rate: its training images x epochs per model,
times its models (objectives x betas x seeds). Training only: encoding, the estimators and the figures add little
on a GPU and minutes per model on a CPU.

    python tests/benchmarks/bench_dsprites_cost.py [--images 8192] [--device cpu] [--markdown out.md]
"""

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from influential_factors.models.objectives.registry import build_objective  # noqa: E402
from influential_factors.models.training import prepare_training, train_epoch  # noqa: E402
from influential_factors.models.vae import BetaVAE, images_on_device  # noqa: E402

PRESET = REPO / "workflow/presets/paper-dsprites.yaml"
GRID_IMAGES = 737_280


def preset_size() -> tuple[dict, int, int]:
    """The preset's vae settings, its training images (the whole grid's train split) and its number of models."""
    preset = yaml.safe_load(PRESET.read_text())
    vae = preset["vae"]["dsprites"]
    split = yaml.safe_load((REPO / "params.yaml").read_text())["data"]["dsprites"]["split"]
    grids = [vae["betas"], *vae["objectives"].values()]
    return vae, int(GRID_IMAGES * split[0]), sum(len(grid) for grid in grids) * len(vae["seeds"])


def epoch_seconds(vae: dict, images: int, device: torch.device) -> float:
    """Seconds of one training epoch over `images` random binary images, after a warm-up epoch."""
    model = BetaVAE((1, 64, 64), [], vae["hidden"], vae["latents"], vae["likelihood"], network=vae["network"])
    objective = build_objective("beta_vae", {}, beta=1.0, latents=vae["latents"], dataset_size=images)
    optimizer = prepare_training(model, objective, vae["lr"], device)
    pixels = np.random.default_rng(0).integers(0, 2, (images, 1, 64, 64), dtype=np.uint8) * 255
    data = images_on_device(pixels, device)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        train_epoch(model, optimizer, data, torch.randperm(images, generator=generator), objective, 1.0,
                    vae["batch_size"], "float32")
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    epoch()
    start = time.perf_counter()
    epoch()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8192, help="random images per timed epoch (default 8192)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--markdown", type=Path, help="also write the result to this file")
    args = parser.parse_args()
    vae, train_images, models = preset_size()
    device = torch.device(args.device)
    seconds = epoch_seconds(vae, args.images, device)
    per_model = seconds * train_images / args.images * vae["epochs"]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    text = (f"dSprites preset on {name}: one epoch of {args.images:,} images (batch {vae['batch_size']}, "
            f"{math.ceil(args.images / vae['batch_size'])} steps) took {seconds:.2f} s; a model of the preset "
            f"({train_images:,} training images, {vae['epochs']} epochs) takes {per_model / 3600:.2f} h at this rate, "
            f"its {models} models {models * per_model / 3600:.1f} h of training.\n")
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(f"<!-- written by `python tests/benchmarks/bench_dsprites_cost.py --markdown "
                                 f"{args.markdown}` -->\n\n{text}")


if __name__ == "__main__":
    main()
