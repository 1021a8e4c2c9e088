"""Open every page of the built book in headless Chromium, offline, and check what a reader sees.

    python tests/browser_check.py [_build/html] [--screenshots DIR] [--source-dir DIR]

Per page, from disk (file://) with every network request blocked:

- no request leaves file:// (data: and blob: are embedded content and allowed), and the HTML
  names no remote script, stylesheet, image or font;
- MathJax loaded and typeset every formula: no raw TeX delimiters (``$$``, ``\\(``, ``\\[``,
  ``\\begin{``...) left in the text outside code, no MathJax error node, no undefined macro;
- every ``<img>`` loaded;
- a page whose source notebook calls ``plot.animate_...`` shows at least one working animation;
- the console logged no error and no script threw.

A screenshot of each page goes to ``_build/screenshots/<page>.png``. Exit status: 0 when every
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
WINDOW = (1100, 900)
MAX_SHOT_HEIGHT = 15000  # CSS pixels; Chromium cannot capture much taller in one piece
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
    screenshot: Path | None = None
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


class Checker:
    def __init__(self, browser: Browser, *, settle_ms: int = 400, load_timeout: float = 30.0):
        self.browser = browser
        self.settle_ms = settle_ms
        self.load_timeout = load_timeout
        browser.handlers["Fetch.requestPaused"] = self._on_paused

    def _on_paused(self, msg: dict) -> None:
        p, session = msg["params"], msg.get("sessionId")
        scheme = urlparse(p["request"]["url"]).scheme
        if scheme in LOCAL_SCHEMES:
            self.browser.notify("Fetch.continueRequest", {"requestId": p["requestId"]}, session)
        else:
            self.browser.notify("Fetch.failRequest", {"requestId": p["requestId"], "errorReason": "BlockedByClient"}, session)

    def check(self, page: Path, rel: str, *, needs_animation: bool, screenshot: Path | None) -> PageResult:
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
            b.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False},
                session,
            )
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
            probe = PROBE_JS.replace("SETTLE_MS", str(self.settle_ms)).replace("IMAGE_TIMEOUT_MS", "10000")
            answer = b.call(
                "Runtime.evaluate",
                {"expression": probe, "awaitPromise": True, "returnByValue": True},
                session,
                timeout=self.load_timeout + 30,
            )
            if "exceptionDetails" in answer:
                d = answer["exceptionDetails"]
                result.problems.append(f"the page probe failed: {(d.get('exception') or {}).get('description', d.get('text'))}")
                data = {}
            else:
                data = answer["result"]["value"]
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
            if screenshot is not None:
                height = min(max(int(data.get("height") or WINDOW[1]), 1), MAX_SHOT_HEIGHT)
                # Grow the viewport to the whole page rather than capturing beyond it: the
                # theme's sticky header and sidebar then lay out as a reader sees them
                # (captureBeyondViewport drew them scrolled sideways and twice).
                b.call(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": WINDOW[0], "height": height, "deviceScaleFactor": 1, "mobile": False},
                    session,
                )
                b.wait_for(lambda m: False, 0.3)
                shot = b.call(
                    "Page.captureScreenshot",
                    {"format": "png", "optimizeForSpeed": True},
                    session,
                    timeout=60,
                )
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                result.screenshot = screenshot
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
        checker = Checker(browser, settle_ms=settle_ms)
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
                shot = screenshot_dir / rel.with_suffix(".png") if screenshot_dir else None
                result = checker.check(page, rel.as_posix(), needs_animation=needs, screenshot=shot)
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
