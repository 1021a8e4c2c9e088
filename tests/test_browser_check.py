"""The browser check (tests/browser_check.py) checked on small pages with known faults.

The pages are written into a temporary folder and load the MathJax that
sphinx-mathjax-offline ships, the way the built book does, so no book build is needed.
One page is clean and must pass; every other page carries one fault, and the check must
fail it with a line that names the page and the fault. Pairs of pages show that the
book's own fixes work: convlab's animation player fits a phone where matplotlib's does not,
and _static/convlab.css keeps long inline formulas and names in a phone's column where the
themes' rules alone do not. The browser part is skipped when Chromium is not installed;
the static parts run everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
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
<article class="bd-article">
  <p>Wide content may scroll inside its own box:</p>
  <div style="overflow-x: auto"><div style="width: 2000px">a row of numbers wider than any window</div></div>
  {ANIMATION}
  <p>A file name is fine: <code>convlab/_core.py</code>, and so is a web address: https://example.org/tmp/x.</p>
</article>
"""

# A player as wide as matplotlib makes one: a 600 px frame and a 374 px slider.
WIDE_ANIMATION = ANIMATION.replace('<img id="_anim_img0">', '<img id="_anim_img0" style="width: 600px">').replace(
    'class="anim-slider"', 'class="anim-slider" style="width: 374px"'
)

# name -> (body, the fault, or faults, its messages must mention)
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
    # Paths of the build machine: in a traceback, in prose, in alt and title attributes.
    "machine_path_repo": (
        f"<pre>  File {bc.REPO}/convlab/_core.py:41, in conv1d</pre>",
        f"machine path ({bc.REPO}) in code or output: `File {bc.REPO}/convlab/_core.py:41, in conv1d`",
    ),
    "machine_path_tmp": (
        "<p>The figure was written to /tmp/convlab-build/fig.png by the build.</p>",
        "machine path (/tmp/) in the text: `The figure was written to /tmp/convlab-build/fig.png",
    ),
    "machine_path_alt": (
        f'<p><img src="{PIXEL}" alt="Plot made by /home/alice/convlab/plot.py"></p>',
        "machine path (/home/<user>/) in the alt of <img>: `Plot made by /home/alice/convlab/plot.py`",
    ),
    "machine_path_title": (
        r'<p title="from C:\Python311\Lib\site-packages\convlab">hover me</p>',
        "machine path (site-packages) in the title of <p>",
    ),
    # Wider than the main column at both widths: named, with its class and text.
    "wide_block": (
        '<article class="bd-article"><p>Fine.</p>'
        '<div class="too-wide" style="width: 1500px">A block wider than any window</div></article>',
        (
            "at 1280 px content overflows the main column (.bd-article, 1264 px); furthest out: "
            '<div class="too-wide"> `A block wider than any window` (1500 px wide) reaching 236 px past the edge',
            'at 390 px content overflows the main column (.bd-article, 374 px); furthest out: <div class="too-wide">',
            "at 1280 px the page scrolls sideways (1508 px of content in a 1280 px window)",
        ),
    ),
    # Fits a laptop, not a phone.
    "wide_table": (
        '<article class="bd-article"><table class="timings" style="width: 600px"><tr>'
        "<td>method</td><td>seconds</td></tr></table></article>",
        'at 390 px content overflows the main column (.bd-article, 374 px); furthest out: <table class="timings">',
    ),
    # Outside the article: the page itself scrolls sideways.
    "wide_banner": (
        '<div class="banner" style="width: 1400px">A banner wider than the window</div>'
        '<article class="bd-article"><p>Short.</p></article>',
        "at 1280 px the page scrolls sideways (1408 px of content in a 1280 px window); "
        'furthest out: <div class="banner">',
    ),
    # What pydata-sphinx-theme does to a long inline formula: its box hides what does not fit.
    "clipped_formula": (
        '<article class="bd-article"><p>A formula: <span class="clipbox" style="display: inline-flex; '
        'max-width: 100%; overflow: hidden"><span style="flex: none; width: 900px">'
        "x + y + z, far too long for a phone</span></span></p></article>",
        'at 390 px content is cut off: <span class="clipbox"> `x + y + z, far too long for a phone` '
        "shows 374 px of its 900 px",
    ),
    "wide_animation": (
        WIDE_ANIMATION,
        "at 390 px animation 1 does not fit the 390 px window: the player spans 8 px to 382 px, "
        "its <img> ends 218 px past the edge",
    ),
    "two_search_buttons": (
        '<header><button class="search-button__button">Search</button></header>'
        '<aside><button class="search-button__button">Search</button></aside><p>Text.</p>',
        'at 1280 px 2 search buttons show: <button class="search-button__button"> in <header>; '
        '<button class="search-button__button"> in <aside>',
    ),
}


# What the themes do to long inline content (pydata-sphinx-theme's span.math, Sphinx's
# span.pre), and a long formula and a long inline name in a paragraph. With the book's
# _static/convlab.css after them, both fit a phone; without it, they do not.
THEME_RULES = """<style>
span.math { align-items: baseline; display: inline-flex; max-width: 100%; overflow: hidden; }
span.pre { hyphens: none; white-space: nowrap; }
code { word-wrap: break-word; }
</style>
"""
LONG_INLINE = r"""<article class="bd-article">
<p>The sum <span class="math notranslate nohighlight">\((1,-2,3,1,0,0)+(0,0,0,0,0,0)+(0,0,-1,2,-3,-1)=(1,-2,2,3,-3,-1)\)</span>
is long, and so is <code class="docutils literal notranslate"><span class="pre">matplotlib.cbook.get_sample_data("goog.npz",asfileobj=True)</span></code>.</p>
</article>
"""


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


def _players() -> tuple[str, str]:
    """The same small animation as convlab's player and as matplotlib's own (its CDN link dropped)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    from convlab.plot._offline import OfflineAnimation

    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=100)  # a 640 px frame
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(fig, lambda i: [line], frames=3)
    ours = OfflineAnimation(anim, alt="A line, three frames.").to_jshtml()
    theirs = re.sub(r'<link rel="stylesheet"[^>]*>', "", anim.to_jshtml())
    plt.close(fig)
    return ours, theirs


def _png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


REPO_CSS = bc.REPO / "_static" / "convlab.css"
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
    (root / "_static" / "convlab.css").symlink_to(REPO_CSS)
    css_link = '<link rel="stylesheet" href="_static/convlab.css">'
    (root / "css_theme_only.html").write_text(HEAD.format(name="css_theme_only") + THEME_RULES + LONG_INLINE + "</body></html>")
    (root / "css_convlab.html").write_text(
        HEAD.format(name="css_convlab") + THEME_RULES + css_link + LONG_INLINE + "</body></html>"
    )
    ours, theirs = _players()
    (root / "player_convlab.html").write_text(HEAD.format(name="player_convlab") + ours + "</body></html>")
    (root / "player_matplotlib.html").write_text(HEAD.format(name="player_matplotlib") + theirs + "</body></html>")
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
    # One screenshot per width, each as wide as its window.
    for width in (1280, 390):
        shot = site / "shots" / str(width) / "good.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert _png_size(shot)[0] == width
    assert good.screenshots == [site / "shots" / "1280" / "good.png", site / "shots" / "390" / "good.png"]


@needs_chromium
@pytest.mark.parametrize("name", sorted(BAD_PAGES))
def test_faulty_page_fails_naming_page_and_fault(results, name):
    by_name, log = results
    result = by_name[name]
    assert not result.ok, f"{name} passed:\n{log}"
    expected = BAD_PAGES[name][1]
    assert f"FAIL {name}.html: " in log
    for fault in (expected,) if isinstance(expected, str) else expected:
        assert any(fault in problem for problem in result.problems), f"no {fault!r} for {name}:\n{log}"


@needs_chromium
def test_raw_tex_without_mathjax_fails(results):
    by_name, log = results
    problems = "\n".join(by_name["no_mathjax"].problems)
    assert "MathJax did not load" in problems and r"raw TeX (\()" in problems, log


@needs_chromium
def test_each_faulty_page_fails_only_for_its_fault(results):
    # A fault on one page must not leak into the next: every page opens in its own context.
    by_name, log = results
    for name in ("broken_formula", "undefined_macro", "console_error", "machine_path_tmp", "clipped_formula"):
        assert len(by_name[name].problems) == 1, log


@needs_chromium
def test_overflow_is_judged_per_width(results):
    # A 600 px table fits the laptop window and not the phone's.
    by_name, log = results
    problems = by_name["wide_table"].problems
    assert problems and all(p.startswith("at 390 px ") for p in problems), log


@needs_chromium
def test_convlab_player_fits_a_phone_and_matplotlibs_does_not(results):
    by_name, log = results
    assert by_name["player_convlab"].ok and by_name["player_convlab"].animations == 1, log
    problems = by_name["player_matplotlib"].problems
    assert any(p.startswith("at 390 px animation 1 does not fit the 390 px window") for p in problems), log
    assert not any(p.startswith("at 1280 px") for p in problems), log


@needs_chromium
def test_convlab_css_keeps_long_inline_content_in_a_phone_column(results):
    by_name, log = results
    theme_only = "\n".join(by_name["css_theme_only"].problems)
    assert 'at 390 px content is cut off: <span class="math notranslate nohighlight">' in theme_only, log
    assert "at 390 px the page scrolls sideways" in theme_only and '<code class="docutils literal' in theme_only, log
    assert by_name["css_convlab"].ok, log


def test_machine_path_patterns():
    patterns = [(re.compile(source), name) for source, name in bc.machine_path_patterns(Path("/srv/book"))]

    def named(text):
        return next((name for regex, name in patterns if regex.search(text)), None)

    assert named(f"File {bc.REPO}/convlab/_core.py:3") == str(bc.REPO)
    assert named("built in /srv/book/_build") == "/srv/book"
    assert named(f"{sys.prefix}/bin/python") is not None
    assert named("cd /tmp/x") == "/tmp/"
    assert named("/root/.cache") == "/root/"
    assert named("see /home/ada/notes") == "/home/<user>/"
    assert named("lib/python3.11/site-packages/numpy") == "site-packages"
    for fine in ("https://example.org/tmp/x", "convlab/_core.py", "/homework/", "a /tmp file", "/srv/bookshelf"):
        assert named(fine) is None, fine


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
