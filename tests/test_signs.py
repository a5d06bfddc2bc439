"""The summary's signs: verdict badges (colour, symbol and word, enough contrast) and Making Data
Count's icons drawn as images with alt text; the summary page's table built from the published rows."""

from __future__ import annotations

from urllib.parse import unquote
import re

import pandas as pd
import pytest

from ot_benchmark.report import signs, tables


def _luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance, written out from the definition (sRGB, 1.4.3)."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_matches_known_pairs():
    # black on white is 21:1; #767676 on white is the well-known AA edge, 4.54:1
    assert _contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert _contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("verdict", sorted(signs.VERDICT_STYLE))
def test_every_verdict_badge_has_symbol_word_and_enough_contrast(verdict):
    symbol, bg, fg = signs.VERDICT_STYLE[verdict]
    assert _contrast(fg, bg) >= 7.0  # AAA for text, so well inside AA
    badge = signs.verdict_badge(verdict)
    word = {"not_compared": "Not compared"}.get(verdict, verdict.capitalize())
    assert symbol in badge and word in badge and bg in badge  # colour never the only signal
    assert "(small numbers)" in signs.verdict_badge(verdict, small=True)


def test_the_verdict_symbols_differ():
    syms = {v: s for v, (s, _, _) in signs.VERDICT_STYLE.items()}
    assert len({syms["better"], syms["similar"], syms["worse"]}) == 3
    assert signs.verdict_badge(None) == "-" and signs.verdict_badge("nonsense") == "-"


def _svg(img: str) -> str:
    uri = re.search(r'src="data:image/svg\+xml,([^"]+)"', img).group(1)
    return unquote(uri)


def _alt(img: str) -> str:
    return re.search(r'alt="([^"]+)"', img).group(1)


@pytest.mark.parametrize("icon, colour, letter, words", [
    ("common_cause", "#7B7D7D", None, "Common cause"),
    ("improvement_high", "#289DE0", "H", "improvement (higher values)"),
    ("improvement_low", "#289DE0", "L", "improvement (lower values)"),
    ("concern_high", "#FAB428", "H", "concern (higher values)"),
    ("neutral_low", "#361475", "L", "neither better nor worse (lower values)"),
])
def test_variation_icons_are_images_in_the_standard_colours_with_alt_text(icon, colour, letter, words):
    img = signs.variation_icon(icon)
    assert img.startswith("<img ") and words in _alt(img)
    svg = _svg(img)
    assert f'stroke="{colour}"' in svg  # the circle's colour
    letters = re.findall(r">([A-Z?])</text>", svg)
    assert letters == ([letter] if letter else [])


@pytest.mark.parametrize("assurance, colour, letter", [
    ("consistent_pass", "#289DE0", "P"), ("consistent_fail", "#FAB428", "F"), ("inconsistent", "#7B7D7D", "?"),
    ("hit_and_miss", "#7B7D7D", "?"),
])
def test_assurance_icons(assurance, colour, letter):
    img = signs.assurance_icon(assurance)
    svg = _svg(img)
    assert f'stroke="{colour}"' in svg and re.findall(r">([A-Z?])</text>", svg) == [letter]
    assert _alt(img).startswith("Assurance:")


def test_no_icon_for_no_reading():
    assert signs.variation_icon(None) == "" and signs.assurance_icon(None) == "" and signs.variation_icon("x_y") == ""


CAT = pd.DataFrame({"indicator_id": ["W5", "W2_median", "W1"],
                    "name": ["Assessed <b>within</b> target", "Current wait, median", "People waiting"],
                    "family": "W", "unit": ["%", "days", "people"], "method": ["proportion", "median", "count"],
                    "polarity": ["higher_is_better", "lower_is_better", "context"], "multiplier": [100, 1, 1],
                    "target": [75.0, float("nan"), float("nan")], "caveat": ""})


def _bench():
    return pd.DataFrame({
        "authority_code": "E1", "period": "2024-25 Q4", "breakdown": "all",
        "indicator_id": ["W5", "W2_median", "W1"], "unit": ["%", "days", "people"],
        "method": ["proportion", "median", "count"],
        "polarity": ["higher_is_better", "lower_is_better", "context"],
        "numerator": [627.0, float("nan"), 501.0], "denominator": [745.0, 501.0, float("nan")],
        "value": [84.16, 45.0, 501.0], "comparator_value": [69.2, 70.0, float("nan")],
        "comparator_method": ["pooled", "group_median", None], "n_comparators": [16, 4, float("nan")],
        "comparator_includes_self": [True, False, None],
        "verdict": ["better", "better", "not_compared"],
        "verdict_basis": ["overdispersion_funnel", "robust_distance", "none"],
        "funnel_phi": [29.0, float("nan"), float("nan")], "mad_distance": [float("nan"), -1.954, float("nan")],
        "rank": [3, 1, float("nan")], "n_in_group": [16, 16, float("nan")],
    })


def test_summary_signs_say_the_count_behind_each_figure_and_short_bases():
    spc = pd.DataFrame({"indicator_id": ["W5", "W2_median", "W1"], "n_points": 8,
                        "variation": ["special_cause_improvement", "common_cause", "common_cause"],
                        "assurance": ["consistent_pass", None, None], "target": [75.0, float("nan"), float("nan")],
                        "provisional": False, "variation_icon": ["improvement_high", "common_cause", "common_cause"]})
    t = tables.summary_table(_bench(), spc, catalogue=CAT, suppress=False, signs=True).set_index("indicator_id")
    # 627 of 745 people; a median rests on the 501 people waiting; a count is its own count
    assert t["count"].to_dict() == {"W5": "627 of 745", "W2_median": "501", "W1": ""}
    assert t.loc["W5", "basis_short"] == "Widened funnel (φ = 29)"
    # with its band (compare.benchmark.mad_band: 1.5 to 3 MADs is "above" or "below")
    assert t.loc["W2_median", "basis_short"] == "Distance from median: 1.95 MAD below (band: below)"
    assert t.loc["W5", "comparator_short"] == "pooled, 16 councils"
    assert t.loc["W2_median", "comparator_short"] == "median, 4 councils, not this one"
    assert t.loc["W5", "verdict"] == "better" and t.loc["W1", "verdict"] == "not_compared"
    page = signs.summary_html(t.reset_index())
    # names first, escaped; no ids on the page (they are in the definitions)
    assert "Assessed &lt;b&gt;within&lt;/b&gt; target" in page and "<b>within" not in page
    assert "W2_median" not in page
    assert page.count("<img ") == 4  # three variation icons, one assurance icon (only W5 has a target)
    assert 'scope="row"' in page and 'scope="col"' in page


def test_no_icon_beside_a_withheld_figure():
    b = _bench()
    b.loc[0, ["numerator", "denominator"]] = [3.0, 4.0]  # 3 of 4: withheld when published
    spc = pd.DataFrame({"indicator_id": ["W5"], "n_points": 8, "variation": ["common_cause"],
                        "assurance": ["consistent_pass"], "target": [75.0], "provisional": False,
                        "variation_icon": ["common_cause"]})
    t = tables.summary_table(b, spc, catalogue=CAT, suppress=True, signs=True).set_index("indicator_id")
    assert t.loc["W5", "value"] == "[c]" and t.loc["W5", "count"] == ""
    assert t.loc["W5", "variation_icon"] is None and t.loc["W5", "assurance_key"] is None
    assert pd.isna(t.loc["W5", "verdict"]) and signs.verdict_badge(t.loc["W5", "verdict"]) == "-"
