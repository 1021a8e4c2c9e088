"""The notebook checks of `make test` catch what they promise to catch."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import solutions  # noqa: E402
from check_notebooks import main, problems  # noqa: E402

FIGURE_META = {"mystnb": {"figure": {"caption": "c", "name": "fig-x"}, "image": {"alt": "a"}}}


def write(tmp_path, cells, name="nb.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def code(count, outputs=(), metadata=None, source="x = 1"):
    return {"cell_type": "code", "execution_count": count, "source": source,
            "outputs": list(outputs), "metadata": metadata or {}}


PNG = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
ANIMATION = {"output_type": "execute_result", "execution_count": 1,
             "data": {"text/html": '<div class="animation">', "text/plain": "<anim>"}, "metadata": {}}


def test_clean_notebook_passes(tmp_path):
    path = write(tmp_path, [code(1), code(2, [PNG], FIGURE_META), {"cell_type": "markdown", "source": "#", "metadata": {}}])
    assert problems(path) == []
    assert main([str(tmp_path)]) == 0


@pytest.mark.parametrize("counts", [[None, None], [1, None], [2, 1], [1, 3]])
def test_unexecuted_or_reordered_notebook_fails(tmp_path, counts):
    path = write(tmp_path, [code(c) for c in counts])
    [message] = problems(path)
    assert "execution counts" in message
    assert main([str(tmp_path)]) == 1


@pytest.mark.parametrize("output", [PNG, ANIMATION])
@pytest.mark.parametrize("drop", ["caption", "name", "alt"])
def test_figure_without_caption_or_alt_fails(tmp_path, output, drop):
    meta = json.loads(json.dumps(FIGURE_META))
    (meta["mystnb"]["image"] if drop == "alt" else meta["mystnb"]["figure"]).pop(drop)
    path = write(tmp_path, [code(1, [output], meta, source="plt.plot([1, 2])\nplt.show()")])
    [message] = problems(path)
    assert drop in message and "plt.plot([1, 2])" in message


def test_no_notebooks_is_an_error(tmp_path):
    assert main([str(tmp_path)]) == 1


def markdown(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def test_long_code_cell_fails(tmp_path):
    path = write(tmp_path, [code(1, source="\n".join(f"x{i} = {i}" for i in range(16)))])
    [message] = problems(path)
    assert "16 lines" in message
    path = write(tmp_path, [code(1, source="\n".join(f"x{i} = {i}" for i in range(15)))])
    assert problems(path) == []


def test_wide_code_line_fails(tmp_path):
    [message] = problems(write(tmp_path, [code(1, source="x = 1\ny = '" + "a" * 90 + "'")]))
    assert "over 88 characters (line 2)" in message
    assert problems(write(tmp_path, [code(1, source="y = '" + "a" * 82 + "'")])) == []


@pytest.mark.parametrize("fence", ["````", "::::"])
def test_solution_code_as_text_fails(tmp_path, fence):
    text = f"{fence}{{solution}} ex-1\n:class: dropdown\n```python\nprint(1)\n```\n{fence}\n"
    [message] = problems(write(tmp_path, [markdown(text)]))
    assert "solution-start" in message


def gated_solution():
    return [markdown("# Ex"), markdown(":::{solution-start} ex-1\n:class: dropdown\n:::\nText."),
            code(1, source="print(4)"), markdown("That is 4.\n:::{solution-end}\n:::\n"),
            markdown("After.")]


def test_gated_solution_is_collapsed_with_a_comment_first_line(tmp_path):
    cells = gated_solution()
    assert solutions.solution_cells(cells) == [1, 2, 3]
    assert len(problems(write(tmp_path, cells))) == 3  # stored open: JupyterLab would show it
    assert solutions.collapse(cells) == 3
    assert problems(write(tmp_path, cells)) == []
    assert cells[2]["source"].startswith("# ") and cells[3]["source"].startswith("% ")
    assert cells[2]["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert cells[0]["metadata"] == {} and cells[4]["metadata"] == {}
    assert solutions.collapse(cells) == 0  # idempotent


def test_a_solution_cell_opened_again_fails(tmp_path):
    cells = gated_solution()
    solutions.collapse(cells)
    cells[3]["metadata"]["jupyter"]["source_hidden"] = False
    [message] = problems(write(tmp_path, cells))
    assert "cell 3" in message and "collapsed" in message


@pytest.mark.parametrize("text", ["As seed 002 says", "see seeds/", "tagged nbval-ignore-output",
                                  "the test log below"])
def test_workplace_words_fail(tmp_path, text):
    [message] = problems(write(tmp_path, [markdown(text)]))
    assert "to the reader" in message


def test_random_seed_is_not_a_workplace_word(tmp_path):
    assert problems(write(tmp_path, [markdown("We seed the generator with 2024.")])) == []
