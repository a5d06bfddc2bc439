"""The sample report printed on A4 as a reader would print it: headless Chromium prints
``report.html`` to PDF (``--print-to-pdf``) and the pages are read back with pypdf.

* every page is A4 (portrait, or landscape for a wide table);
* the synthetic-data banner is on every page, and each page is numbered "Page i of n";
* a reasonable number of pages, none of them near-blank (a heading or a few lines left alone by a
  forced break: under :data:`NEAR_BLANK_CHARS` characters besides the banner and the page number,
  and no chart);
* no table loses a column (a table wider than its page is cut at the page's edge, and the cut
  columns are not printed at all: every table's header row must be in the PDF's text, whole);
* each chart is kept with the words that follow it (those words are on the page where the chart's
  own title is printed — the charts are SVG, their words printed as text — not at the top of the
  next page).

Chromium's own header and footer (date, title, file path) are turned off
(``--no-pdf-header-footer``): the report's print style sheet draws the banner and the page numbers
in the page margins. Skipped, saying how to fix it, when Chromium is absent (``make chromium``).
"""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field

import pytest

from _browser import chromium_cmd, require_chromium

pytestmark = [pytest.mark.slow, pytest.mark.integration]

#: A4 in PDF points (1/72 in): 210 x 297 mm
A4 = (595.28, 841.89)
#: a page with fewer characters than this besides the banner and page number, and no chart, is
#: near-blank
NEAR_BLANK_CHARS = 300
#: the sample report's page count must stay within this (a report of ~50 measures with three
#: charts per family; a figure per page or a page per table row would pass it)
MAX_PAGES = 60


def _norm(text: str) -> str:
    """Text compared without white space, hyphens (a word may be hyphenated across lines) or
    ligatures (the PDF has "ﬁ" where the HTML has "fi")."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", unicodedata.normalize("NFKC", text))


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@dataclass
class Page:
    number: int
    width: float
    height: float
    text: str  # as extracted, white space collapsed
    events: list = field(default_factory=list)  # ("img", None) or ("text", normalised text), in drawing order


@dataclass
class Printed:
    pages: list[Page]
    banner: str
    page_html: str


@pytest.fixture(scope="module")
def printed(sample_report, tmp_path_factory) -> Printed:
    browser = require_chromium()
    from pypdf import PdfReader

    work = tmp_path_factory.mktemp("print")
    pdf = work / "report.pdf"
    proc = subprocess.run(chromium_cmd(browser, work / "profile", "--no-pdf-header-footer",
                                       f"--print-to-pdf={pdf}", sample_report.html.resolve().as_uri()),
                          capture_output=True, text=True, timeout=240)
    assert pdf.is_file() and pdf.stat().st_size > 0, f"Chromium printed nothing: {proc.stderr[-2000:]}"
    pages = []
    for k, p in enumerate(PdfReader(pdf).pages, 1):
        xobjects = p.get("/Resources", {}).get("/XObject") or {}
        images = {name for name, ref in xobjects.items() if ref.get_object().get("/Subtype") == "/Image"}
        events: list = []

        def before(op, args, cm, tm, events=events, images=images):
            if op == b"Do" and args and args[0] in images:
                events.append(("img", None))

        def text(t, cm, tm, font, size, events=events):
            if t.strip():
                events.append(("text", _norm(t)))

        raw = p.extract_text(visitor_operand_before=before, visitor_text=text) or ""
        pages.append(Page(k, float(p.mediabox.width), float(p.mediabox.height), " ".join(raw.split()), events))
    banner = json.loads((sample_report.data / "metadata.json").read_text(encoding="utf-8"))["banner"]
    print(f"printed {len(pages)} pages: " + ", ".join(
        f"{pg.number}:{'L' if pg.width > pg.height else 'P'}{len(_body_text(pg, banner))}"
        f"{'+img' if any(e[0] == 'img' for e in pg.events) else ''}" for pg in pages))
    return Printed(pages, banner, sample_report.html.read_text(encoding="utf-8"))


def _body_text(page: Page, banner: str) -> str:
    """A page's text without the banner and the page number in its margins."""
    rest = page.text.replace(" ".join(banner.split()), "", 1)
    return re.sub(r"Page \d+ of \d+", "", rest, count=1).strip()


def test_every_page_is_a4(printed):
    wrong = [(p.number, round(p.width), round(p.height)) for p in printed.pages
             if abs(min(p.width, p.height) - A4[0]) > 2 or abs(max(p.width, p.height) - A4[1]) > 2]
    assert not wrong, f"pages that are not A4 (number, width, height in points): {wrong}"
    assert any(p.height > p.width for p in printed.pages)  # the report reads on portrait pages


def test_banner_and_page_number_on_every_page(printed):
    n = len(printed.pages)
    banner = " ".join(printed.banner.split())
    no_banner = [p.number for p in printed.pages if banner not in p.text]
    assert not no_banner, f"pages without the synthetic-data banner: {no_banner}"
    unnumbered = [p.number for p in printed.pages if f"Page {p.number} of {n}" not in p.text]
    assert not unnumbered, f"pages without 'Page i of {n}': {unnumbered}"


def test_page_count_is_reasonable_and_no_page_is_near_blank(printed):
    n = len(printed.pages)
    assert 5 <= n <= MAX_PAGES, f"{n} pages"
    near_blank = []
    for p in printed.pages[:-1]:  # the last page may end the report with a few lines
        body = _body_text(p, printed.banner)
        if len(body) < NEAR_BLANK_CHARS and not any(e[0] == "img" for e in p.events):
            near_blank.append(f"page {p.number} ({len(body)} characters): {body[:120]!r}")
    assert not near_blank, "near-blank pages:\n" + "\n".join(near_blank)
    last = printed.pages[-1]
    alone = re.sub(r"Generated .*$", "", _body_text(last, printed.banner)).strip()
    assert alone or any(e[0] == "img" for e in last.events), "the last page holds only the footer"


def test_no_table_loses_a_column(printed):
    text = _norm(" ".join(p.text for p in printed.pages))
    heads = re.findall(r"<thead\b.*?</thead>", printed.page_html, flags=re.S)
    assert heads, "the report has no table with a header row"
    for head in heads:
        cells = [_plain(c) for c in re.findall(r"<th\b[^>]*>(.*?)</th>", head, flags=re.S)]
        missing = [c for c in cells if c and _norm(c) not in text]
        assert not missing, f"columns missing from the printed table {cells}: {missing}"
        assert _norm("".join(cells)) in text, f"the printed header row of {cells} is not whole"


def _charts_and_their_words(page_html: str, banner: str) -> list[tuple[str, str]]:
    """For each chart followed in the same cell by words (the next output, a text one): the
    chart's title (its longest line of text: the package's charts are SVG, their words printed as
    text) and the start of those words."""
    children = re.split(r'<div class="jp-OutputArea-child[^"]*">', page_html)
    found = []
    for this, after in zip(children, children[1:]):
        svg = re.search(r'class="ot-figure".*?src="data:image/svg\+xml;base64,([^"]+)"', this, flags=re.S)
        if svg and re.match(r'\s*<div class="[^"]*\bjp-RenderedMarkdown\b', after):
            first = re.search(r"<(p|li)\b[^>]*>(.*?)</\1>", after, flags=re.S)
            lines = [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in
                     re.findall(r"<text\b[^>]*>(.*?)</text>", base64.b64decode(svg.group(1)).decode(), flags=re.S)]
            lines = [t for t in lines if t.strip() and " ".join(banner.split()) not in " ".join(t.split())]
            if first and lines:
                found.append((_norm(max(lines, key=len)), _norm(_plain(first.group(2)))[:60]))
    return found


def test_each_chart_is_kept_with_its_words(printed):
    charts = _charts_and_their_words(printed.page_html, printed.banner)
    assert len(charts) >= 5, "the sample report's charts should be followed by words"
    # the document's text in drawing order (the charts' own words among it), each character
    # knowing its page
    stream, where = [], []
    for p in printed.pages:
        for kind, t in p.events:
            if kind == "text":
                stream.append(t)
                where.extend([p.number] * len(t))
    text = "".join(stream)
    cursor, apart = 0, []
    for title, w in charts:
        at = text.find(w, cursor)
        assert at >= 0, f"the words after a chart were not printed: {w!r}"
        drawn = text.rfind(title, cursor, at)
        assert drawn >= 0, f"the chart before {w!r} was not printed (its title {title!r})"
        if where[drawn] != where[at]:
            apart.append(f"chart {title!r} on page {where[drawn]}, its words {w!r} on page {where[at]}")
        cursor = at + len(w)
    assert not apart, "words printed apart from their chart:\n" + "\n".join(apart)
