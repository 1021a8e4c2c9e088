"""Fail unless every notebook is stored executed, top to bottom, in one run.

nbval compares a cell's fresh outputs with the stored ones only when the stored
cell has an execution count: an unexecuted notebook would pass it without a
single comparison. This check closes that gap. Usage:

    python tests/check_notebooks.py book
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        return [
            f"{path}: execution counts are {counts}, expected 1..{len(code)}: "
            "run the whole notebook (Restart Kernel and Run All) and save it"
        ]
    return []


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
    print(f"check_notebooks: {len(notebooks)} notebooks, {len(found)} not stored executed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["book"]))
