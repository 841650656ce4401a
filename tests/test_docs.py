"""The documentation: its generated tables match the committed results, the README stays short, links resolve."""

import re
from pathlib import Path

import pytest

from influential_factors.reporting import docs_tables

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = docs_tables.documents(ROOT)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_every_generated_block_matches_the_committed_results():
    stale = [path.relative_to(ROOT) for path in DOCUMENTS
             if docs_tables.render(path.read_text(), ROOT) != path.read_text()]
    assert not stale, f"stale generated blocks in {stale}: run `python -m influential_factors.reporting.docs_tables`"


def test_every_block_is_used_once():
    used = [name for path in DOCUMENTS for name in docs_tables.block_names(path.read_text())]
    assert sorted(used) == sorted(docs_tables.BLOCKS)


def test_render_rewrites_a_stale_block_and_refuses_an_unknown_one():
    stale = "before\n<!-- generated: headline -->\nold numbers\n<!-- end generated -->\nafter\n"
    assert "old numbers" not in docs_tables.render(stale, ROOT)
    assert docs_tables.render(stale, ROOT).startswith("before\n<!-- generated: headline -->\nIn the committed run")
    with pytest.raises(ValueError, match="unknown generated block 'nothing'"):
        docs_tables.render("<!-- generated: nothing -->\n<!-- end generated -->", ROOT)


def test_the_readme_is_at_most_200_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_and_heading(document):
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        name, _, anchor = target.partition("#")
        path = (document.parent / name).resolve() if name else document
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(target)
    assert not broken, f"{document.relative_to(ROOT)}: broken links {broken}"
