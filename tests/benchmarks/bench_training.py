"""Training throughput of the project's trainer against a plain PyTorch loop, per model, on one device.

For each of the paper's three networks (MNIST 28x28x1 conv [32, 32]; CelebA 64x64x3 and DEAP 32x32x3
conv [32, 32, 64, 64]; FC 256, 128 latents) on random images of the data set's stored dtype (uint8
pixels; DEAP's maps are float32):
- baseline: the loop a first implementation writes: a DataLoader over a float32 TensorDataset in host
  memory (shuffled), each batch copied to the device, NCHW, foreach Adam, the loss read back every batch;
- project: `training.prepare_training` and `training.train_epoch`, what `train-vae` runs: the whole set on
  the device in its stored dtype, batches drawn there by a permutation and converted to float there, the
  device's layout (channels-last on the CPU), fused Adam, the sums read back once per epoch; on CUDA also
  with bf16 autocast and with torch.compile.
The loops alternate, one epoch each per round, in one process, so load from other work on the machine hits
both alike: images per second is the median over the rounds, the ratio to the baseline the median of the
rounds' ratios. The ratio leaves out what prepare_training sets for the whole process on the CPU (glibc
keeping freed memory, so no page faults on each step's activations), which the baseline then gets too.
Each loop's fraction of the device's float32 peak: the FLOPs of a training step (forward and backward,
counted by torch.utils.flop_counter) times steps per second, over the best FLOP/s of a 2048^2 torch.mm
(ten before the loops, one per round). On the CPU at 1 thread (the workflow may run 1-thread jobs side by
side) and at the default thread count; "cores busy" (CPU over wall seconds) under the thread count means
other work on the machine took the rest, and the run is worth repeating.

    python tests/benchmarks/bench_training.py                  # CPU here; CUDA where there is one
    python tests/benchmarks/bench_training.py --images 8192 --rounds 3 --device cuda
"""

import argparse
import statistics
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from influential_factors.models.vae import BetaVAE, default_device, images_on_device, vae_loss
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.training import prepare_training, train_epoch

MODELS = {  # name: (image shape, conv channels, stored dtype)
    "mnist": ((1, 28, 28), [32, 32], np.uint8),
    "celeba": ((3, 64, 64), [32, 32, 64, 64], np.uint8),
    "deap": ((3, 32, 32), [32, 32, 64, 64], np.float32),
}
PAPER_SIZE = {"mnist": 200 * 42_000, "celeba": 20 * 162_000, "deap": 300 * 1024 * 63}  # images trained on
SIGMA2_X, LATENTS, LR = 0.0112, 128, 1e-3
OBJECTIVE = build_objective("beta_vae", {}, beta=10.0, latents=LATENTS, dataset_size=0)  # the paper's beta


def random_images(shape, dtype, count, seed=0):
    generator = np.random.default_rng(seed)
    if dtype == np.uint8:
        return generator.integers(0, 256, size=(count, *shape), dtype=np.uint8)
    return generator.random((count, *shape), dtype=np.float32)


def new_model(shape, channels):
    torch.manual_seed(0)
    return BetaVAE(image_shape=shape, channels=channels, hidden=256, latents=LATENTS)


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


def timed(run, device):
    """Wall-clock and process CPU seconds of `run()`."""
    synchronise(device)
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    synchronise(device)
    return time.perf_counter() - wall, time.process_time() - cpu


def matmul_rate(device, size=2048):
    """FLOP/s of one size x size float32 torch.mm on `device`; the best of many is the peak."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    return 2 * size ** 3 / timed(lambda: torch.mm(a, b), device)[0]


def step_flops(shape, channels, batch_size):
    """FLOPs of one training step's forward and backward pass (convolutions and matmuls) on a batch."""
    model, batch = new_model(shape, channels), torch.rand(batch_size, *shape)
    with FlopCounterMode(display=False) as counter:
        vae_loss(batch, *model(batch), OBJECTIVE, SIGMA2_X, model.noise)["loss"].backward()
    return counter.get_total_flops()


def baseline_epoch(floats, shape, channels, batch_size, device):
    """The baseline's epoch on a fresh model: a shuffling DataLoader over float32 images in host memory."""
    loader = DataLoader(TensorDataset(floats), batch_size=batch_size, shuffle=True, pin_memory=device.type == "cuda")
    model = new_model(shape, channels).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    return lambda: plain_epoch(model, optimizer, loader, device)


def project_epoch(images, shape, channels, batch_size, device, precision="float32", compile_model=False):
    """A project variant's epoch on a fresh model set up as train-vae sets it up, the images on the device."""
    model = new_model(shape, channels)
    optimizer = prepare_training(model, OBJECTIVE, LR, device)
    network = torch.compile(model) if compile_model else model
    generator = torch.Generator().manual_seed(0)
    return lambda: train_epoch(network, optimizer, images, torch.randperm(len(images), generator=generator),
                               OBJECTIVE, SIGMA2_X, batch_size, precision)


def loops(model_name, args, device):
    """Each loop's epoch, by name: the baseline first, then the project's variants."""
    shape, channels, dtype = MODELS[model_name]
    images = random_images(shape, dtype, args.images)
    floats = torch.from_numpy(images.astype(np.float32) / (255.0 if dtype == np.uint8 else 1.0))
    epochs = {"baseline (DataLoader, float32)": baseline_epoch(floats, shape, channels, args.batch_size, device)}
    variants = {"project": {}}
    if device.type == "cuda":
        variants |= {"project bf16": {"precision": "bf16"},
                     "project bf16 + compile": {"precision": "bf16", "compile_model": True}}
    on_device = images_on_device(images, device)
    for variant, options in variants.items():
        epochs[variant] = project_epoch(on_device, shape, channels, args.batch_size, device, **options)
    return epochs


def measure(model_name, args, device, matmul_rates):
    """Each loop's (wall, CPU) seconds per epoch, the loops alternating over the rounds; each round also
    adds a matmul rate to `matmul_rates`, so that the peak is taken over the whole run's quietest moment."""
    epochs = loops(model_name, args, device)
    for run in epochs.values():
        run()  # warm-up (and compilation) outside the timing
    times = {name: [] for name in epochs}
    for _ in range(args.rounds):
        matmul_rates.append(matmul_rate(device))
        for name, run in epochs.items():
            times[name].append(timed(run, device))
    return times


def report(model_name, times, args, peak):
    """One table row per loop: median images/s, median ratio to the baseline, GFLOP/s and fraction of `peak`,
    the cores it kept busy (CPU over wall seconds: under the thread count, other work took the rest)."""
    shape, channels, _ = MODELS[model_name]
    flops_per_image = step_flops(shape, channels, args.batch_size) / args.batch_size
    baseline = [wall for wall, _ in next(iter(times.values()))]
    for name, measured in times.items():
        walls = [wall for wall, _ in measured]
        rate = args.images / statistics.median(walls)
        ratio = statistics.median(base / own for base, own in zip(baseline, walls))
        busy = statistics.median(cpu / wall for wall, cpu in measured)
        print(f"| {torch.get_num_threads()} | {model_name} | {name} | {rate:.0f} | {ratio:.2f}x | "
              f"{rate * flops_per_image / 1e9:.1f} | {rate * flops_per_image / peak:.0%} | {busy:.2f} | "
              f"{PAPER_SIZE[model_name] / rate / 60:.0f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1024, help="images per epoch")
    parser.add_argument("--rounds", type=int, default=7, help="timed epochs of each loop, alternating")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    device = torch.device(args.device)
    thread_counts = sorted({1, torch.get_num_threads()}) if device.type == "cpu" else [torch.get_num_threads()]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}; {args.images} images per epoch, {args.rounds} rounds, batch {args.batch_size}; "
          "paper run: the paper's images x epochs at the loop's rate")
    for threads in thread_counts:
        torch.set_num_threads(threads)
        matmul_rates = [matmul_rate(device) for _ in range(10)]
        measured = {model_name: measure(model_name, args, device, matmul_rates) for model_name in args.models}
        peak = max(matmul_rates)
        print(f"\n{threads} thread(s): float32 matmul peak {peak / 1e9:.0f} GFLOP/s\n")
        print("| threads | model | loop | images/s | vs baseline | GFLOP/s | of peak | cores busy | paper run, min |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for model_name, times in measured.items():
            report(model_name, times, args, peak)

if __name__ == "__main__":
    main()
