"""The smoke run's Snakemake report in a real headless browser (Debian's chromium), clicked through as a reader
would: it loads, every figure the run drew shows at its size, and the tables page renders every table."""

import base64
import hashlib
import json
import struct

import pandas as pd
import pytest

from chromium import Chromium, find_chromium

CHROMIUM = find_chromium()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)")]

# The reader's clicks in the report's navigation bar: `entries()` lists every result of every category (the path
# of menu items to its table, its row there), `show(path, row)` clicks the row's view button and waits until its
# image is decoded (or fails to be) or its page is loaded in the frame.
WALK = """
var reader = {
  settle: () => new Promise(resolve => setTimeout(resolve, 50)),
  async click(link) { link.click(); await reader.settle(); },
  menu: () => [...document.querySelectorAll("nav ul > li")],
  async open(...path) {
    await reader.click(document.querySelector("nav ol a"));  // the breadcrumbs' home
    for (const name of path) await reader.click(reader.menu().find(item => item.textContent === name).firstChild);
  },
  rows: () => [...document.querySelectorAll("nav table tbody tr")],
  async entries() {
    await reader.open();
    const items = reader.menu(), results = items.findIndex(item => item.textContent === "Results" && !item.firstChild.href);
    const found = [];
    for (const category of items.slice(results + 1).map(item => item.textContent)) {
      await reader.open(category);
      const paths = reader.rows().length ? [[category]] : reader.menu().map(item => [category, item.textContent]);
      for (const path of paths) {
        await reader.open(...path);
        reader.rows().forEach((row, index) => found.push({path, row: index, labels: [...row.cells].slice(0, -1).map(cell => cell.textContent)}));
      }
    }
    return found;
  },
  async show(path, row) {
    await reader.open(...path);
    const frameLoaded = new Promise(resolve => document.addEventListener(
      "load", event => event.target.tagName === "IFRAME" && resolve(), {capture: true}));
    await reader.click(reader.rows()[row].querySelector("td:last-child a"));
    const content = document.querySelector("#app img:not(nav img), #app iframe");
    if (content.tagName === "IMG") {
      await content.decode().catch(() => null);  // a broken image stays 0 x 0
      return {src: content.src, width: content.naturalWidth, height: content.naturalHeight};
    }
    await frameLoaded;
    return {src: content.src};
  },
};
"""

# In the frame that shows the tables page: its headings, and each table under the heading before it (a table's
# note comes between them) as its header cells and its number of body rows.
TABLES = """(() => {
  const page = {headings: [], tables: []};
  for (const element of document.body.children) {
    if (element.tagName === "H2") page.headings.push(element.textContent);
    if (element.tagName === "TABLE") page.tables.push({name: page.headings.at(-1), rows: element.tBodies[0].rows.length,
                                                       header: [...element.tHead.rows[0].cells].map(cell => cell.textContent)});
  }
  return page;
})()"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def reader(snakemake_run):
    """Every result of the smoke run's report as chromium showed it: (its row's labels, what it showed, the
    tables of its frame if it is a page), in the order of the navigation bar."""
    with Chromium(CHROMIUM) as browser:
        browser.open(snakemake_run.root / "results/report.html")
        browser.evaluate(WALK)
        shown = []
        for entry in browser.evaluate("reader.entries()"):
            content = browser.evaluate(f"reader.show({json.dumps(entry['path'])}, {entry['row']})")
            tables = None if "width" in content else browser.evaluate(TABLES, frame=browser.subframes()[0]["id"])
            shown.append((entry["labels"], content, tables))
    return shown


def test_report_shows_every_figure_of_the_run_at_its_size(snakemake_run, reader):
    """What each result shows is one of the run's figures (or its tables page), decoded by the browser at the
    PNG's own size, and every figure the run drew is shown once."""
    root = snakemake_run.root
    report_files = sorted(root.glob("results/figures/**/*.png")) + [root / "results/report/tables.html"]
    files = {str(path.relative_to(root)): path.read_bytes() for path in report_files}
    names = {_sha(data): name for name, data in files.items()}
    seen = []
    for labels, content, _ in reader:
        data = base64.b64decode(content["src"].split(";base64,", 1)[1])
        seen.append(names.get(_sha(data), f"an unknown file, shown for {labels}"))
        if "width" in content:
            assert (content["width"], content["height"]) == _png_size(data), labels
    assert sorted(seen) == sorted(names[_sha(data)] for data in files.values())
    assert len(files) > 10  # the smoke run's figures, not an empty glob


def test_report_renders_the_tables_page_with_each_tables_columns_and_rows(snakemake_run, reader):
    """The tables page, opened in the report, holds a table under each heading with its CSV's header and rows, and
    every table of results/tables is one of them."""
    root = snakemake_run.root
    [page] = [tables for _, _, tables in reader if tables is not None]
    assert [table["name"] for table in page["tables"]] == page["headings"]  # one table in each section
    written = {str(path.relative_to(root).with_suffix("")) for path in root.glob("results/tables/**/*.md")}
    assert written and written <= set(page["headings"])
    for table in page["tables"]:
        expected = pd.read_csv(root / f"{table['name']}.csv")
        assert table["header"] == list(expected.columns), table["name"]
        assert table["rows"] == len(expected), table["name"]
