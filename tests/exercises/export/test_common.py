"""What every LMS writer shares: the registry, deterministic bytes, warnings, MC options."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from convgrade.exercises import choices
from convgrade.exercises.export import CAPABILITIES, FILES, WRITERS, base
from convgrade.exercises.quiz import Question, Quiz

from convgrade import exercises
from tests.exercises.export.support import quiz_all_kinds, quiz_all_types, seeds, warned


def test_registry_names_and_files():
    assert FILES == {
        "moodle": "moodle.xml",
        "gift": "quiz.gift",
        "canvas": "canvas-qti12.zip",
        "qti21": "qti21.zip",
        "blackboard": "blackboard.txt",
    }
    assert set(WRITERS) == set(CAPABILITIES) == set(FILES)
    assert not CAPABILITIES["gift"].multi_blank
    assert not CAPABILITIES["canvas"].blank_tolerance


@pytest.mark.parametrize("make", [quiz_all_kinds, quiz_all_types])
def test_same_quiz_same_bytes(make, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        for _name, write in WRITERS.items():
            write(make(), out)
    assert sorted(p.name for p in a.iterdir()) == sorted(FILES.values()), "no stray files"
    for fname in FILES.values():
        assert (a / fname).read_bytes() == (b / fname).read_bytes(), fname
    for fname in ("canvas-qti12.zip", "qti21.zip"):
        with zipfile.ZipFile(a / fname) as zf:
            infos = zf.infolist()
            assert [i.filename for i in infos] == sorted(i.filename for i in infos)
            assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_ids_derive_from_the_set_not_from_chance(tmp_path):
    quiz = quiz_all_kinds(1)
    other = Quiz(quiz.title, "another-set", quiz.questions)
    WRITERS["qti21"](quiz, tmp_path / "a")
    WRITERS["qti21"](other, tmp_path / "b")
    with (
        zipfile.ZipFile(tmp_path / "a" / "qti21.zip") as za,
        zipfile.ZipFile(tmp_path / "b" / "qti21.zip") as zb,
    ):
        assert set(za.namelist()).isdisjoint(set(zb.namelist()) - {"imsmanifest.xml", "test.xml"})


def test_every_fallback_warns_naming_the_question(tmp_path):
    quiz = quiz_all_types()
    warnings = {name: write(quiz, tmp_path) for name, write in WRITERS.items()}
    for name, ws in warnings.items():
        # q7 asks multiple choice of an exercise without distractors: asked as blanks, warned.
        assert warned(ws, name, "q7", "multiple choice asked")
    assert warned(warnings["gift"], "gift", "q1", "multi-blank")
    assert warned(warnings["canvas"], "canvas", "q1", "tolerance")
    assert warned(warnings["canvas"], "canvas", "q1", "choice")
    bb = warnings["blackboard"]
    assert warned(bb, "blackboard", "q1", "tolerance")
    assert warned(bb, "blackboard", "q1", "pool")
    for ws in warnings.values():
        assert len(ws) == len(set(ws)), "one line per message"
    # a choice turned into a text blank lists its choices in the text
    assert "Padding (one of: valid, same, " in (tmp_path / "blackboard.txt").read_text()
    with zipfile.ZipFile(tmp_path / "canvas-qti12.zip") as zf:
        assessment = [n for n in zf.namelist() if n.count("/") and "meta" not in n]
        assert "Padding (one of: valid, same, " in zf.read(assessment[0]).decode()


def test_warnings_come_once_per_question_not_per_variant(tmp_path):
    quiz = quiz_all_kinds(4)
    for name, write in WRITERS.items():
        warnings = write(quiz, tmp_path)
        for q in quiz.questions:
            mine = [w for w in warnings if warned([w], name, q.id)]
            assert len(mine) <= 5, mine


def test_warnings_are_grouped_one_line_per_message():
    warn = base.Warnings("canvas")
    a, b = Question("q1", "A", 3, []), Question("q2", "", 3, [])
    for q in (a, b, a):
        warn(q, "same message")
    warn(b, "other")
    assert warn.messages == [
        "canvas: question q1 (A), q2: same message",
        "canvas: question q2: other",
    ]


def test_write_atomic_leaves_nothing_half_written(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(base.os, "replace", boom)
    with pytest.raises(OSError):
        base.write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_numbers_are_exact_decimal_text():
    assert base.number(3) == "3"
    assert base.number(-2.0) == "-2"
    assert base.number(0.1) == "0.1"
    assert base.number(1e-7) == "0.0000001"
    assert base.number(2.5e10) == "25000000000"


# ------------------------------------------------------------------------------------------
# Multiple-choice options


def _exercises():
    for kind in exercises.kinds():
        for s in seeds(kind, 6):
            yield exercises.generate(kind, seed=s)
    yield from quiz_all_types().questions[0].variants[:1]


def test_options_hold_the_key_once_and_distinct_distractors():
    n = 0
    for ex in _exercises():
        pid = choices.choice_part(ex)
        if pid is None:
            continue
        n += 1
        key = choices.canonical(ex.part(pid).answer)
        opts = choices.options(ex, pid, 7)
        assert [o.correct for o in opts].count(True) == 1
        values = [choices.canonical(o.value) for o in opts]
        assert len(set(values)) == len(values)
        for o in opts:
            assert (choices.canonical(o.value) == key) == o.correct
            if o.misconception is not None:
                wrong = ex.misconception(o.misconception).answers[pid]
                assert choices.canonical(wrong) == choices.canonical(o.value)
    assert n > 0


def test_options_order_is_fixed_by_the_seed_and_varies_with_it():
    ex = quiz_all_types().questions[0].variants[0]
    pid = choices.choice_part(ex)
    assert pid == "tok", "the last part with misconception answers"
    first = choices.options(ex, pid, 1)
    assert first == choices.options(ex, pid, 1)
    orders = {
        tuple(choices.canonical(o.value) for o in choices.options(ex, pid, s)) for s in range(20)
    }
    assert len(orders) > 1
    positions = {[o.correct for o in choices.options(ex, pid, s)].index(True) for s in range(20)}
    assert len(positions) > 1, "the key's position moves with the seed"


def test_duplicate_misconception_answers_are_merged():
    ex = quiz_all_types().questions[0].variants[0]
    opts = choices.options(ex, "mat", 0)
    # no_padding and avg_instead_of_max give the same matrix: one option, named by the first
    assert len(opts) == 3
    assert {o.misconception for o in opts} == {None, "flipped_kernel", "no_padding"}


def test_choice_part_none_without_distractors():
    ex = quiz_all_types().questions[6].variants[0]
    assert choices.choice_part(ex) is None


def test_choice_part_returns_a_choice_type_part():
    ex = quiz_all_types().questions[5].variants[0]
    assert choices.choice_part(ex) == "pad"
    opts = choices.options(ex, "pad", 3)
    assert sorted(str(o.value) for o in opts) == sorted(ex.part("pad").choices)


def test_write_into_a_fresh_directory(tmp_path):
    quiz = Quiz("t", "t", [Question("q1", "", 1, [exercises.generate("conv1d", seed=1)])])
    out = tmp_path / "new" / "dir"
    WRITERS["moodle"](quiz, out)
    assert (out / "moodle.xml").is_file()
    assert Path(out).is_dir()


def test_missing_schemas_fail_loudly(monkeypatch, tmp_path):
    import tests.exercises.export.support as support

    monkeypatch.setattr(support, "ROOT", tmp_path / "clone")
    monkeypatch.setenv("CONVGRADE_SHARED", str(tmp_path / "nowhere"))
    with pytest.raises(AssertionError, match="schemas not found"):
        support.shared_dir()
