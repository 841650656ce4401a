"""Encoding DEAP videos frame by frame, training the frame-wise VAE on the video folder, and the
Posteriors every later step reads."""

import numpy as np
import pytest
import torch

from influential_factors.core.artifacts import save_arrays
from influential_factors.data.deap import BANDS
from influential_factors.data.deap_simulator import simulate_deap
from influential_factors.data.deap_videos import load_videos, prepare_deap
from influential_factors.models.deap_encoding import encode_videos
from influential_factors.models.encoding import encode_images
from influential_factors.data.posteriors import Posteriors, load_posteriors
from influential_factors.models.vae import images_to_tensor, load_model
from influential_factors.models.training import split_images, train_vae


@pytest.fixture(scope="module")
def videos_and_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap")
    simulate_deap(root / "raw", subjects=1, trials=10, seed=0)
    prepare_deap(root / "raw", [1], root / "videos", montage="biosemi32", channels=None, bands=BANDS,
                 baseline="keep", split=(0.8, 0.1, 0.1), seed=0, grid_size=32, class_threshold=5.0)
    train_vae(root / "videos", root / "model.pt", root / "live", objective="beta_vae", objective_settings={}, beta=6.0, sigma2_x=0.0112, channels=[4, 4, 4, 4],
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
    test_mu, test_logvar = posteriors.test_codes()
    assert test_mu.shape == test_logvar.shape == (len(meta["test"]) * 63, 5)
    np.testing.assert_array_equal(test_mu[:63], posteriors["mu"][meta["test"][0]])


def _posteriors(videos: bool) -> Posteriors:
    rng = np.random.default_rng(0)
    shape = (6, 4, 3) if videos else (6, 3)
    splits = {"train": np.array([0, 5, 2]), "val": np.array([4]), "test": np.array([3, 1])} if videos else None
    return Posteriors(rng.normal(size=shape).astype(np.float32), rng.normal(size=shape).astype(np.float32),
                      np.arange(6) % 4, splits)


@pytest.mark.parametrize("videos", [False, True], ids=["images", "videos"])
def test_posteriors_round_trip_in_the_same_file_format(videos, tmp_path):
    posteriors = _posteriors(videos)
    posteriors.save(tmp_path / "latents.npz")
    names = ["mu", "logvar", "labels"] + (["train", "val", "test"] if videos else [])
    save_arrays(tmp_path / "plain.npz", **{name: posteriors[name] for name in names})  # the format before the type
    assert (tmp_path / "latents.npz").read_bytes() == (tmp_path / "plain.npz").read_bytes()
    loaded = load_posteriors(tmp_path / "latents.npz")
    assert loaded.videos is videos and loaded.factors == 3 and list(loaded.arrays()) == names
    for name in names:
        np.testing.assert_array_equal(loaded[name], posteriors[name])


def test_image_posteriors_are_the_test_codes_and_have_no_trials():
    posteriors = _posteriors(videos=False)
    mu, logvar = posteriors.test_codes()
    assert mu is posteriors.mu and logvar is posteriors.logvar
    with pytest.raises(ValueError, match="per-trial codes need encoded videos"):
        posteriors.per_trial("train")


def test_video_posteriors_give_the_test_frames_flat_and_the_codes_per_trial():
    posteriors = _posteriors(videos=True)
    mu, logvar = posteriors.test_codes()
    assert mu.shape == logvar.shape == (2 * 4, 3)
    np.testing.assert_array_equal(mu, np.concatenate([posteriors.mu[3], posteriors.mu[1]]))
    np.testing.assert_array_equal(logvar[4:], posteriors.logvar[1])
    codes, labels = posteriors.per_trial("train")
    np.testing.assert_array_equal(codes, posteriors.mu[[0, 5, 2]])
    np.testing.assert_array_equal(labels, [0, 1, 2])


@pytest.mark.parametrize("arrays, problem", [
    (dict(mu=np.zeros((5, 2, 3, 4)), logvar=np.zeros((5, 2, 3, 4)), labels=np.zeros(5)), r"mu \(5, 2, 3, 4\)"),
    (dict(mu=np.zeros(5), logvar=np.zeros(5), labels=np.zeros(5)), r"mu \(5,\), logvar \(5,\)"),
    (dict(mu=np.zeros((5, 3)), logvar=np.zeros((5, 3)), labels=np.zeros(4)), r"labels \(4,\) disagree"),
    (dict(mu=np.zeros((5, 3)), logvar=np.zeros((5, 3)), labels=np.array(1)), r"labels \(\) disagree"),
    (dict(mu=np.zeros((5, 2, 3)), logvar=np.zeros((5, 2, 3)), labels=np.zeros(5), test=np.arange(2)),
     r"encoded videos need their \('train', 'val', 'test'\) indices"),
], ids=["4-d", "1-d", "labels", "scalar labels", "videos without split"])
def test_posteriors_of_a_wrong_shape_are_refused_in_one_line_naming_the_file(arrays, problem, tmp_path):
    path = tmp_path / "latents.npz"
    save_arrays(path, **arrays)
    with pytest.raises(ValueError, match=problem) as error:
        load_posteriors(path)
    assert str(error.value).startswith(f"{path}: ") and "\n" not in str(error.value)
