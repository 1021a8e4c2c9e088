"""Re-run notebooks top to bottom and store their outputs, as nbval will check them.

Each notebook runs in a fresh kernel with the working directory ``book/``
(where the book build and nbval run it too). Usage:

    python tests/execute_notebooks.py book/01_flip_slide_multiply_add.ipynb ...
    python tests/execute_notebooks.py            # every notebook in book/
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).parent))
from solutions import collapse  # noqa: E402


def execute(path: Path, timeout: int = 300) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # no timestamps: a re-run that changes nothing leaves no diff
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        # nbclient needs the widget state while it runs (an output widget's plot has nowhere
        # to go without it: KeyError); the blob itself is dropped before saving.
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    collapse(nb.cells)  # solutions stay closed in JupyterLab too (tests/solutions.py)
    # Widget state is a large, machine-specific blob (it changes on every run); the book
    # shows a static figure next to each widget instead.
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(paths: list[str]) -> int:
    notebooks = [Path(p) for p in paths] or sorted(Path("book").glob("*.ipynb"))
    for nb in notebooks:
        print(f"{nb}: {execute(nb):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
