"""Training throughput of the project's trainer against a plain PyTorch loop, per model, on one device.

For each of the paper's three networks (MNIST 28x28x1 conv [32, 32]; CelebA 64x64x3 and DEAP 32x32x3
conv [32, 32, 64, 64]; FC 256, 128 latents) on random images of the data set's stored dtype (uint8
pixels; DEAP's maps are float32):
- baseline: the loop a first implementation writes: a DataLoader over a float32 TensorDataset in host
  memory (shuffled), each batch copied to the device, float32, the loss read back every batch;
- project: `training.train_epoch`, the loop `train-vae` runs: the whole set on the device in its stored
  dtype, batches drawn there by a permutation and converted to float there, the sums read back once per
  epoch; on CUDA also with bf16 autocast and with torch.compile.
Prints training images per second, and each variant's ratio to the baseline measured in the same run.

    python tests/benchmarks/bench_training.py                  # CPU here; CUDA where there is one
    python tests/benchmarks/bench_training.py --images 60000 --epochs 3 --device cuda
"""

import argparse
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from influential_factors.models import BetaVAE, default_device, images_on_device, vae_loss
from influential_factors.objectives import build_objective
from influential_factors.training import train_epoch

MODELS = {  # name: (image shape, conv channels, stored dtype)
    "mnist": ((1, 28, 28), [32, 32], np.uint8),
    "celeba": ((3, 64, 64), [32, 32, 64, 64], np.uint8),
    "deap": ((3, 32, 32), [32, 32, 64, 64], np.float32),
}
SIGMA2_X, LATENTS = 0.0112, 128
OBJECTIVE = build_objective("beta_vae", {}, beta=10.0, latents=LATENTS, dataset_size=0)  # the paper's beta


def random_images(shape, dtype, count, seed=0):
    generator = np.random.default_rng(seed)
    if dtype == np.uint8:
        return generator.integers(0, 256, size=(count, *shape), dtype=np.uint8)
    return generator.random((count, *shape), dtype=np.float32)


def new_model(shape, channels, device):
    torch.manual_seed(0)
    model = BetaVAE(image_shape=shape, channels=channels, hidden=256, latents=LATENTS).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def plain_epoch(model, optimizer, loader, device):
    """The baseline: DataLoader batches copied to the device, float32, the loss read every batch."""
    model.train()
    total = 0.0
    for (batch,) in loader:
        batch = batch.to(device)
        terms = vae_loss(batch, *model(batch), OBJECTIVE, SIGMA2_X, model.noise)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        total += terms["loss"].item()
    return total


def synchronise(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def images_per_second(run_epoch, count, epochs, device):
    run_epoch()  # warm-up (and compilation) outside the timing
    synchronise(device)
    start = time.perf_counter()
    for _ in range(epochs):
        run_epoch()
    synchronise(device)
    return count * epochs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; {args.images} images x {args.epochs} epochs, batch {args.batch_size}")
    variants = {"project": {}}
    if device.type == "cuda":
        variants |= {"project bf16": {"precision": "bf16"}, "project bf16 + compile": {"precision": "bf16",
                                                                                         "compile": True}}
    for model_name in args.models:
        shape, channels, dtype = MODELS[model_name]
        images = random_images(shape, dtype, args.images)
        floats = torch.from_numpy(images.astype(np.float32) / (255.0 if dtype == np.uint8 else 1.0))
        loader = DataLoader(TensorDataset(floats), batch_size=args.batch_size, shuffle=True,
                            pin_memory=device.type == "cuda")
        model, optimizer = new_model(shape, channels, device)
        baseline = images_per_second(lambda: plain_epoch(model, optimizer, loader, device), args.images, args.epochs,
                                     device)
        print(f"{model_name:7s} baseline (DataLoader, float32)  {baseline:10.0f} images/s")
        on_device = images_on_device(images, device)
        generator = torch.Generator().manual_seed(0)
        for variant, options in variants.items():
            model, optimizer = new_model(shape, channels, device)
            network = torch.compile(model) if options.get("compile") else model
            rate = images_per_second(
                lambda: train_epoch(network, optimizer, on_device, torch.randperm(args.images, generator=generator),
                                     OBJECTIVE, SIGMA2_X, args.batch_size, options.get("precision", "float32")),
                args.images, args.epochs, device)
            print(f"{model_name:7s} {variant:31s} {rate:10.0f} images/s  {rate / baseline:5.2f}x")
        paper_size = {"mnist": ("42,000 images x 200 epochs", 200 * 42_000),
                      "celeba": ("162,000 images x 20 epochs", 20 * 162_000),
                      "deap": ("1,024 videos x 63 frames x 300 epochs", 300 * 1024 * 63)}[model_name]
        print(f"        -> at the paper's size ({paper_size[0]}): {paper_size[1] / rate / 60:.1f} min at the last rate")

if __name__ == "__main__":
    main()
