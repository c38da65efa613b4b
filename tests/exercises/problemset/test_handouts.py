"""Handouts and keys as a professor prints them: Typst PDF, HTML, CommonMark, room to answer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from convgrade.exercises.errors import ConvgradeError
from convgrade.exercises.problemset import build, load_spec
from convgrade.exercises.render import pretty_math, render, typst_escape
from markdown_it import MarkdownIt
from pypdf import PdfReader

from convgrade import exercises

SPEC = """
title = "Week 3 #set text(red) *bold* $x$ <lbl> @ref [x] _a_ // c \\\\ 50%"
set_id = "w3"
instructions = "Show your working = 2 marks; use `ceil`."
{extra}

[[section]]
title = "Conv #2 [2-D]"
kind = "conv2d"
points = 4

[[section]]
title = "Pooling"
kind = "pooling"
difficulty = 1

[[section]]
title = "Choose"
kind = "conv1d"
style = "multiple_choice"
"""
ROSTER = 'student_id,name\ns1,Ada_Love*lace\ns2,"Gödel, K. $"\ns3,#Eve\n'


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVGRADE_SECRET", "handout-tests")

    def make(extra: str = "") -> tuple[Path, Path]:
        spec, roster = tmp_path / "spec.toml", tmp_path / "roster.csv"
        spec.write_text(SPEC.format(extra=extra), encoding="utf-8")
        roster.write_text(ROSTER, encoding="utf-8")
        return spec, roster

    return make


def outline_titles(reader: PdfReader) -> list[tuple[int, str]]:
    """(depth, title) of every outline entry, in order."""
    out = []

    def walk(items, depth):
        for it in items:
            if isinstance(it, list):
                walk(it, depth + 1)
            else:
                out.append((depth, it.title))

    walk(reader.outline, 0)
    return out


def test_pdf_handout_pages_outline_text_and_footer(tmp_path, inputs):
    spec, roster = inputs()
    out = tmp_path / "out"
    build(spec, out, roster=roster, formats="pdf")
    reader = PdfReader(io.BytesIO((out / "handout.pdf").read_bytes()))
    texts = [p.extract_text() for p in reader.pages]
    # every paper starts on a new page and numbers its own pages in the footer
    firsts = [i for i, t in enumerate(texts) if re.search(r"page 1 of (\d+)\s*$", t)]
    assert len(firsts) == 3 and firsts[0] == 0
    for start, end in zip(firsts, firsts[1:] + [len(texts)]):
        n = end - start
        for k in range(n):
            assert texts[start + k].rstrip().endswith(f"page {k + 1} of {n}")
    titles = outline_titles(reader)
    papers = [t for d, t in titles if d == 0]
    questions = [t for d, t in titles if d == 1]
    assert papers == ["Student s1 · Ada_Love*lace", "Student s2 · Gödel, K. $", "Student s3 · #Eve"]
    assert len(questions) == 3 * 3
    for q in load_spec(spec).questions:
        assert sum(q.title in t for t in questions) == 3
    whole = "\n".join(texts)
    for sid in ("s1", "s2", "s3"):
        assert f"student {sid}" in whole
    # spec and roster text with Typst syntax is printed literally, not interpreted
    assert "Week 3 #set text(red) *bold* $x$ <lbl> @ref [x] _a_ // c \\ 50%" in whole
    assert "Show your working = 2 marks; use `ceil`." in whole
    assert "Conv #2 [2-D]" in whole
    # multiple choice lettered (a)-(d) as in the other formats
    assert re.search(r"\(a\).*\n\(b\)", whole)


def test_pdf_key_has_outline_short_ids_and_typeset_math(tmp_path, inputs):
    spec, roster = inputs()
    out = tmp_path / "out"
    build(spec, out, roster=roster, formats="pdf,key,key-worked")
    marking = PdfReader(io.BytesIO((out / "key.pdf").read_bytes()))
    worked = PdfReader(io.BytesIO((out / "key-worked.pdf").read_bytes()))
    ps_key = __import__("json").loads((out / "key.json").read_text())
    for reader in (marking, worked):
        titles = outline_titles(reader)
        assert [t for d, t in titles if d == 0][0] == "Student s1 · Ada_Love*lace"
        assert len([t for d, t in titles if d == 1]) == 3 * 3  # a question each
        whole = "\n".join(p.extract_text() for p in reader.pages)
        assert not re.search(r"\d{12,}", whole), "a long seed in the key"
        assert re.search(r"id [0-9a-f]{7}", whole)
        # every student's scalar answers are in both keys
        for student in ps_key["students"]:
            for ex in student["exercises"].values():
                for part in ex["parts"]:
                    if isinstance(part["answer"], int):
                        assert str(part["answer"]).replace("-", "−") in whole
    # the marking key (key.pdf) has the answers only; the worked key has the steps
    marking_text = "\n".join(p.extract_text() for p in marking.pages)
    assert "Worked solution" not in marking_text and "Compute the" not in marking_text
    whole = "\n".join(p.extract_text() for p in worked.pages)
    assert "Worked solution" in whole and "Misconception answers" in whole
    assert "·" in whole and "−" in whole  # products and true minus signs in the worked steps
    assert "ceil(" not in whole and "floor(" not in whole
    assert len(marking.pages) < len(worked.pages)
    html = (out / "key.html").read_text()
    assert not re.search(r"seed \d", html) and re.search(r"id [0-9a-f]{7}", html)


def test_worked_key_pdf_is_opt_in():
    from convgrade.exercises.problemset.output import parse_formats

    assert "key-worked" not in parse_formats(None)[0]
    assert "key-worked" not in parse_formats("all")[0]
    everything, _ = parse_formats("all,key-worked")
    assert "key-worked" in everything and "moodle" in everything
    assert parse_formats("key-worked")[0] == ["key-worked"]


def test_pdf_is_byte_reproducible(tmp_path, inputs):
    spec, roster = inputs()
    a, b = tmp_path / "a", tmp_path / "b"
    build(spec, a, roster=roster, formats="pdf,key")
    build(spec, b, roster=roster, formats="pdf,key")
    for name in ("handout.pdf", "key.pdf"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
        assert b"/CreationDate" not in (a / name).read_bytes()


@pytest.mark.parametrize("space", ["grid", "lines", "none"])
def test_answer_space_choices(tmp_path, inputs, space):
    spec, roster = inputs(f'answer_space = "{space}"')
    out = tmp_path / "out"
    res = build(spec, out, roster=roster, formats="html,pdf")
    html = (out / "students" / "s1" / "handout.html").read_text()
    assert ('class="cells"' in html) == (space == "grid")
    assert ('class="lines"' in html) == (space == "lines")
    # the grid is as large as the padded input, never the answer's own shape
    ex = res.problemset.papers[0].exercises["q1"]
    rows = len(ex.params["input"]) + 2 * (
        ex.params["padding"] if ex.params["padding"] not in ("valid", "same") else 0
    )
    if space == "grid":
        grid = re.search(r'<table class="cells">(.*?)</table>', html, re.S).group(1)
        assert grid.count("<tr>") == max(rows, len(ex.part("output").answer))


def test_answer_space_grid_does_not_depend_on_the_answer():
    from convgrade.exercises.problemset.documents import answer_grid

    x = [[(3 * i + j) % 5 - 2 for j in range(5)] for i in range(5)]
    fixed = {"input": x, "kernel": [[1, 0, -1], [2, 1, 0], [0, -1, 1]], "padding": "valid"}
    a = exercises.generate("conv2d", seed=1, params={**fixed, "strides": 1})
    b = exercises.generate("conv2d", seed=1, params={**fixed, "strides": 2})
    assert len(a.part("output").answer) != len(b.part("output").answer)
    assert answer_grid(a, a.part("output")) == answer_grid(b, b.part("output"))


def test_bad_answer_space_is_a_clear_error(tmp_path, inputs):
    spec, roster = inputs('answer_space = "boxes"')
    with pytest.raises(
        ConvgradeError,
        match=r"spec.toml: key 'answer_space': expected one of 'grid', 'lines', 'none', "
        r"got 'boxes'",
    ):
        build(spec, tmp_path / "out", roster=roster, formats="html")
    spec.write_text(SPEC.format(extra="") + "answer_space = 3\n")
    with pytest.raises(ConvgradeError, match=r"section 3 \(Choose\): key 'answer_space'"):
        load_spec(spec)


def test_markdown_is_commonmark_with_separate_options_and_parts(tmp_path, inputs):
    spec, roster = inputs()
    out = tmp_path / "out"
    build(spec, out, roster=roster, formats="markdown")
    text = (out / "students" / "s1" / "handout.md").read_text()
    tokens = MarkdownIt("commonmark").parse(text)
    paragraphs = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "paragraph_open"]
    letters = [p for p in paragraphs if re.match(r"\*\*\([a-d]\)\*\*", p)]
    assert len(letters) >= 4 + 2  # four options, at least two lettered parts
    assert all(p.count("**(") == 1 for p in letters), "lettered lines ran together"
    fences = [t.content for t in tokens if t.type == "fence"]
    assert fences and all(
        line.startswith("[") and line.endswith("]") for f in fences for line in f.splitlines()
    )
    assert "|--" not in text  # no GFM tables: not CommonMark


def test_html_matrices_are_bracketed_equal_width_and_set_apart(tmp_path, inputs):
    spec, roster = inputs()
    out = tmp_path / "out"
    build(spec, out, roster=roster, formats="html")
    html = (out / "handout.html").read_text()
    assert "linear-gradient" in html and "border-left: 1.5px solid" in html
    assert re.search(r'<table class="matrix" style="--w: \dch">', html)
    assert "width: var(--w" in html and "display: table;" in html
    options = re.search(r'<ol class="options".*?</ol>', html, re.S).group(0)
    assert '<span class="letter">(a)</span>' in options
    assert '<span class="letter">(b)</span>' in options


def test_typst_escape_and_pretty_math():
    assert typst_escape("a*b_c #x $y$ <l> @r [k] // \\ -1.") == (
        "a\\*b\\_c \\#x \\$y\\$ \\<l\\> \\@r \\[k\\] \\/\\/ \\\\ \\-1\\."
    )
    assert typst_escape(typst_escape("*")) == "\\*"  # markup passes unchanged
    assert pretty_math("ceil(n / s) = ceil(7 / 2)") == "⌈n/s⌉ = ⌈7/2⌉"
    assert pretty_math("floor((7 + 2 - 3) / 2) + 1 = 4") == "⌊(7 + 2 − 3)/2⌋ + 1 = 4"
    assert pretty_math("a 3 x 3 x 2 input, -2 and 2-D") == "a 3 × 3 × 2 input, −2 and 2-D"


@pytest.mark.parametrize("kind", exercises.kinds())
def test_every_kind_typesets_with_matrices_as_display_math(kind):
    from convgrade.exercises.problemset.pdf import compile_typst

    ex = exercises.generate(kind, seed=5, difficulty=3)
    src = render(ex, "typst", solution=True)
    assert compile_typst(src).startswith(b"%PDF")
    for line in src.splitlines():
        if "mat(" in line and "$ cgmat(" in line:
            assert line.startswith("$ cgmat(") and line.endswith(") $")


def test_text_format_uses_brackets():
    ex = exercises.generate("conv2d", seed=1)
    text = render(ex, "text")
    rows = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("[ ")]
    assert rows and all(r.endswith("]") for r in rows)


def test_typst_compile_error_is_a_clear_message():
    from convgrade.exercises.problemset.pdf import compile_typst

    with pytest.raises(ConvgradeError, match="typesetting the PDF failed"):
        compile_typst("#let x = (")


def test_typst_code_blocks_print_code_as_written():
    from convgrade.exercises.problemset.pdf import compile_typst

    ex = exercises.generate("text_vectorization", seed=2)
    src = render(ex, "typst")
    corpus = ex.params["corpus"][0]
    text = PdfReader(io.BytesIO(compile_typst(src))).pages[0].extract_text()
    assert repr(corpus) in text
    assert "\\'" not in text


def test_a_question_taller_than_a_page_breaks_between_whole_parts(tmp_path, monkeypatch):
    from convgrade.exercises.problemset.assemble import assemble
    from convgrade.exercises.problemset.documents import paper_body, typst_doc
    from convgrade.exercises.problemset.pdf import compile_typst

    spec = tmp_path / "s.toml"
    spec.write_text(
        'title = "T"\nset_id = "t"\n[[section]]\nkind = "conv2d"\n'
        '[[section]]\nkind = "conv2d_pool"\ndifficulty = 3\n'
    )
    ps = assemble(load_spec(spec), b"k", variants=1)
    src = paper_body(ps, ps.papers[0], "typst")
    # conv2d (one answer grid) stays whole; conv2d_pool (two grids) may break between parts
    assert src.count("#question(breakable: false)") == 1
    assert src.count("#question(breakable: true)") == 1
    reader = PdfReader(io.BytesIO(compile_typst(typst_doc("T", [src]))))
    texts = [p.extract_text() for p in reader.pages]
    # every page has its footer
    assert all(re.search(r"page \d+ of \d+\s*$", t) for t in texts)
    assert len(texts) >= 2  # breaks come between questions or between whole parts
    assert all(t.lstrip().startswith(("(", "Question")) for t in texts[1:])


def test_a_failed_background_compile_fails_the_build_and_writes_nothing(
    tmp_path, inputs, monkeypatch
):
    from convgrade.exercises.problemset import output

    spec, roster = inputs()
    out = tmp_path / "out"
    monkeypatch.setattr(output, "typst_doc", lambda title, bodies: "#let x = (")
    with pytest.raises(ConvgradeError, match="typesetting the PDF failed"):
        build(spec, out, roster=roster, formats="pdf,html,key")
    assert not out.exists() and not list(tmp_path.glob(".out.*"))


def test_typst_answer_grids_one_per_channel_as_large_as_the_input(tmp_path, inputs):
    """One channel: the tiled grid alone; several: one grid each, side by side in a layout grid."""
    from convgrade.exercises.problemset.documents import answer_grid, paper_body

    spec, roster = inputs()
    spec.write_text(
        SPEC.format(extra="") + '\n[[section]]\ntitle = "Channels"\nkind = "conv2d_multichannel"\n',
        encoding="utf-8",
    )
    ps = build(spec, tmp_path / "out", roster=roster, formats="html").problemset
    for paper in ps.papers:
        body = paper_body(ps, paper, "typst")
        questions = body.split("#question(")[1:]
        assert len(questions) == len(paper.order)
        for qid, text in zip(paper.order, questions):
            ex = paper.exercises[qid]
            big = [p for p in ex.parts if p.type in ("matrix", "tensor")]
            if ps.question(qid).section.style == "multiple_choice" or not big:
                continue
            (part,) = big
            rows, cols, chans = answer_grid(ex, part)
            cell = f"#cggrid(width: {cols} * 1.05cm, height: {rows} * 0.9cm)"
            assert text.count(cell) == chans, (qid, text)
            assert ("#grid(columns:" in text) == (chans > 1)
    assert any(
        answer_grid(ex, p)[2] > 1
        for paper in ps.papers
        for ex in paper.exercises.values()
        for p in ex.parts
        if p.type == "tensor"
    )
