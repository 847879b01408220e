"""QTI 2.1 / 3.0 item import and QTI 3.0 content-package export.

Import accepts one ``assessmentItem`` (2.x, camelCase names) or ``qti-assessment-item`` (3.0,
kebab-case names) document, an assessment test (items inline, or referenced — references are
only followed inside a package), or an IMS content package zip whose ``imsmanifest.xml`` lists
item resources. Names are read namespace-agnostically: ``qti-choice-interaction`` and
``choiceInteraction`` are the same thing here.

Interactions: choice (one → single choice or true/false, several → multiple response),
text entry (string → short text, float/integer → numeric), extended text (essay), upload
(file), order and match (directed pairs). Scoring is read from the response declaration under
the standard ``match_correct`` / ``map_response`` templates (named or written out in full) or
the numeric tolerance pattern (``equal`` with a tolerance, one branch per accepted answer);
any other response processing is refused per item, with the reason, because we do not run a
general QTI expression engine. Items with several interactions are refused too.

Export writes QTI 3.0 (``imsqtiasi_v3p0``): one ``qti-assessment-item`` per item plus the
manifest, and reads back to the same kind / interaction / scoring. What QTI cannot say on its
own travels in ``data-*`` attributes (allowed on QTI 3.0 body elements): the numeric unit, the
short-text whitespace rule, the partial-credit rule of multiple response and ordering, and the
accepted file types and size of uploads. Feedback is not exported.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import lxml.html
from lxml import etree

from microcred.exams import items
from microcred.exams.formats.base import FormatError, ImportReport
from microcred.exams.formats.xmlsafe import SafeZip, parse_xml, resolve_href

FORMAT: Final = "qti"
NS: Final = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS: Final = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_RESOURCE: Final = "imsqti_item_xmlv3p0"
_SCHEMA: Final = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
_TEMPLATES: Final = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
_XML_BASE: Final = "{http://www.w3.org/XML/1998/namespace}base"
_BLANK: Final = "_____"
_EPSILON: Final = 1e-9
_WHOLE: Final = re.compile(r"[0-9]{1,6}")
_MIME_EXTENSIONS: Final = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
    "text/markdown": ".md",
}


class _SkipError(Exception):
    """This item cannot be imported; the message says why."""


# -- names: QTI 3.0 kebab-case and 2.x camelCase read as one -----------------------------------


def _name(element: etree._Element) -> str:
    """``qti-choice-interaction`` → ``choiceInteraction``; 2.x names stay as they are."""
    local = etree.QName(element).localname
    if not local.startswith("qti-"):
        return local
    head, *rest = local[4:].split("-")
    return head + "".join(part.capitalize() for part in rest)


def _attr(element: etree._Element, camel: str, default: str = "") -> str:
    kebab = re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), camel)
    value = element.get(camel)
    if value is None:
        value = element.get(kebab)
    return default if value is None else value.strip()


def _kids(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _name(child) == name]


def _kid(element: etree._Element, name: str) -> etree._Element | None:
    found = _kids(element, name)
    return found[0] if found else None


def _float(raw: str, where: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise _SkipError(f"{where} is not a number ({raw!r})") from None


# -- declarations and response processing -------------------------------------------------------


@dataclass
class _Declaration:
    identifier: str
    cardinality: str
    base_type: str
    correct: list[str]
    entries: list[tuple[str, float, bool]]  # (key, mapped value, case-sensitive)
    default: float = 0.0
    upper_bound: float | None = None


def _declaration(element: etree._Element) -> _Declaration:
    correct_el = _kid(element, "correctResponse")
    correct = (
        [(v.text or "").strip() for v in _kids(correct_el, "value")]
        if correct_el is not None
        else []
    )
    entries, default, upper = [], 0.0, None
    mapping = _kid(element, "mapping")
    if mapping is not None:
        default = _float(_attr(mapping, "defaultValue", "0"), "the mapping default")
        if bound := _attr(mapping, "upperBound"):
            upper = _float(bound, "the mapping upper bound")
        for entry in _kids(mapping, "mapEntry"):
            value = _float(_attr(entry, "mappedValue", "0"), "a mapped value")
            sensitive = _attr(entry, "caseSensitive", "true").lower() != "false"
            entries.append((_attr(entry, "mapKey"), value, sensitive))
    return _Declaration(
        identifier=_attr(element, "identifier"),
        cardinality=_attr(element, "cardinality"),
        base_type=_attr(element, "baseType"),
        correct=correct,
        entries=entries,
        default=default,
        upper_bound=upper,
    )


@dataclass
class _Branch:
    """One ``responseIf``: the answer is ``value`` (None: the correct response) ± tolerance."""

    value: str | None
    mode: str  # exact | absolute | relative
    tolerance: tuple[str, str]
    score: float


@dataclass
class _Rule:
    mode: str  # none | match_correct | map_response | tolerance
    points: float | None = None  # what a right answer scores, when the processing says so
    branches: list[_Branch] = field(default_factory=list)


def _elements(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _score_set(action: etree._Element) -> float | None:
    """``setOutcomeValue SCORE <baseValue>n</baseValue>`` → n; anything else → None."""
    kids = _elements(action)
    if _name(action) != "setOutcomeValue" or _attr(action, "identifier") != "SCORE":
        return None
    if len(kids) != 1 or _name(kids[0]) != "baseValue":
        return None
    try:
        return float((kids[0].text or "").strip())
    except ValueError:
        return None


def _branch(part: etree._Element, response_id: str) -> _Branch | None:
    kids = _elements(part)
    if len(kids) != 2:
        return None
    condition, action = kids
    score = _score_set(action)
    operands = _elements(condition)
    if score is None or _name(condition) not in ("match", "equal") or len(operands) != 2:
        return None
    variable, other = operands
    if _name(variable) != "variable" or _attr(variable, "identifier") != response_id:
        return None
    if _name(other) == "correct" and _attr(other, "identifier") == response_id:
        value = None
    elif _name(other) == "baseValue":
        value = (other.text or "").strip()
    else:
        return None
    mode, tolerance = "exact", ("0", "0")
    if _name(condition) == "equal":
        mode = _attr(condition, "toleranceMode", "exact")
        bounds = _attr(condition, "tolerance", "0").split()
        if mode not in ("exact", "absolute", "relative") or not 1 <= len(bounds) <= 2:
            return None
        tolerance = (bounds[0], bounds[-1])
    return _Branch(value, mode, tolerance, score)


def _written_out(rp: etree._Element, response_id: str) -> _Rule | None:
    """The templates written out in full, or the numeric tolerance pattern."""
    kids = _elements(rp)
    if len(kids) != 1 or _name(kids[0]) != "responseCondition":
        return None
    parts = _elements(kids[0])
    shape = [_name(node) for node in kids[0].iter() if node is not kids[0]]
    if shape == [
        "responseIf", "isNull", "variable", "setOutcomeValue", "baseValue",
        "responseElse", "setOutcomeValue", "mapResponse",
    ]:  # fmt: skip
        named = [_attr(node, "identifier") for node in kids[0].iter() if _attr(node, "identifier")]
        if set(named) <= {response_id, "SCORE"}:
            return _Rule("map_response")
        return None
    branches = []
    for n, part in enumerate(parts):
        name = _name(part)
        if name == "responseElse" and n == len(parts) - 1:
            action = _elements(part)
            if len(action) != 1 or _score_set(action[0]) != 0:
                return None
            continue
        if name != ("responseIf" if n == 0 else "responseElseIf"):
            return None
        branch = _branch(part, response_id)
        if branch is None:
            return None
        branches.append(branch)
    if len(branches) == 1 and branches[0].value is None and branches[0].mode == "exact":
        return _Rule("match_correct", points=branches[0].score)
    return _Rule("tolerance", branches=branches) if branches else None


def _response_rule(item: etree._Element, response_id: str) -> _Rule:
    rp = _kid(item, "responseProcessing")
    if rp is None or (not _elements(rp) and not _attr(rp, "template")):
        return _Rule("none")
    template = _attr(rp, "template")
    if template:
        name = template.rstrip("/").rsplit("/", 1)[-1].removesuffix(".xml")
        if name in ("match_correct", "map_response"):
            return _Rule(name)
        raise _SkipError(f"the response processing template {name!r} is not supported")
    rule = _written_out(rp, response_id)
    if rule is None:
        raise _SkipError(
            "the item uses custom response processing, which is not supported "
            "(only the match_correct and map_response templates and the numeric tolerance pattern)"
        )
    return rule


def _keyed(rule: _Rule, decl: _Declaration) -> str:
    """Which part of the declaration scores: "map" (the mapping) or "match" (the key)."""
    if rule.mode == "tolerance":
        raise _SkipError("tolerance processing is only supported for numeric text entry")
    if rule.mode == "map_response" and decl.entries:
        return "map"
    if rule.mode == "none" and decl.entries:
        return "map"
    if not decl.correct:
        raise _SkipError("the item has no correct response")
    return "match"


def _normalised(values: dict[str, float], scale: float) -> dict[str, float]:
    """Mapped points → fractions of the item's maximum."""
    if scale <= 0:
        raise _SkipError("no answer earns points")
    if abs(scale - 1) < _EPSILON:
        return dict(values)
    return {key: round(value / scale, 9) for key, value in values.items()}


# -- content -----------------------------------------------------------------------------------


def _plain_copy(element: etree._Element) -> etree._Element:
    """A copy without namespaces, so stems and choices serialise as plain (X)HTML."""
    copy = deepcopy(element)
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
            for key in [k for k in node.attrib if k.startswith("{")]:
                del node.attrib[key]
    etree.cleanup_namespaces(copy)
    return copy


def _inner_html(element: etree._Element | None) -> str:
    if element is None:
        return ""
    copy = _plain_copy(element)
    if len(copy) == 0:
        return (copy.text or "").strip()
    parts = [html.escape(copy.text or "", quote=False)]
    parts += [etree.tostring(child, encoding="unicode") for child in copy]
    return "".join(parts).strip()


def _remove(element: etree._Element, replacement: str = "") -> None:
    """Drop an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    text = replacement + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(element)


def _stem(body: etree._Element, interaction: etree._Element) -> str:
    """The item body without the interaction (a text entry becomes a blank), plus the prompt."""
    position = list(body.iter()).index(interaction)
    copy = deepcopy(body)
    target = list(copy.iter())[position]
    prompt = _inner_html(_kid(target, "prompt"))
    parent = target.getparent()
    if _name(target) == "textEntryInteraction" and parent is not None and parent is not copy:
        alone = not (parent.text or "").strip() and not (target.tail or "").strip()
        alone = alone and len(parent) == 1
        _remove(parent if alone else target, "" if alone else _BLANK)
    else:
        _remove(target)
    for node in list(copy.iter()):
        if _name(node) in ("feedbackBlock", "feedbackInline", "templateBlock", "rubricBlock"):
            _remove(node)
    return "\n".join(part for part in (_inner_html(copy), prompt) if part)


def _simple_choices(
    parent: etree._Element, name: str = "simpleChoice"
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    choices, feedback = [], {}
    for element in _kids(parent, name):
        choice_id = _attr(element, "identifier")
        element = deepcopy(element)
        for note in [n for n in element.iter() if _name(n) == "feedbackInline"]:
            if text := _inner_html(note):
                feedback[choice_id] = text
            _remove(note)
        choices.append(
            {
                "id": choice_id,
                "text": _inner_html(element),
                "fixed": _attr(element, "fixed") == "true",
            }
        )
    return choices, feedback


# -- interactions → the canonical model ---------------------------------------------------------


@dataclass
class _Converted:
    kind: str
    interaction: dict[str, Any]
    scoring: dict[str, Any]
    feedback: dict[str, str] = field(default_factory=dict)
    points: float | None = None  # the maximum the processing gives, if it says


def _weights(decl: _Declaration, ids: list[str]) -> dict[str, float]:
    mapped = {key: value for key, value, _ in decl.entries}
    return {cid: mapped.get(cid, decl.default) for cid in ids if mapped.get(cid, decl.default)}


def _choice(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    if decl.base_type != "identifier":
        raise _SkipError("a choice interaction needs an identifier response")
    choices, feedback = _simple_choices(element)
    interaction = {"choices": choices, "shuffle": _attr(element, "shuffle") == "true"}
    keyed = _keyed(rule, decl)
    ids = [c["id"] for c in choices]
    if _attr(element, "maxChoices", "1") == "1":
        return _single(interaction, feedback, decl, rule, keyed, ids)
    if keyed == "match":
        scoring = {"rule": items.ALL_OR_NOTHING, "correct": decl.correct}
        return _Converted(items.MULTIPLE, interaction, scoring, feedback, rule.points)
    raw = _weights(decl, ids)
    positive = sum(w for w in raw.values() if w > 0)
    if _attr(element, "dataScoringRule") == "partial" and decl.correct:
        scoring = {"rule": items.PARTIAL, "correct": decl.correct}
    else:
        scoring = {"rule": items.WEIGHTS, "weights": _normalised(raw, positive)}
    return _Converted(items.MULTIPLE, interaction, scoring, feedback, decl.upper_bound or positive)


def _single(
    interaction: dict[str, Any],
    feedback: dict[str, str],
    decl: _Declaration,
    rule: _Rule,
    keyed: str,
    ids: list[str],
) -> _Converted:
    if keyed == "match":
        if len(decl.correct) != 1:
            raise _SkipError("a single-choice item needs exactly one correct choice")
        weights, points = {decl.correct[0]: 1.0}, rule.points
    else:
        raw = _weights(decl, ids)
        points = max(raw.values(), default=0.0)
        weights = _normalised(raw, points)
    if sorted(i.lower() for i in ids) == ["false", "true"] and list(weights.values()) == [1.0]:
        correct = next(iter(weights)).lower() == "true"
        tf_feedback = {key.lower(): text for key, text in feedback.items()}
        return _Converted(items.TRUE_FALSE, {}, {"correct": correct}, tf_feedback, points)
    return _Converted(items.SINGLE, interaction, {"weights": weights}, feedback, points)


def _text_entry(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    if decl.cardinality not in ("", "single"):
        raise _SkipError("a text entry needs a single response")
    if decl.base_type in ("float", "integer"):
        return _numeric(element, decl, rule)
    if decl.base_type != "string":
        raise _SkipError(f"a text entry with a {decl.base_type!r} response is not supported")
    if _keyed(rule, decl) == "match":
        answers = [{"text": text, "fraction": 1.0} for text in decl.correct]
        case_sensitive, points = True, rule.points
    else:
        positive = {key: value for key, value, _ in decl.entries if value > 0}
        points = max(positive.values(), default=0.0)
        answers = [{"text": k, "fraction": f} for k, f in _normalised(positive, points).items()]
        case_sensitive = any(sensitive for _, _, sensitive in decl.entries)
    longest = max((len(a["text"]) for a in answers), default=0)
    expected = _attr(element, "expectedLength")
    max_length = int(expected) if _WHOLE.fullmatch(expected) and int(expected) >= longest else 200
    scoring = {
        "answers": answers,
        "case_sensitive": case_sensitive,
        "ignore_whitespace": _attr(element, "dataIgnoreWhitespace") != "false",
    }
    return _Converted(items.SHORT_TEXT, {"max_length": max_length}, scoring, {}, points)


def _decimal(raw: str, where: str) -> Decimal:
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        raise _SkipError(f"{where} is not a number ({raw!r})") from None
    if not number.is_finite():
        raise _SkipError(f"{where} is not a finite number")
    return number


def _numeric_answer(branch: _Branch, decl: _Declaration, fraction: float) -> dict[str, Any]:
    raw = branch.value if branch.value is not None else (decl.correct or [""])[0]
    value = _decimal(raw, "the accepted answer")
    low, high = (_decimal(t, "the tolerance") for t in branch.tolerance)
    if branch.mode == "exact":
        return {"value": str(value), "tolerance": "0", "fraction": fraction}
    if branch.mode == "relative":  # percentages of the value
        low, high = abs(value) * low / 100, abs(value) * high / 100
    if low == high:
        return {"value": str(value), "tolerance": str(low), "fraction": fraction}
    return {"min": str(value - low), "max": str(value + high), "fraction": fraction}


def _numeric(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    if rule.mode == "tolerance":
        points = max(b.score for b in rule.branches)
        if points <= 0:
            raise _SkipError("no answer earns points")
        answers = [_numeric_answer(b, decl, round(b.score / points, 9)) for b in rule.branches]
    elif _keyed(rule, decl) == "match":
        points = rule.points
        answers = [{"value": decl.correct[0], "tolerance": "0", "fraction": 1.0}]
    else:
        positive = {key: value for key, value, _ in decl.entries if value > 0}
        points = max(positive.values(), default=0.0)
        fractions = _normalised(positive, points)
        answers = [{"value": k, "tolerance": "0", "fraction": f} for k, f in fractions.items()]
    interaction = {"unit": _attr(element, "dataUnit")}
    return _Converted(items.NUMERIC, interaction, {"answers": answers}, {}, points)


def _order(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    if decl.base_type != "identifier" or decl.cardinality != "ordered":
        raise _SkipError("an order interaction needs an ordered identifier response")
    if _keyed(rule, decl) != "match":
        raise _SkipError("an order interaction is scored by its correct order only")
    choices, feedback = _simple_choices(element)
    partial = _attr(element, "dataScoringRule") == "partial"
    scoring = {"order": decl.correct, "rule": items.PARTIAL if partial else items.ALL_OR_NOTHING}
    return _Converted(items.ORDERING, {"choices": choices}, scoring, feedback, rule.points)


def _match(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    if decl.base_type != "directedPair":
        raise _SkipError("only match interactions with directed pairs are supported")
    sets = _kids(element, "simpleMatchSet")
    if len(sets) != 2:
        raise _SkipError("a match interaction needs two match sets")
    premises, feedback = _simple_choices(sets[0], "simpleAssociableChoice")
    responses, _ = _simple_choices(sets[1], "simpleAssociableChoice")
    keyed = _keyed(rule, decl)
    values = decl.correct or [key for key, value, _ in decl.entries if value > 0]
    pairs: dict[str, str] = {}
    for value in values:
        parts = value.split()
        if len(parts) != 2:
            raise _SkipError(f"the pair {value!r} is not two identifiers")
        if parts[0] in pairs:
            raise _SkipError(
                f"{parts[0]!r} has more than one correct match, which is not supported"
            )
        pairs[parts[0]] = parts[1]
    scoring = {"pairs": pairs, "rule": items.PARTIAL if keyed == "map" else items.ALL_OR_NOTHING}
    points = decl.upper_bound or sum(v for _, v, _ in decl.entries if v > 0) or rule.points
    interaction = {"premises": premises, "responses": responses}
    return _Converted(items.MATCHING, interaction, scoring, feedback, points)


def _extended_text(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    lines = _attr(element, "expectedLines", "10")
    expected = max(1, min(200, int(lines))) if _WHOLE.fullmatch(lines) else 10
    return _Converted(items.ESSAY, {"expected_lines": expected}, {})


def _upload(element: etree._Element, decl: _Declaration, rule: _Rule) -> _Converted:
    interaction: dict[str, Any] = {}
    accept = _attr(element, "dataAccept").split()
    if not accept and (mime := _attr(element, "type")) in _MIME_EXTENSIONS:
        accept = [_MIME_EXTENSIONS[mime]]
    if accept:
        interaction["accept"] = accept
    if _WHOLE.fullmatch(max_mb := _attr(element, "dataMaxMb")):
        interaction["max_mb"] = int(max_mb)
    return _Converted(items.FILE, interaction, {})


_READERS: Final[dict[str, Callable[[etree._Element, _Declaration, _Rule], _Converted]]] = {
    "choiceInteraction": _choice,
    "textEntryInteraction": _text_entry,
    "extendedTextInteraction": _extended_text,
    "uploadInteraction": _upload,
    "orderInteraction": _order,
    "matchInteraction": _match,
}
_MANUAL: Final = ("extendedTextInteraction", "uploadInteraction")


# -- items, tests, packages ---------------------------------------------------------------------


def _max_score(item: etree._Element) -> float | None:
    for outcome in _kids(item, "outcomeDeclaration"):
        if _attr(outcome, "identifier") != "MAXSCORE":
            continue
        default = _kid(outcome, "defaultValue")
        value = _kid(default, "value") if default is not None else None
        try:
            number = float((value.text or "").strip()) if value is not None else 0.0
        except ValueError:
            return None
        return number if number > 0 else None
    return None


def _convert_item(item: etree._Element) -> tuple[str, str, _Converted, float]:
    """An item element → (title, stem, converted, max score)."""
    if _name(item) != "assessmentItem":
        raise _SkipError(f"<{etree.QName(item).localname}> is not a QTI assessment item")
    body = _kid(item, "itemBody")
    if body is None:
        raise _SkipError("the item has no body")
    found = [e for e in body.iter() if isinstance(e.tag, str) and _name(e).endswith("Interaction")]
    if not found:
        raise _SkipError("the item has no interaction")
    if len(found) > 1:
        raise _SkipError("items with more than one interaction are not supported")
    interaction = found[0]
    reader = _READERS.get(_name(interaction))
    if reader is None:
        raise _SkipError(f"the {etree.QName(interaction).localname} is not supported")
    response_id = _attr(interaction, "responseIdentifier")
    declarations = {_attr(d, "identifier"): d for d in _kids(item, "responseDeclaration")}
    if response_id not in declarations:
        raise _SkipError(f"no response declaration for {response_id!r}")
    decl = _declaration(declarations[response_id])
    manual = _name(interaction) in _MANUAL
    rule = _Rule("none") if manual else _response_rule(item, response_id)
    converted = reader(interaction, decl, rule)
    title = _attr(item, "title") or _attr(item, "identifier")
    max_score = _max_score(item) or converted.points or 1.0
    return title, _stem(body, interaction), converted, max_score


def _read_item(
    report: ImportReport,
    item: etree._Element,
    source: str,
    category: str = "",
    tags: tuple[str, ...] = (),
) -> None:
    try:
        title, stem, converted, max_score = _convert_item(item)
    except _SkipError as exc:
        report.skip(source, str(exc))
        return
    report.add(
        source=source,
        title=title,
        kind=converted.kind,
        stem=stem,
        interaction=converted.interaction,
        scoring=converted.scoring,
        feedback={"choices": converted.feedback},
        max_score=max_score,
        category=category,
        tags=tags,
    )


Visit = Callable[[etree._Element, str], None]


def _walk_test(
    element: etree._Element, path: tuple[str, ...], on_ref: Visit, on_item: Visit
) -> None:
    """Sections nest; an item's category is the path of section titles above it."""
    for child in _elements(element):
        name = _name(child)
        if name == "assessmentSection":
            title = _attr(child, "title") or _attr(child, "identifier")
            _walk_test(child, (*path, title), on_ref, on_item)
        elif name == "testPart":
            _walk_test(child, path, on_ref, on_item)
        elif name == "assessmentItemRef":
            on_ref(child, "/".join(path))
        elif name == "assessmentItem":
            on_item(child, "/".join(path))


def _ref_tags(ref: etree._Element) -> tuple[str, ...]:
    return tuple(_attr(ref, "category").split())


def _parse_test(root: etree._Element, report: ImportReport, filename: str) -> None:
    prefix = f"{filename}: " if filename else ""

    def on_ref(ref: etree._Element, category: str) -> None:
        source = prefix + (_attr(ref, "href") or _attr(ref, "identifier"))
        report.skip(source, "the test refers to an item file; upload the whole content package")

    def on_item(item: etree._Element, category: str) -> None:
        _read_item(report, item, prefix + _attr(item, "identifier"), category)

    _walk_test(root, (), on_ref, on_item)


def _resource_href(resource: etree._Element, base: str) -> str:
    href = resource.get("href")
    if not href:
        files = [f for f in resource if etree.QName(f).localname == "file" and f.get("href")]
        href = files[0].get("href") if files else ""
    if not href:
        raise FormatError("the resource has no href")
    return resolve_href(posixpath.join(base, resource.get(_XML_BASE) or ""), href)


def _test_context(
    archive: SafeZip, member: str, report: ImportReport
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """A test in the package: the category and tags of each item file it refers to."""
    context: dict[str, tuple[str, tuple[str, ...]]] = {}
    root = parse_xml(archive.read(member), what=member)
    base = posixpath.dirname(member)

    def on_ref(ref: etree._Element, category: str) -> None:
        try:
            target = resolve_href(base, _attr(ref, "href"))
        except FormatError as exc:
            report.skip(f"{member}: {_attr(ref, 'href')}", str(exc))
            return
        context.setdefault(target, (category, _ref_tags(ref)))

    def on_item(item: etree._Element, category: str) -> None:
        _read_item(report, item, f"{member}: {_attr(item, 'identifier')}", category)

    _walk_test(root, (), on_ref, on_item)
    return context


def _parse_package(data: bytes, report: ImportReport) -> None:
    archive = SafeZip(data)
    if "imsmanifest.xml" not in archive:
        raise FormatError("the package has no imsmanifest.xml")
    manifest = parse_xml(archive.read("imsmanifest.xml"), what="imsmanifest.xml")
    item_files: list[str] = []
    context: dict[str, tuple[str, tuple[str, ...]]] = {}
    for resources in (e for e in manifest.iter() if etree.QName(e).localname == "resources"):
        base = resources.get(_XML_BASE) or ""
        for resource in (r for r in resources if etree.QName(r).localname == "resource"):
            kind = resource.get("type", "")
            if not kind.startswith(("imsqti_item_xmlv", "imsqti_test_xmlv")):
                continue
            label = resource.get("href") or resource.get("identifier") or "a resource"
            try:
                member = _resource_href(resource, base)
                if member not in archive:
                    raise FormatError(f"the package has no file {member!r}")
                if kind.startswith("imsqti_test_xmlv"):
                    context.update(_test_context(archive, member, report))
                elif member not in item_files:
                    item_files.append(member)
            except FormatError as exc:
                report.skip(label, str(exc))
    item_files += [m for m in context if m not in item_files and m in archive]
    for member in item_files:
        try:
            root = parse_xml(archive.read(member), what=member)
        except FormatError as exc:
            report.skip(member, str(exc))
            continue
        category, tags = context.get(member, ("", ()))
        _read_item(report, root, member, category, tags)


def parse(data: bytes | str, filename: str = "") -> ImportReport:
    """A QTI item, test or content package (zip) → the items it holds, and what was skipped."""
    report = ImportReport(format=FORMAT)
    if isinstance(data, bytes) and data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        _parse_package(data, report)
        return report
    root = parse_xml(data)
    name = _name(root)
    if name == "assessmentItem":
        _read_item(report, root, filename or _attr(root, "identifier") or "the item")
    elif name == "assessmentTest":
        _parse_test(root, report, filename)
    elif name == "manifest":
        raise FormatError("upload the whole content package (zip), not only imsmanifest.xml")
    else:
        raise FormatError(f"this is not a QTI item, test or package (the root is <{name}>)")
    return report


# -- export -------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, _q(name), {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _num(value: float | int) -> str:
    text = repr(float(value))
    return text.removesuffix(".0")


def _fragment(markup: str) -> etree._Element:
    """Item text (plain or HTML) → a ``<div>`` holding it as XML nodes."""
    try:
        return parse_xml(f"<div>{markup}</div>", what="an item text")
    except FormatError:
        # Not XML (an HTML entity, a bare "<" or "&" …): let the HTML parser read it.
        tree = lxml.html.fragment_fromstring(markup, create_parent="div")
        return parse_xml(etree.tostring(tree, method="xml", encoding="utf-8"), what="an item text")


def _put(parent: etree._Element, markup: str) -> None:
    """Add item text into a QTI element, HTML elements moved into the QTI namespace."""
    fragment = _fragment(markup)
    for node in fragment.iter():
        if node is not fragment and isinstance(node.tag, str):
            node.tag = _q(etree.QName(node).localname)
    parent.text = (parent.text or "") + (fragment.text or "")
    parent.extend(list(fragment))


def _put_stem(body: etree._Element, stem: str) -> None:
    fragment = _fragment(stem)
    loose = (fragment.text or "").strip() or any((c.tail or "").strip() for c in fragment)
    if len(fragment) and not loose:
        _put(body, stem)
    else:
        _put(_sub(body, "p" if not len(fragment) else "div"), stem)


def _outcome(root: etree._Element, identifier: str, value: float, **attrs: str) -> None:
    outcome = _sub(
        root,
        "qti-outcome-declaration",
        identifier=identifier,
        cardinality="single",
        base_type="float",
        **attrs,
    )
    _sub(_sub(outcome, "qti-default-value"), "qti-value", _num(value))


def _correct(decl: etree._Element, values: list[str]) -> None:
    correct = _sub(decl, "qti-correct-response")
    for value in values:
        _sub(correct, "qti-value", value)


def _mapping(
    decl: etree._Element, entries: dict[str, float], upper: float | None, **extra: str
) -> None:
    attrs = {"default_value": "0", "lower_bound": "0"}
    if upper is not None:
        attrs["upper_bound"] = _num(upper)
    mapping = _sub(decl, "qti-mapping", **attrs)
    for key, value in entries.items():
        _sub(mapping, "qti-map-entry", map_key=key, mapped_value=_num(value), **extra)


def _choice_list(
    parent: etree._Element, choices: list[dict[str, Any]], tag: str, **attrs: str
) -> None:
    for choice in choices:
        element = _sub(parent, tag, identifier=choice["id"], **attrs)
        if choice.get("fixed"):
            element.set("fixed", "true")
        _put(element, choice["text"])


@dataclass
class _Export:
    """What a kind writes: the response declaration and interaction are built in place."""

    decl: etree._Element
    body: etree._Element
    interaction: dict[str, Any]
    scoring: dict[str, Any]
    max_score: float


Writer = Callable[[_Export], "str | list[tuple[str, str, float]] | None"]


def _write_single(x: _Export) -> str:
    x.decl.attrib.update({"cardinality": "single", "base-type": "identifier"})
    weights = x.scoring["weights"]
    _correct(x.decl, [next(k for k, w in weights.items() if w == 1.0)])
    partial = any(w != 1.0 for w in weights.values() if w)
    if partial:
        _mapping(x.decl, {k: w * x.max_score for k, w in weights.items() if w}, None)
    shuffle = "true" if x.interaction["shuffle"] else "false"
    element = _sub(
        x.body,
        "qti-choice-interaction",
        response_identifier="RESPONSE",
        shuffle=shuffle,
        max_choices="1",
    )
    _choice_list(element, x.interaction["choices"], "qti-simple-choice")
    return "map_response" if partial else "match_correct"


def _write_true_false(x: _Export) -> str:
    x.decl.attrib.update({"cardinality": "single", "base-type": "identifier"})
    _correct(x.decl, ["true" if x.scoring["correct"] else "false"])
    element = _sub(
        x.body,
        "qti-choice-interaction",
        response_identifier="RESPONSE",
        shuffle="false",
        max_choices="1",
    )
    choices = [{"id": "true", "text": "True"}, {"id": "false", "text": "False"}]
    _choice_list(element, choices, "qti-simple-choice")
    return "match_correct"


def _write_multiple(x: _Export) -> str:
    x.decl.attrib.update({"cardinality": "multiple", "base-type": "identifier"})
    rule, ids = x.scoring["rule"], [c["id"] for c in x.interaction["choices"]]
    shuffle = "true" if x.interaction["shuffle"] else "false"
    element = _sub(
        x.body,
        "qti-choice-interaction",
        response_identifier="RESPONSE",
        shuffle=shuffle,
        max_choices="0",
    )
    _choice_list(element, x.interaction["choices"], "qti-simple-choice")
    if rule == items.WEIGHTS:
        weights = x.scoring["weights"]
        _correct(x.decl, [k for k in ids if weights.get(k, 0) > 0])
        entries = {k: w * x.max_score for k, w in weights.items() if w}
        _mapping(x.decl, entries, x.max_score)
        return "map_response"
    correct = x.scoring["correct"]
    _correct(x.decl, correct)
    if rule == items.ALL_OR_NOTHING:
        return "match_correct"
    # Right minus wrong is exactly a mapping of ±max/|correct| floored at 0.
    element.set("data-scoring-rule", "partial")
    step = x.max_score / len(correct)
    _mapping(x.decl, {k: step if k in correct else -step for k in ids}, x.max_score)
    return "map_response"


def _text_entry_element(x: _Export, **attrs: str) -> None:
    paragraph = _sub(x.body, "p")
    _sub(paragraph, "qti-text-entry-interaction", response_identifier="RESPONSE", **attrs)


def _write_short_text(x: _Export) -> str:
    if any("pattern" in a for a in x.scoring["answers"]):
        raise FormatError("pattern answers cannot be written as QTI")
    x.decl.attrib.update({"cardinality": "single", "base-type": "string"})
    answers = x.scoring["answers"]
    _correct(x.decl, [a["text"] for a in answers if a["fraction"] == 1.0])
    sensitive = "true" if x.scoring["case_sensitive"] else "false"
    entries = {a["text"]: a["fraction"] * x.max_score for a in answers}
    _mapping(x.decl, entries, None, case_sensitive=sensitive)
    attrs = {"expected_length": str(x.interaction["max_length"])}
    if not x.scoring["ignore_whitespace"]:
        attrs["data_ignore_whitespace"] = "false"
    _text_entry_element(x, **attrs)
    return "map_response"


def _write_numeric(x: _Export) -> list[tuple[str, str, float]]:
    x.decl.attrib.update({"cardinality": "single", "base-type": "float"})
    # First match wins in QTI; ours takes the best, so the best answers go first.
    answers = sorted(x.scoring["answers"], key=lambda a: -a["fraction"])
    branches = []
    for answer in answers:
        if "min" in answer:
            low, high = Decimal(answer["min"]), Decimal(answer["max"])
            branches.append((answer["min"], f"0 {high - low}", answer["fraction"]))
        else:
            tolerance = answer["tolerance"]
            branches.append((answer["value"], f"{tolerance} {tolerance}", answer["fraction"]))
    _correct(x.decl, [branches[0][0]])
    attrs = {"data_unit": x.interaction["unit"]} if x.interaction.get("unit") else {}
    _text_entry_element(x, **attrs)
    return branches


def _write_ordering(x: _Export) -> str:
    x.decl.attrib.update({"cardinality": "ordered", "base-type": "identifier"})
    _correct(x.decl, x.scoring["order"])
    element = _sub(x.body, "qti-order-interaction", response_identifier="RESPONSE", shuffle="true")
    if x.scoring["rule"] == items.PARTIAL:
        element.set("data-scoring-rule", "partial")
    _choice_list(element, x.interaction["choices"], "qti-simple-choice")
    return "match_correct"


def _write_matching(x: _Export) -> str:
    x.decl.attrib.update({"cardinality": "multiple", "base-type": "directedPair"})
    pairs = [f"{premise} {response}" for premise, response in x.scoring["pairs"].items()]
    _correct(x.decl, pairs)
    premises = x.interaction["premises"]
    element = _sub(
        x.body,
        "qti-match-interaction",
        response_identifier="RESPONSE",
        shuffle="true",
        max_associations=str(len(premises)),
    )
    _choice_list(
        _sub(element, "qti-simple-match-set"),
        premises,
        "qti-simple-associable-choice",
        match_max="1",
    )
    _choice_list(
        _sub(element, "qti-simple-match-set"),
        x.interaction["responses"],
        "qti-simple-associable-choice",
        match_max="0",
    )
    if x.scoring["rule"] == items.ALL_OR_NOTHING:
        return "match_correct"
    step = x.max_score / len(pairs)
    _mapping(x.decl, dict.fromkeys(pairs, step), x.max_score)
    return "map_response"


def _write_essay(x: _Export) -> None:
    x.decl.attrib.update({"cardinality": "single", "base-type": "string"})
    _sub(
        x.body,
        "qti-extended-text-interaction",
        response_identifier="RESPONSE",
        expected_lines=str(x.interaction["expected_lines"]),
    )


def _write_file(x: _Export) -> None:
    x.decl.attrib.update({"cardinality": "single", "base-type": "file"})
    _sub(
        x.body,
        "qti-upload-interaction",
        response_identifier="RESPONSE",
        data_accept=" ".join(x.interaction["accept"]),
        data_max_mb=str(x.interaction["max_mb"]),
    )


_WRITERS: Final[dict[str, Writer]] = {
    items.SINGLE: _write_single,
    items.TRUE_FALSE: _write_true_false,
    items.MULTIPLE: _write_multiple,
    items.SHORT_TEXT: _write_short_text,
    items.NUMERIC: _write_numeric,
    items.ORDERING: _write_ordering,
    items.MATCHING: _write_matching,
    items.ESSAY: _write_essay,
    items.FILE: _write_file,
}


def _write_branches(rp: etree._Element, branches: list[tuple[str, str, float]], top: float) -> None:
    condition = _sub(rp, "qti-response-condition")
    for n, (value, tolerance, fraction) in enumerate(branches):
        part = _sub(condition, "qti-response-if" if n == 0 else "qti-response-else-if")
        equal = _sub(part, "qti-equal", tolerance_mode="absolute", tolerance=tolerance)
        _sub(equal, "qti-variable", identifier="RESPONSE")
        _sub(equal, "qti-base-value", value, base_type="float")
        outcome = _sub(part, "qti-set-outcome-value", identifier="SCORE")
        _sub(outcome, "qti-base-value", _num(fraction * top), base_type="float")
    otherwise = _sub(
        _sub(condition, "qti-response-else"), "qti-set-outcome-value", identifier="SCORE"
    )
    _sub(otherwise, "qti-base-value", "0", base_type="float")


def _write_match_correct(rp: etree._Element, points: float) -> None:
    condition = _sub(rp, "qti-response-condition")
    part = _sub(condition, "qti-response-if")
    match = _sub(part, "qti-match")
    _sub(match, "qti-variable", identifier="RESPONSE")
    _sub(match, "qti-correct", identifier="RESPONSE")
    _sub(
        _sub(part, "qti-set-outcome-value", identifier="SCORE"),
        "qti-base-value",
        _num(points),
        base_type="float",
    )
    otherwise = _sub(
        _sub(condition, "qti-response-else"), "qti-set-outcome-value", identifier="SCORE"
    )
    _sub(otherwise, "qti-base-value", "0", base_type="float")


def _write_processing(root: etree._Element, plan: Any, max_score: float) -> None:
    if plan is None:
        return
    rp = _sub(root, "qti-response-processing")
    if isinstance(plan, list):
        _write_branches(rp, plan, max_score)
    elif plan == "match_correct" and max_score != 1:
        # The template always scores 1; written out, a right answer scores the item's maximum.
        _write_match_correct(rp, max_score)
    else:
        rp.set("template", f"{_TEMPLATES}{plan}.xml")


def _item_document(item: dict[str, Any], identifier: str) -> bytes:
    kind = item.get("kind", "")
    interaction, scoring, _ = items.validate_item(
        kind, item.get("interaction"), item.get("scoring"), item.get("feedback")
    )
    max_score = float(item.get("max_score") or 1)
    root = etree.Element(_q("qti-assessment-item"), nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NS} {_SCHEMA}")
    root.attrib.update(
        {
            "identifier": identifier,
            "title": str(item.get("title") or identifier)[:200],
            "adaptive": "false",
            "time-dependent": "false",
        }
    )
    decl = _sub(root, "qti-response-declaration", identifier="RESPONSE")
    manual = kind in items.MANUAL_KINDS
    _outcome(root, "SCORE", 0, **({"external_scored": "human"} if manual else {}))
    _outcome(root, "MAXSCORE", max_score)
    body = _sub(root, "qti-item-body")
    _put_stem(body, str(item.get("stem") or ""))
    plan = _WRITERS[kind](_Export(decl, body, interaction, scoring, max_score))
    _write_processing(root, plan, max_score)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _identifier(raw: Any, n: int, used: set[str]) -> str:
    """A QTI identifier (an XML name) that is unique in the package."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", str(raw or ""))[:60] or f"item-{n}"
    if not re.match(r"[A-Za-z_]", text):
        text = f"I{text}"
    candidate, suffix = text, 2
    while candidate in used:
        candidate, suffix = f"{text}-{suffix}", suffix + 1
    used.add(candidate)
    return candidate


def _manifest(resources: list[tuple[str, str]]) -> bytes:
    def sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> Any:
        element = etree.SubElement(parent, f"{{{CP_NS}}}{name}", attrs)
        element.text = text
        return element

    root = etree.Element(f"{{{CP_NS}}}manifest", nsmap={None: CP_NS}, identifier="MANIFEST-1")
    metadata = sub(root, "metadata")
    sub(metadata, "schema", "QTI Package")
    sub(metadata, "schemaversion", "3.0.0")
    sub(root, "organizations")
    listing = sub(root, "resources")
    for identifier, href in resources:
        resource = sub(listing, "resource", identifier=identifier, type=ITEM_RESOURCE, href=href)
        sub(resource, "file", href=href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def export(items_to_write: list[dict[str, Any]]) -> bytes:
    """Items (title, kind, stem, interaction, scoring, feedback, max_score, identifier) →
    a QTI 3.0 content package (zip bytes). Raises :class:`FormatError` naming the first item
    that QTI cannot express."""
    used: set[str] = set()
    resources: list[tuple[str, str]] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, item in enumerate(items_to_write, 1):
            identifier = _identifier(item.get("identifier"), n, used)
            try:
                document = _item_document(item, identifier)
            except (items.ItemError, FormatError, KeyError) as exc:
                raise FormatError(f"item {n} ({item.get('title') or identifier}): {exc}") from None
            href = f"items/{identifier}.xml"
            archive.writestr(href, document)
            resources.append((identifier, href))
        archive.writestr("imsmanifest.xml", _manifest(resources))
    return buffer.getvalue()
