"""Canvas QTI 1.2 export: DTD-valid items, XSD-valid manifest, blanks ↔ response ids one to
one, exact decimal margins, question groups that pick one variant."""

from __future__ import annotations

import copy
import re
import zipfile
from decimal import Decimal

import pytest
from convgrade.exercises.export import canvas
from lxml import etree

from tests.exercises.export.support import (
    asked_as_choice,
    dec,
    expected_blanks,
    manifest_schema,
    qti12_dtd,
    same_number,
    strip_namespaces,
    warned,
)

FORMAT = "canvas"


@pytest.fixture(scope="module")
def exported(written):
    quiz, out, warnings = written
    with zipfile.ZipFile(out / "canvas-qti12.zip") as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return quiz, files, warnings


def _assessment(files) -> etree._Element:
    (name,) = [n for n in files if n.endswith(".xml") and "/" in n and "meta" not in n]
    folder = name.split("/")[0]
    assert name == f"{folder}/{folder}.xml"
    assert f"{folder}/assessment_meta.xml" in files
    return strip_namespaces(etree.fromstring(files[name]))


def _wrap(item: etree._Element) -> etree._Element:
    root = etree.Element("questestinterop")
    root.append(copy.deepcopy(item))
    return root


def _field(item, label: str) -> str:
    for f in item.iter("qtimetadatafield"):
        if f.findtext("fieldlabel") == label:
            return f.findtext("fieldentry")
    raise KeyError(label)


def test_every_item_validates_against_the_qti12_dtd(exported):
    _, files, _ = exported
    root = _assessment(files)
    dtd = qti12_dtd()
    items = list(root.iter("item"))
    assert items
    for item in items:
        assert dtd.validate(_wrap(item)), (item.get("title"), dtd.error_log.filter_from_errors())


def test_whole_assessment_validates_without_canvas_extensions(exported):
    """The DTD lacks Canvas's selection_extension; everything else must be valid QTI 1.2."""
    _, files, _ = exported
    root = _assessment(files)
    for ext in list(root.iter("selection_extension")):
        ext.getparent().remove(ext)
    assert qti12_dtd().validate(root), qti12_dtd().error_log.filter_from_errors()


def test_manifest_validates_and_lists_the_files(exported):
    _, files, _ = exported
    tree = etree.fromstring(files["imsmanifest.xml"])
    schema = manifest_schema()
    assert schema.validate(tree), schema.error_log.filter_from_errors()
    hrefs = {f.get("href") for f in tree.iter("{*}file")}
    assert hrefs == set(files) - {"imsmanifest.xml"}


def test_negative_a_corrupted_item_or_manifest_is_rejected(exported):
    _, files, _ = exported
    item = next(_assessment(files).iter("item"))
    broken = copy.deepcopy(item)
    for rc in broken.iter("render_choice", "render_fib"):
        rc.getparent().remove(rc)
    assert not qti12_dtd().validate(_wrap(broken))
    broken = copy.deepcopy(item)
    broken.insert(0, etree.Element("bogus"))
    assert not qti12_dtd().validate(_wrap(broken))
    manifest = etree.fromstring(files["imsmanifest.xml"])
    res = manifest.find("{*}resources/{*}resource")
    del res.attrib["identifier"]
    assert not manifest_schema().validate(manifest)


def _items_in_order(quiz, files):
    root = _assessment(files)
    items = list(root.iter("item"))
    pairs = [(q, ex) for q in quiz.questions for ex in q.variants]
    assert len(items) == len(pairs)
    return root, zip(pairs, items)


def test_blanks_and_response_ids_match_one_to_one(exported):
    quiz, files, _ = exported
    _, pairs = _items_in_order(quiz, files)
    n_fib = 0
    for (_q, ex), item in pairs:
        if _field(item, "question_type") != "fill_in_multiple_blanks_question":
            continue
        n_fib += 1
        text = item.find("presentation/material/mattext").text
        blanks = re.findall(r"\[([^\]]*)\]", text)
        lids = [lid.get("ident") for lid in item.iter("response_lid")]
        assert len(blanks) == len(set(blanks)), "each blank once"
        assert [f"response_{b}" for b in blanks] == lids
        assert all(re.fullmatch(r"[A-Za-z0-9_]+", b) for b in blanks)
        # each blank accepts the key's text first, then only roundings within its tolerance;
        # its condition ORs exactly its response_label idents
        keys = expected_blanks(ex)
        assert len(keys) == len(lids)
        conds = {}
        for c in item.iter("respcondition"):
            (alts,) = c.find("conditionvar")
            assert alts.tag == "or"
            (respident,) = {v.get("respident") for v in alts}
            conds[respident] = {v.text for v in alts}
        for (kind, value, tol), lid in zip(keys, item.iter("response_lid")):
            labels = list(lid.iter("response_label"))
            answers = [lab.find("material/mattext").text for lab in labels]
            if kind == "numeric":
                assert same_number(answers[0], value)
                assert all(abs(Decimal(a) - dec(value)) <= dec(tol) for a in answers)
                assert len(answers) == 1 or tol > 0
            else:
                assert answers == [value]
            assert conds[lid.get("ident")] == {lab.get("ident") for lab in labels}
    assert n_fib > 0


def test_numeric_margins_are_exact_decimals(exported):
    quiz, files, _ = exported
    _, pairs = _items_in_order(quiz, files)
    n = 0
    for (_q, ex), item in pairs:
        if _field(item, "question_type") != "numerical_question":
            continue
        n += 1
        ((_, value, tol),) = expected_blanks(ex)
        cond = item.find("resprocessing/respcondition/conditionvar/or")
        exact = cond.find("varequal").text
        lo, hi = cond.find("and/vargte").text, cond.find("and/varlte").text
        assert Decimal(exact) == dec(value)
        assert Decimal(lo) == dec(value) - dec(tol)
        assert Decimal(hi) == dec(value) + dec(tol)
        assert "e" not in (lo + hi).lower(), "no exponent notation"
    assert n > 0 or quiz.set_id != "types-set"


def test_margin_is_exact_where_floats_are_not():
    from convgrade.exercises.export.base import Cell
    from convgrade.exercises.model import Part

    part = Part("x", "x", "number", 0.3, tolerance=0.1)
    cell = Cell("x", "x", part, "numeric", 0.3, 0.1)
    assert canvas.margin(cell) == ("0.3", "0.2", "0.4")  # float arithmetic: 0.19999999999999998
    assert 0.3 - 0.1 != 0.2


def test_variants_form_a_pick_one_group(exported):
    quiz, files, _ = exported
    root = _assessment(files)
    groups = {s.get("title"): s for s in root.iter("section") if s.get("ident") != "root_section"}
    for q in quiz.questions:
        if len(q.variants) == 1:
            continue
        sec = groups[f"{q.id} {q.title}"]
        assert sec.findtext("selection_ordering/selection/selection_number") == "1"
        ppi = sec.findtext("selection_ordering/selection/selection_extension/points_per_item")
        assert Decimal(ppi) == dec(q.points)
        assert len(sec.findall("item")) == len(q.variants)


def test_question_types_follow_the_style(exported):
    quiz, files, _ = exported
    _, pairs = _items_in_order(quiz, files)
    for (q, ex), item in pairs:
        qtype = _field(item, "question_type")
        n = len(expected_blanks(ex))
        if asked_as_choice(q, ex):
            assert qtype == "multiple_choice_question"
            labels = list(item.iter("response_label"))
            right = [c.find("conditionvar/varequal").text for c in item.iter("respcondition")]
            assert len(right) == 1 and right[0] in {lab.get("ident") for lab in labels}
        elif n == 1:
            assert qtype in (
                "numerical_question",
                "short_answer_question",
                "multiple_choice_question",
            )
        else:
            assert qtype == "fill_in_multiple_blanks_question"
        assert Decimal(_field(item, "points_possible")) == dec(q.points)


def test_tolerance_loss_is_warned(exported):
    quiz, files, warnings = exported
    _, pairs = _items_in_order(quiz, files)
    for (q, ex), item in pairs:
        if _field(item, "question_type") != "fill_in_multiple_blanks_question":
            continue
        if any(
            k == "numeric" and (t or not float(v).is_integer()) for k, v, t in expected_blanks(ex)
        ):
            assert warned(warnings, "canvas", q.id, "matches strings only")


def test_every_right_blank_scores(exported):
    """QTI 1.2 stops at the first matching respcondition unless continue="Yes": without it,
    QTIMigrationTool makes a responseIf/ElseIf chain in which only the first right blank
    scores."""
    quiz, files, _ = exported
    _, pairs = _items_in_order(quiz, files)
    seen = 0
    for _, item in pairs:
        if _field(item, "question_type") == "fill_in_multiple_blanks_question":
            conds = item.findall("resprocessing/respcondition")
            assert conds and all(c.get("continue") == "Yes" for c in conds)
            seen += 1
    assert seen


def test_blank_scores_sum_to_100_in_the_keys_proportions(exported):
    """Canvas itself splits evenly (warned); the QTI 1.2 scores still say the key's weights."""
    quiz, files, _ = exported
    _, pairs = _items_in_order(quiz, files)
    for _, item in pairs:
        if _field(item, "question_type") == "fill_in_multiple_blanks_question":
            adds = [
                Decimal(c.findtext("setvar")) for c in item.findall("resprocessing/respcondition")
            ]
            assert sum(adds) == 100
