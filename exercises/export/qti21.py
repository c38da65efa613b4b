"""IMS QTI 2.1 (``qti21.zip``) for Blackboard Ultra, OpenOLAT, TAO, Inspera...

One ``assessmentItem`` per variant under ``items/``, an ``assessmentTest`` (``test.xml``) with one
``assessmentSection`` per quiz question that selects 1 of its variants, and an
``imsmanifest.xml``. Numeric blanks are ``textEntryInteraction`` s with a float (or integer)
response compared with ``equal`` and an absolute tolerance; a matrix has one interaction per
cell; multiple choice is a ``choiceInteraction``. QTI 2.1 expresses everything the model holds.
Canvas New Quizzes rejects items with several text entries: use the Canvas export there.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from ..quiz import Quiz
from . import base
from .base import Capabilities, Cell, Item

#: The prompt format the items are written with (:func:`base.prerender`).
PROMPT = "html"

CAPABILITIES = Capabilities(
    file="qti21.zip",
    numeric="`textEntryInteraction`, float + absolute tolerance",
    multiple_choice="`choiceInteraction`",
    matrix="one `textEntryInteraction` per cell",
    fallback="none needed; choice blanks become `inlineChoiceInteraction`",
)

NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI = base.XSI
SCHEMA = f"{NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"

# fmt: off
#: XHTML elements QTI 2.1 content allows (links and objects left out on purpose).
ALLOWED = frozenset([
    "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "kbd", "li", "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var",
])
#: HTML elements that become a ``div`` (other unknown elements become a ``span``).
BLOCKS = frozenset([
    "address", "article", "aside", "blockquote", "details", "div", "dl", "figure", "figcaption",
    "footer", "header", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "ul",
])
# fmt: on


_TAGS: dict[str, str] = {}


def _q(tag: str) -> str:
    q = _TAGS.get(tag)
    if q is None:
        q = _TAGS[tag] = f"{{{NS}}}{tag}"
    return q


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    el = etree.SubElement(parent, _q(tag), attrs) if attrs else etree.SubElement(parent, _q(tag))
    if text is not None:
        el.text = text
    return el


def response_id(cell: Cell) -> str:
    return f"R_{cell.key}"


def convert(el: etree._Element, parent: etree._Element, blank=None) -> None:
    """Append an HTML element (and its subtree) to ``parent`` as QTI 2.1 content: allowed tags
    kept, others mapped to ``div``/``span``, attributes other than ``class`` dropped, tables
    given a ``tbody``; ``<blank>`` placeholders become ``blank(parent, ref)``. Elements are
    made in place (a free-standing element is a document of its own, moved on append)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag == base.BLANK_TAG and blank is not None:
        blank(parent, el.get("ref")).tail = el.tail
        return
    name = tag if tag in ALLOWED else ("div" if tag in BLOCKS else "span")
    out = etree.SubElement(parent, _q(name))
    cls = el.get("class")
    if cls:
        out.set("class", cls)
    out.text = el.text
    children = [c for c in el if isinstance(c.tag, str)]
    if name == "table" and any(c.tag == "tr" for c in children):
        body = _sub(out, "tbody")
        for c in children:
            convert(c, body if c.tag == "tr" else out, blank)
    else:
        for c in children:
            convert(c, out, blank)
    out.tail = el.tail


def _fragment(markup: str, parent: etree._Element) -> None:
    convert(lxml_html.fragment_fromstring(markup, create_parent="div"), parent)


def _declare(item_el, ident: str, base_type: str, value: str) -> None:
    rd = _sub(item_el, "responseDeclaration", identifier=ident, cardinality="single")
    rd.set("baseType", base_type)
    _sub(_sub(rd, "correctResponse"), "value", value)


def _outcome(item_el, ident: str, value: str) -> None:
    od = _sub(item_el, "outcomeDeclaration", identifier=ident, cardinality="single")
    od.set("baseType", "float")
    _sub(_sub(od, "defaultValue"), "value", value)


def _add_score(parent, points: float | int, outcome: str = "SCORE") -> None:
    s = _sub(parent, "setOutcomeValue", identifier=outcome)
    total = _sub(s, "sum")
    _sub(total, "variable", identifier=outcome)
    _sub(total, "baseValue", base.number(points), baseType="float")


def _set_score(parent, points: float) -> None:
    s = _sub(parent, "setOutcomeValue", identifier="SCORE")
    _sub(s, "baseValue", base.number(points), baseType="float")


def _scale(rp, points: float, total: int) -> None:
    """SCORE = MAXSCORE × RAW / total weight: exact when every blank is right (no rounded
    per-blank points that sum to 4.000001)."""
    s = _sub(rp, "setOutcomeValue", identifier="SCORE")
    prod = _sub(s, "product")
    _sub(prod, "baseValue", base.number(points), baseType="float")
    div = _sub(prod, "divide")
    _sub(div, "variable", identifier="RAW")
    _sub(div, "baseValue", str(total), baseType="float")


def _base_type(cell: Cell) -> str:
    if cell.kind == "numeric":
        return "integer" if cell.integer else "float"
    return "identifier" if cell.kind == "choice" else "string"


def _condition(rp, cell: Cell, weight: int) -> None:
    """Add this blank's integer weight to RAW when its response is right (within the
    tolerance)."""
    cond = _sub(_sub(rp, "responseCondition"), "responseIf")
    rid = response_id(cell)
    if cell.kind == "numeric" and not cell.integer:
        test = _sub(cond, "equal")
        if cell.tolerance:
            test.set("toleranceMode", "absolute")
            test.set("tolerance", base.number(cell.tolerance))
        else:
            test.set("toleranceMode", "exact")
    elif cell.kind == "text":
        test = _sub(cond, "stringMatch", caseSensitive="true")
    else:
        test = _sub(cond, "match")
    _sub(test, "variable", identifier=rid)
    _sub(test, "correct", identifier=rid)
    _add_score(cond, weight, "RAW")


def item_document(item: Item) -> etree._Element:
    """One variant as an ``assessmentItem``."""
    root = etree.Element(
        _q("assessmentItem"),
        nsmap={None: NS, "xsi": XSI},
        attrib={f"{{{XSI}}}schemaLocation": SCHEMA},
        identifier=item.ident,
        title=item.name,
        adaptive="false",
        timeDependent="false",
    )
    points = float(item.question.points)
    html = base.html_body(item)
    if item.mode == "choice":
        assert item.choice is not None
        ids = [f"C{i + 1}" for i in range(len(item.options))]
        right = next(i for i, o in zip(ids, item.options) if o.correct)
        _declare(root, "RESPONSE", "identifier", right)
        _outcome(root, "SCORE", "0")
        _outcome(root, "MAXSCORE", base.number(points))
        body = _sub(root, "itemBody")
        convert(html, body)
        ci = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false")
        ci.set("maxChoices", "1")
        for cid, o in zip(ids, item.options):
            sc = _sub(ci, "simpleChoice", identifier=cid)
            _fragment(base.value_html(item.choice, o.value), sc)
        rp = _sub(root, "responseProcessing")
        rc = _sub(rp, "responseCondition")
        cond = _sub(rc, "responseIf")
        m = _sub(cond, "match")
        _sub(m, "variable", identifier="RESPONSE")
        _sub(m, "correct", identifier="RESPONSE")
        _set_score(cond, points)
        for cid, o in zip(ids, item.options):  # the key's partial credit for a distractor
            share = 0.0 if o.correct else base.option_fraction(item.choice, o.value)
            if share > 0:
                cond = _sub(rc, "responseElseIf")
                m = _sub(cond, "match")
                _sub(m, "variable", identifier="RESPONSE")
                _sub(m, "baseValue", cid, baseType="identifier")
                _set_score(cond, round(points * share, 7))
        return root
    cells = {c.key: c for c in item.cells}
    choice_ids: dict[str, dict[str, str]] = {}
    for c in item.cells:
        value = c.text
        if c.kind == "choice":
            choice_ids[c.key] = {ch: f"C{i + 1}" for i, ch in enumerate(c.choices or [])}
            value = choice_ids[c.key][c.value]
        _declare(root, response_id(c), _base_type(c), value)
    _outcome(root, "SCORE", "0")
    _outcome(root, "MAXSCORE", base.number(points))
    _outcome(root, "RAW", "0")

    def blank(parent: etree._Element, key: str) -> etree._Element:
        c = cells[key]
        if c.kind == "choice":
            el = _sub(parent, "inlineChoiceInteraction", responseIdentifier=response_id(c))
            el.set("shuffle", "false")
            for ch, cid in choice_ids[key].items():
                _sub(el, "inlineChoice", ch, identifier=cid)
            return el
        el = _sub(parent, "textEntryInteraction", responseIdentifier=response_id(c))
        el.set("expectedLength", str(max(4, len(c.text) + 2)))
        return el

    convert(html, _sub(root, "itemBody"), blank)
    rp = _sub(root, "responseProcessing")
    weights = base.weights(item.cells)
    for c in item.cells:
        _condition(rp, c, weights[c.key])
    _scale(rp, points, max(sum(weights.values()), 1))
    return root


def test_document(quiz: Quiz, sections: list[tuple[str, str, list[Item]]]) -> etree._Element:
    """The ``assessmentTest``: one section per quiz question, selecting one variant."""
    root = etree.Element(
        _q("assessmentTest"),
        nsmap={None: NS, "xsi": XSI},
        attrib={f"{{{XSI}}}schemaLocation": SCHEMA},
        identifier=base.ident(quiz.set_id, "qti21-test", prefix="t"),
        title=quiz.title or quiz.set_id,
    )
    od = _sub(root, "outcomeDeclaration", identifier="SCORE", cardinality="single")
    od.set("baseType", "float")
    part = _sub(root, "testPart", identifier="P1", navigationMode="nonlinear")
    part.set("submissionMode", "simultaneous")
    for sid, title, its in sections:
        sec = _sub(part, "assessmentSection", identifier=sid, title=title, visible="true")
        _sub(sec, "selection", select="1")
        for item in its:
            _sub(sec, "assessmentItemRef", identifier=item.ident, href=f"items/{item.ident}.xml")
    op = _sub(root, "outcomeProcessing")
    s = _sub(op, "setOutcomeValue", identifier="SCORE")
    _sub(_sub(s, "sum"), "testVariables", variableIdentifier="SCORE")
    return root


def manifest(quiz: Quiz, test_id: str, item_ids: list[str]) -> etree._Element:
    """``imsmanifest.xml`` (IMS Content Packaging 1.1) listing the test and every item."""
    c = base.cp
    root, res = base.cp_manifest(
        base.ident(quiz.set_id, "qti21-manifest", prefix="m"), "QTIv2.1 Package", "1.0.0"
    )
    r = etree.SubElement(
        res, c("resource"), identifier=test_id, type="imsqti_test_xmlv2p1", href="test.xml"
    )
    etree.SubElement(r, c("file"), href="test.xml")
    for iid in item_ids:
        etree.SubElement(r, c("dependency"), identifierref=f"r{iid}")
    for iid in item_ids:
        href = f"items/{iid}.xml"
        r = etree.SubElement(
            res, c("resource"), identifier=f"r{iid}", type="imsqti_item_xmlv2p1", href=href
        )
        etree.SubElement(r, c("file"), href=href)
    return root


def write(quiz: Quiz, out_dir: Path) -> list[str]:
    """Write ``qti21.zip`` into ``out_dir``; returns the warnings."""
    warn = base.Warnings("qti21")
    files: dict[str, bytes] = {}
    sections = []
    item_ids: list[str] = []
    for q, its in base.items(quiz, warn):
        for item in its:
            files[f"items/{item.ident}.xml"] = base.xml_bytes(item_document(item))
            item_ids.append(item.ident)
        sections.append(
            (base.ident(quiz.set_id, q.id, prefix="s"), f"{q.id} {q.title}".strip(), its)
        )
    test = test_document(quiz, sections)
    files["test.xml"] = base.xml_bytes(test)
    files["imsmanifest.xml"] = base.xml_bytes(manifest(quiz, test.get("identifier"), item_ids))
    base.write_atomic(Path(out_dir) / CAPABILITIES.file, base.zip_bytes(files))
    return warn.messages
