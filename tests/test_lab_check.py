"""tests/lab_check.py fails on what a learner must not see in JupyterLab.

`judge` is tested on what JupyterLab showed (cell texts and collapse states), without a browser;
one end-to-end test starts JupyterLab and Chromium on crafted notebooks (skipped without Chromium).
"""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402
from lab_check import check_lab, find_chromium, judge  # noqa: E402


def md(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def code(source="x = 1", outputs=()):
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": list(outputs),
            "execution_count": 1}


def view(text, markdown=True, rendered=True, collapsed=False, out_collapsed=False):
    return {"markdown": markdown, "rendered": rendered, "inputCollapsed": collapsed,
            "outputCollapsed": out_collapsed, "text": text}


def test_rendered_markdown_passes():
    assert judge([md("A {term}`kernel` and $x^2$.")], [view("A kernel and x2.")]) == []


@pytest.mark.parametrize("shown, what", [
    ("A {term}`kernel` slides", "raw MyST role"),
    ("see {doc}`03_padding`", "raw MyST role"),
    ("as {cite:p}`rohrer-conv1d` says", "raw MyST role"),
    (":::{exercise}\nDo it.", "raw directive fence"),
    ("```{note}\nhi", "raw directive fence"),
    ("Exercise\n:label: ex-1", "raw directive option"),
    ("the sum $y_j = x_j$ here", "unrendered maths"),
])
def test_raw_markup_fails(shown, what):
    [problem] = judge([md("whatever")], [view(shown)])
    assert what in problem and "cell 0" in problem


def test_unrendered_markdown_cell_fails():
    [problem] = judge([md("# Title")], [view("# Title", rendered=False)])
    assert "not rendered" in problem


def test_exercise_without_its_title_fails():
    [problem] = judge([md(":::{exercise}\n:label: e\nDo it.\n:::")], [view("Do it.")])
    assert "exercise" in problem


def gated():
    cells = [md(":::{solution-start} e\n:class: dropdown\n:::\nWe add."), code("print(4)", [{"t": 1}]),
             md("Four.\n:::{solution-end}\n:::")]
    solutions.collapse(cells)
    return cells


def test_collapsed_gated_solution_passes():
    shown = [view("% Solution, collapsed", collapsed=True),
             view("# solution code", markdown=False, collapsed=True, out_collapsed=True),
             view("% End of the solution", collapsed=True)]
    assert judge(gated(), shown) == []


@pytest.mark.parametrize("index", [0, 1, 2])
def test_open_gated_solution_fails(index):
    shown = [view("% Solution, collapsed", collapsed=True),
             view("# solution code", markdown=False, collapsed=True, out_collapsed=True),
             view("% End of the solution", collapsed=True)]
    shown[index] = dict(shown[index], inputCollapsed=False, text="We add.\nthe whole answer")
    [problem] = judge(gated(), shown)
    assert f"cell {index}" in problem and "solution is visible" in problem


def test_one_cell_solution_must_stay_closed():
    cell = md(":::{exercise}\n:label: e\nAdd two and two.\n:::\n\n"
              "::::{solution} e\n:class: dropdown\n\nThe answer is $4$, as counting shows.\n::::")
    closed = "Exercise 1\nAdd two and two.\nSolution to Exercise 1"
    assert judge([cell], [view(closed)]) == []
    [problem] = judge([cell], [view(closed + "\nThe answer is\n4, as counting shows.")])
    assert "solution is visible" in problem and "The answer is" in problem


def test_cell_count_mismatch_fails():
    [problem] = judge([md("a"), md("b")], [view("a")])
    assert "2" in problem


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not found (apt install chromium)")
def test_jupyterlab_end_to_end(tmp_path):
    """A clean notebook passes; raw markup and an open solution fail, in a real JupyterLab."""
    exercise = md(":::{exercise}\n:label: ex-t\nAdd $2 + 2$.\n:::")
    good = [md("# Good\n\nA {term}`kernel` and $y = x^2$."), exercise, *gated()]
    bad = [md("# Bad\n\n<div>\nA {term}`kernel` inside HTML stays raw.\n</div>"), exercise,
           md(":::{solution-start} ex-t\n:class: dropdown\n:::\nWe add."), code("print(4)"),
           md("Four.\n:::{solution-end}\n:::")]
    paths = []
    for name, cells in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {
            "name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}))
        paths.append(path)
    results = check_lab(paths, chromium=find_chromium(), log=lambda *a: None)
    assert results[0].ok, results[0].problems
    problems = " | ".join(results[1].problems)
    assert "raw MyST role" in problems and "solution is visible" in problems
