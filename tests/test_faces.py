"""Faces: the crop box, both CelebA layouts, the ORL faces, skipping corrupt images (bad ones: test_bad_input)."""

import numpy as np
import pytest
from PIL import Image

from influential_factors.data.datasets import load_split
from influential_factors.data.faces import (CELEBA_SIZE, centre_crop_box, embedded_orl_paths, find_celeba, load_face,
                                       prepare_faces)

N_IMAGES = 12


def celeba_image(index: int) -> Image.Image:
    """A 178x218 image whose grey level encodes its index, with a black 8x8 mark at the crop's centre."""
    pixels = np.full((CELEBA_SIZE[1], CELEBA_SIZE[0], 3), 20 * index % 256, dtype=np.uint8)
    pixels[105:113, 85:93] = 0  # rows 105-112, columns 85-92: the centre of the box (15, 35, 163, 183)
    return Image.fromarray(pixels)


def write_celeba(root, kaggle: bool):
    images = root / "img_align_celeba" / ("img_align_celeba" if kaggle else "")
    images.mkdir(parents=True)
    names = [f"{index:06d}.jpg" for index in range(1, N_IMAGES + 1)]
    for index, name in enumerate(names, start=1):
        celeba_image(index).save(images / name, quality=95)
    partitions = [0] * 8 + [1] * 2 + [2] * 2
    if kaggle:
        rows = ["image_id,partition"] + [f"{name},{part}" for name, part in zip(names, partitions)]
        (root / "list_eval_partition.csv").write_text("\n".join(rows) + "\n")
    else:
        (root / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, partitions)))
    return images


def test_crop_box_is_the_centred_square():
    assert centre_crop_box(178, 218, 148) == (15, 35, 163, 183)
    assert centre_crop_box(92, 112, None) == (0, 10, 92, 102)
    with pytest.raises(ValueError, match="does not fit"):
        centre_crop_box(92, 112, 100)


def test_the_marked_centre_lands_in_the_middle_of_the_face(tmp_path):
    celeba_image(5).save(tmp_path / "face.png")
    face = load_face(tmp_path / "face.png", 148, CELEBA_SIZE)
    assert face.shape == (3, 64, 64) and face.dtype == np.uint8
    dark = np.argwhere(face[0] < 50)
    np.testing.assert_allclose(dark.mean(axis=0), [31.5, 31.5], atol=0.5)
    assert len(dark) == pytest.approx((8 * 64 / 148) ** 2, rel=0.6)


@pytest.mark.parametrize("kaggle", [False, True])
def test_both_celeba_layouts_load_with_the_official_partition(tmp_path, kaggle):
    images = write_celeba(tmp_path, kaggle)
    assert find_celeba(tmp_path).images == images
    sizes = prepare_faces(tmp_path / "faces.npz", tmp_path, crop=148, split_mode="official", split=(0.8, 0.1, 0.1),
                          seed=0)
    assert sizes == {"train": 8, "val": 2, "test": 2}
    test_images, test_labels = load_split(tmp_path / "faces.npz", "test")
    assert list(test_labels) == [11, 12] and test_images.shape == (2, 3, 64, 64)
    assert abs(int(test_images[0, 0, 5, 5]) - 20 * 11 % 256) <= 3  # the image is the file named by the label


def test_random_split_is_seeded(tmp_path):
    write_celeba(tmp_path, kaggle=False)
    first = prepare_faces(tmp_path / "a.npz", tmp_path, crop=148, split_mode="random", split=(0.5, 0.25, 0.25), seed=3)
    prepare_faces(tmp_path / "b.npz", tmp_path, crop=148, split_mode="random", split=(0.5, 0.25, 0.25), seed=3,
                  workers=2)
    assert first == {"train": 6, "val": 3, "test": 3}
    for split in ("train", "val", "test"):
        a, b = load_split(tmp_path / "a.npz", split), load_split(tmp_path / "b.npz", split)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_the_embedded_faces_are_the_400_orl_images(tmp_path):
    assert len(embedded_orl_paths()) == 400
    sizes = prepare_faces(tmp_path / "orl.npz", None, crop=148, split_mode="random", split=(0.8, 0.1, 0.1), seed=0)
    assert sizes == {"train": 320, "val": 40, "test": 40}
    images, people = load_split(tmp_path / "orl.npz", "train")
    assert images.shape == (320, 3, 64, 64) and set(people) <= set(range(1, 41))
    np.testing.assert_array_equal(images[:, 0], images[:, 2])  # grey: three equal channels
    assert images.std() > 20
    with pytest.raises(ValueError, match="no official partition"):
        prepare_faces(tmp_path / "x.npz", None, crop=148, split_mode="official", split=(0.8, 0.1, 0.1), seed=0)


def test_a_truncated_jpeg_is_skipped_on_request(tmp_path, caplog):
    images = write_celeba(tmp_path, kaggle=False)
    broken = images / "000004.jpg"
    broken.write_bytes(broken.read_bytes()[:600])
    sizes = prepare_faces(tmp_path / "faces.npz", tmp_path, crop=148, split_mode="official", split=(0.8, 0.1, 0.1),
                          seed=0, skip_corrupt=True)
    assert sizes == {"train": 7, "val": 2, "test": 2}
    assert "skipped 1 unreadable or wrongly sized images of 12" in caplog.text
    assert 4 not in load_split(tmp_path / "faces.npz", "train")[1]
