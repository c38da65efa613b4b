"""The CLI surface: grouped help with an example per command, one error style with "did you
mean", grouped warnings, --version, completion, the course config file, colour."""

from __future__ import annotations

import re

import click
import pytest

from convgrade.cli.main import COMMANDS, TARGETS, cli
from tests.conftest import ROOT, invoke_grade, run_grade

SPEC = ROOT / "examples" / "week3.toml"
ROSTER = ROOT / "examples" / "roster.csv"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_help_groups_commands_by_audience_with_whole_summaries():
    r = invoke_grade("--help")
    assert r.returncode == 0
    heads = [line for line in r.stdout.splitlines() if line.startswith("For ")]
    assert heads == ["For instructors:", "For students:", "For graders:"]
    for name in TARGETS:
        assert re.search(rf"^  {re.escape(name)}\s", r.stdout, re.M), name
    assert "..." not in r.stdout.split("For instructors:")[1]  # no summary cut off


@pytest.mark.parametrize("name", list(TARGETS))
def test_every_command_has_an_example_in_its_help(name):
    r = invoke_grade(name, "--help")
    assert r.returncode == 0
    assert re.search(r"^  Examples?:\n    grade " + re.escape(name), r.stdout, re.M), r.stdout


def test_build_help_lists_formats_from_the_registry_without_breaking_words():
    from convgrade.exercises.export import WRITERS

    r = invoke_grade("build", "--help")
    text = " ".join(r.stdout.split())
    assert all(f" {fmt}," in text or f" {fmt} " in text for fmt in WRITERS)
    assert "qti2 1" not in text and "blackbo ard" not in text
    assert not re.search(r"\w,\w", r.stdout.split("\n  --formats")[1].split("--reroll")[0])


@pytest.mark.parametrize(
    "args, message",
    [
        (["generat"], "error: no such command 'generat' (did you mean 'generate'?)"),
        (["generate", "conv2"], "error: parameter 'kind': expected one of conv1d, conv2d,"),
        (["generate", "conv2"], "got 'conv2' (did you mean 'conv2d'?)"),
        (["generate", "conv2d", "--sed", "1"], "no such option '--sed' (did you mean '--seed'?)"),
        (["practice", "poolin"], "got 'poolin' (did you mean 'pooling'?)"),
        (["submit", "x.py", "-a", "digits-cn"], "(did you mean 'digits-cnn'?)"),
        (["build"], "error: missing argument 'SPEC' (see 'grade build --help')"),
        (["generate", "conv2d", "--format", "jsn"], "'jsn' (did you mean 'json'?)"),
        (["submit", "x.py", "-a", "digits-cnn", "--backend", "bwarp"], "(did you mean 'bwrap'?)"),
        (["batch", "d", "-a", "digits-cnn", "-o", "g", "--engine", "rai"], "(did you mean 'ray'?)"),
        (["generate", "conv2d", "--difficulty", "5"], "error: invalid value for '--difficulty'"),
    ],
)
def test_usage_errors_are_one_line_with_a_suggestion(args, message):
    r = invoke_grade(*args)
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr
    assert "Usage:" not in r.stderr and "Traceback" not in r.stderr


def test_a_misspelt_spec_key_gets_a_suggestion(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.read_text().replace("difficulty = 1", "dificulty = 1", 1))
    r = invoke_grade("build", str(spec), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "unknown key 'dificulty' (did you mean 'difficulty'?)" in r.stderr


def test_writer_warnings_one_line_per_message_quiet_and_verbose(tmp_path):
    args = ["build", str(SPEC), "--roster", str(ROSTER)]
    env = {"CONVGRADE_SECRET": "test-secret"}
    lms = ["--formats", "gift,canvas,blackboard"]
    r = invoke_grade(*args, *lms, "-o", str(tmp_path / "a"), env=env)
    assert r.returncode == 0, r.stderr
    warnings = [w for w in r.stderr.splitlines() if w.startswith("warning:")]
    messages = [w.rsplit("): ", 1)[-1] for w in warnings]
    assert warnings and len(set(messages)) == len(messages)  # no message printed twice
    assert f"{len(warnings)} warning(s) from the LMS writers" in r.stdout

    r = invoke_grade(*args, *lms, "-o", str(tmp_path / "b"), "-v", env=env)
    assert re.search(r"^timings: generate [0-9.]+ s, ", r.stdout, re.M)

    r = invoke_grade(*args, "--formats", "gift", "-o", str(tmp_path / "c"), "-q", env=env)
    assert r.returncode == 0 and r.stderr == "" and r.stdout.startswith("built cnn-w3")


def test_old_build_format_spelling_still_works(tmp_path):
    r = invoke_grade("build", str(SPEC), "-o", str(tmp_path / "o"), "--format", "key")
    assert r.returncode == 0, r.stderr
    assert "formats key" in r.stdout


def test_solution_flag_pair_on_generate_and_check(tmp_path):
    with_solution = invoke_grade("generate", "conv1d", "--seed", "3", "--solution").stdout
    without = invoke_grade("generate", "conv1d", "--seed", "3", "--no-solution").stdout
    assert len(with_solution) > len(without)
    out = tmp_path / "ex.md"
    r = invoke_grade("generate", "conv1d", "--seed", "3", "--format", "markdown", "-o", str(out))
    assert r.returncode == 0 and r.stdout == "" and "conv1d" in out.read_text()


def test_version_lists_the_optional_parts_and_whether_each_works():
    r = invoke_grade("--version")
    assert r.returncode == 0 and r.stdout.startswith("grade (convgrade) ")
    for label in ("PDF handouts", "TensorFlow", "isolation backend bwrap"):
        line = next(li for li in r.stdout.splitlines() if label in li)
        assert re.search(r"\s(yes|no: .+)", line), line
    # tests/test_no_tensorflow.py checks that --version never imports TensorFlow


def _complete(args: list[str], incomplete: str) -> list[str]:
    from click.shell_completion import ShellComplete

    comp = ShellComplete(cli, {}, "grade", "_GRADE_COMPLETE")
    return [c.value for c in comp.get_completions(args, incomplete)]


def test_shell_completion_covers_kinds_assignments_and_commands():
    assert _complete(["generate"], "conv2d_") == ["conv2d_multichannel", "conv2d_pool"]
    assert "pooling" in _complete(["practice"], "po")
    assert "digits-cnn" in _complete(["submit", "x.py", "-a"], "dig")
    assert "cifar10-cnn" in _complete(["calibrate"], "ci")
    assert _complete([], "check") == ["check", "check-all"]


def test_completion_script_is_generated_for_bash():
    r = invoke_grade(env={"_GRADE_COMPLETE": "bash_source"})
    assert r.returncode == 0 and "_GRADE_COMPLETE=bash_complete" in r.stdout


def test_course_config_supplies_defaults_and_flags_win(tmp_path):
    (tmp_path / "secret.txt").write_text("course-secret\n")
    (tmp_path / "convgrade.toml").write_text('secret_file = "secret.txt"\n')
    args = ["build", str(SPEC), "--roster", str(ROSTER), "--formats", "key", "-q"]
    r = invoke_grade(*args, "-o", str(tmp_path / "a"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # the same secret through --secret-file gives the same key; another secret another one
    other = tmp_path / "other.txt"
    other.write_text("another\n")
    r = invoke_grade(
        *args, "-o", str(tmp_path / "b"), "--secret-file", str(tmp_path / "secret.txt")
    )
    assert r.returncode == 0, r.stderr
    r = invoke_grade(*args, "-o", str(tmp_path / "c"), "--secret-file", str(other), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    key = {d: (tmp_path / d / "key.csv").read_text() for d in "abc"}
    assert key["a"] == key["b"] != key["c"]
    # --config names a file elsewhere; without any, a roster build needs the secret
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    r = invoke_grade(*args, "-o", str(tmp_path / "d"), cwd=elsewhere)
    assert r.returncode == 2 and "course secret" in r.stderr
    cfg = ["--config", str(tmp_path / "convgrade.toml")]
    r = invoke_grade(*cfg, *args, "-o", str(tmp_path / "d"), cwd=elsewhere)
    assert r.returncode == 0 and (tmp_path / "d" / "key.csv").read_text() == key["a"]


def test_a_bad_config_file_is_a_one_line_error(tmp_path):
    (tmp_path / "convgrade.toml").write_text("worker = 3\n")
    r = invoke_grade("kinds", cwd=tmp_path)
    assert r.returncode == 2
    assert "convgrade.toml: unknown key 'worker' (did you mean 'workers'?)" in r.stderr
    r = invoke_grade("--config", str(tmp_path / "none.toml"), "kinds")
    assert r.returncode == 2 and "none.toml: no such config file" in r.stderr


def test_colour_on_a_terminal_only_and_never_with_no_color():
    args = ["generate", "conv2"]
    assert not ANSI.search(invoke_grade(*args).stderr)  # a pipe: plain
    assert ANSI.search(invoke_grade(*args, color=True).stderr)  # a terminal: coloured
    assert not ANSI.search(invoke_grade(*args, color=True, env={"NO_COLOR": "1"}).stderr)


def test_every_command_is_listed_once():
    names = [n for section in COMMANDS.values() for n in section]
    assert len(names) == len(set(names)) == len(TARGETS)
    assert isinstance(cli, click.Group)


def test_real_process_errors_exit_2_with_one_line():
    r = run_grade("generate", "conv2")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


def test_a_misspelt_assignment_key_gets_a_suggestion(tmp_path):
    spec = tmp_path / "mine.toml"
    spec.write_text('name = "mine"\n[data]\ndataset = "digits"\n[training]\nepoch = 3\n')
    r = invoke_grade("submit", str(tmp_path / "s.py"), "-a", str(spec))
    assert r.returncode == 2
    assert "mine.toml: unknown key 'training.epoch' (did you mean 'epochs'?)" in r.stderr


def test_course_config_defaults_show_in_the_commands_help(tmp_path):
    (tmp_path / "convgrade.toml").write_text('backend = "subprocess"\nworkers = 3\ndata = "d"\n')
    r = invoke_grade("batch", "--help", cwd=tmp_path)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "How many submissions to grade at once (each in its own sandbox). [default: 3;" in text
