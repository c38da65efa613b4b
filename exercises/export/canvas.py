"""Canvas (Classic and New Quizzes import): Canvas-flavoured QTI 1.2 in ``canvas-qti12.zip``.

The zip holds ``imsmanifest.xml``, ``<id>/<id>.xml`` (the assessment) and
``<id>/assessment_meta.xml``. Variants of one quiz question form a question group that picks 1
(``selection_number`` 1, ``points_per_item``). One numeric blank is a ``numerical_question`` with
an exact decimal margin; one text blank a ``short_answer_question``; several blanks a
``fill_in_multiple_blanks_question`` whose text names each blank ``[key]`` and has one
``response_lid ident="response_key"`` per blank. Canvas matches those blanks as strings, so a
tolerance cannot be kept there: such a blank accepts the key and each of its roundings (to 0-4
decimals) that lies within the tolerance, and the writer warns.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lxml import etree

from ..quiz import Question, Quiz
from . import base
from .base import Capabilities, Cell, Item

#: The prompt format the items are written with (:func:`base.prerender`).
PROMPT = "html"

CAPABILITIES = Capabilities(
    file="canvas-qti12.zip",
    numeric="`numerical_question`, exact decimal margin",
    multiple_choice="`multiple_choice_question`",
    matrix="`fill_in_multiple_blanks_question`, `[X]` ↔ `response_X`",
    fallback="blanks match strings only: a blank with a tolerance accepts the key's roundings "
    "within it, a non-integer key its exact text; blanks weigh evenly, text ignores case, "
    "multiple choice has no partial credit; choices become text blanks (listed); warns",
    blank_tolerance=False,
)

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = base.XSI


_TAGS: dict[str, str] = {}


def _q(tag: str) -> str:
    q = _TAGS.get(tag)
    if q is None:
        q = _TAGS[tag] = f"{{{QTI_NS}}}{tag}"
    return q


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    # lxml makes an element 20% faster without an (empty) attribute dict
    el = etree.SubElement(parent, _q(tag), attrs) if attrs else etree.SubElement(parent, _q(tag))
    if text is not None:
        el.text = text
    return el


def margin(cell: Cell) -> tuple[str, str, str]:
    """(value, low, high) as exact decimal strings: ``value ± tolerance`` in :mod:`decimal`."""
    v, t = base.decimal(cell.value), base.decimal(cell.tolerance)
    return base.number(v), _plain(v - t), _plain(v + t)


def _plain(d) -> str:
    return base.number(d) if d == d.to_integral_value() else format(d.normalize(), "f")


def _material(parent: etree._Element, text: str, texttype: str = "text/html") -> None:
    m = _sub(parent, "material")
    _sub(m, "mattext", text, texttype=texttype)


def _metadata(item_el: etree._Element, qtype: str, points: float, extra=()) -> None:
    md = _sub(_sub(item_el, "itemmetadata"), "qtimetadata")
    for label, entry in (
        ("question_type", qtype),
        ("points_possible", base.number(points)),
        *extra,
    ):
        f = _sub(md, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", entry)


def _outcomes(rp: etree._Element) -> None:
    o = _sub(rp, "outcomes")
    _sub(o, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")


def _set_score(cond: etree._Element, value: str, action: str = "Set") -> None:
    _sub(cond, "setvar", value, action=action, varname="SCORE")


def _brackets(markup: str) -> str:
    """Square brackets in the text as entities: Canvas would read ``[x]`` as a blank."""
    return markup.replace("[", "&#91;").replace("]", "&#93;")


def item_element(item: Item, warn: base.Warnings) -> etree._Element:
    """One variant as one QTI 1.2 ``<item>``."""
    q = item.question
    points = float(q.points)
    el = etree.Element(_q("item"), ident=item.ident, title=item.name)
    if item.mode == "choice" or (item.single is not None and item.single.kind == "choice"):
        if item.mode == "choice":
            assert item.choice is not None
            opts = [
                (base.value_html(item.choice, o.value), o.correct, o.misconception)
                for o in item.options
            ]
        else:
            c = item.single
            opts = [(ch, ch == c.value, None) for ch in c.choices or []]
        idents = [base.ident(item.ident, str(i), prefix="a") for i in range(len(opts))]
        _metadata(
            el, "multiple_choice_question", points, [("original_answer_ids", ",".join(idents))]
        )
        pres = _sub(el, "presentation")
        _material(pres, base.html_text(item, lambda c: "", list_choices=True))
        lid = _sub(pres, "response_lid", ident="response1", rcardinality="Single")
        rc = _sub(lid, "render_choice")
        for aid, (text, _, _) in zip(idents, opts):
            _material(_sub(rc, "response_label", ident=aid), text)
        if item.mode == "choice" and any(
            not o.correct and base.option_fraction(item.choice, o.value) > 0 for o in item.options
        ):
            warn(
                q,
                "Canvas multiple choice gives 0 for every wrong option; the key gives a "
                "distractor that shares cells with the key partial credit",
            )
        rp = _sub(el, "resprocessing")
        _outcomes(rp)
        for aid, (_, correct, _) in zip(idents, opts):
            if correct:
                cond = _sub(rp, "respcondition", **{"continue": "No"})
                _sub(_sub(cond, "conditionvar"), "varequal", aid, respident="response1")
                _set_score(cond, "100")
        return el
    single = item.single
    if single is not None and single.kind == "numeric":
        _metadata(el, "numerical_question", points)
        pres = _sub(el, "presentation")
        _material(pres, base.html_text(item, lambda c: "", list_choices=True))
        rs = _sub(pres, "response_str", ident="response1", rcardinality="Single")
        _sub(_sub(rs, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
        rp = _sub(el, "resprocessing")
        _outcomes(rp)
        cond = _sub(rp, "respcondition", **{"continue": "No"})
        value, lo, hi = margin(single)
        alt = _sub(_sub(cond, "conditionvar"), "or")
        _sub(alt, "varequal", value, respident="response1")
        both = _sub(alt, "and")
        _sub(both, "vargte", lo, respident="response1")
        _sub(both, "varlte", hi, respident="response1")
        _set_score(cond, "100")
        return el
    if any(c.kind == "text" for c in item.cells):
        warn(
            q,
            "Canvas matches text blanks ignoring case (Classic, and New Quizzes imports them "
            'with case: "no"); the key is case-sensitive: a token in another case scores',
        )
    if single is not None and single.kind == "text":
        _metadata(el, "short_answer_question", points)
        pres = _sub(el, "presentation")
        _material(pres, base.html_text(item, lambda c: "", list_choices=True))
        rs = _sub(pres, "response_str", ident="response1", rcardinality="Single")
        _sub(_sub(rs, "render_fib"), "response_label", ident="answer1", rshuffle="No")
        rp = _sub(el, "resprocessing")
        _outcomes(rp)
        cond = _sub(rp, "respcondition", **{"continue": "No"})
        _sub(_sub(cond, "conditionvar"), "varequal", single.text, respident="response1")
        _set_score(cond, "100")
        return el
    return _fill_in_blanks(el, item, points, warn)


def _fill_in_blanks(el, item: Item, points: float, warn: base.Warnings):
    cells = item.cells
    q: Question = item.question
    message = base.string_match_warning("Canvas fill-in-multiple-blanks", cells)
    if message:
        warn(q, message)
    if any(c.kind == "choice" for c in cells):
        warn(
            q,
            "choice blanks in a multi-blank Canvas question become text blanks (choices listed)",
        )
    answer_ids = {
        c.key: [base.ident(item.ident, c.key, str(i), prefix="a") for i in range(len(c.texts))]
        for c in cells
    }
    _metadata(
        el,
        "fill_in_multiple_blanks_question",
        points,
        [("original_answer_ids", ",".join(a for c in cells for a in answer_ids[c.key]))],
    )
    pres = _sub(el, "presentation")
    _material(pres, base.html_text(item, lambda c: f"[{c.key}]", _brackets, list_choices=True))
    for c in cells:
        lid = _sub(pres, "response_lid", ident=f"response_{c.key}")
        _material(lid, c.key, texttype="text/plain")
        rc = _sub(lid, "render_choice")
        for aid, text in zip(answer_ids[c.key], c.texts):
            _material(_sub(rc, "response_label", ident=aid), text, "text/plain")
    if base.uneven(item):
        warn(
            q,
            "Canvas splits a fill-in-multiple-blanks question's points evenly over its blanks; "
            "the key weighs them by part (part_points over each part's blanks), so a partly "
            "right response scores differently",
        )
    rp = _sub(el, "resprocessing")
    _outcomes(rp)
    shares = percentages(item)
    for c in cells:  # each blank scores once, whichever of its accepted texts was given
        cond = _sub(rp, "respcondition", **{"continue": "Yes"})  # score every right blank
        alts = _sub(_sub(cond, "conditionvar"), "or")
        for aid in answer_ids[c.key]:
            _sub(alts, "varequal", aid, respident=f"response_{c.key}")
        _set_score(cond, shares[c.key], action="Add")
    return el


def percentages(item: Item) -> dict[str, str]:
    """Each blank's share of 100 in the key's proportions, to 4 decimals, the last blank taking
    the rounding so that they sum to exactly 100."""
    w = base.weights(item.cells)
    total = sum(w.values()) or 1
    share = {
        x: (Decimal(100) * x / total).quantize(Decimal("0.0001")) for x in set(w.values())
    }  # a part's blanks share one weight
    keys = list(w)
    out = {k: format(share[w[k]].normalize(), "f") for k in keys[:-1]}
    if keys:
        last = Decimal(100) - sum((share[w[k]] for k in keys[:-1]), Decimal(0))
        out[keys[-1]] = format(last.normalize(), "f")
    return out


def assessment(quiz: Quiz, warn: base.Warnings) -> tuple[str, etree._Element, float]:
    """(assessment id, ``questestinterop`` tree, total points)."""
    aid = base.ident(quiz.set_id, "canvas", prefix="g")
    root = etree.Element(
        _q("questestinterop"),
        nsmap={None: QTI_NS, "xsi": XSI},
        attrib={
            f"{{{XSI}}}schemaLocation": f"{QTI_NS} "
            "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
        },
    )
    ass = _sub(root, "assessment", ident=aid, title=quiz.title or quiz.set_id)
    md = _sub(ass, "qtimetadata")
    f = _sub(md, "qtimetadatafield")
    _sub(f, "fieldlabel", "cc_maxattempts")
    _sub(f, "fieldentry", "1")
    sec = _sub(ass, "section", ident="root_section")
    total = 0.0
    for q, its in base.items(quiz, warn):
        total += float(q.points)
        parent = sec
        if len(its) > 1:
            parent = _sub(sec, "section", ident=base.ident(quiz.set_id, q.id, prefix="g"))
            parent.set("title", f"{q.id} {q.title}".strip())
            sel = _sub(_sub(parent, "selection_ordering"), "selection")
            _sub(sel, "selection_number", "1")
            ext = _sub(sel, "selection_extension")
            _sub(ext, "points_per_item", base.number(float(q.points)))
        for item in its:
            parent.append(item_element(item, warn))
    return aid, root, total


def meta(quiz: Quiz, aid: str, total: float) -> etree._Element:
    """``assessment_meta.xml``: the Canvas quiz settings."""
    root = etree.Element(
        f"{{{CANVAS_NS}}}quiz",
        nsmap={None: CANVAS_NS, "xsi": XSI},
        attrib={
            "identifier": aid,
            f"{{{XSI}}}schemaLocation": f"{CANVAS_NS} https://canvas.instructure.com/xsd/cccv1p0.xsd",
        },
    )
    for tag, text in (
        ("title", quiz.title or quiz.set_id),
        ("description", ""),
        ("shuffle_answers", "false"),
        ("scoring_policy", "keep_highest"),
        ("quiz_type", "assignment"),
        ("points_possible", base.number(total)),
        ("show_correct_answers", "true"),
        ("allowed_attempts", "1"),
        ("one_question_at_a_time", "false"),
        ("cant_go_back", "false"),
        ("available", "false"),
    ):
        etree.SubElement(root, f"{{{CANVAS_NS}}}{tag}").text = text
    return root


def manifest(quiz: Quiz, aid: str) -> etree._Element:
    """``imsmanifest.xml`` (IMS Content Packaging 1.1) pointing Canvas at the assessment."""
    c = base.cp
    root, res = base.cp_manifest(
        base.ident(quiz.set_id, "canvas-manifest", prefix="m"), "IMS Content", "1.1.3"
    )
    meta_id = base.ident(quiz.set_id, "canvas-meta", prefix="r")
    r = etree.SubElement(res, c("resource"), identifier=aid, type="imsqti_xmlv1p2")
    etree.SubElement(r, c("file"), href=f"{aid}/{aid}.xml")
    etree.SubElement(r, c("dependency"), identifierref=meta_id)
    r = etree.SubElement(
        res,
        c("resource"),
        identifier=meta_id,
        type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
        href=f"{aid}/assessment_meta.xml",
    )
    etree.SubElement(r, c("file"), href=f"{aid}/assessment_meta.xml")
    return root


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``canvas-qti12.zip`` into ``out_dir``; returns the warnings."""
    warn = base.Warnings("canvas")
    aid, tree, total = assessment(quiz, warn)
    files = {
        "imsmanifest.xml": base.xml_bytes(manifest(quiz, aid)),
        f"{aid}/{aid}.xml": base.xml_bytes(tree),
        f"{aid}/assessment_meta.xml": base.xml_bytes(meta(quiz, aid, total)),
    }
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, base.zip_bytes(files))
    return warn.messages
