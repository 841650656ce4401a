"""Encoding DEAP videos frame by frame, and training the frame-wise VAE on the video folder."""

import numpy as np
import pytest
import torch

from influential_factors.deap import BANDS
from influential_factors.deap_simulator import simulate_deap
from influential_factors.deap_videos import load_videos, prepare_deap
from influential_factors.encoding import encode_images, encode_videos, load_posteriors, posteriors_of_test_set
from influential_factors.training import images_to_tensor, load_model, split_images, train_vae


@pytest.fixture(scope="module")
def videos_and_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap")
    simulate_deap(root / "raw", subjects=1, trials=10, seed=0)
    prepare_deap(root / "raw", [1], root / "videos", montage="biosemi32", channels=None, bands=BANDS,
                 baseline="keep", split=(0.8, 0.1, 0.1), seed=0, grid_size=32, class_threshold=5.0)
    train_vae(root / "videos", root / "model.pt", root / "live", beta=6.0, sigma2_x=0.0112, channels=[4, 4, 4, 4],
              hidden=16, latents=5, epochs=1, batch_size=64, lr=1e-3, seed=0)
    return root


def test_frame_wise_training_uses_every_frame_of_the_training_videos(videos_and_model):
    frames = split_images(videos_and_model / "videos", "train")
    videos, meta = load_videos(videos_and_model / "videos")
    assert frames.shape == (8 * 63, 3, 32, 32) and frames.dtype == np.float32
    np.testing.assert_array_equal(frames[63:126], videos[np.sort(meta["train"])[1]])
    assert load_model(videos_and_model / "model.pt").image_shape == (3, 32, 32)
    tensor = images_to_tensor(frames, torch.device("cpu"))  # float32 frames: the training tensor is
    assert tensor.data_ptr() == frames.ctypes.data          # the array read once from the memory map


def test_encoded_videos_keep_frames_labels_and_split(videos_and_model):
    root = videos_and_model
    assert encode_videos(root / "model.pt", root / "videos", root / "latents.npz", videos_per_batch=3) == 10
    posteriors = load_posteriors(root / "latents.npz")
    videos, meta = load_videos(root / "videos")
    assert posteriors["mu"].shape == posteriors["logvar"].shape == (10, 63, 5)
    np.testing.assert_array_equal(posteriors["labels"], meta["classes"])
    np.testing.assert_array_equal(posteriors["test"], meta["test"])
    mu, _ = encode_images(load_model(root / "model.pt", torch.device("cpu")), np.array(videos[4]))
    np.testing.assert_allclose(posteriors["mu"][4], mu, atol=1e-6)  # batching videos changes nothing
    test_mu, test_logvar = posteriors_of_test_set(posteriors)
    assert test_mu.shape == test_logvar.shape == (len(meta["test"]) * 63, 5)
    np.testing.assert_array_equal(test_mu[:63], posteriors["mu"][meta["test"][0]])
