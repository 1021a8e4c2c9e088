"""Fail unless every notebook is stored executed, and every figure has a caption and alt text.

nbval compares a cell's fresh outputs with the stored ones only when the stored
cell has an execution count: an unexecuted notebook would pass it without a
single comparison. This check closes that gap.

A cell whose output is a picture (a PNG or SVG figure, or a matplotlib
animation) must carry myst-nb's figure metadata, so the book shows a numbered
caption and screen readers get alt text:
``{"mystnb": {"figure": {"caption": ..., "name": ...}, "image": {"alt": ...}}}``.
Usage:

    python tests/check_notebooks.py book
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


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


def problems(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    found = figure_problems(path, cells)
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
