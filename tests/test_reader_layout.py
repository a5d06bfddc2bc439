"""report.html laid out for readers (ot_benchmark.runner.html.reader_layout): ids and a contents
list for the sections, tables that scroll, the banner on every printed page, A4 print styles,
lighter embedded images."""

from __future__ import annotations

import base64
import io
import re

from ot_benchmark.runner import html as rh

PAGE = ("<html><head><title>t</title></head><body>"
        '<div class="ot-banner ot-banner-synthetic" role="note">Synthetic data — "not" real</div>'
        '<h1 id="T">Title</h1>'
        '<h2 id="Key-messages">Key messages<a class="anchor-link" href="#Key-messages">¶</a></h2><p>m</p>'
        '<h2 id="Summary">Summary<a class="anchor-link" href="#Summary">¶</a></h2>'
        "<table><thead><tr>" + "<th>Column heading</th>" * 9 + "</tr></thead><tbody><tr>"
        + "<td>a sentence long enough to wrap in its cell</td>" * 9 + "</tr></tbody></table>"
        '<h2 id="Costs">Costs &amp; more</h2><table><tr><td>1</td></tr></table>'
        '<footer class="ot-footer">made</footer></body></html>')


def test_sections_get_ids_a_contents_list_after_the_key_messages_and_back_links():
    out = rh.add_navigation(PAGE)
    for hid in ("key-messages", "summary", "costs-more"):
        assert f'<h2 id="{hid}">' in out
        assert f'href="#{hid}"' in out
    nav = out.index('<nav class="ot-contents" id="contents"')
    assert out.index('id="key-messages"') < nav < out.index('id="summary"')
    # at the end of each section but the one the contents list follows, and of the page
    assert out.count('href="#contents">Back to contents') == 2
    assert "anchor-link" not in out


def test_tables_scroll_and_wide_ones_print_landscape():
    out = rh.wrap_tables(PAGE)
    assert out.count('class="ot-table-wrap') == 2
    assert out.count("ot-table-wrap ot-wide") == 1


def test_table_width_counts_wrapped_cells_not_columns():
    # many short columns fit a portrait page; a few long-text columns wrap; long sentences in
    # many columns need a landscape one
    narrow = "<table><thead><tr>" + "<th>Recommendations complied with</th>" * 7 + "</tr></thead><tbody><tr>" + \
        "<td>2024-25 Q4</td>" * 7 + "</tr></tbody></table>"
    assert rh.table_chars(narrow) <= rh.PORTRAIT_CHARS
    assert "ot-wide" not in rh.wrap_tables(narrow)
    wide = "<table><tr>" + "<td>judged against funnel limits widened because councils differ</td>" * 6 + "</tr></table>"
    assert rh.table_chars(wide) > rh.PORTRAIT_CHARS


def test_tables_are_named_apart_and_their_headers_scoped():
    page = ('<h2>Costs</h2><table><thead><tr><th>Id</th><th>Cost</th></tr></thead>'
            '<tbody><tr><th>C1_unit_cost_direct</th><td>1</td></tr></tbody></table>'
            '<table><caption>Unit costs &amp; more</caption><tr><th>a</th></tr><tr><th>b</th><td>2</td></tr></table>'
            '<table><tr><td>3</td></tr></table>')
    out = rh.wrap_tables(page)
    labels = re.findall(r'aria-label="([^"]*)"', out)
    assert labels == ["Table: Costs", "Unit costs &amp; more", "Table: Costs (2)"]
    assert '<th scope="col">Id</th>' in out and '<th scope="row">C1_<wbr>unit_<wbr>cost_<wbr>direct</th>' in out
    assert '<th scope="col">a</th>' in out and '<th scope="row">b</th>' in out  # no <thead>: first row


def test_a_wide_tables_short_lead_in_is_printed_on_its_landscape_page():
    # the heading cell is marked whole (not only its paragraphs, which would be laid out wider
    # than the portrait cell they sit in); the contents list and back link stay outside it
    page = ("<main>"
            '<div class="jp-Cell" id="a">\n<div class="jp-Collapser">\n</div><div class="md">'
            '<h2 id="Key-messages">Key messages</h2><p>m</p></div></div>'
            '<div class="jp-Cell" id="b">\n<div class="jp-Collapser">\n</div><div class="md">'
            '<h2 id="Summary">Summary</h2><p>One row per measure.</p></div></div>'
            '<div class="jp-Cell" id="c"><div class="out"><table><tr>'
            + "<td>judged against funnel limits widened because councils differ</td>" * 6 +
            "</tr></table></div><p>after the table</p></div></main>")
    out = rh.reader_layout(page)
    assert '<div class="jp-Cell ot-wide" id="b">' in out
    assert '<div class="jp-Cell" id="c">' in out and "<p>after the table</p>" in out  # holds the table: left alone
    assert out.index('<nav class="ot-contents"') < out.index('id="b"')
    assert out.index("</nav>") < out.index('id="b"')
    assert '<div class="jp-Cell" id="a">' in out
    # a long lead-in stays on its portrait page
    long_page = page.replace("One row per measure.", "words " * 600)
    assert '<div class="jp-Cell ot-wide" id="b">' not in rh.reader_layout(long_page)


def test_outputs_are_not_keyboard_stops_but_scrolling_tables_are():
    page = ('<div class="jp-Cell-inputWrapper" tabindex="0"><p>x</p></div>'
            '<div class="jp-RenderedHTMLCommon jp-OutputArea-output" data-mime-type="text/html" tabindex="0">'
            "<table><tr><td>1</td></tr></table></div>")
    out = rh.quiet_outputs(rh.wrap_tables(page))
    assert out.count('tabindex="0"') == 1 and 'class="ot-table-wrap" role="region"' in out


def test_print_styles_and_banner_on_every_page():
    out = rh.reader_layout(PAGE)
    assert "@page { size: A4" in out and "break-inside: avoid" in out and "@page wide { size: A4 landscape; }" in out
    style = out[out.index('<style id="ot-print-banner">'):]
    assert "@top-center" in style
    assert '"not"' not in style.split("</style>")[0]  # the banner's quotes cannot end the CSS string
    assert "@media (max-width: 600px)" in out


def test_embedded_pngs_get_lighter():
    from PIL import Image

    im = Image.effect_noise((200, 200), 60).convert("RGB")
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    b64 = base64.b64encode(buf.getvalue()).decode()
    out = rh.lighten_images(f'<img src="data:image/png;base64,{b64}" alt="x">')
    assert len(out) < len(b64)
    assert out.startswith('<img src="data:image/png;base64,')


def test_lighter_images_keep_a_charts_key_colours_exactly():
    # a notebook's own PNG chart (the package's figures are SVG) with a marker in the palette's
    # orange (213, 94, 0) on anti-aliased lines and text: every pixel of that orange is the same
    # orange in the page's lighter copy (median cut to 64 colours turned it into (209, 93, 44))
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from ot_benchmark.report.plots import COLOURS

    assert matplotlib.colors.to_hex(COLOURS["subject"]) == "#d55e00"
    fig = Figure(figsize=(8, 5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    rng = np.random.default_rng(1)
    ax.plot(rng.random(40), rng.random(40), "o", color="#0072b2", alpha=0.6)
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2, "--", color="#999999")
    ax.plot([0.5], [0.5], "D", color=COLOURS["subject"], markersize=14)
    ax.set_title("A funnel-like chart with a council marked")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    raw = buf.getvalue()
    before = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))
    after = np.asarray(Image.open(io.BytesIO(rh._lighter_png(raw))).convert("RGB"))
    orange = (before == (213, 94, 0)).all(axis=2)
    assert orange.sum() > 100  # the marker is there
    assert (after[orange] == (213, 94, 0)).all()


def test_the_sample_report_is_at_most_2_mb(sample_report):
    # issue 10: "report.html at most 2 MB on the sample with the same figures"
    assert sample_report.html.stat().st_size <= 2_000_000
