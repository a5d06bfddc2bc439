"""The sample report meets WCAG 2.2 AA as far as a machine can tell, in a real browser.

* axe-core (npm ``axe-core``, installed into pytest's cache at test time) runs on the rendered
  ``report.html`` in headless Chromium with the WCAG 2.0/2.1/2.2 A and AA rules, at a desktop
  width and at 390 px (a phone): zero violations.
* Reflow (WCAG 1.4.10): at 390 px wide nothing but a data table (which scrolls in its own
  container) is wider than the screen, so the page never scrolls sideways.

Both run in a *test copy* of the report whose Content-Security-Policy is removed so that the
checking script can run (tests/_browser.py); the published report keeps its policy, which forbids
every script. Skipped, saying how to fix it, when Chromium (``make chromium``) or node/npm is
absent, as tests/test_screenshot.py is.
"""

from __future__ import annotations

import json

import pytest

from _browser import WCAG_TAGS, axe_source, require_chromium, run_in_page

pytestmark = [pytest.mark.slow, pytest.mark.integration]

_AXE_RUN = """
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(function (r) {
    window.otReport({axe: axe.version, width: window.innerWidth, violations: r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) {
        return {target: n.target, summary: n.failureSummary, html: n.html.slice(0, 200)}; })}; })});
  })
  .catch(function (e) { window.otReport({error: String(e)}); });
""" % json.dumps(list(WCAG_TAGS))


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)")
        for node in v["nodes"][:15]:
            summary = " ".join((node.get("summary") or "").split())
            lines.append(f"    {' > '.join(map(str, node['target']))}: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone-390px"])
def test_sample_report_has_no_axe_violations(width, sample_report, tmp_path, request):
    browser = require_chromium()
    axe = axe_source(request.config.cache.mkdir("axe-core"))
    page = sample_report.html.read_text(encoding="utf-8")
    result = run_in_page(browser, page, _AXE_RUN, tmp_path, width=width, scripts_before=(axe,))
    assert "error" not in result, f"axe-core failed to run: {result['error']}"
    assert result["width"] == width  # the window really was this wide
    violations = result["violations"]
    print(f"axe-core {result['axe']} at {width} px, tags {', '.join(WCAG_TAGS)}: "
          f"{len(violations)} violation(s)\n{_describe(violations)}")
    assert not violations, (f"axe-core {result['axe']} found {len(violations)} WCAG A/AA violation(s) "
                            f"at {width} px:\n{_describe(violations)}")


_REFLOW = """
(function () {
  var vw = document.documentElement.clientWidth, out = [];
  function name(el) {
    var s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    var cls = typeof el.className === 'string' ? el.className.trim() : '';
    if (cls) s += '.' + cls.split(/\\s+/).slice(0, 3).join('.');
    return s;
  }
  document.querySelectorAll('body *').forEach(function (el) {
    // a data table may scroll sideways inside its own container (WCAG 1.4.10 allows it)
    if (el.parentElement && el.parentElement.closest('.ot-table-wrap')) return;
    var r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if (!r.width || !r.height || st.visibility === 'hidden') return;
    if (r.right > vw + 1 || r.left < -1)
      out.push(name(el) + ' [' + Math.round(r.left) + ', ' + Math.round(r.right) + ']');
  });
  window.otReport({viewport: vw, scrollWidth: document.documentElement.scrollWidth,
                   wraps: document.querySelectorAll('.ot-table-wrap').length, offenders: out.slice(0, 40)});
})();
"""


def test_sample_report_reflows_at_390px(sample_report, tmp_path):
    browser = require_chromium()
    page = sample_report.html.read_text(encoding="utf-8")
    result = run_in_page(browser, page, _REFLOW, tmp_path, width=390, height=900)
    assert result["viewport"] <= 390
    assert result["wraps"] >= 1  # the data tables are in their scrolling containers
    assert not result["offenders"], "wider than a 390 px screen:\n" + "\n".join(result["offenders"])
    assert result["scrollWidth"] <= result["viewport"], result
