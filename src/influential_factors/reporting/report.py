"""Every table of a run on one HTML page, for Snakemake's report (which shows HTML inline, CSV only as a download)."""

from __future__ import annotations

import html
from pathlib import Path

from markdown_it import MarkdownIt

STYLE = """body { font-family: sans-serif; font-size: 13px; margin: 1em 2em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: right; }
th { background: #eee; } h2 { font-size: 15px; margin-top: 2em; }"""


def tables_page(tables: list[str | Path], title: str) -> str:
    """An HTML page with one section per Markdown table written by `save_table` (its note included), titled by its path."""
    renderer = MarkdownIt("commonmark").enable("table")
    sections = []
    for path in tables:
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise ValueError(f"{path}: not a readable table ({error})") from error
        if "|" not in text:
            raise ValueError(f"{path}: holds no Markdown table")
        sections.append(f"<h2>{html.escape(str(Path(path).with_suffix('')))}</h2>\n{renderer.render(text)}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body><h1>{html.escape(title)}</h1>\n" + "\n".join(sections)
            + "\n</body></html>\n")


def write_tables_page(tables: list[str | Path], output: str | Path, title: str) -> None:
    """`tables_page` written to `output` atomically (`tables-page`)."""
    from ..core.artifacts import atomic_path

    page = tables_page(tables, title)
    with atomic_path(output) as tmp:
        tmp.write_text(page)
