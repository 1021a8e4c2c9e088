"""The browser check (tests/browser_check.py) checked on small pages with known faults.

The pages are written into a temporary folder and load the MathJax that
sphinx-mathjax-offline ships, the way the built book does, so no book build is needed.
One page is clean and must pass; every other page carries one fault, and the check must
fail it with a line that names the page and the fault. The browser part is skipped when
Chromium is not installed; the static parts run everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser_check as bc  # noqa: E402

# A 2x2 PNG, embedded: images from data: URLs are content, not requests.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGNQSFgARAwQ"
    "CgAdjgSBQe+XXgAAAABJRU5ErkJggg=="
)

HEAD = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{name}</title>
<script>window.MathJax = {{"options": {{"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}}}</script>
<script defer="defer" src="_static/mathjax/tex-chtml.js"></script>
</head><body>
"""

# matplotlib's JavaScript player, reduced to what the check looks at: the frame image
# (filled in by script), the slider that counts the frames.
ANIMATION = f"""
<div class="animation">
  <img id="_anim_img0">
  <div class="anim-controls"><input id="_anim_slider0" type="range" class="anim-slider" min="0" max="2" value="0"></div>
</div>
<script>setTimeout(() => {{ document.getElementById("_anim_img0").src = "{PIXEL}"; }}, 0);</script>
"""

GOOD_BODY = rf"""
<h1>A clean page</h1>
<p>Inline <span class="math notranslate nohighlight">\(y_j = \sum_k x_{{j-k}} w_k\)</span> and a display:</p>
<div class="math notranslate nohighlight">\[\frac{{\partial L}}{{\partial w_k}} = \sum_j g_j x_{{j+k}}\]</div>
<p>An image: <img src="{PIXEL}" alt="pixel"></p>
<pre>code may say $$ and \( freely</pre>
{ANIMATION}
"""

# name -> (body, fault the message must mention)
BAD_PAGES = {
    "broken_formula": (
        r'<p>Broken: <span class="math">\(\frac{1}\)</span></p>',
        r"broken formula `\frac{1}`: Missing argument for \frac",
    ),
    # An open brace hides the closing delimiter from MathJax: the TeX stays as text.
    "unbalanced_brace": (
        r'<p>Broken: <span class="math">\(\frac{1}{\)</span></p>',
        r"raw TeX (\()",
    ),
    "undefined_macro": (
        r'<p>Unknown macro: <span class="math">\(\notamacro x\)</span></p>',
        r"undefined control sequence \notamacro",
    ),
    "broken_image": (
        '<p><img src="missing.png" alt="gone"></p>',
        "image did not load: missing.png",
    ),
    "console_error": (
        '<script>console.error("deliberate console error")</script>',
        "console error: deliberate console error",
    ),
    "uncaught_exception": (
        '<script>throw new Error("deliberate exception")</script>',
        "uncaught exception: Error: deliberate exception",
    ),
    "remote_image": (
        '<p><img src="https://example.org/pixel.png" alt="remote"></p>',
        "network request (blocked): https://example.org/pixel.png",
    ),
    # Requested by script only: nothing in the HTML names it, the browser must catch it.
    "remote_request": (
        '<script>new Image().src = "http://example.org/dynamic.png";</script>',
        "network request (blocked): http://example.org/dynamic.png",
    ),
    "missing_animation": (
        "<p>The source calls animate_convolution, but no animation made it onto the page.</p>",
        "its source calls animate_...() but the page has no animation",
    ),
}


def _notebook(code: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "metadata": {}, "source": [code], "outputs": [], "execution_count": 1}],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def _mathjax_dir() -> Path | None:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"
    return path if (path / "tex-chtml.js").is_file() else None


CHROMIUM = bc.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found (apt install chromium)")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    mathjax = _mathjax_dir()
    if mathjax is None:
        pytest.skip("sphinx-mathjax-offline is not installed (it ships the MathJax the pages load)")
    root = tmp_path_factory.mktemp("site")
    (root / "_static").mkdir()
    (root / "_static" / "mathjax").symlink_to(mathjax, target_is_directory=True)
    (root / "good.html").write_text(HEAD.format(name="good") + GOOD_BODY + "</body></html>")
    # The clean page's source animates and its page has the animation: no complaint.
    (root / "good.ipynb").write_text(_notebook("anim = plot.animate_convolution(x, w)\nanim"))
    for name, (body, _) in BAD_PAGES.items():
        (root / f"{name}.html").write_text(HEAD.format(name=name) + body + "</body></html>")
    (root / "missing_animation.ipynb").write_text(_notebook("plot.animate_convolution([1, 2, 3], [1, -1])"))
    # A page that never loads MathJax: its TeX stays raw.
    (root / "no_mathjax.html").write_text(
        r'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p><span class="math">\(x^2\)</span></p></body></html>'
    )
    return root


@pytest.fixture(scope="module")
def results(site):
    if CHROMIUM is None:
        pytest.skip("Chromium not found (apt install chromium)")
    lines = []
    out = bc.check_site(site, chromium=CHROMIUM, source_dir=site, screenshot_dir=site / "shots", log=lines.append)
    return {Path(r.page).stem: r for r in out}, "\n".join(lines)


@needs_chromium
def test_clean_page_passes(results, site):
    by_name, log = results
    good = by_name["good"]
    assert good.ok, log
    assert good.formulas == 2 and good.images == 2 and good.animations == 1 and good.needs_animation
    assert (site / "shots" / "good.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
@pytest.mark.parametrize("name", sorted(BAD_PAGES))
def test_faulty_page_fails_naming_page_and_fault(results, name):
    by_name, log = results
    result = by_name[name]
    assert not result.ok, f"{name} passed:\n{log}"
    expected = BAD_PAGES[name][1]
    assert f"FAIL {name}.html: " in log
    assert any(expected in problem for problem in result.problems), f"no {expected!r} for {name}:\n{log}"


@needs_chromium
def test_raw_tex_without_mathjax_fails(results):
    by_name, log = results
    problems = "\n".join(by_name["no_mathjax"].problems)
    assert "MathJax did not load" in problems and r"raw TeX (\()" in problems, log


@needs_chromium
def test_each_faulty_page_fails_only_for_its_fault(results):
    # A fault on one page must not leak into the next: every page opens in its own context.
    by_name, log = results
    for name in ("broken_formula", "undefined_macro", "console_error"):
        assert len(by_name[name].problems) == 1, log


def test_main_without_chromium_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CHROMIUM", raising=False)
    assert bc.main([str(tmp_path)]) == 2
    assert "Chromium not found" in capsys.readouterr().err


def test_static_check_names_remote_assets(tmp_path):
    (tmp_path / "style.css").write_text('@import url("https://fonts.example.org/font.css");\n')
    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><link rel="stylesheet" href="style.css?v=1">'
        '<script>const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"</script>'
        '<script src="//cdn.example.org/lib.js"></script></head>'
        '<body><a href="https://example.org/">a link is fine</a><img src="local.png"></body></html>'
    )
    problems, refresh = bc.static_problems(page)
    assert refresh is None
    assert problems == [
        "stylesheet style.css loads a remote file: https://fonts.example.org/font.css",
        "refers to a remote <script>: //cdn.example.org/lib.js",
        "inline code names a remote script/style/font: https://unpkg.com/thebe@0.8.2/lib/index.js",
    ]


def test_animation_requirement_comes_from_the_source(tmp_path):
    calls = tmp_path / "calls.ipynb"
    calls.write_text(_notebook("from convlab import plot\nplot.animate_convolution(x, w)"))
    mentions = tmp_path / "mentions.ipynb"
    mentions.write_text(_notebook("# plot.animate_convolution(x, w) would animate\nx = 1"))
    myst = tmp_path / "myst.md"
    myst.write_text("Text naming animate_convolution().\n\n```{code-cell} ipython3\nanimate_convolution(x, w)\n```\n")
    assert bc.source_calls_animate(calls)
    assert not bc.source_calls_animate(mentions)
    assert bc.source_calls_animate(myst)
    assert bc.source_of(Path("calls.html"), tmp_path) == calls
    assert bc.source_of(Path("none.html"), tmp_path) is None
