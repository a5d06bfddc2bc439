"""Headless Chromium for the browser tests (tests/test_accessibility.py, tests/test_print.py).

* :func:`chromium` finds the browser; the tests skip, saying how to install it, when it is absent
  (``make chromium``: apt-get install chromium), as tests/test_screenshot.py does.
* :func:`run_in_page` runs a script in a *test copy* of a page and returns what the script
  reported: the copy is written with the page's Content-Security-Policy removed (the published
  report forbids every script, so nothing could run in it) and the script appended to its body;
  Chromium loads it headless (``--dump-dom`` after a virtual-time budget, so promises settle) and
  the script's report is read back from the dumped DOM. The published file is never changed.
* :func:`axe_source` installs axe-core (npm package ``axe-core``, pinned) into a cache folder at
  test time (pytest's cache, never committed) and returns ``axe.min.js``; it skips, saying why,
  when node/npm is missing or the install fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_MISSING = "Chromium is not installed; run 'make chromium' (apt-get install chromium) to enable this test"

#: axe-core's version, pinned so that a new release's new rules show up as a reviewed change
AXE_VERSION = "4.14.1"

#: WCAG 2.0, 2.1 and 2.2, levels A and AA (axe-core's tags)
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

_RESULT_ID = "ot-test-result"


def chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(name) if not name.startswith("/") else (name if os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


def require_chromium() -> str:
    """Chromium's path; skips the test (saying how to install it) when there is none."""
    browser = chromium()
    if browser is None:
        pytest.skip(CHROMIUM_MISSING)
    return browser


def chromium_cmd(browser: str, profile: Path, *extra: str) -> list[str]:
    """A headless, offline-minded Chromium command line with its own profile folder."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", *extra]


def without_csp(page: str) -> str:
    """A *test copy* of ``page`` without its Content-Security-Policy meta: the published report
    forbids every script (ot_benchmark.runner.html.CSP), and the tests need to run one in it. Only
    the copy is relaxed; the published file keeps its policy."""
    return re.sub(r'<meta\s+http-equiv=["\']?Content-Security-Policy["\']?[^>]*>\s*', "", page, flags=re.I)


def run_in_page(browser: str, page: str, script: str, workdir: Path, *, width: int = 1280, height: int = 1000,
                scripts_before: tuple[str, ...] = (), timeout: int = 240) -> dict:
    """Run ``script`` in a test copy of the HTML ``page`` (CSP removed, see :func:`without_csp`)
    shown ``width`` x ``height`` CSS pixels in headless Chromium, and return the object it passed
    to ``window.otReport(obj)`` (which it must call, possibly after a promise settles). Scripts in
    ``scripts_before`` (e.g. a library) are inlined before it.

    The copy is shown in an ``<iframe srcdoc>`` of exactly that size, because Chromium will not
    make a window narrower than 500 px: in the frame the page's viewport and media queries are
    ``width`` wide, as on a phone."""
    workdir.mkdir(parents=True, exist_ok=True)
    report_fn = ("window.otReport = function (obj) { var d = window.parent.document, p = d.createElement('pre'); "
                 f"p.id = '{_RESULT_ID}'; p.hidden = true; p.textContent = JSON.stringify(obj); "
                 "d.body.appendChild(p); };")
    # a script's own text must not end its <script> element early
    inline = "".join("<script>" + s.replace("</script", "<\\/script") + "</script>\n"
                     for s in (report_fn, *scripts_before, script))
    copy = without_csp(page)
    copy, n = re.subn(r"</body>", lambda m: inline + m.group(0), copy, count=1, flags=re.I)
    if not n:
        copy += inline
    outer = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>test frame</title>'
             '<style>html, body { margin: 0; padding: 0; } iframe { border: 0; display: block; }</style></head>'
             f'<body><iframe title="report" width="{width}" height="{height}" '
             f'srcdoc="{html.escape(copy, quote=True)}"></iframe></body></html>')
    target = workdir / "test-frame.html"
    target.write_text(outer, encoding="utf-8")
    cmd = chromium_cmd(browser, workdir / "profile", f"--window-size={max(width, 800)},{height + 100}",
                       "--virtual-time-budget=60000", "--dump-dom", target.as_uri())
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    m = re.search(rf'<pre id="{_RESULT_ID}" hidden="">(.*?)</pre>', proc.stdout, flags=re.S)
    assert m, f"the script in the page reported nothing (exit {proc.returncode}): {proc.stderr[-3000:]}"
    return json.loads(html.unescape(m.group(1)))


def axe_source(cache_dir: Path) -> str:
    """``axe.min.js`` of axe-core :data:`AXE_VERSION`, installed with npm into ``cache_dir`` the
    first time (then reused). Skips the test, saying why, when npm is missing or the install
    fails (no network to the npm registry)."""
    target = Path(cache_dir) / f"axe-core-{AXE_VERSION}"
    js = target / "node_modules" / "axe-core" / "axe.min.js"
    if not js.is_file():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            pytest.skip("node and npm are needed to install axe-core for this test (e.g. apt-get install nodejs npm)")
        target.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([npm, "install", "--prefix", str(target), "--no-save", "--no-package-lock",
                               "--ignore-scripts", "--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not js.is_file():
            pytest.skip(f"could not install axe-core@{AXE_VERSION} with npm: {(proc.stderr or proc.stdout)[-1500:]}")
    return js.read_text(encoding="utf-8")
