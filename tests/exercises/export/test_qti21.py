"""QTI 2.1 export: items, test and manifest valid against the IMS XSDs; one interaction per
blank with the key as correct response; one section per question selecting one variant."""

from __future__ import annotations

import copy
import zipfile
from decimal import Decimal

import pytest
from lxml import etree

from tests.exercises.export.support import (
    asked_as_choice,
    dec,
    expected_blanks,
    manifest_schema,
    qti21_schema,
    same_number,
)

FORMAT = "qti21"
Q = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"


@pytest.fixture(scope="module")
def exported(written):
    quiz, out, warnings = written
    with zipfile.ZipFile(out / "qti21.zip") as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return quiz, files, warnings


def test_every_item_and_the_test_validate_against_the_qti21_xsd(exported):
    _, files, _ = exported
    schema = qti21_schema()
    docs = [n for n in files if n.startswith("items/")] + ["test.xml"]
    assert len(docs) > 1
    for name in docs:
        tree = etree.fromstring(files[name])
        assert schema.validate(tree), (name, schema.error_log.filter_from_errors())


def test_manifest_validates_and_lists_every_file(exported):
    _, files, _ = exported
    tree = etree.fromstring(files["imsmanifest.xml"])
    assert manifest_schema().validate(tree), manifest_schema().error_log.filter_from_errors()
    hrefs = {f.get("href") for f in tree.iter("{*}file")}
    assert hrefs == set(files) - {"imsmanifest.xml"}


def test_negative_a_corrupted_item_test_or_manifest_is_rejected(exported):
    _, files, _ = exported
    schema = qti21_schema()
    name = next(n for n in files if n.startswith("items/"))
    item = etree.fromstring(files[name])
    broken = copy.deepcopy(item)
    rd = broken.find(f"{Q}responseDeclaration")
    del rd.attrib["cardinality"]
    assert not schema.validate(broken)
    broken = copy.deepcopy(item)
    broken.find(f"{Q}itemBody").append(etree.Element(f"{Q}figure"))
    assert not schema.validate(broken)
    test = etree.fromstring(files["test.xml"])
    test.find(f"{Q}testPart/{Q}assessmentSection/{Q}selection").set("select", "one")
    assert not schema.validate(test)
    manifest = etree.fromstring(files["imsmanifest.xml"])
    manifest.remove(manifest.find("{*}resources"))
    assert not manifest_schema().validate(manifest)


def _items(quiz, files):
    test = etree.fromstring(files["test.xml"])
    sections = test.findall(f"{Q}testPart/{Q}assessmentSection")
    assert len(sections) == len(quiz.questions)
    for q, sec in zip(quiz.questions, sections):
        assert sec.find(f"{Q}selection").get("select") == "1"
        refs = sec.findall(f"{Q}assessmentItemRef")
        assert len(refs) == len(q.variants)
        for ex, ref in zip(q.variants, refs):
            yield q, ex, etree.fromstring(files[ref.get("href")])


def test_interactions_and_correct_responses_equal_the_key(exported):
    quiz, files, _ = exported
    for q, ex, item in _items(quiz, files):
        decls = {d.get("identifier"): d for d in item.findall(f"{Q}responseDeclaration")}
        score = item.find(f"{Q}outcomeDeclaration[@identifier='MAXSCORE']")
        assert Decimal(score.findtext(f"{Q}defaultValue/{Q}value")) == dec(q.points)
        if asked_as_choice(q, ex):
            (ci,) = item.iter(f"{Q}choiceInteraction")
            assert ci.get("maxChoices") == "1"
            right = decls[ci.get("responseIdentifier")].findtext(f"{Q}correctResponse/{Q}value")
            ids = [c.get("identifier") for c in ci.iter(f"{Q}simpleChoice")]
            assert right in ids and len(set(ids)) == len(ids) >= 2
            continue
        interactions = [
            el
            for el in item.find(f"{Q}itemBody").iter()
            if el.tag in (f"{Q}textEntryInteraction", f"{Q}inlineChoiceInteraction")
        ]
        keys = expected_blanks(ex)
        assert len(interactions) == len(keys) == len(decls)
        conditions = {
            c.find(".//" + Q + "variable").get("identifier"): c for c in item.iter(f"{Q}responseIf")
        }
        for (kind, value, tol), el in zip(keys, interactions):
            rid = el.get("responseIdentifier")
            decl = decls[rid]
            correct = decl.findtext(f"{Q}correctResponse/{Q}value")
            test = conditions[rid][0]
            if kind == "numeric":
                assert decl.get("baseType") in ("integer", "float")
                assert same_number(correct, value)
                if tol:
                    assert test.tag == f"{Q}equal" and test.get("toleranceMode") == "absolute"
                    assert same_number(test.get("tolerance"), tol)
                elif decl.get("baseType") == "float":
                    assert test.get("toleranceMode") == "exact"
            elif kind == "text":
                assert decl.get("baseType") == "string" and correct == value
            else:
                chosen = [c.text for c in el if c.get("identifier") == correct]
                assert chosen == [value]


def test_no_warnings_qti21_expresses_everything(exported):
    _, _, warnings = exported
    assert all("multiple choice asked" in w for w in warnings)
