"""The foundation: model round trip, reproducibility, CLI errors."""

from __future__ import annotations

import json

import pytest
from convgrade.exercises import Exercise

from convgrade import exercises


@pytest.mark.parametrize("kind", list(exercises.kinds()))
def test_json_round_trip_and_reproducible(kind):
    for seed in range(20):
        ex = exercises.generate(kind, seed=seed)
        again = Exercise.from_dict(json.loads(json.dumps(ex.to_dict())))
        assert again == ex
        assert exercises.generate(kind, seed=seed).to_dict() == ex.to_dict()
        d = ex.to_dict()
        assert {"kind", "version", "seed", "difficulty", "params", "answer", "solution"} <= set(d)


@pytest.mark.parametrize("kind", list(exercises.kinds()))
def test_misconceptions_differ_from_key(kind):
    for difficulty in (1, 2, 3):
        for seed in range(60):
            ex = exercises.generate(kind, seed=seed, difficulty=difficulty)
            for m in ex.misconceptions:
                assert m.answers, m.id
                for part_id, wrong in m.answers.items():
                    assert wrong != ex.answer[part_id], (m.id, part_id)


def test_cli_kinds_and_generate(grade):
    r = grade("kinds")
    assert r.returncode == 0
    for name in exercises.kinds():
        assert name in r.stdout
    r = grade("generate", "conv1d", "--seed", "4", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == exercises.generate("conv1d", seed=4).to_dict()


@pytest.mark.parametrize(
    "args, needle",
    [
        (["generate", "nope"], "parameter 'kind'"),
        (["generate", "conv1d", "--param", "input=[1,2"], "parameter 'input'"),
        (["generate", "conv1d", "--param", "bogus=1"], "parameter 'bogus'"),
        (
            ["generate", "conv1d", "--param", "input=[1,2]", "--param", "kernel=[1,2,3]"],
            "parameter 'kernel'",
        ),
        (
            [
                "generate",
                "conv1d",
                "--param",
                "input=[1,2,3]",
                "--param",
                "kernel=[1]",
                "--param",
                "strides=0",
            ],
            "parameter 'strides'",
        ),
        (["generate", "conv1d", "--difficulty", "4"], "--difficulty"),
        (["generate", "conv1d", "--param", "noequals"], "--param"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(grade, args, needle):
    r = grade(*args)
    assert r.returncode == 2, r
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_python_api_errors_name_the_parameter():
    with pytest.raises(exercises.ParamError, match="difficulty"):
        exercises.generate("conv1d", difficulty=0)
    with pytest.raises(exercises.ParamError, match="seed"):
        exercises.generate("conv1d", seed=-1)


@pytest.mark.parametrize("kind", list(exercises.kinds()))
@pytest.mark.parametrize("bad", [5, "abc", None, [[1, 2], [3]], [], {"a": 1}])
def test_bad_given_array_in_random_mode_is_a_param_error(kind, bad):
    """A malformed array given alongside a seed names the parameter; never a crash."""
    names = [
        n for n in ("input", "kernel", "corpus", "layers") if n in exercises.get_kind(kind).params
    ]
    for name in names:
        with pytest.raises(exercises.ParamError, match=name):
            exercises.generate(kind, seed=1, params={name: bad})
