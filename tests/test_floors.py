"""tests/floors.py turns declared floors into constraints and refuses a dependency without one."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from floors import floors, main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_reads_floors_from_requirements_and_pyproject(tmp_path):
    (tmp_path / "r.txt").write_text("-r other.txt\nnumpy>=2.0   # why\nTorch==2.13.0\njupyter-book>=1.0.4.post1,<2\n")
    (tmp_path / "p.toml").write_text('[project]\ndependencies = ["numpy>=2.0"]\n'
                                     '[project.optional-dependencies]\nplot = ["matplotlib>=3.9"]\n')
    assert floors([tmp_path / "r.txt", tmp_path / "p.toml"]) == {
        "numpy": "2.0", "torch": "2.13.0", "jupyter-book": "1.0.4.post1", "matplotlib": "3.9"}


@pytest.mark.parametrize("line", ["sphinx-exercise", "ipykernel<8", "scipy~=1.13"])
def test_a_dependency_without_a_floor_is_an_error(tmp_path, line):
    (tmp_path / "r.txt").write_text(line + "\n")
    with pytest.raises(ValueError, match="without a floor"):
        floors([tmp_path / "r.txt"])
    assert main(["constraints", str(tmp_path / "r.txt")]) == 1


def test_two_different_floors_for_one_package_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("numpy>=2.0\n")
    (tmp_path / "b.txt").write_text("numpy>=1.26\n")
    with pytest.raises(ValueError, match="two floors"):
        floors([tmp_path / "a.txt", tmp_path / "b.txt"])


def test_every_direct_dependency_of_the_project_has_a_floor():
    found = floors([ROOT / "requirements.txt", ROOT / "requirements-test.txt", ROOT / "pyproject.toml"])
    assert {"numpy", "sympy", "torch", "jupyter-book", "nbval"} <= set(found)
