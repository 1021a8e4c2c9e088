"""Open chapters in a real JupyterLab, as a learner running `make lab` would, and check what shows.

    python tests/lab_check.py [book/NAME.ipynb ...] [--chromium PATH] [--screenshots DIR]

(every notebook of book/ by default).

JupyterLab (with the jupyterlab-myst extension that `make lab` installs) is started from this
virtual environment on 127.0.0.1 with a random token, serving copies of the notebooks in a
temporary folder (nothing under book/ is touched). Headless Chromium opens each notebook, waits
until every Markdown cell is rendered, and fails the notebook when a learner would see:

- raw MyST markup: a role such as ``{term}`...` `` / ``{doc}`` / ``{cite:p}``, a directive
  fence (``:::``, ````` ```{ `````), or a directive option (``:label:``, ``:class:``);
- unrendered maths (``$...$`` left as text);
- an exercise that did not render as one (no "Exercise" title);
- an open solution: a cell of a gated solution that is not collapsed, or shows more than its
  first (comment) line; a one-cell ``{solution}`` whose body is visible.

A screenshot of each notebook, scrolled to its first exercise, goes to
``_build/screenshots/lab/<name>.png``. Exit status: 0 when every notebook passes, 1 when one
fails (each problem printed as ``FAIL <notebook>: <problem>``), 2 when the check cannot run.
Only requests to the local server are allowed; everything else fails to resolve.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402
from browser_check import Browser, CDPError, CheckError, find_chromium  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
WINDOW = (1280, 900)

RAW = [
    (re.compile(r"\{(term|doc|cite(:\w+)?|numref|ref|eq|download|math)\}`"), "raw MyST role"),
    (re.compile(r"^\s*(:::|```+\s*\{)", re.M), "raw directive fence"),
    (re.compile(r"^\s*:(label|class|name|width|align):", re.M), "raw directive option"),
    (re.compile(r"(?<![\\$\w])\$[^$\n]{1,200}\$(?!\w)"), "unrendered maths"),
]


class LabBrowser(Browser):
    """Chromium that reaches the local JupyterLab and nothing else."""

    def network_args(self) -> list[str]:
        return [
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """`jupyter lab` from this environment, on 127.0.0.1, over a temporary copy of notebooks."""

    def __init__(self, notebooks: list[Path], *, timeout: float = 90.0):
        self.home = Path(tempfile.mkdtemp(prefix="convlab-lab-"))
        self.root = self.home / "notebooks"
        self.root.mkdir()
        for nb in notebooks:
            shutil.copy2(nb, self.root / nb.name)
        settings = self.home / "settings"
        # Every cell rendered (no virtual scrolling), and no news fetched from the internet.
        for plugin, value in {
            "notebook-extension/tracker": {"windowingMode": "none"},
            "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        }.items():
            path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        self.port, self.token = _free_port(), secrets.token_hex(16)
        env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(self.home / "runtime"), JUPYTER_PREFER_ENV_PATH="1")
        self.log = open(self.home / "jupyterlab.log", "w+b")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={self.port}", f"--ServerApp.token={self.token}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log_tail()
                self.close()
                raise CheckError(f"JupyterLab did not start on 127.0.0.1:{self.port}\n{tail}")
            time.sleep(0.5)

    def url(self, path: str, **query) -> str:
        params = "&".join([*(k if v is True else f"{k}={v}" for k, v in query.items()), f"token={self.token}"])
        return f"http://127.0.0.1:{self.port}/{path}?{params}"

    def log_tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return b"\n".join(self.log.read().splitlines()[-15:]).decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Per cell of the notebook in view: its kind, whether JupyterLab shows it collapsed, its text.
CELLS_JS = r"""
(() => {
  const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => p.offsetParent !== null);
  if (!panel) return null;
  return [...panel.querySelectorAll('.jp-Notebook .jp-Cell')].map(c => ({
    markdown: c.classList.contains('jp-MarkdownCell'),
    rendered: !c.classList.contains('jp-MarkdownCell') || c.classList.contains('jp-mod-rendered'),
    inputCollapsed: !!c.querySelector('.jp-InputPlaceholder'),
    outputCollapsed: !!c.querySelector('.jp-OutputPlaceholder'),
    text: c.innerText,
  }));
})()
"""


@dataclass
class NotebookResult:
    name: str
    problems: list[str] = field(default_factory=list)
    cells: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


_ONE_CELL_SOLUTION = re.compile(r"^(:{3,}|`{3,})\{solution\}[^\n]*\n(.*?)^\1\s*$", re.M | re.S)


def _solution_openings(source: str) -> list[str]:
    """The first plain words of each one-cell ``{solution}`` body: visible only if it is open."""
    openings = []
    for match in _ONE_CELL_SOLUTION.finditer(source):
        for line in match.group(2).splitlines():
            line = line.strip()
            if not line or line.startswith(":"):
                continue  # an option such as :class: dropdown
            words = re.findall(r"[A-Za-z][A-Za-z,;.']*", line.split("$")[0].split("`")[0])
            if len(words) >= 3:
                openings.append(" ".join(words[:4]))
                break
    return openings


def judge(cells_nb: list[dict], shown: list[dict]) -> list[str]:
    """Problems a learner would see, given the stored cells and what JupyterLab showed."""
    if len(shown) != len(cells_nb):
        return [f"JupyterLab shows {len(shown)} cells, the notebook has {len(cells_nb)}"]
    found = []
    gated = set(solutions.solution_cells(cells_nb))
    for i, (cell, view) in enumerate(zip(cells_nb, shown)):
        text = view["text"]
        if i in gated:
            open_ = not view["inputCollapsed"] or (cell["cell_type"] == "code" and cell.get("outputs")
                                                  and not view["outputCollapsed"])
            if open_ or len(text.strip().splitlines()) > 2:
                found.append(f"cell {i}: a solution is visible ({text.strip()[:60]!r})")
            continue
        if not view["markdown"]:
            continue
        if not view["rendered"]:
            found.append(f"cell {i}: Markdown shown as source, not rendered")
            continue
        for pattern, what in RAW:
            hit = pattern.search(text)
            if hit:
                found.append(f"cell {i}: {what} {hit.group(0).strip()[:40]!r}")
        source = _source(cell)
        if re.search(r"\{exercise\}", source) and not re.search(r"Exercise", text):
            found.append(f"cell {i}: an exercise that did not render as one")
        shown_words = " ".join(text.split())
        for words in _solution_openings(source):
            if words in shown_words:
                found.append(f"cell {i}: a solution is visible ({words!r}...)")
    return found


def check_notebook(browser: Browser, server: LabServer, nb: Path, n: int, *,
                   screenshot: Path | None, timeout: float = 120.0) -> NotebookResult:
    result = NotebookResult(nb.name)
    start = time.monotonic()
    cells_nb = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    result.cells = len(cells_nb)
    b = browser
    context = b.call("Target.createBrowserContext", {"disposeOnDetach": True})["browserContextId"]
    target = b.call("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
    session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime"):
            b.call(f"{domain}.enable", {}, session)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": WINDOW[0], "height": WINDOW[1], "deviceScaleFactor": 1, "mobile": False}, session)
        # A workspace of its own, reset: JupyterLab restores no other tab into the view.
        b.call("Page.navigate", {"url": server.url(f"lab/workspaces/check{n}/tree/{nb.name}", reset=True)}, session)
        deadline, last, stable = time.monotonic() + timeout, None, 0
        while time.monotonic() < deadline:
            b.wait_for(lambda m: False, 1.0)
            shown = b.call("Runtime.evaluate", {"expression": CELLS_JS, "returnByValue": True},
                           session)["result"].get("value")
            ready = shown and len(shown) == len(cells_nb) and all(c["rendered"] for c in shown)
            key = json.dumps(shown) if ready else None
            stable = stable + 1 if ready and key == last else 0
            last = key
            if stable >= 2:  # the same text three seconds running: rendering is done
                break
        else:
            result.problems.append(f"JupyterLab did not render the notebook within {timeout:.0f} s")
            return result
        result.problems += judge(cells_nb, shown)
        if screenshot is not None:
            b.call("Runtime.evaluate", {"expression": (
                "(() => { const c = [...document.querySelectorAll('.jp-MarkdownCell')]"
                ".find(c => c.offsetParent && /Exercise/.test(c.innerText)); if (c) c.scrollIntoView(); })()")},
                session)
            b.wait_for(lambda m: False, 0.5)
            shot = b.call("Page.captureScreenshot", {"format": "png"}, session, timeout=60)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
    except (CDPError, TimeoutError) as exc:
        result.problems.append(f"browser error: {exc}")
    finally:
        try:
            b.call("Target.closeTarget", {"targetId": target}, timeout=10)
            b.call("Target.disposeBrowserContext", {"browserContextId": context}, timeout=10)
        except Exception:
            pass
        b.events.clear()
        result.seconds = time.monotonic() - start
    return result


def check_lab(notebooks: list[Path], *, chromium: str, screenshot_dir: Path | None = None,
              log=print) -> list[NotebookResult]:
    results = []
    with LabServer(notebooks) as server, LabBrowser(chromium, timeout=60) as browser:
        for n, nb in enumerate(notebooks):
            shot = screenshot_dir / f"{nb.stem}.png" if screenshot_dir else None
            r = check_notebook(browser, server, nb, n, screenshot=shot)
            results.append(r)
            status = "ok  " if r.ok else "FAIL"
            log(f"{status} {r.name}: {r.cells} cells in {r.seconds:.1f} s")
            for p in r.problems:
                log(f"FAIL {r.name}: {p}")
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="default: every notebook in book/")
    ap.add_argument("--chromium", help="the browser binary (default: $CHROMIUM, then chromium, ...)")
    ap.add_argument("--screenshots", default=str(REPO / "_build" / "screenshots" / "lab"))
    args = ap.parse_args(argv)
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("lab check: Chromium not found (apt install chromium)", file=sys.stderr)
        return 2
    notebooks = [Path(p) for p in args.notebooks] or sorted((REPO / "book").glob("*.ipynb"))
    start = time.monotonic()
    try:
        results = check_lab(notebooks, chromium=chromium, screenshot_dir=Path(args.screenshots))
    except (CheckError, CDPError) as exc:
        print(f"lab check: could not run: {exc}", file=sys.stderr)
        return 2
    failed = [r for r in results if not r.ok]
    print(f"lab check: {len(results) - len(failed)}/{len(results)} notebooks passed in JupyterLab "
          f"in {time.monotonic() - start:.1f} s; screenshots in {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
