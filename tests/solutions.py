"""Exercise solutions that stay closed in both places a learner reads them.

A solution with code is written in sphinx-exercise's gated form: a Markdown cell opening with
``:::{solution-start} <label>``, executed code cells, and a Markdown cell ending with
``:::{solution-end}``. The web book shows all of it inside one closed dropdown. JupyterLab (with
jupyterlab-myst) renders the directives but knows nothing of dropdowns spanning cells, so each
of those cells is stored *collapsed* (``metadata.jupyter.source_hidden``/``outputs_hidden``).
A collapsed cell shows only its first line, so each starts with a comment line: ``% ...`` in
Markdown (a MyST comment: the web book drops it) and ``# ...`` in code.

``collapse(cells)`` puts a notebook's solution cells in that form (execute_notebooks.py calls
it before saving); ``problems(cells)`` lists the cells that are not (check_notebooks.py).
"""

from __future__ import annotations

import re

START = re.compile(r"^\s*(`{3,}|:{3,})\{solution-start\}", re.M)
END = re.compile(r"^\s*(`{3,}|:{3,})\{solution-end\}", re.M)
# Shown by JupyterLab on the collapsed cell, in place of the solution.
MARKDOWN_LINE = "% Solution, collapsed: click the cell to open it"
END_LINE = "% End of the solution"
CODE_LINE = "# solution code"


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def solution_cells(cells) -> list[int]:
    """Indexes of every cell from a solution-start to its solution-end, both included."""
    inside, found = False, []
    for i, cell in enumerate(cells):
        text = _source(cell) if cell["cell_type"] == "markdown" else ""
        if START.search(text):
            inside = True
        if inside:
            found.append(i)
        if END.search(text):
            inside = False
    return found


def _first_line_ok(cell) -> bool:
    first = _source(cell).lstrip("\n").split("\n", 1)[0].strip()
    return first.startswith("%" if cell["cell_type"] == "markdown" else "#")


def collapse(cells) -> int:
    """Store every solution cell collapsed with a comment first line; returns how many changed."""
    changed = 0
    for i in solution_cells(cells):
        cell = cells[i]
        before = (_source(cell), dict(cell.get("metadata", {}).get("jupyter", {})))
        if not _first_line_ok(cell):
            if cell["cell_type"] == "code":
                line = CODE_LINE
            elif END.search(_source(cell)) and not START.search(_source(cell)):
                line = END_LINE
            else:
                line = MARKDOWN_LINE
            cell["source"] = line + "\n" + _source(cell)
        jup = cell.setdefault("metadata", {}).setdefault("jupyter", {})
        jup["source_hidden"] = True
        if cell["cell_type"] == "code":
            jup["outputs_hidden"] = True
        changed += before != (_source(cell), dict(jup))
    return changed


def problems(cells) -> list[str]:
    found = []
    for i in solution_cells(cells):
        cell = cells[i]
        jup = cell.get("metadata", {}).get("jupyter", {})
        hidden = jup.get("source_hidden") and (cell["cell_type"] != "code" or jup.get("outputs_hidden"))
        if not hidden or not _first_line_ok(cell):
            found.append(
                f"cell {i} belongs to a solution but is not stored collapsed with a comment first "
                "line (JupyterLab would show it open): re-run tests/execute_notebooks.py on it"
            )
    return found
