"""Two fixes to the HTML that Jupyter Book 1 writes, so the pages load cleanly offline.

1. No remote script reference.
Jupyter Book 1 always loads sphinx_thebe, even with ``launch_buttons.thebe: false``.
sphinx_thebe then puts the address of thebe on unpkg.com into every page (an inline
``<script>`` defining ``THEBE_JS_URL``), links its own script and stylesheet, and appends
a thebe configuration block naming a Binder repository. None of it is used when thebe is
off, so this extension drops all of it from the HTML pages: no page then refers to a CDN.
(sphinx_thebe also adds the inline script twice, and the second ``const`` is a SyntaxError
in the console of every page.)

2. No console error on a reader's first visit. The theme's colour mode comes from the
browser's localStorage, falling back to the template variable ``default_mode``, which is
empty unless set; an empty mode makes pydata-sphinx-theme log "Got invalid theme mode".
``default_mode`` is set to ``auto`` (follow the system) unless the configuration sets it.

The book's browser test (tests/browser_check.py) fails on a remote reference or a console error.
"""

from __future__ import annotations

from docutils import nodes

_THEBE_FILES = ("sphinx-thebe.js", "sphinx-thebe.css")


def _thebe_enabled(app) -> bool:
    launch = (app.config.html_theme_options or {}).get("launch_buttons", {}) or {}
    return bool(launch.get("thebe")) or bool((app.config.thebe_config or {}).get("always_load"))


def _is_thebe_asset(asset) -> bool:
    filename = str(getattr(asset, "filename", None) or "")
    if filename.split("?")[0].endswith(_THEBE_FILES):
        return True
    body = (getattr(asset, "attributes", None) or {}).get("body", "")
    return "THEBE_JS_URL" in body


def drop_thebe_assets(app, pagename, templatename, context, doctree):
    """Remove sphinx_thebe's scripts and stylesheet from one page's context."""
    if _thebe_enabled(app):
        return
    for key in ("script_files", "css_files"):
        if key in context:
            # A new list: the builder restores its own lists after each page.
            context[key] = [asset for asset in context[key] if not _is_thebe_asset(asset)]


def drop_thebe_config(app, doctree, docname):
    """Remove the thebe configuration blocks that sphinx_thebe appends to each page."""
    if _thebe_enabled(app):
        return
    for node in list(doctree.findall(nodes.raw)):
        text = node.astext()
        if 'type="text/x-thebe-config"' in text or "kernelName =" in text:
            node.parent.remove(node)


def default_colour_mode(app, config):
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}


def setup(app):
    app.setup_extension("sphinx_thebe")
    app.connect("config-inited", default_colour_mode)
    # After sphinx_thebe's own handlers (default priority 500).
    app.connect("doctree-resolved", drop_thebe_config, priority=900)
    app.connect("html-page-context", drop_thebe_assets, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
