"""The grader's CLI tests cross process boundaries (workers, sandboxes, exit codes): they run
``grade`` in a fresh interpreter, not in-process."""

import pytest

from tests.conftest import run_grade


@pytest.fixture
def grade():
    return run_grade
