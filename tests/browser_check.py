"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

    python tests/browser_check.py [_build/html] [--screenshots DIR] [--source-dir DIR]

Per page, from disk (file://) with every network request blocked:

- no request leaves file:// (data: and blob: are embedded content and allowed), and the HTML
  names no remote script, stylesheet, image or font;
- MathJax loaded and typeset every formula: no raw TeX delimiters (``$$``, ``\\(``, ``\\[``,
  ``\\begin{``...) left in the text outside code, no MathJax error node, no undefined macro;
- every ``<img>`` loaded;
- a page whose source notebook calls ``plot.animate_...`` shows at least one working animation;
- the console logged no error and no script threw;
- no path of the build machine shows in the text, code, outputs, alt or title attributes:
  the repository, the Python environment, the book's folders, /tmp/, /root/, /home/<user>/,
  /Users/<user>/, site-packages (a traceback printed in full shows them);
- at 1280 px and at 390 px wide, nothing sticks out of the main column (``.bd-article``) and
  the page does not scroll sideways; content that scrolls inside its own box (overflow-x auto
  or scroll) is fine. The element that sticks out furthest is named;
- at 390 px every animation player, its buttons and slider included, fits the window;
- at most one search field or button shows.

Each page loads once at 1280 px, is probed, then is laid out again at 390 px. Its screenshot
at each width goes to ``_build/screenshots/<width>/<page>.png``. Exit status: 0 when every
page passes, 1 when a page has a problem (each printed as ``FAIL <page>: <problem>``), 2 when
the check could not run (no Chromium, no built book).

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages ending in a NUL byte, the browser reading fd 3 and writing fd 4), with only the
standard library. Besides blocking requests through the protocol, the browser gets a dead
proxy and a resolver that resolves nothing, so a request that slipped past would still fail.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import html.parser
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Embedded or browser-internal content, not requests to anywhere.
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "jupyter_execute", "screenshots"}
# Every page is looked at as on a laptop and as on a phone: (width, height) in CSS pixels.
# The first is where the page loads and is probed; the second reuses the loaded page.
VIEWPORTS = ((1280, 900), (390, 844))
WINDOW = VIEWPORTS[0]
NARROW = min(width for width, _ in VIEWPORTS)
# A screenshot is cut at this many CSS pixels (1280 x 15000): Chromium cannot capture much
# more in one piece. At 390 px that is 49000 px tall, the whole of the longest chapter.
MAX_SHOT_PIXELS = 1280 * 15000
ANIMATE_CALL = re.compile(r"(?<![\w.])(?:\w+\.)*animate_\w*\s*\(")


class CheckError(RuntimeError):
    """The check could not run at all (as opposed to a page failing it)."""


def find_chromium(explicit: str | None = None) -> str | None:
    for name in (explicit, os.environ.get("CHROMIUM"), *CHROMIUM_NAMES):
        if name:
            path = shutil.which(name)
            if path:
                return path
    return None


# --- the DevTools protocol over a pipe ---------------------------------------


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium, spoken to over --remote-debugging-pipe."""

    def __init__(self, chromium: str, *, timeout: float = 30.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="convlab-chromium-")
        self.log = open(Path(self.profile) / "chromium-stderr.log", "w+b")
        to_read, self._to_write = os.pipe()  # we write, the browser reads (its fd 3)
        self._from_read, from_write = os.pipe()  # the browser writes (its fd 4), we read
        args = [
            "--headless",
            "--remote-debugging-pipe",
            # Containers and CI often lack the namespaces the sandbox needs; only local pages are opened.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--mute-audio",
            "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={self.profile}",
            *self.network_args(),
            "about:blank",
        ]
        # A tiny trampoline puts the pipe ends on fds 3 and 4, whatever numbers they have here.
        trampoline = (
            "import os, sys; r, w = int(sys.argv[1]), int(sys.argv[2]); "
            "os.dup2(r, 3); os.dup2(w, 4); [os.close(fd) for fd in (r, w) if fd not in (3, 4)]; "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", trampoline, str(to_read), str(from_write), chromium, *args],
            pass_fds=(to_read, from_write),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
        )
        os.close(to_read)
        os.close(from_write)
        self._buffer = b""
        self._next_id = 0
        self._responses: dict[int, dict] = {}
        self._ignored: set[int] = set()
        self.events: list[dict] = []
        self.handlers: dict[str, callable] = {}
        try:
            self.call("Browser.getVersion")
        except Exception as exc:
            self.close()
            raise CheckError(f"Chromium did not start ({chromium}): {exc}\n{self.stderr_tail()}") from exc

    def network_args(self) -> list[str]:
        """Network off without root: a proxy that refuses, and names that never resolve.

        A subclass that must reach a local server (tests/lab_check.py) overrides this.
        """
        return [
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ]

    def stderr_tail(self) -> str:
        try:
            self.log.flush()
            self.log.seek(0)
            return self.log.read().decode(errors="replace")[-2000:]
        except Exception:
            return ""

    # low level

    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self._to_write, data) :]
        return self._next_id

    def _pump(self, deadline: float) -> bool:
        """Read and dispatch what the browser has sent; False when nothing came before the deadline."""
        if b"\0" not in self._buffer:
            wait = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._from_read], [], [], wait)
            if not ready:
                return False
            chunk = os.read(self._from_read, 1 << 20)
            if not chunk:
                raise CDPError(f"Chromium closed the pipe (exit {self.proc.poll()})\n{self.stderr_tail()}")
            self._buffer += chunk
        while b"\0" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\0", 1)
            msg = json.loads(raw)
            if "id" in msg:
                if msg["id"] in self._ignored:
                    self._ignored.discard(msg["id"])
                else:
                    self._responses[msg["id"]] = msg
            else:
                handler = self.handlers.get(msg.get("method"))
                if handler is not None:
                    handler(msg)
                self.events.append(msg)
        return True

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float | None = None):
        msg_id = self._send(method, params, session)
        deadline = time.monotonic() + (timeout or self.timeout)
        while msg_id not in self._responses:
            if time.monotonic() > deadline:
                self._ignored.add(msg_id)
                raise TimeoutError(f"{method}: no answer within {timeout or self.timeout:.0f} s")
            self._pump(deadline)
        msg = self._responses.pop(msg_id)
        if "error" in msg:
            raise CDPError(f"{method}: {msg['error'].get('message')} {msg['error'].get('data', '')}".strip())
        return msg.get("result", {})

    def notify(self, method: str, params: dict | None = None, session: str | None = None) -> None:
        """Send without waiting for the answer (used from inside event handlers)."""
        self._ignored.add(self._send(method, params, session))

    def wait_for(self, predicate, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for msg in self.events[seen:]:
                if predicate(msg):
                    return msg
            seen = len(self.events)
            if time.monotonic() > deadline:
                return None
            self._pump(deadline)

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self._send("Browser.close")
                    self.proc.wait(timeout=5)
                except Exception:
                    pass
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
        finally:
            for fd in (self._to_write, self._from_read):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- what runs inside each page ----------------------------------------------

# Runs after the load event; returns everything the Python side judges. Waits for MathJax
# (its startup promise covers the first typesetting and any extension it loads), the fonts
# and the images, then lets inline scripts (the animation players) settle.
PROBE_JS = r"""
(async () => {
  const out = {problems: [], formulas: 0, images: 0, animations: []};
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const short = (s, n = 90) => { s = String(s).replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '...' : s; };
  for (const img of document.images) if (img.loading === 'lazy') img.loading = 'eager';

  const mj = window.MathJax;
  const hasMath = !!document.querySelector('.math, span.math, div.math, .mathjax_process, .tex2jax_process');
  if (mj && mj.startup && mj.startup.promise) {
    try { await mj.startup.promise; } catch (e) { out.problems.push('MathJax failed: ' + short(e && e.message || e)); }
  } else if (hasMath) {
    out.problems.push('the page has formulas but MathJax did not load');
  }
  if (document.fonts && document.fonts.ready) { try { await document.fonts.ready; } catch (e) {} }
  await sleep(SETTLE_MS);

  // Formulas MathJax could not typeset: parse errors become merror nodes, undefined
  // macros (the noundefined package) red mtext holding the macro's name.
  let walked = false;
  if (mj && mj.startup && mj.startup.document && mj.startup.document.math) {
    walked = true;
    for (const item of mj.startup.document.math) {
      out.formulas += 1;
      const errors = [];
      if (item.root && item.root.walkTree) {
        item.root.walkTree(node => {
          if (node.isKind('merror')) {
            errors.push(node.attributes.get('data-mjx-error') || node.attributes.get('title') || 'error');
          } else if (node.isKind('mtext') && node.attributes.get('mathcolor') === 'red') {
            const text = node.childNodes.map(c => (c.getText ? c.getText() : '')).join('');
            if (text.startsWith('\\')) errors.push('undefined control sequence ' + text);
          }
        });
      }
      for (const e of errors) out.problems.push('broken formula `' + short(item.math, 70) + '`: ' + short(e));
    }
  }
  if (!walked) {
    for (const el of document.querySelectorAll('mjx-merror, [data-mjx-error]'))
      out.problems.push('MathJax error: ' + short(el.getAttribute('data-mjx-error') || el.getAttribute('title') || el.textContent));
  }

  // Raw TeX left in the text (outside code): MathJax never saw it or never ran.
  const skip = 'pre, code, kbd, samp, tt, script, style, textarea, noscript, template, mjx-container, .highlight';
  const patterns = [
    [/\$\$/, '$$'], [/\\\(/, '\\('], [/\\\)/, '\\)'], [/\\\[/, '\\['], [/\\\]/, '\\]'],
    [/\\(begin|end)\{/, '\\begin{...}/\\end{...}'],
    [/\$[^\s$][^$\n]{0,200}?[\\^_][^$\n]{0,200}?\$/, '$...$'],
    [/\\[A-Za-z]{2,}/, 'a TeX command'],
  ];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawSeen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.nodeValue;
    for (const [re, name] of patterns) {
      const m = re.exec(text);
      if (!m) continue;
      const at = Math.max(0, m.index - 30);
      const snippet = short(text.slice(at, m.index + m[0].length + 40), 100);
      const key = name + snippet;
      if (!rawSeen.has(key)) { rawSeen.add(key); out.problems.push('raw TeX (' + name + ') left in the text: `' + snippet + '`'); }
      break;
    }
  }

  // Paths of the build machine in what a reader sees: text anywhere (code and outputs
  // included: a traceback shows them there) and the alt and title attributes.
  const machine = MACHINE_PATHS.map(([source, name]) => [new RegExp(source), name]);
  const pathSeen = new Set();
  const reportPath = (text, where) => {
    for (const [re, name] of machine) {
      const m = re.exec(text);
      if (!m) continue;
      const at = Math.max(0, m.index - 30);
      const snippet = short(text.slice(at, m.index + m[0].length + 50), 110);
      const key = name + snippet;
      if (!pathSeen.has(key) && pathSeen.size < 5) {
        pathSeen.add(key);
        out.problems.push('machine path (' + name + ') in ' + where + ': `' + snippet + '`');
      }
      return;
    }
  };
  const textWalker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = textWalker.nextNode(); node; node = textWalker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, template, noscript')) continue;
    reportPath(node.nodeValue, parent.closest('pre, code') ? 'code or output' : 'the text');
  }
  for (const el of document.body.querySelectorAll('[alt], [title]')) {
    for (const attr of ['alt', 'title']) {
      const value = el.getAttribute(attr);
      if (value) reportPath(value, 'the ' + attr + ' of <' + el.tagName.toLowerCase() + '>');
    }
  }

  // Images: decode() rejects for anything that did not load (missing file, no src, blocked).
  const imgs = Array.from(document.images);
  out.images = imgs.length;
  const timeout = new Promise(r => setTimeout(() => r('timeout'), IMAGE_TIMEOUT_MS));
  const results = await Promise.all(imgs.map(img => Promise.race([img.decode().then(() => 'ok', () => 'failed'), timeout])));
  imgs.forEach((img, i) => {
    const src = img.getAttribute('src') || '';
    const broken = results[i] !== 'ok' || !img.complete || (img.naturalWidth === 0 && !/\.svg($|[?#])/i.test(img.currentSrc));
    if (broken) {
      const what = src ? short(src, 80) : '(no src' + (img.id ? ', id ' + img.id : '') + ')';
      out.problems.push('image did not load: ' + what + (results[i] === 'timeout' ? ' (timed out)' : ''));
    }
  });

  // Animations: matplotlib's JavaScript player (div.animation) or an HTML5 video.
  for (const div of document.querySelectorAll('div.animation')) {
    const img = div.querySelector('img');
    const slider = div.querySelector('input.anim-slider, input[type=range]');
    out.animations.push({
      kind: 'jshtml',
      frames: slider ? Number(slider.max) - Number(slider.min) + 1 : 0,
      shown: !!img && img.complete && img.naturalWidth > 0,
    });
  }
  for (const video of document.querySelectorAll('video')) {
    out.animations.push({kind: 'video', frames: video.readyState >= 1 ? 2 : 0, shown: video.readyState >= 1});
  }
  out.height = Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));
  return out;
})()
"""


# Runs at each viewport width, after the page probe: what sticks out sideways. Content may
# scroll inside its own box (overflow-x auto or scroll); anything else that reaches past the
# main column, or makes the page itself scroll sideways, is reported, furthest out first, and
# so is a box that cuts its content off (overflow-x hidden or clip, with content wider than
# the box: pydata-sphinx-theme's span.math does that to a long formula). At the
# narrow width every animation player, controls included, must fit the window.
LAYOUT_JS = r"""
(async () => {
  const out = {problems: [], searches: []};
  const frame = () => new Promise(r => requestAnimationFrame(() => r()));
  await frame(); await frame();
  const short = (s, n = 60) => { s = String(s).replace(/\s+/g, ' ').trim(); return s.length > n ? s.slice(0, n) + '...' : s; };
  const vw = document.documentElement.clientWidth;
  const px = v => Math.round(v) + ' px';
  const describe = el => {
    let name = '<' + el.tagName.toLowerCase();
    if (el.id && !/^_anim|^id\d/.test(el.id)) name += ' id="' + short(el.id, 30) + '"';
    const cls = Array.from(el.classList).slice(0, 3).join(' ');
    if (cls) name += ' class="' + cls + '"';
    name += '>';
    const text = short((/^(TABLE|THEAD|TBODY|TR)$/.test(el.tagName) ? el.innerText : el.textContent) || el.getAttribute('alt') || '', 60);
    return text ? name + ' `' + text + '`' : name;
  };
  const SKIP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'MJX-ASSISTIVE-MML', 'DIALOG']);
  const shown = (el, cs) => cs.display !== 'none' && cs.visibility !== 'hidden' && cs.position !== 'fixed';
  // The outermost elements (and runs of text) of root that reach outside [left, right],
  // not looking inside boxes that scroll or clip their own overflow.
  const offenders = (root, left, right, clipped) => {
    const found = [];
    const check = (what, r, text) => {
      const over = Math.max(r.right - right, left - r.left);
      if (r.width > 0 && r.height > 0 && over > 1) { found.push({what, over, rect: r, text}); return true; }
      return false;
    };
    const visit = el => {
      for (const node of el.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          if (!node.nodeValue.trim()) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          check(el, range.getBoundingClientRect(), true);
          continue;
        }
        if (node.nodeType !== Node.ELEMENT_NODE || SKIP.has(node.tagName)) continue;
        const cs = getComputedStyle(node);
        if (!shown(node, cs)) continue;
        if (check(node, node.getBoundingClientRect())) continue;
        if (/hidden|clip/.test(cs.overflowX)) {
          // Cut off: a child reaches past the box's edge (scrollWidth would also count
          // MathJax's invisible assistive MathML, which always sticks out a little).
          if (clipped && cs.textOverflow !== 'ellipsis') {
            const r = node.getBoundingClientRect();
            const inner = r.left + node.clientLeft;
            let reach = 0;
            for (const child of node.children) {
              if (SKIP.has(child.tagName)) continue;
              const c = child.getBoundingClientRect();
              if (c.width > 0) reach = Math.max(reach, c.right - inner - node.clientWidth, inner - c.left);
            }
            if (reach > 1) clipped.push({what: node, over: reach, rect: r, full: node.clientWidth + reach});
          }
          continue;
        }
        if (/auto|scroll/.test(cs.overflowX)) continue;
        visit(node);
      }
    };
    visit(root);
    const unique = [];
    for (const f of found.sort((a, b) => b.over - a.over)) if (!unique.some(u => u.what === f.what)) unique.push(f);
    return unique;
  };
  const report = (intro, found) => {
    if (!found.length) return;
    const w = found[0];
    let text = intro + '; furthest out: ' + describe(w.what) + (w.text ? ', its text' : ' (' + px(w.rect.width) + ' wide)')
      + ' reaching ' + px(w.over) + ' past the edge';
    if (found.length > 1) text += ' and ' + (found.length - 1) + ' more';
    out.problems.push(text);
  };

  const main = document.querySelector('.bd-article') || document.querySelector('#main-content')
    || document.querySelector('main') || document.querySelector('[role=main]') || document.body;
  const box = main.getBoundingClientRect();
  const container = main.parentElement ? main.parentElement.getBoundingClientRect() : box;
  const name = main.classList.contains('bd-article') ? '.bd-article' : main.tagName.toLowerCase();
  if (main !== document.body && (box.right > Math.min(container.right, vw) + 1 || box.left < Math.max(container.left, 0) - 1)) {
    out.problems.push('the main column (' + name + ') is ' + px(box.width) + ' wide, wider than its container (' + px(Math.min(container.right, vw) - Math.max(container.left, 0)) + ')');
  }
  const right = Math.min(box.right, vw), left = Math.max(box.left, 0);
  const clipped = [];
  report('content overflows the main column (' + name + ', ' + px(right - left) + ')', offenders(main, left, right, clipped));
  if (clipped.length) {
    const c = clipped.sort((a, b) => b.over - a.over)[0];
    out.problems.push('content is cut off: ' + describe(c.what) + ' shows ' + px(c.what.clientWidth)
      + ' of its ' + px(c.full) + (clipped.length > 1 ? ' (and ' + (clipped.length - 1) + ' more cut off)' : ''));
  }
  const sw = document.documentElement.scrollWidth;
  if (sw > vw + 1) {
    const found = offenders(document.body, 0, vw, null);
    const intro = 'the page scrolls sideways (' + px(sw) + ' of content in a ' + px(vw) + ' window)';
    if (found.length) report(intro, found); else out.problems.push(intro);
  }

  if (CHECK_ANIMATIONS) {
    document.querySelectorAll('.animation').forEach((anim, i) => {
      let worst = null;
      for (const el of [anim, ...anim.querySelectorAll('img, .anim-controls, .anim-buttons, .anim-state, button, input, label')]) {
        const cs = getComputedStyle(el);
        if (cs.display === 'none' || cs.visibility === 'hidden') continue;
        const r = el.getBoundingClientRect();
        const over = Math.max(r.right - vw, -r.left);
        if (r.width > 0 && over > 1 && (!worst || over > worst.over)) worst = {el, over, r};
      }
      if (worst) {
        const a = anim.getBoundingClientRect();
        out.problems.push('animation ' + (i + 1) + ' does not fit the ' + px(vw) + ' window: the player spans '
          + px(a.left) + ' to ' + px(a.right) + ', its ' + describe(worst.el) + ' ends ' + px(worst.over) + ' past the edge');
      }
    });
  }

  // Search fields and buttons a reader can see around the content (one is enough; the
  // search page's own form, inside the article, does not count).
  for (const el of document.querySelectorAll('.search-button__button, .search-button-field, form.bd-search, input[type=search]')) {
    if (el.closest('dialog:not([open]), .bd-article, .bd-search-container')) continue;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (cs.display === 'none' || cs.visibility === 'hidden' || r.width === 0 || r.height === 0) continue;
    if (r.right <= 0 || r.left >= vw) continue;
    if (!out.searches.some(s => s.contains(el) || el.contains(s))) out.searches.push(el);
  }
  out.searches = out.searches.map(el => {
    const place = el.closest('.bd-header-article, .bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, header, aside, nav');
    return describe(el).replace(/ `.*`$/, '') + ' in ' + (place ? describe(place).replace(/ `.*`$/, '') : 'the page');
  });
  out.height = Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0));
  return out;
})()
"""


# --- static checks on the HTML file -------------------------------------------


class _AssetParser(html.parser.HTMLParser):
    """Collects the URLs a page loads (not the links a reader may follow)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets: list[tuple[str, str]] = []  # (what, url)
        self.inline: list[str] = []  # bodies of inline <script> and <style>
        self.refresh: str | None = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "script":
            if a.get("src"):
                self.assets.append(("<script>", a["src"]))
            else:
                self._in = tag
        elif tag == "style":
            self._in = tag
        elif tag == "link":
            rel = a.get("rel", "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload", "icon", "prefetch", "manifest")):
                self.assets.append((f"<link rel={rel}>", a.get("href", "")))
        elif tag in ("img", "source", "video", "audio", "iframe", "embed", "input", "track"):
            for attr in ("src", "poster"):
                if a.get(attr):
                    self.assets.append((f"<{tag}>", a[attr]))
            for part in a.get("srcset", "").split(","):
                if part.strip():
                    self.assets.append((f"<{tag} srcset>", part.split()[0]))
        elif tag == "object" and a.get("data"):
            self.assets.append(("<object>", a["data"]))
        elif tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", a.get("content", ""), re.I)
            if m:
                self.refresh = m.group(1).strip()

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline.append(data)


REMOTE_ASSET_IN_CODE = re.compile(r"""(?:https?:)?//[^\s"'`()<>]+?\.(?:m?js|css|woff2?|ttf|otf|eot)\b""", re.I)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.I)


def _is_remote(url: str) -> bool:
    scheme = urlparse(url).scheme.lower()
    if scheme:
        return scheme not in LOCAL_SCHEMES
    return url.startswith("//")  # protocol-relative: https when served, file:// never


def static_problems(page: Path) -> tuple[list[str], str | None]:
    """Remote assets named in the HTML, its inline code and its local stylesheets; and a meta refresh target."""
    parser = _AssetParser()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    problems = []
    for what, url in parser.assets:
        if _is_remote(url):
            problems.append(f"refers to a remote {what}: {url}")
        elif what.startswith("<link rel=stylesheet") and not urlparse(url).scheme:
            css = page.parent / unquote(urlparse(url).path)
            if css.is_file():
                for ref in CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
                    if _is_remote(ref):
                        problems.append(f"stylesheet {url.split('?')[0]} loads a remote file: {ref}")
    for code in parser.inline:
        for ref in REMOTE_ASSET_IN_CODE.findall(code):
            problems.append(f"inline code names a remote script/style/font: {ref}")
    return sorted(set(problems), key=problems.index), parser.refresh


# --- which pages must animate -------------------------------------------------


def source_calls_animate(source: Path) -> bool:
    """True when the notebook's (or MyST notebook's) code calls an ``animate_...`` function."""
    text = source.read_text(encoding="utf-8", errors="replace")
    if source.suffix == ".ipynb":
        nb = json.loads(text)
        code = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
        )
    else:
        code = "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, re.S))
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("#", "def ")))
    return bool(ANIMATE_CALL.search(code))


def source_of(rel: Path, source_dir: Path | None) -> Path | None:
    if source_dir is None:
        return None
    for suffix in (".ipynb", ".md", ".myst", ".rst"):
        candidate = source_dir / rel.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


# --- the check ----------------------------------------------------------------


@dataclass
class PageResult:
    page: str
    problems: list[str] = field(default_factory=list)
    formulas: int = 0
    images: int = 0
    animations: int = 0
    needs_animation: bool = False
    screenshots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def list_pages(html_dir: Path, patterns: list[str] | None = None) -> list[Path]:
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if rel.parts[0] in SKIP_DIRS:
            continue
        if patterns and not any(fnmatch.fnmatch(rel.as_posix(), p) for p in patterns):
            continue
        pages.append(path)
    return pages


def _describe_console(msg: dict) -> str | None:
    method, p = msg.get("method"), msg.get("params", {})
    if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
        parts = []
        for arg in p.get("args", []):
            parts.append(str(arg.get("value", arg.get("description", arg.get("type", "")))))
        where = ""
        frames = (p.get("stackTrace") or {}).get("callFrames") or []
        if frames:
            where = f" ({Path(urlparse(frames[0]['url']).path).name}:{frames[0]['lineNumber'] + 1})"
        return "console error: " + " ".join(parts)[:300] + where
    if method == "Runtime.exceptionThrown":
        d = p.get("exceptionDetails", {})
        text = (d.get("exception") or {}).get("description") or d.get("text", "exception")
        where = f" ({Path(urlparse(d['url']).path).name}:{d.get('lineNumber', 0) + 1})" if d.get("url") else ""
        return "uncaught exception: " + text.splitlines()[0][:300] + where
    if method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
        e = p["entry"]
        url = f" [{e['url']}]" if e.get("url") and e["url"] not in e.get("text", "") else ""
        return f"console error ({e.get('source', 'log')}): {e.get('text', '')[:300]}{url}"
    return None


def _js_regex(text: str) -> str:
    return re.sub(r"[\\^$.*+?()\[\]{}|/-]", lambda m: "\\" + m.group(0), text)


def machine_path_patterns(*paths: Path | str | None) -> list[tuple[str, str]]:
    """(JavaScript regular expression, name) for each path of this machine no page may show.

    The repository, the Python environment, the given folders (the book's sources and
    build), and the places any machine's paths start with: /tmp/, /root/, /home/<user>/,
    /Users/<user>/ and site-packages.
    """
    patterns, seen = [], set()
    for path in (REPO, sys.prefix, getattr(sys, "base_prefix", None), *paths):
        if not path:
            continue
        for text in {str(Path(path)), str(Path(path).resolve())}:
            if len(text) < 5 or text in seen:
                continue
            seen.add(text)
            patterns.append((r"(?<![\w.~-])" + _js_regex(text) + r"(?![\w.-])", text))
    patterns.sort(key=lambda p: -len(p[1]))  # the longest match names the path best
    start = r"(?<![\w.~:/-])"
    patterns += [
        (start + r"/tmp/", "/tmp/"),
        (start + r"/root/", "/root/"),
        (start + r"/home/[^/\s]+/", "/home/<user>/"),
        (start + r"/Users/[^/\s]+/", "/Users/<user>/"),
        (r"site-packages", "site-packages"),
    ]
    return patterns


class Checker:
    def __init__(
        self,
        browser: Browser,
        *,
        settle_ms: int = 400,
        load_timeout: float = 30.0,
        machine_paths: list[tuple[str, str]] | None = None,
    ):
        self.browser = browser
        self.settle_ms = settle_ms
        self.load_timeout = load_timeout
        self.machine_paths = machine_path_patterns() if machine_paths is None else machine_paths
        browser.handlers["Fetch.requestPaused"] = self._on_paused

    def _on_paused(self, msg: dict) -> None:
        p, session = msg["params"], msg.get("sessionId")
        scheme = urlparse(p["request"]["url"]).scheme
        if scheme in LOCAL_SCHEMES:
            self.browser.notify("Fetch.continueRequest", {"requestId": p["requestId"]}, session)
        else:
            self.browser.notify("Fetch.failRequest", {"requestId": p["requestId"], "errorReason": "BlockedByClient"}, session)

    def _viewport(self, session: str, width: int, height: int) -> None:
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session,
        )

    def _evaluate(self, session: str, expression: str, timeout: float) -> tuple[dict, str | None]:
        answer = self.browser.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
            timeout=timeout,
        )
        if "exceptionDetails" in answer:
            d = answer["exceptionDetails"]
            return {}, str((d.get("exception") or {}).get("description", d.get("text")))
        return answer["result"]["value"] or {}, None

    def _screenshot(self, session: str, width: int, page_height: int, path: Path) -> None:
        height = min(max(int(page_height), 1), MAX_SHOT_PIXELS // width)
        # Grow the viewport to the whole page rather than capturing beyond it: the theme's
        # sticky header and sidebar then lay out as a reader sees them (captureBeyondViewport
        # drew them scrolled sideways and twice).
        self._viewport(session, width, height)
        self.browser.wait_for(lambda m: False, 0.2)
        shot = self.browser.call(
            "Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True}, session, timeout=60
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def check(self, page: Path, rel: str, *, needs_animation: bool, screenshot_dir: Path | None) -> PageResult:
        """Open one page and judge it at every width of VIEWPORTS, loading it once.

        Its screenshot at each width goes to ``screenshot_dir/<width>/<rel>.png``.
        """
        b = self.browser
        result = PageResult(rel, needs_animation=needs_animation)
        start = time.monotonic()
        # A fresh browser context per page: empty storage and cache, as on a reader's first visit.
        context = b.call("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
        target = b.call("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        first_event = len(b.events)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                b.call(f"{domain}.enable", {}, session)
            b.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
            self._viewport(session, *VIEWPORTS[0])
            nav = b.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
            if nav.get("errorText"):
                result.problems.append(f"did not open: {nav['errorText']}")
                return result
            loaded = b.wait_for(
                lambda m: m.get("sessionId") == session and m.get("method") == "Page.loadEventFired",
                self.load_timeout,
            )
            if loaded is None:
                result.problems.append(f"the load event did not fire within {self.load_timeout:.0f} s")
            probe = (
                PROBE_JS.replace("SETTLE_MS", str(self.settle_ms))
                .replace("IMAGE_TIMEOUT_MS", "10000")
                .replace("MACHINE_PATHS", json.dumps(self.machine_paths))
            )
            data, error = self._evaluate(session, probe, self.load_timeout + 30)
            if error:
                result.problems.append(f"the page probe failed: {error}")
            result.problems += data.get("problems", [])
            result.formulas = data.get("formulas", 0)
            result.images = data.get("images", 0)
            animations = data.get("animations", [])
            result.animations = len(animations)
            for i, anim in enumerate(animations, 1):
                if not anim["shown"]:
                    result.problems.append(f"animation {i} shows no frame")
                elif anim["frames"] < 2:
                    result.problems.append(f"animation {i} has {anim['frames']} frame(s)")
            if needs_animation and not animations:
                result.problems.append("its source calls animate_...() but the page has no animation")
            for i, (width, height) in enumerate(VIEWPORTS):
                if i:
                    self._viewport(session, width, height)
                layout_js = LAYOUT_JS.replace("CHECK_ANIMATIONS", "true" if width == NARROW else "false")
                layout, error = self._evaluate(session, layout_js, 60)
                if error:
                    result.problems.append(f"at {width} px the layout probe failed: {error}")
                result.problems += [f"at {width} px {p}" for p in layout.get("problems", [])]
                searches = layout.get("searches", [])
                if len(searches) > 1:
                    result.problems.append(
                        f"at {width} px {len(searches)} search buttons show: " + "; ".join(searches)
                    )
                if screenshot_dir is not None:
                    shot = Path(screenshot_dir) / str(width) / Path(rel).with_suffix(".png")
                    self._screenshot(session, width, layout.get("height") or height, shot)
                    result.screenshots.append(shot)
            # Anything logged meanwhile, and every request that was not for a local file.
            b.wait_for(lambda m: False, 0.05)
            seen_requests = set()
            for msg in b.events[first_event:]:
                if msg.get("sessionId") != session:
                    continue
                text = _describe_console(msg)
                if text and text not in result.problems:
                    result.problems.append(text)
                method = msg.get("method")
                if method == "Network.requestWillBeSent":
                    url = msg["params"]["request"]["url"]
                elif method == "Network.webSocketCreated":
                    url = msg["params"]["url"]
                else:
                    continue
                if urlparse(url).scheme not in LOCAL_SCHEMES and url not in seen_requests:
                    seen_requests.add(url)
                    result.problems.append(f"network request (blocked): {url}")
        except (CDPError, TimeoutError) as exc:
            result.problems.append(f"browser error: {exc}")
        finally:
            try:
                b.call("Target.closeTarget", {"targetId": target}, timeout=10)
                b.call("Target.disposeBrowserContext", {"browserContextId": context}, timeout=10)
            except Exception:
                pass
            # Keep memory flat over many pages: this page's events are judged.
            del b.events[first_event:]
            result.seconds = time.monotonic() - start
        return result


def check_site(
    html_dir: Path,
    *,
    chromium: str,
    source_dir: Path | None = None,
    screenshot_dir: Path | None = None,
    patterns: list[str] | None = None,
    settle_ms: int = 400,
    log=print,
) -> list[PageResult]:
    html_dir = Path(html_dir)
    pages = list_pages(html_dir, patterns)
    if not pages:
        raise CheckError(f"no HTML pages under {html_dir}")
    results = []
    with Browser(chromium) as browser:
        paths = machine_path_patterns(html_dir.resolve(), source_dir.resolve() if source_dir else None)
        checker = Checker(browser, settle_ms=settle_ms, machine_paths=paths)
        for page in pages:
            rel = page.relative_to(html_dir)
            problems, refresh = static_problems(page)
            if refresh is not None and not _has_body_content(page):
                # A redirect page (index.html): check where it points instead of opening it.
                result = PageResult(rel.as_posix(), problems=problems, note=f"redirect to {refresh}")
                target = urlparse(urljoin(page.resolve().as_uri(), refresh))
                if target.scheme != "file":
                    result.problems.append(f"redirects off the book: {refresh}")
                elif not Path(unquote(target.path)).is_file():
                    result.problems.append(f"redirects to a missing page: {refresh}")
            else:
                source = source_of(rel, source_dir)
                needs = bool(source and source_calls_animate(source))
                result = checker.check(page, rel.as_posix(), needs_animation=needs, screenshot_dir=screenshot_dir)
                result.problems = problems + result.problems
            results.append(result)
            if log:
                log(_format(result))
    return results


def _has_body_content(page: Path) -> bool:
    text = page.read_text(encoding="utf-8", errors="replace")
    body = re.search(r"<body[^>]*>(.*)</body>", text, re.S | re.I)
    return bool(body and re.sub(r"<[^>]+>|\s", "", body.group(1)))


def _format(r: PageResult) -> str:
    if r.note:
        detail = r.note
    else:
        detail = f"{r.formulas} formulas, {r.images} images, {r.animations} animations"
        if r.needs_animation:
            detail += " (animation required)"
        detail += f", {r.seconds:.1f} s"
    if r.ok:
        return f"ok    {r.page}  [{detail}]"
    lines = [f"FAIL  {r.page}  [{detail}]"]
    lines += [f"FAIL {r.page}: {p}" for p in r.problems]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html_dir", nargs="?", default=str(REPO / "_build" / "html"), help="the built book (default: _build/html)")
    ap.add_argument("--screenshots", help="where the PNGs go (default: screenshots/ next to html_dir)")
    ap.add_argument("--no-screenshots", action="store_true")
    ap.add_argument("--source-dir", default=str(REPO), help="where page sources live, to know which pages must animate")
    ap.add_argument("--chromium", help="the browser binary (default: $CHROMIUM, then chromium, chromium-browser, google-chrome)")
    ap.add_argument("--pages", nargs="*", help="only pages matching these globs, relative to html_dir")
    ap.add_argument("--settle-ms", type=int, default=400, help="pause after MathJax is done, for inline scripts")
    args = ap.parse_args(argv)

    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("browser check: Chromium not found (apt install chromium, or set CHROMIUM=/path/to/chrome)", file=sys.stderr)
        return 2
    html_dir = Path(args.html_dir)
    if not (html_dir / "index.html").is_file() and not list_pages(html_dir):
        print(f"browser check: no built book in {html_dir} (run make book first)", file=sys.stderr)
        return 2
    shots = None if args.no_screenshots else Path(args.screenshots or html_dir.resolve().parent / "screenshots")
    start = time.monotonic()
    try:
        results = check_site(
            html_dir, chromium=chromium, source_dir=Path(args.source_dir), screenshot_dir=shots,
            patterns=args.pages, settle_ms=args.settle_ms,
        )
    except (CheckError, CDPError) as exc:
        print(f"browser check: could not run: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    where = f"; screenshots in {shots}" if shots else ""
    print(
        f"browser check: {len(results) - len(failed)}/{len(results)} pages passed "
        f"in {time.monotonic() - start:.1f} s, offline, with {Path(chromium).name}{where}"
    )
    if failed:
        print(f"browser check FAILED on {len(failed)} page(s): " + ", ".join(r.page for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
