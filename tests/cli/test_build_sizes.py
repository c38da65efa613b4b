"""`grade build` of lecture-sized exercises: sizes fixed in the spec's params, values drawn per
variant, into every format (PDF included); bad size constraints are one-line errors."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
from convgrade.exercises.export import FILES
from lxml import etree

from tests.conftest import ROOT
from tests.exercises.export.support import (
    parse_cloze,
    parse_gift,
    qti12_dtd,
    qti21_schema,
    strip_namespaces,
)

SPEC = ROOT / "examples" / "lecture-scale.toml"

#: question -> (kind, {params key: shape}, {answer part: value or shape})
EXPECTED = {
    "q1": ("conv1d", {"input": (10,), "kernel": (3,)}, {"length": 8}),
    "q2": ("conv2d", {"input": (5, 5), "kernel": (3, 3)}, {"shape": [4, 4]}),
    "q3": ("conv2d_multichannel", {"input": (5, 5, 3), "kernel": (3, 3, 3, 1)},
           {"shape": [3, 3, 1]}),
    "q4": ("conv2d_pool", {"input": (6, 6), "kernel": (3, 3)},
           {"conv_shape": [4, 4], "pool_shape": [2, 2]}),
    "q5": ("pooling", {"input": (6, 6)}, {"shape": [3, 3]}),
}  # fmt: skip


def test_lecture_sized_spec_builds_into_every_format(tmp_path, grade):
    out = tmp_path / "lecture"
    r = grade("build", str(SPEC), "--out", str(out), "--variants", "3")
    assert r.returncode == 0, r.stderr
    names = {p.name for p in out.iterdir()}
    assert {"handout.html", "handout.md", "handout.pdf", "key.json", "key.html"} <= names
    assert set(FILES.values()) <= names

    key = json.loads((out / "key.json").read_text())
    for qid, (kind, shapes, answers) in EXPECTED.items():
        variants = key["variants"][qid]
        assert len(variants) == 3
        for ex in variants:
            assert ex["kind"] == kind
            assert {k: np.shape(ex["params"][k]) for k in shapes} == shapes, qid
            answer = {p["id"]: p["answer"] for p in ex["parts"]}
            assert {k: answer[k] for k in answers} == answers, qid
        assert len({json.dumps(ex["params"]["input"]) for ex in variants}) == 3, qid

    pdf = (out / "handout.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    html = (out / "handout.html").read_text()
    first = key["variants"]["q2"][0]["params"]["input"]
    assert all(f">{v}<" in html for v in first[4])  # the 5x5 input is on the handout

    # Moodle: one cloze blank per answer value (2 shape axes + 16 cells for the 4x4 output).
    moodle = etree.parse(str(out / "moodle.xml")).getroot()
    clozes = [q for q in moodle.iter("question") if q.get("type") == "cloze"]
    assert len(clozes) == 15
    assert len(parse_cloze(clozes[3].findtext("questiontext/text"))) == 18  # q2, variant A

    # QTI 2.1 items and Canvas QTI 1.2 items stay schema-valid with the long matrices.
    with zipfile.ZipFile(out / "qti21.zip") as zf:
        items = [zf.read(n) for n in zf.namelist() if n.startswith("items/")]
    schema = qti21_schema()
    for item in items:
        assert schema.validate(etree.fromstring(item)), schema.error_log.filter_from_errors()
    with zipfile.ZipFile(out / "canvas-qti12.zip") as zf:
        (name,) = [n for n in zf.namelist() if "/" in n and "meta" not in n]
        assessment = strip_namespaces(etree.fromstring(zf.read(name)))
    for ext in list(assessment.iter("selection_extension")):
        ext.getparent().remove(ext)
    assert qti12_dtd().validate(assessment), qti12_dtd().error_log.filter_from_errors()

    # GIFT parses (gift-pegjs); Blackboard never exceeds its 10 blanks, splitting long matrices.
    assert parse_gift(out / "quiz.gift")
    lines = (out / "blackboard.txt").read_text().splitlines()
    fib = [line.split("\t") for line in lines if line.startswith("FIB_PLUS\t")]
    assert all(1 <= fields[2:].count("") <= 10 for fields in fib)
    assert any(fields[1].startswith("(part 2 of 2:") for fields in fib)  # 18 blanks: 2 lines
    # Each part's title gives its share of the points as a person writes it (2.67, not
    # 2.6666666666666665), and the shares of one question add up to its points.
    titles = [re.match(r"\(part (\d+) of (\d+): (\S+) of (\S+) points", f[1]) for f in fib]
    shares = [m.groups() for m in titles if m]
    assert shares and all(re.fullmatch(r"\d+(\.\d{1,2})?", s[2]) for s in shares), shares
    totals: list[float] = []
    for k, n, share, points in shares:
        totals = [float(share)] if k == "1" else [*totals, float(share)]
        if k == n:
            assert abs(sum(totals) - float(points)) <= 0.011, shares


def test_a_size_constraint_that_cannot_fit_is_a_one_line_error(tmp_path, grade):
    spec = tmp_path / "bad.toml"
    spec.write_text(
        'title = "t"\nset_id = "t"\n\n[[section]]\ntitle = "Pooling"\nkind = "pooling"\n'
        'params = { input_shape = [2, 2], pool_size = 3, padding = "valid" }\n'
    )
    out = tmp_path / "out"
    r = grade("build", str(spec), "--out", str(out), "--formats", "key")
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip().splitlines() == [
        f"error: {spec}: section 1 (Pooling): key 'params': parameter 'pool_size': expected a "
        "pool of at most 2 x 2 (the padded input), not 3 x 3"
    ]
