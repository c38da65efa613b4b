"""`grade build`: problem sets from a spec, per-student variants, key, handouts, atomic output."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
import zipfile
import zlib
from pathlib import Path

import pytest
from convgrade.exercises.export import FILES, WRITERS
from convgrade.exercises.problemset import build, derive_seed, load_spec, mc, read_roster
from convgrade.exercises.problemset.output import FORMATS
from lxml import html as lxml_html

from convgrade import exercises
from tests.conftest import ROOT

SPEC = ROOT / "examples" / "week3.toml"
ROSTER = ROOT / "examples" / "roster.csv"
SECRET = "s3cr3t-course-key-7f1c9a"
ENV = {"CONVGRADE_SECRET": SECRET}


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("CONVGRADE_SECRET", SECRET)


def files(d: Path) -> dict[str, bytes]:
    return {
        p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()
    }


def key(d: Path) -> dict:
    return json.loads((d / "key.json").read_text())


def n_questions() -> int:
    return len(load_spec(SPEC).questions)


def roster_ids() -> list[str]:
    return [s.id for s in read_roster(ROSTER)]


def pdf_page_count(data: bytes) -> int:
    """Page count from the page tree (/Type /Pages ... /Count N), inside compressed streams too."""
    chunks = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        with contextlib.suppress(zlib.error):
            chunks.append(zlib.decompressobj().decompress(data[m.end() :]))
    for c in chunks:
        for m in re.finditer(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", c):
            return int(m.group(1))
    raise AssertionError("no page tree in the PDF")


def test_roster_build_writes_every_output(tmp_path, grade):
    out = tmp_path / "w3"
    r = grade("build", str(SPEC), "--out", str(out), "--roster", str(ROSTER), env=ENV)
    assert r.returncode == 0, r.stderr
    assert f"built cnn-w3: {n_questions()} questions x 5 students" in r.stdout
    names = set(files(out))
    expected = {"handout.html", "handout.md", "handout.pdf", "key.json", "key.csv", "key.html"}
    assert expected <= names
    for sid in roster_ids():
        assert {
            f"students/{sid}/{n}" for n in ("handout.html", "handout.md", "answers.toml")
        } <= names
    k = key(out)
    assert k["format"] == "convgrade-key" and k["format_version"] == 1
    assert k["spec_sha256"] == hashlib.sha256(SPEC.read_bytes()).hexdigest()
    assert [s["id"] for s in k["students"]] == roster_ids()
    assert [q["id"] for q in k["questions"]] == [f"q{i + 1}" for i in range(n_questions())]
    assert k["questions"][0]["part_points"] == {"length": 1, "output": 2}
    assert k["questions"][2]["params"] == {"padding": "same"}
    styles = {q["id"]: q["style"] for q in k["questions"]}
    for s in k["students"]:
        sheet = tomllib.loads((out / "students" / s["id"] / "answers.toml").read_text())
        assert sheet["student"] == s["id"] and sheet["set"] == "cnn-w3"
        for qid, ex in s["exercises"].items():
            asked = {p["id"] for p in ex["parts"]}
            if styles[qid] == "multiple_choice" and mc.options(exercises.Exercise.from_dict(ex)):
                asked = {mc.options(exercises.Exercise.from_dict(ex))[0].id}
                assert len(asked) == 1
            assert set(sheet[qid]) == asked
            assert all(v == "" for v in sheet[qid].values())
    # key.csv: one row per student x question x part
    rows = (out / "key.csv").read_text().splitlines()
    n_parts = sum(len(ex["parts"]) for s in k["students"] for ex in s["exercises"].values())
    assert len(rows) == 1 + n_parts
    assert rows[0].split(",")[:6] == ["student", "name", "reroll", "variant", "question", "part"]
    # each student's handout shows that student's numbers, not another's
    s1, s2 = k["students"][0], k["students"][1]
    h1 = (out / "students" / s1["id"] / "handout.md").read_text()
    vec = ", ".join(map(str, s1["exercises"]["q1"]["params"]["input"]))
    assert f"[{vec}]" in h1 and s2["id"] not in h1


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build(SPEC, a, roster=ROSTER, check=True)
    build(SPEC, b, roster=ROSTER, check=True)
    fa, fb = files(a), files(b)
    assert fa.keys() == fb.keys() and len(fa) > 20
    for name in fa:
        assert fa[name] == fb[name], name
    c = tmp_path / "c"  # another secret: other variants
    (tmp_path / "other").write_text("another-secret\n")
    build(SPEC, c, roster=ROSTER, secret_file=tmp_path / "other", formats="key")
    assert key(c)["students"][0]["exercises"] != key(a)["students"][0]["exercises"]


def test_reroll_changes_only_that_student_and_persists(tmp_path, grade):
    out = tmp_path / "w3"
    build(SPEC, out, roster=ROSTER, formats="key")
    before = {s["id"]: s for s in key(out)["students"]}
    r = grade(
        "build", str(SPEC), "--out", str(out), "--roster", str(ROSTER), "--reroll", "s002",
        "--formats", "key,html", env=ENV,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "rerolled: s002 (1)" in r.stdout
    after = {s["id"]: s for s in key(out)["students"]}
    assert after["s002"]["reroll"] == 1
    fixed_qs = {q["id"] for q in key(out)["questions"] if q.get("params")} - {"q3"}
    for qid, ex in after["s002"]["exercises"].items():
        assert ex["seed"] != before["s002"]["exercises"][qid]["seed"]
        if qid not in fixed_qs:
            assert ex["params"] != before["s002"]["exercises"][qid]["params"], qid
    for sid in set(before) - {"s002"}:
        assert after[sid] == before[sid]
    # a later build into the same --out keeps the reroll; a second --reroll bumps it again
    build(SPEC, out, roster=ROSTER, formats="key")
    assert {s["id"]: s for s in key(out)["students"]}["s002"] == after["s002"]
    build(SPEC, out, roster=ROSTER, formats="key", rerolls=["s002"])
    assert {s["id"]: s for s in key(out)["students"]}["s002"]["reroll"] == 2


def test_key_regenerates_every_exercise(tmp_path):
    out, out_v = tmp_path / "w3", tmp_path / "v"
    build(SPEC, out, roster=ROSTER, formats="key", rerolls=["s003"])
    build(SPEC, out_v, variants=3, formats="key")
    k, kv = key(out), key(out_v)
    assert k["variants"] == {}
    params = {q["id"]: q.get("params") for q in k["questions"]}
    exs = [(qid, ex) for s in k["students"] for qid, ex in s["exercises"].items()]
    exs += [(qid, ex) for qid, vs in kv["variants"].items() for ex in vs]
    assert len(exs) == 5 * n_questions() + 3 * n_questions()
    for qid, ex in exs:
        again = exercises.generate(
            ex["kind"], seed=ex["seed"], difficulty=ex["difficulty"], params=params[qid]
        )
        assert again.version == ex["version"]
        assert json.loads(json.dumps(again.to_dict())) == ex


def test_seeds_are_hmac_of_secret_and_ids(tmp_path):
    out = tmp_path / "w3"
    build(SPEC, out, roster=ROSTER, formats="key", rerolls=["s001"])
    for s in key(out)["students"]:
        for qid, ex in s["exercises"].items():
            msg = f"cnn-w3/{s['id']}/{qid}/{s['reroll']}".encode()
            digest = hmac.new(SECRET.encode(), msg, hashlib.sha256).digest()
            assert ex["seed"] == int.from_bytes(digest[:8], "big") >> 1 < 2**63
    assert derive_seed(b"a", "x", "s", "q1") != derive_seed(b"b", "x", "s", "q1")


def test_secret_never_written(tmp_path):
    out = tmp_path / "w3"
    build(SPEC, out, roster=ROSTER, check=True)
    needle = SECRET.encode()
    for name, data in files(out).items():
        assert needle not in data, name
        if name.endswith(".zip"):
            with zipfile.ZipFile(out / name) as z:
                for member in z.namelist():
                    assert needle not in z.read(member), (name, member)


def _given_matrices(ex: dict) -> list:
    """The given arrays a handout shows as matrices: 2-D inputs and kernels, and the channels
    of an H x W x C input (the kinds that have them; others give none)."""
    out = []
    for name in ("input", "kernel"):
        v = ex["params"].get(name)
        if not (isinstance(v, list) and v and isinstance(v[0], list)):
            continue
        if all(isinstance(c, int | float) for row in v for c in row):
            out.append(v)
        elif name == "input" and all(isinstance(c, list) for row in v for c in row):
            out += [[[cell[ch] for cell in row] for row in v] for ch in range(len(v[0][0]))]
    return out


def k_kinds(k: dict) -> list[str]:
    return [q["kind"] for q in k["questions"]]


def _tables(path: Path) -> list[list[list[str]]]:
    doc = lxml_html.fromstring(path.read_bytes())
    return [
        [[td.text_content().strip() for td in tr.findall("td")] for tr in t.findall("tr")]
        for t in doc.xpath("//table[contains(@class, 'matrix')]")
    ]


def _cells(m) -> list[list[str]]:
    return [[exercises.render.format_number(c) for c in row] for row in m]


def test_html_is_self_contained_with_matrices_as_tables(tmp_path):
    import convgrade.exercises.render  # noqa: F401  (exercises.render below)

    spec = tmp_path / "every.toml"
    body = 'title = "Every kind"\nset_id = "every"\n'
    for kind in exercises.kinds():
        body += f'\n[[section]]\nkind = "{kind}"\ndifficulty = 3\n'
    spec.write_text(body)
    out = tmp_path / "every"
    build(spec, out, variants=3, formats="html,key")
    text = (out / "handout.html").read_text()
    assert "<style>" in text and "@page" in text and "<link" not in text and "<script" not in text
    handout_tables = _tables(out / "handout.html")
    key_tables = _tables(out / "key.html")
    k = key(out)
    expected, answers = [], []
    for vs in k["variants"].values():
        for ex in vs:
            expected += _given_matrices(ex)
            for part in ex["parts"]:
                if part["type"] == "matrix":
                    answers.append(part["answer"])
                elif part["type"] == "tensor":
                    t = part["answer"]
                    answers += [[[c[ch] for c in row] for row in t] for ch in range(len(t[0][0]))]
    matrix_kinds = {"conv2d", "conv2d_multichannel", "conv2d_pool", "pooling"} & set(k_kinds(k))
    if matrix_kinds:
        assert expected and answers
    for m in expected:
        assert _cells(m) in handout_tables
    for m in answers:
        assert _cells(m) in key_tables


def test_pdf_has_a_page_per_paper(tmp_path):
    out = tmp_path / "w3"
    build(SPEC, out, roster=ROSTER, formats="pdf")
    data = (out / "handout.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_page_count(data) >= len(roster_ids())
    assert b"/CreationDate" not in data


def test_variants_mode(tmp_path, grade):
    out = tmp_path / "v"
    r = grade("build", str(SPEC), "--out", str(out), "--variants", "3", "--formats", "key,markdown")
    assert r.returncode == 0, r.stderr
    k = key(out)
    assert k["students"] == [] and k["mode"] == "variants"
    assert [v["id"] for v in k["versions"]] == ["A", "B", "C"]
    for q in k["questions"]:
        vs = k["variants"][q["id"]]
        assert len(vs) == 3
        assert len({json.dumps(v["params"], sort_keys=True) for v in vs}) == 3
    sheet = tomllib.loads((out / "versions" / "B" / "answers.toml").read_text())
    assert "student" not in sheet and sheet["q1"]["variant"] == 1
    md = (out / "versions" / "B" / "handout.md").read_text()
    assert str(k["variants"]["q2"][1]["params"]["input"])[1:-1] in md
    rows = (out / "key.csv").read_text().splitlines()
    assert len(rows) == 1 + sum(len(v["parts"]) for vs in k["variants"].values() for v in vs)


def test_variants_mode_needs_no_secret(tmp_path, monkeypatch):
    with_secret = build(SPEC, tmp_path / "a", variants=2, formats="key").problemset
    monkeypatch.delenv("CONVGRADE_SECRET")
    public = build(SPEC, tmp_path / "b", variants=2, formats="key").problemset
    again = build(SPEC, tmp_path / "c", variants=2, formats="key").problemset
    assert key(tmp_path / "b") == key(tmp_path / "c")  # the set id seeds them
    assert public.variants["q1"][0].seed != with_secret.variants["q1"][0].seed
    assert again.variants["q1"][0].seed == public.variants["q1"][0].seed
    with pytest.raises(exercises.ConvgradeError, match="a roster needs the course secret"):
        build(SPEC, tmp_path / "d", roster=ROSTER)
    assert not (tmp_path / "d").exists()


def test_fixed_params_make_one_variant_and_check_reports_duplicates(tmp_path):
    spec = tmp_path / "fixed.toml"
    spec.write_text(
        'title = "Fixed"\nset_id = "fixed"\n[[section]]\nkind = "conv1d"\nstyle = '
        '"multiple_choice"\nparams = { input = [0, 1, 2, 3, 4, 5, 6], kernel = [1, 2] }\n'
        '[[section]]\nkind = "conv1d"\ncount = 2\n'
    )
    out = tmp_path / "f"
    res = build(spec, out, roster=ROSTER, formats="key", check=True)
    rep = json.loads((out / "check.json").read_text())
    q1 = rep["questions"][0]
    assert q1["exercises"] == 5 and q1["distinct"] == 1 and q1["duplicates"] == 4
    assert q1["parts"]["output"]["min"] == 2 and q1["parts"]["output"]["max"] == 17
    assert rep["questions"][1]["duplicates"] == 0
    assert all(q["coinciding_distractors"] == [] for q in rep["questions"])
    text = (out / "check.txt").read_text()
    assert text == res.check and "duplicates: 4 (1 distinct of 5 students)" in text
    assert sum(q1["correct_position"].values()) == 5
    assert "correct option position: " in text
    assert len(res.problemset.variants["q1"]) == 1  # the LMS pool: one distinct variant
    assert len(res.problemset.variants["q2"]) == 5


def test_check_flags_a_distractor_equal_to_the_key(tmp_path):
    from convgrade.exercises.problemset.assemble import assemble
    from convgrade.exercises.problemset.check import report

    spec = load_spec(SPEC)
    ps = assemble(spec, b"k", variants=2)
    ex = ps.variants["q1"][0]
    ex.misconceptions[0].answers["output"] = ex.answer["output"]
    rep = report(ps)
    bad = rep["questions"][0]["coinciding_distractors"]
    assert bad == [{"exercise": 0, "misconception": ex.misconceptions[0].id, "part": "output"}]


HEAD = 'title = "T"\nset_id = "t"\n'
BAD_SPECS = {
    "unknown kind": (
        HEAD + '[[section]]\nkind = "conv9d"\n',
        r"section 1: key 'kind': unknown kind 'conv9d'",
    ),
    "missing kind": (
        HEAD + '[[section]]\nkind = "conv1d"\n[[section]]\ncount = 2\n',
        r"section 2: missing key 'kind'",
    ),
    "bad difficulty": (
        HEAD + '[[section]]\nkind = "conv1d"\ndifficulty = 5\n',
        r"section 1 \(conv1d\): key 'difficulty': expected an integer from 1 to 3, got 5",
    ),
    "missing title": ('set_id = "t"\n[[section]]\nkind = "conv1d"\n', r"missing key 'title'"),
    "bad param": (
        HEAD + '[[section]]\nkind = "conv1d"\nparams = { stride = 2 }\n',
        r"section 1 \(conv1d\): key 'params': parameter 'stride'",
    ),
    "bad toml": (
        HEAD + "\n[[section]]\nkind = conv1d\n",
        r"line 5, column 8: invalid TOML",
    ),
    "bad style": (HEAD + '[[section]]\nkind = "conv1d"\nstyle = "essay"\n', r"key 'style'"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_spec_is_exit_2_and_writes_nothing(tmp_path, grade, case):
    text, pattern = BAD_SPECS[case]
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    out = tmp_path / "out"
    r = grade("build", str(spec), "--out", str(out), "--roster", str(ROSTER), env=ENV)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert re.search(pattern, r.stderr), r.stderr
    assert r.stderr.startswith(f"error: {spec}") and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [spec]


BAD_ROSTERS = {
    "missing column": ("name,email\nAda,a@x\n", r"line 1: no student id column"),
    "duplicate id": (
        "Student ID,Name\ns1,A\ns2,B\n\ns1,C\n",
        r"line 5: duplicate student id 's1' \(first on line 2\)",
    ),
    "empty id": ("id,name\ns1,A\n,B\n", r"line 3: empty student id"),
    "bad id": ("id\ns1\n../x\n", r"line 3: student id '../x'"),
    "no students": ("id,name\n", r"lists no students"),
}


@pytest.mark.parametrize("case", list(BAD_ROSTERS))
def test_bad_roster_is_exit_2_and_leaves_out_untouched(tmp_path, grade, case):
    text, pattern = BAD_ROSTERS[case]
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    out = tmp_path / "out"
    build(SPEC, out, roster=ROSTER, formats="key,markdown")  # an earlier, good build
    before = files(out)
    r = grade("build", str(SPEC), "--out", str(out), "--roster", str(roster), env=ENV)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert re.search(pattern, r.stderr) and str(roster) in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "roster.csv"]


def test_other_user_errors(tmp_path, grade):
    out = tmp_path / "out"

    def run(*args, env=ENV):
        return grade("build", str(SPEC), "--out", str(out), *args, env=env)

    r = run("--roster", str(ROSTER), env={"CONVGRADE_SECRET": ""})
    assert r.returncode == 2 and "error: $CONVGRADE_SECRET is set but empty" in r.stderr
    r = run("--roster", str(ROSTER), "--reroll", "nobody")
    assert r.returncode == 2 and "--reroll nobody: no such student" in r.stderr
    r = run("--reroll", "s001")
    assert r.returncode == 2 and "--reroll needs a --roster" in r.stderr
    r = run("--roster", str(ROSTER), "--variants", "2")
    assert r.returncode == 2 and "--variants and --roster exclude each other" in r.stderr
    r = run("--formats", "html,gfit")
    assert r.returncode == 2 and "unknown format 'gfit' (did you mean 'gift'?)" in r.stderr
    r = run("--roster", str(ROSTER), "--secret-file", str(tmp_path / "missing"))
    assert r.returncode == 2 and "cannot read the secret file" in r.stderr
    assert not out.exists()
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    r = run("--format", "key")
    assert r.returncode == 2 and "holds no earlier build" in r.stderr
    assert (out / "thesis.tex").read_text() == "precious"


def test_lms_formats_go_through_the_writers_registry(tmp_path, grade):
    assert FORMATS[-len(WRITERS) :] == tuple(WRITERS)  # --formats derives from the registry
    for fmt in WRITERS:
        r = grade("build", str(SPEC), "-o", str(tmp_path / fmt), "--formats", fmt)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / fmt / FILES[fmt]).is_file()


def test_roster_formats(tmp_path):
    p = tmp_path / "canvas.csv"
    p.write_text("\ufeffStudent;ID;SIS User ID\nAda Lovelace;101;s001\nAlan Turing;102;s002\n")
    assert [(s.id, s.name) for s in read_roster(p)] == [
        ("s001", "Ada Lovelace"),
        ("s002", "Alan Turing"),
    ]
    p.write_text('First Name\tLast Name\tid\nGrace\t"Hopper"\tg1\n')
    assert [(s.id, s.name) for s in read_roster(p)] == [("g1", "Grace Hopper")]


def test_shuffle_orders_each_paper_and_the_sheet_follows(tmp_path):
    spec = tmp_path / "sh.toml"
    spec.write_text(SPEC.read_text().replace("shuffle = false", "shuffle = true"))
    out = tmp_path / "sh"
    build(spec, out, roster=ROSTER, formats="key,markdown")
    k = key(out)
    orders = [tuple(s["order"]) for s in k["students"]]
    qids = sorted(f"q{i + 1}" for i in range(n_questions()))
    assert all(sorted(o) == qids for o in orders)
    assert len(set(orders)) > 1
    s = k["students"][0]
    sheet = (out / "students" / s["id"] / "answers.toml").read_text()
    assert re.findall(r"^\[(q\d)\]", sheet, re.M) == s["order"]


def test_all_kinds_example_builds_into_every_format(tmp_path, grade):
    spec = ROOT / "examples" / "all-kinds.toml"
    assert {s.kind for s in load_spec(spec).sections} == set(exercises.kinds())
    out = tmp_path / "all"
    r = grade("build", str(spec), "--out", str(out), "--variants", "2", "--check")
    assert r.returncode == 0, r.stderr
    names = set(files(out))
    assert {"handout.html", "handout.md", "handout.pdf", "key.json", "key.csv", "key.html"} <= names
    from convgrade.exercises.export import FILES

    assert set(FILES.values()) <= names
    assert "0 problem(s) found" in r.stdout
    # the writer warnings are shown grouped by message, each naming its questions
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings and all(re.search(r"questions? \(?q\d+", w) for w in warnings)
    assert len(set(warnings)) == len(warnings)


def test_a_failure_while_writing_leaves_the_old_build_and_no_debris(tmp_path, monkeypatch):
    from convgrade.exercises.problemset import output

    out = tmp_path / "w3"
    build(SPEC, out, roster=ROSTER, formats="key,html")
    before = files(out)

    def broken(ps):
        raise RuntimeError("disk full")

    monkeypatch.setattr(output, "key_csv", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build(SPEC, out, roster=ROSTER, formats="key,html", rerolls=["s001"])
    assert files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["w3"]
    with pytest.raises(RuntimeError):
        build(SPEC, tmp_path / "new", roster=ROSTER, formats="key")
    assert [p.name for p in tmp_path.iterdir()] == ["w3"]
