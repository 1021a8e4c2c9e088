"""Fail unless every notebook is stored executed, and every figure has a caption and alt text.

nbval compares a cell's fresh outputs with the stored ones only when the stored
cell has an execution count: an unexecuted notebook would pass it without a
single comparison. This check closes that gap.

A cell whose output is a picture (a PNG or SVG figure, or a matplotlib
animation) must carry myst-nb's figure metadata, so the book shows a numbered
caption and screen readers get alt text:
``{"mystnb": {"figure": {"caption": ..., "name": ...}, "image": {"alt": ...}}}``.
A learner trips on long cells and on prose written for the authors, so these fail too:
a code cell of more than 15 lines or with a line over 88 characters; a solution whose code is a Markdown code block (solution
code must be executed cells between ``solution-start`` and ``solution-end``, so nbval
compares what it prints); and the authors' shorthand in the reader's text ("seed 000", "nbval",
a "test log"), where a source must be named and cited instead.

Usage:

    python tests/check_notebooks.py book
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402


def _shows_picture(cell) -> bool:
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data or "image/svg+xml" in data:
            return True
        if "animation" in "".join(data.get("text/html", "")):  # matplotlib's JS animation
            return True
    return False


def figure_problems(path: Path, cells) -> list[str]:
    found = []
    for cell in cells:
        if cell["cell_type"] != "code" or not _shows_picture(cell):
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        missing = [
            what
            for what, value in (
                ("figure.caption", meta.get("figure", {}).get("caption")),
                ("figure.name", meta.get("figure", {}).get("name")),
                ("image.alt", meta.get("image", {}).get("alt")),
            )
            if not value
        ]
        if missing:
            first = "".join(cell["source"]).strip().splitlines()[0]
            found.append(f"{path}: the figure cell starting {first!r} has no mystnb {', '.join(missing)}")
    return found


MAX_CODE_LINES = 15
MAX_LINE_CHARS = 88  # wider lines are cut off or scroll in the book's code boxes

# A solution directive in a single Markdown cell cannot hold executed code: its code would be
# text that nothing runs. The gated form (solution-start ... solution-end) can.
_INLINE_SOLUTION = re.compile(r"(`{3,}|:{3,})\{solution\}")
_CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(python|ipython3?|py)?\s*$", re.M)
_WORKPLACE = re.compile(r"\bseeds?\s*0\d\d\b|\bseeds/|\bnbval\b|\btest log\b", re.I)


def reader_problems(path: Path, cells) -> list[str]:
    found = []
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            lines = source.rstrip("\n").split("\n")
            if len(lines) > MAX_CODE_LINES:
                found.append(
                    f"{path}: cell {index} has {len(lines)} lines of code "
                    f"(at most {MAX_CODE_LINES}: split it, one idea per cell)"
                )
            wide = [n for n, line in enumerate(lines, 1) if len(line) > MAX_LINE_CHARS]
            if wide:
                found.append(
                    f"{path}: cell {index} has code lines over {MAX_LINE_CHARS} characters "
                    f"(line {', '.join(map(str, wide))})"
                )
        elif cell["cell_type"] == "markdown":
            if _INLINE_SOLUTION.search(source) and _CODE_FENCE.search(source):
                found.append(
                    f"{path}: cell {index} holds solution code as text; put it in executed cells "
                    "between solution-start and solution-end"
                )
            word = _WORKPLACE.search(source)
            if word:
                found.append(f"{path}: cell {index} says {word.group(0)!r} to the reader")
    return found


def problems(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    found = figure_problems(path, cells) + reader_problems(path, cells)
    found += [f"{path}: {p}" for p in solutions.problems(cells)]
    if counts != list(range(1, len(code) + 1)):
        found.insert(0, (
            f"{path}: execution counts are {counts}, expected 1..{len(code)}: "
            "run the whole notebook (Restart Kernel and Run All) and save it"
        ))
    return found


def main(folders: list[str]) -> int:
    notebooks = sorted(
        nb for folder in folders for nb in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in nb.parts
    )
    if not notebooks:
        print(f"check_notebooks: no notebooks under {' '.join(folders)}", file=sys.stderr)
        return 1
    found = [p for nb in notebooks for p in problems(nb)]
    for p in found:
        print(p, file=sys.stderr)
    print(f"check_notebooks: {len(notebooks)} notebooks, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["book"]))
