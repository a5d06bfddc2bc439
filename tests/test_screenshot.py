"""The rendered report looks like something in a real browser: headless Chromium screenshots
report.html and the picture must not be blank. Skipped (with how to fix) when Chromium is absent:
``make chromium`` installs it (Debian/Ubuntu, needs root)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.slow]


def _chromium() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        path = shutil.which(name) if not name.startswith("/") else (name if os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


def test_report_screenshot_is_not_blank(tmp_path, request):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed; run 'make chromium' (apt-get install chromium) to enable this test")
    report = request.getfixturevalue("tiny_report")  # the session's render (tests/conftest.py)
    shot = tmp_path / "shot.png"
    profile = tmp_path / "chromium-profile"
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000",
           report.html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"no screenshot written: {proc.stderr[-2000:]}"
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)[..., :3]  # float RGB in [0, 1]
    assert img.shape[0] >= 1000 and img.shape[1] >= 1000
    grey = img.mean(axis=2)
    # a blank page is a single colour: demand real variation and a fair amount of non-white ink
    assert float(grey.std()) > 0.05
    assert float((grey < 0.9).mean()) > 0.01
    # the synthetic banner is drawn in orange-brown on a light background near the top
    top = img[: img.shape[0] // 4]
    orange = (top[..., 0] > 0.9) & (top[..., 1] > 0.9) & (top[..., 2] < 0.95) & (top[..., 2] > 0.8)
    assert orange.mean() > 0.001


def _chromium_cmd(browser: str, profile, *extra) -> list[str]:
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra]


def test_report_renders_its_images_and_styles_under_its_csp(tmp_path, request):
    # report.html carries a Content-Security-Policy (no script, nothing remote; data: images and
    # inline styles only): in Chromium the figures (data: PNGs) and the banner's styles still show,
    # and the page breaks no rule of its own policy
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed; run 'make chromium' (apt-get install chromium) to enable this test")
    report = request.getfixturevalue("tiny_report")
    assert "Content-Security-Policy" in report.html.read_text(encoding="utf-8")
    shot = tmp_path / "shot.png"
    proc = subprocess.run(_chromium_cmd(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,3000",
                                        report.html.resolve().as_uri()), capture_output=True, text=True, timeout=120)
    assert shot.is_file(), proc.stderr[-2000:]
    assert "Content Security Policy" not in proc.stderr, proc.stderr[-2000:]
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)[..., :3]
    # the tiny notebook's bar charts are drawn in #0072B2: the data: PNGs were allowed and drawn
    blue = (abs(img[..., 0] - 0x00 / 255) < 0.08) & (abs(img[..., 1] - 0x72 / 255) < 0.08) & (abs(img[..., 2] - 0xB2 / 255) < 0.08)
    assert blue.mean() > 0.001
    # the banner's inline style (orange-brown on a light background) applied
    top = img[: img.shape[0] // 4]
    orange = (top[..., 0] > 0.9) & (top[..., 1] > 0.9) & (top[..., 2] < 0.95) & (top[..., 2] > 0.8)
    assert orange.mean() > 0.001


def test_csp_blocks_scripts_and_remote_loads_in_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed; run 'make chromium' (apt-get install chromium) to enable this test")
    from ot_benchmark.runner.html import add_csp

    page = tmp_path / "p.html"
    page.write_text(add_csp('<!DOCTYPE html><html><head><title>t</title></head><body><div id="d">before</div>'
                            "<script>document.getElementById('d').textContent='SCRIPT-RAN'</script>"
                            '<img src="http://127.0.0.1:9/x.png"></body></html>'), encoding="utf-8")
    proc = subprocess.run(_chromium_cmd(browser, tmp_path / "profile", "--dump-dom", page.as_uri()),
                          capture_output=True, text=True, timeout=120)
    assert '<div id="d">before</div>' in proc.stdout and "SCRIPT-RAN</div>" not in proc.stdout
    assert "violates the following Content Security Policy" in proc.stderr
    assert "http://127.0.0.1:9/x.png" in proc.stderr  # the remote image was refused
