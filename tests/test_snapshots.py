"""Snapshots of what readers of the sample report see, so a change in the report is a reviewed diff.

The sample's quarterly report (``sample_report`` in tests/conftest.py) is compared with text files
under tests/snapshots/sample_report/:

* ``summary.csv``: the summary table as published (``tables/summary.csv``);
* ``outline.txt``: the outline of ``report.html``, in page order: headings h1-h4, the alt text of
  every image and the header rows of every table;
* ``published_files.txt``: the sorted list of files published into the outputs folder.

A difference fails with a unified diff. When the change is intended, ``make snapshots`` (``pytest
--update-snapshots``) rewrites them; review ``git diff tests/snapshots`` and commit
(tests/snapshots/README.md).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


class _Outline(HTMLParser):
    """Headings (h1-h4), image alt texts and table header rows, in document order, one a line,
    indented under the heading they follow."""

    HEADINGS = ("h1", "h2", "h3", "h4")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._heading: str | None = None
        self._level = 0  # of the last heading: what follows is indented under it
        self._text: list[str] = []
        self._skip = 0  # depth inside the "¶" anchor links nbconvert adds to headings
        self._thead = 0
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._tables = 0  # depth inside tables
        self._icons: list[str] = []  # alt texts of the images in the current table

    def _indent(self, extra: int = 0) -> str:
        return "  " * (self._level + extra)

    @staticmethod
    def _clean(parts) -> str:
        return " ".join("".join(parts).split())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.HEADINGS and self._heading is None:
            self._heading, self._text = tag, []
        elif tag == "a" and self._heading and "anchor-link" in (a.get("class") or "").split():
            self._skip += 1
        elif self._skip and tag == "a":
            self._skip += 1
        elif tag == "img":
            alt = a.get("alt")
            text = self._clean([alt]) if alt and alt.strip() else "(NO ALT TEXT)"
            if self._tables:  # an icon in a table cell: counted, with the alt texts it uses
                self._icons.append(text)
            else:
                self.lines.append(f"{self._indent()}figure: {text}")
        elif tag == "table":
            self.lines.append(f"{self._indent()}table")
            self._tables += 1
        elif tag == "thead":
            self._thead += 1
        elif tag == "tr" and self._thead:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables -= 1
            if self._icons and not self._tables:
                kinds = sorted(set(self._icons))
                self.lines.append(f"{self._indent(1)}icons: {len(self._icons)}, alt texts: {' / '.join(kinds)}")
                self._icons = []
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag == self._heading:
            self._level = int(tag[1])
            self.lines.append(f"{self._indent(-1)}{tag}: {self._clean(self._text)}")
            self._heading = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(self._clean(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.lines.append(f"{self._indent(1)}header: " + " | ".join(self._row))
            self._row = None
        elif tag == "thead" and self._thead:
            self._thead -= 1

    def handle_data(self, data):
        if self._skip:
            return
        if self._heading is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def html_outline(html: str) -> str:
    parser = _Outline()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.lines) + "\n"


def test_outline_parser_on_a_small_page():
    page = ('<h1 id="T">Title<a class="anchor-link" href="#T">¶</a></h1><p>text</p>'
            '<img alt="A  chart\nof waits" src="data:image/png;base64,AAAA"><img src="x.png">'
            '<table><thead><tr><th></th><th>Id</th><th>Value</th></tr></thead>'
            '<tbody><tr><th>0</th><td>W1</td><td>3</td></tr></tbody></table><h3>Part <em>two</em></h3>')
    assert html_outline(page).splitlines() == [
        "h1: Title", "  figure: A chart of waits", "  figure: (NO ALT TEXT)", "  table", "    header:  | Id | Value",
        "    h3: Part two"]


def test_summary_table_as_published(sample_report, snapshot):
    csv = sample_report.folder / "tables" / "summary.csv"
    snapshot.check("sample_report/summary.csv", csv.read_text(encoding="utf-8"))


def test_report_outline(sample_report, snapshot):
    snapshot.check("sample_report/outline.txt", html_outline(sample_report.html.read_text(encoding="utf-8")))


def test_published_files(sample_report, snapshot):
    outputs: Path = sample_report.outputs
    files = sorted(p.relative_to(outputs).as_posix() for p in outputs.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(outputs).parts))
    snapshot.check("sample_report/published_files.txt", "\n".join(files) + "\n")


def test_snapshot_text_is_normalised(snapshot, tmp_path):
    raw = (f"folder {tmp_path / 'outputs'}\r\nrepo {Path(__file__).resolve().parents[1]}/data/sample  \r\n"
           "finished 2025-01-31T09:15:02.123+00:00, listed 2025-01-31 09:15 UTC\n"
           "sha256 9f86d081884c7d659a2feaa0c55ad015 commit 466b828\n"
           "referred 2024-04-03, 2024-25 Q4, 1,306 days, id 123456789012345\n\n")
    assert snapshot.normalise(raw) == (
        f"folder <tmp>/{tmp_path.name}/outputs\n"
        "repo <repo>/data/sample\n"
        "finished <timestamp>, listed <timestamp>\n"
        "sha256 <hex> commit 466b828\n"  # a short commit is left alone (not 12+ hex digits)
        "referred 2024-04-03, 2024-25 Q4, 1,306 days, id 123456789012345\n")
