"""The quizzes every writer's tests export, written once per test module by its writer."""

from __future__ import annotations

import pytest
from convgrade.exercises.export import WRITERS

from tests.exercises.export.support import quiz_all_kinds, quiz_all_kinds_spec, quiz_all_types

#: quiz name -> builder: every kind, every answer type, a problem set's pools
QUIZZES = {"kinds": quiz_all_kinds, "types": quiz_all_types, "spec": quiz_all_kinds_spec}


@pytest.fixture(scope="module", params=sorted(QUIZZES))
def written(request, tmp_path_factory):
    """(quiz, output folder, warnings) from the writer named by the module's ``FORMAT``."""
    fmt = request.module.FORMAT
    quiz = QUIZZES[request.param]()
    out = tmp_path_factory.mktemp(f"{fmt}-{request.param}")
    return quiz, out, WRITERS[fmt](quiz, out)
