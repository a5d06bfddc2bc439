"""report.html laid out for readers (ot_benchmark.runner.html.reader_layout): ids and a contents
list for the sections, tables that scroll, the banner on every printed page, A4 print styles,
lighter embedded images."""

from __future__ import annotations

import base64
import io

from ot_benchmark.runner import html as rh

PAGE = ("<html><head><title>t</title></head><body>"
        '<div class="ot-banner ot-banner-synthetic" role="note">Synthetic data — "not" real</div>'
        '<h1 id="T">Title</h1>'
        '<h2 id="Key-messages">Key messages<a class="anchor-link" href="#Key-messages">¶</a></h2><p>m</p>'
        '<h2 id="Summary">Summary<a class="anchor-link" href="#Summary">¶</a></h2>'
        "<table><tr>" + "<th>x</th>" * 9 + "</tr></table>"
        '<h2 id="Costs">Costs &amp; more</h2><table><tr><td>1</td></tr></table>'
        '<footer class="ot-footer">made</footer></body></html>')


def test_sections_get_ids_a_contents_list_after_the_key_messages_and_back_links():
    out = rh.add_navigation(PAGE)
    for hid in ("key-messages", "summary", "costs-more"):
        assert f'<h2 id="{hid}">' in out
        assert f'href="#{hid}"' in out
    nav = out.index('<nav class="ot-contents" id="contents"')
    assert out.index('id="key-messages"') < nav < out.index('id="summary"')
    assert out.count('href="#contents">Back to contents') == 3
    assert "anchor-link" not in out


def test_tables_scroll_and_wide_ones_print_landscape():
    out = rh.wrap_tables(PAGE)
    assert out.count('class="ot-table-wrap') == 2
    assert out.count("ot-table-wrap ot-wide") == 1


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
