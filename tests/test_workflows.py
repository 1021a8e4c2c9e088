"""The GitHub Actions workflow that tests and publishes the book, checked statically.

It cannot run here (no GitHub), so `make test` holds it to two linters: actionlint for
correctness (syntax, expressions, job keys) and zizmor for security (pinned actions, least
permissions, no persisted credentials). Each check is also shown to fail on a broken copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "book.yml"
BIN = Path(sys.executable).parent


def tool(name):
    path = BIN / name
    if not path.exists():
        path = shutil.which(name)
    assert path, f"{name} is not installed (requirements-test.txt installs it)"
    return str(path)


def actionlint(path):
    return subprocess.run([tool("actionlint"), "-no-color", str(path)], capture_output=True, text=True)


def zizmor(path):
    return subprocess.run([tool("zizmor"), "--offline", "--no-progress", str(path)],
                          capture_output=True, text=True)


def broken(tmp_path, old, new):
    text = WORKFLOW.read_text()
    assert old in text, old
    path = tmp_path / "book.yml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_workflow_passes_actionlint():
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_passes_zizmor():
    result = zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("old, new", [
    ("timeout-minutes: 90", "timeout-minute: 90"),                       # unknown job key
    ("github.event_name == 'push'", 'github.event_name == "push"'),    # bad expression
    ("needs: test", "needs: tests"),                                      # unknown job
])
def test_actionlint_catches_a_broken_workflow(tmp_path, old, new):
    assert actionlint(broken(tmp_path, old, new)).returncode != 0


@pytest.mark.parametrize("old, new", [
    ("@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2", "@v4"),        # unpinned action
    ("persist-credentials: false", "fetch-depth: 1"),                     # persisted token
    ("run: make test", "run: echo ${{ github.event.pull_request.title }} && make test"),  # injection
    ("uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0",
     "uses: someone/setup-python@main"),                                  # unpinned third party
])
def test_zizmor_catches_an_insecure_workflow(tmp_path, old, new):
    assert zizmor(broken(tmp_path, old, new)).returncode != 0


def test_workflow_runs_make_test_and_deploys_the_built_book():
    text = WORKFLOW.read_text()
    assert "run: make test " in text
    assert "path: _build/html" in text
    assert "actions/deploy-pages@" in text
