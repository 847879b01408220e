"""QTI 2.1 / 3.0 import (items, tests, content packages), QTI 3.0 export, and the safe zip reader."""

from __future__ import annotations

import io
import stat
import struct
import tracemalloc
import zipfile

import pytest

from microcred.exams import items
from microcred.exams.formats import qti
from microcred.exams.formats.base import FormatError, ImportedItem
from microcred.exams.formats.xmlsafe import SafeZip, parse_xml, resolve_href

NS21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
NS30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
RP21 = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
RP30 = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"


def graded(item: ImportedItem, response: dict) -> float | None:
    checked = items.validate_response(item.kind, item.interaction, response)
    return items.score(item.kind, item.scoring, checked)


def item21(identifier: str, declaration: str, body: str, processing: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{NS21}" identifier="{identifier}" title="{identifier} title"
    adaptive="false" timeDependent="false">
  {declaration}
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>{body}</itemBody>
  {processing}
</assessmentItem>"""


def item30(identifier: str, declaration: str, body: str, processing: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{NS30}" identifier="{identifier}" title="{identifier} title"
    adaptive="false" time-dependent="false">
  {declaration}
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>{body}</qti-item-body>
  {processing}
</qti-assessment-item>"""


def template21(name: str) -> str:
    return f'<responseProcessing template="{RP21}{name}"/>'


def template30(name: str) -> str:
    return f'<qti-response-processing template="{RP30}{name}.xml"/>'


# -- fixtures: each interaction in QTI 2.1 and in QTI 3.0 -------------------------------------

SINGLE_21 = item21(
    "single",
    """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
         <correctResponse><value>B</value></correctResponse></responseDeclaration>""",
    """<p>Which planet is <em>red</em>?</p>
       <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="1">
         <prompt>Pick one.</prompt>
         <simpleChoice identifier="A">Venus</simpleChoice>
         <simpleChoice identifier="B">Mars<feedbackInline outcomeIdentifier="FEEDBACK"
             identifier="B" showHide="show">Yes, iron oxide.</feedbackInline></simpleChoice>
         <simpleChoice identifier="C" fixed="true">None of these</simpleChoice>
       </choiceInteraction>""",
    template21("match_correct"),
)
SINGLE_30 = item30(
    "single",
    """<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
         <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
       </qti-response-declaration>""",
    """<p>Which planet is <em>red</em>?</p>
       <qti-choice-interaction response-identifier="RESPONSE" shuffle="true" max-choices="1">
         <qti-prompt>Pick one.</qti-prompt>
         <qti-simple-choice identifier="A">Venus</qti-simple-choice>
         <qti-simple-choice identifier="B">Mars<qti-feedback-inline outcome-identifier="FEEDBACK"
             identifier="B" show-hide="show">Yes, iron oxide.</qti-feedback-inline></qti-simple-choice>
         <qti-simple-choice identifier="C" fixed="true">None of these</qti-simple-choice>
       </qti-choice-interaction>""",
    template30("match_correct"),
)

MULTIPLE_MAP_21 = item21(
    "multiple-map",
    """<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
         <correctResponse><value>A</value><value>C</value></correctResponse>
         <mapping lowerBound="0" upperBound="2" defaultValue="0">
           <mapEntry mapKey="A" mappedValue="1"/><mapEntry mapKey="B" mappedValue="-1"/>
           <mapEntry mapKey="C" mappedValue="1"/></mapping></responseDeclaration>
       <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">
         <defaultValue><value>2</value></defaultValue></outcomeDeclaration>""",
    """<choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">
         <prompt>Which are prime?</prompt>
         <simpleChoice identifier="A">2</simpleChoice><simpleChoice identifier="B">4</simpleChoice>
         <simpleChoice identifier="C">5</simpleChoice></choiceInteraction>""",
    template21("map_response"),
)
MULTIPLE_MAP_30 = item30(
    "multiple-map",
    """<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">
         <qti-correct-response><qti-value>A</qti-value><qti-value>C</qti-value></qti-correct-response>
         <qti-mapping lower-bound="0" upper-bound="2" default-value="0">
           <qti-map-entry map-key="A" mapped-value="1"/><qti-map-entry map-key="B" mapped-value="-1"/>
           <qti-map-entry map-key="C" mapped-value="1"/></qti-mapping></qti-response-declaration>
       <qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">
         <qti-default-value><qti-value>2</qti-value></qti-default-value></qti-outcome-declaration>""",
    """<qti-choice-interaction response-identifier="RESPONSE" shuffle="false" max-choices="0">
         <qti-prompt>Which are prime?</qti-prompt>
         <qti-simple-choice identifier="A">2</qti-simple-choice>
         <qti-simple-choice identifier="B">4</qti-simple-choice>
         <qti-simple-choice identifier="C">5</qti-simple-choice></qti-choice-interaction>""",
    template30("map_response"),
)

MULTIPLE_ALL_21 = item21(
    "multiple-all",
    """<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
         <correctResponse><value>A</value><value>C</value></correctResponse></responseDeclaration>""",
    """<p>Which are prime?</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="3">
         <simpleChoice identifier="A">2</simpleChoice><simpleChoice identifier="B">4</simpleChoice>
         <simpleChoice identifier="C">5</simpleChoice></choiceInteraction>""",
    template21("match_correct"),
)
MULTIPLE_ALL_30 = item30(
    "multiple-all",
    """<qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">
         <qti-correct-response><qti-value>A</qti-value><qti-value>C</qti-value></qti-correct-response>
       </qti-response-declaration>""",
    """<p>Which are prime?</p>
       <qti-choice-interaction response-identifier="RESPONSE" max-choices="3">
         <qti-simple-choice identifier="A">2</qti-simple-choice>
         <qti-simple-choice identifier="B">4</qti-simple-choice>
         <qti-simple-choice identifier="C">5</qti-simple-choice></qti-choice-interaction>""",
    template30("match_correct"),
)

TEXT_21 = item21(
    "text",
    """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string">
         <correctResponse><value>Paris</value></correctResponse>
         <mapping defaultValue="0"><mapEntry mapKey="Paris" mappedValue="1" caseSensitive="false"/>
           <mapEntry mapKey="Lutetia" mappedValue="0.5" caseSensitive="false"/></mapping>
       </responseDeclaration>""",
    """<p>The capital of France is
       <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="15"/>.</p>""",
    template21("map_response"),
)
TEXT_30 = item30(
    "text",
    """<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string">
         <qti-correct-response><qti-value>Paris</qti-value></qti-correct-response>
         <qti-mapping default-value="0">
           <qti-map-entry map-key="Paris" mapped-value="1" case-sensitive="false"/>
           <qti-map-entry map-key="Lutetia" mapped-value="0.5" case-sensitive="false"/>
         </qti-mapping></qti-response-declaration>""",
    """<p>The capital of France is
       <qti-text-entry-interaction response-identifier="RESPONSE" expected-length="15"/>.</p>""",
    template30("map_response"),
)

NUMERIC_21 = item21(
    "numeric",
    """<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="float">
         <correctResponse><value>3.14</value></correctResponse></responseDeclaration>""",
    """<p>Pi to two decimals:</p><p><textEntryInteraction responseIdentifier="RESPONSE"/></p>""",
    """<responseProcessing><responseCondition><responseIf>
         <equal toleranceMode="absolute" tolerance="0.01 0.01">
           <variable identifier="RESPONSE"/><correct identifier="RESPONSE"/></equal>
         <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue>
       </responseIf><responseElse>
         <setOutcomeValue identifier="SCORE"><baseValue baseType="float">0</baseValue></setOutcomeValue>
       </responseElse></responseCondition></responseProcessing>""",
)
NUMERIC_30 = item30(
    "numeric",
    """<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="float">
         <qti-correct-response><qti-value>3.14</qti-value></qti-correct-response>
       </qti-response-declaration>""",
    """<p>Pi to two decimals:</p>
       <p><qti-text-entry-interaction response-identifier="RESPONSE"/></p>""",
    """<qti-response-processing><qti-response-condition><qti-response-if>
         <qti-equal tolerance-mode="absolute" tolerance="0.01 0.01">
           <qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/></qti-equal>
         <qti-set-outcome-value identifier="SCORE">
           <qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value>
       </qti-response-if><qti-response-else><qti-set-outcome-value identifier="SCORE">
         <qti-base-value base-type="float">0</qti-base-value></qti-set-outcome-value>
       </qti-response-else></qti-response-condition></qti-response-processing>""",
)

ESSAY_21 = item21(
    "essay",
    '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>',
    """<extendedTextInteraction responseIdentifier="RESPONSE" expectedLines="12">
         <prompt>Describe the water cycle.</prompt></extendedTextInteraction>""",
)
ESSAY_30 = item30(
    "essay",
    '<qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>',
    """<qti-extended-text-interaction response-identifier="RESPONSE" expected-lines="12">
         <qti-prompt>Describe the water cycle.</qti-prompt></qti-extended-text-interaction>""",
)

ORDER_21 = item21(
    "order",
    """<responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">
         <correctResponse><value>C</value><value>A</value><value>B</value></correctResponse>
       </responseDeclaration>""",
    """<orderInteraction responseIdentifier="RESPONSE" shuffle="true">
         <prompt>Oldest first.</prompt>
         <simpleChoice identifier="A">Rome</simpleChoice>
         <simpleChoice identifier="B">Byzantium</simpleChoice>
         <simpleChoice identifier="C">Babylon</simpleChoice></orderInteraction>""",
    template21("match_correct"),
)
ORDER_30 = item30(
    "order",
    """<qti-response-declaration identifier="RESPONSE" cardinality="ordered" base-type="identifier">
         <qti-correct-response><qti-value>C</qti-value><qti-value>A</qti-value>
           <qti-value>B</qti-value></qti-correct-response></qti-response-declaration>""",
    """<qti-order-interaction response-identifier="RESPONSE" shuffle="true">
         <qti-prompt>Oldest first.</qti-prompt>
         <qti-simple-choice identifier="A">Rome</qti-simple-choice>
         <qti-simple-choice identifier="B">Byzantium</qti-simple-choice>
         <qti-simple-choice identifier="C">Babylon</qti-simple-choice></qti-order-interaction>""",
    template30("match_correct"),
)

MATCH_21 = item21(
    "match",
    """<responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
         <correctResponse><value>P1 R2</value><value>P2 R1</value></correctResponse>
         <mapping defaultValue="0"><mapEntry mapKey="P1 R2" mappedValue="1"/>
           <mapEntry mapKey="P2 R1" mappedValue="1"/></mapping></responseDeclaration>""",
    """<matchInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="2">
         <prompt>Match the capitals.</prompt>
         <simpleMatchSet>
           <simpleAssociableChoice identifier="P1" matchMax="1">France</simpleAssociableChoice>
           <simpleAssociableChoice identifier="P2" matchMax="1">Italy</simpleAssociableChoice>
         </simpleMatchSet><simpleMatchSet>
           <simpleAssociableChoice identifier="R1" matchMax="1">Rome</simpleAssociableChoice>
           <simpleAssociableChoice identifier="R2" matchMax="1">Paris</simpleAssociableChoice>
           <simpleAssociableChoice identifier="R3" matchMax="1">Bern</simpleAssociableChoice>
         </simpleMatchSet></matchInteraction>""",
    template21("map_response"),
)
MATCH_30 = item30(
    "match",
    """<qti-response-declaration identifier="RESPONSE" cardinality="multiple"
           base-type="directedPair">
         <qti-correct-response><qti-value>P1 R2</qti-value><qti-value>P2 R1</qti-value>
         </qti-correct-response>
         <qti-mapping default-value="0"><qti-map-entry map-key="P1 R2" mapped-value="1"/>
           <qti-map-entry map-key="P2 R1" mapped-value="1"/></qti-mapping>
       </qti-response-declaration>""",
    """<qti-match-interaction response-identifier="RESPONSE" shuffle="true" max-associations="2">
         <qti-prompt>Match the capitals.</qti-prompt>
         <qti-simple-match-set>
           <qti-simple-associable-choice identifier="P1" match-max="1">France</qti-simple-associable-choice>
           <qti-simple-associable-choice identifier="P2" match-max="1">Italy</qti-simple-associable-choice>
         </qti-simple-match-set><qti-simple-match-set>
           <qti-simple-associable-choice identifier="R1" match-max="1">Rome</qti-simple-associable-choice>
           <qti-simple-associable-choice identifier="R2" match-max="1">Paris</qti-simple-associable-choice>
           <qti-simple-associable-choice identifier="R3" match-max="1">Bern</qti-simple-associable-choice>
         </qti-simple-match-set></qti-match-interaction>""",
    template30("map_response"),
)

BOTH = pytest.mark.parametrize("version", ["2.1", "3.0"])


def one(document: str) -> ImportedItem:
    report = qti.parse(document.encode())
    assert report.skipped == []
    assert len(report.items) == 1
    return report.items[0]


def pick(version: str, v21: str, v30: str) -> ImportedItem:
    return one(v21 if version == "2.1" else v30)


# -- import, per interaction -------------------------------------------------------------------


@BOTH
def test_single_choice(version):
    item = pick(version, SINGLE_21, SINGLE_30)
    assert item.kind == items.SINGLE
    assert item.title == "single title"
    assert item.source == "single"
    assert item.stem == "<p>Which planet is <em>red</em>?</p>\nPick one."
    assert item.interaction == {
        "choices": [
            {"id": "A", "text": "Venus", "fixed": False},
            {"id": "B", "text": "Mars", "fixed": False},
            {"id": "C", "text": "None of these", "fixed": True},
        ],
        "shuffle": True,
    }
    assert item.scoring == {"weights": {"B": 1.0}}
    assert item.feedback["choices"] == {"B": "Yes, iron oxide."}
    assert graded(item, {"choice": "B"}) == 1.0
    assert graded(item, {"choice": "A"}) == 0.0


@BOTH
def test_multiple_response_with_a_mapping_becomes_weights(version):
    item = pick(version, MULTIPLE_MAP_21, MULTIPLE_MAP_30)
    assert item.kind == items.MULTIPLE
    assert item.scoring == {"rule": items.WEIGHTS, "weights": {"A": 0.5, "B": -0.5, "C": 0.5}}
    assert item.max_score == 2.0
    assert item.interaction["shuffle"] is False
    assert item.stem == "Which are prime?"
    assert graded(item, {"choices": ["A", "C"]}) == 1.0
    assert graded(item, {"choices": ["A"]}) == 0.5
    assert graded(item, {"choices": ["A", "B"]}) == 0.0


@BOTH
def test_multiple_response_without_a_mapping_is_all_or_nothing(version):
    item = pick(version, MULTIPLE_ALL_21, MULTIPLE_ALL_30)
    assert item.scoring == {"rule": items.ALL_OR_NOTHING, "correct": ["A", "C"]}
    assert graded(item, {"choices": ["A", "C"]}) == 1.0
    assert graded(item, {"choices": ["A"]}) == 0.0


@BOTH
def test_text_entry_string_becomes_short_text(version):
    item = pick(version, TEXT_21, TEXT_30)
    assert item.kind == items.SHORT_TEXT
    assert " ".join(item.stem.split()) == "<p>The capital of France is _____.</p>"
    assert item.interaction == {"max_length": 15}
    assert item.scoring == {
        "answers": [{"text": "Paris", "fraction": 1.0}, {"text": "Lutetia", "fraction": 0.5}],
        "case_sensitive": False,
        "ignore_whitespace": True,
    }
    assert graded(item, {"text": " paris "}) == 1.0
    assert graded(item, {"text": "LUTETIA"}) == 0.5
    assert graded(item, {"text": "Lyon"}) == 0.0


@BOTH
def test_text_entry_float_with_the_tolerance_pattern_becomes_numeric(version):
    item = pick(version, NUMERIC_21, NUMERIC_30)
    assert item.kind == items.NUMERIC
    assert item.stem == "<p>Pi to two decimals:</p>"
    assert item.scoring == {"answers": [{"value": "3.14", "tolerance": "0.01", "fraction": 1.0}]}
    assert graded(item, {"value": "3.145"}) == 1.0
    assert graded(item, {"value": "3,13"}) == 1.0
    assert graded(item, {"value": "3.2"}) == 0.0


@BOTH
def test_extended_text_becomes_essay(version):
    item = pick(version, ESSAY_21, ESSAY_30)
    assert item.kind == items.ESSAY
    assert item.interaction == {"expected_lines": 12}
    assert item.stem == "Describe the water cycle."
    assert graded(item, {"text": "Evaporation …"}) is None


@BOTH
def test_order(version):
    item = pick(version, ORDER_21, ORDER_30)
    assert item.kind == items.ORDERING
    assert item.scoring == {"order": ["C", "A", "B"], "rule": items.ALL_OR_NOTHING}
    assert graded(item, {"order": ["C", "A", "B"]}) == 1.0
    assert graded(item, {"order": ["A", "C", "B"]}) == 0.0


@BOTH
def test_match_with_directed_pairs(version):
    item = pick(version, MATCH_21, MATCH_30)
    assert item.kind == items.MATCHING
    assert [p["text"] for p in item.interaction["premises"]] == ["France", "Italy"]
    assert [r["id"] for r in item.interaction["responses"]] == ["R1", "R2", "R3"]
    assert item.scoring == {"pairs": {"P1": "R2", "P2": "R1"}, "rule": items.PARTIAL}
    assert graded(item, {"pairs": {"P1": "R2", "P2": "R1"}}) == 1.0
    assert graded(item, {"pairs": {"P1": "R2", "P2": "R3"}}) == 0.5


def test_a_written_out_match_correct_is_the_template():
    processing = """<responseProcessing><responseCondition><responseIf><match>
        <variable identifier="RESPONSE"/><correct identifier="RESPONSE"/></match>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">3</baseValue>
        </setOutcomeValue></responseIf><responseElse><setOutcomeValue identifier="SCORE">
        <baseValue baseType="float">0</baseValue></setOutcomeValue></responseElse>
        </responseCondition></responseProcessing>"""
    document = SINGLE_21.replace(template21("match_correct"), processing)
    item = one(document)
    assert item.scoring == {"weights": {"B": 1.0}}
    assert item.max_score == 3.0


def test_relative_and_asymmetric_tolerances():
    processing = """<responseProcessing><responseCondition>
      <responseIf><equal toleranceMode="relative" tolerance="10">
        <variable identifier="RESPONSE"/><baseValue baseType="float">200</baseValue></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">2</baseValue>
        </setOutcomeValue></responseIf>
      <responseElseIf><equal toleranceMode="absolute" tolerance="1 5">
        <variable identifier="RESPONSE"/><baseValue baseType="float">100</baseValue></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue>
        </setOutcomeValue></responseElseIf>
    </responseCondition></responseProcessing>"""
    declaration = NUMERIC_21[
        NUMERIC_21.index("<responseDeclaration") : NUMERIC_21.index("<outcome")
    ]
    body = '<p>Value:</p><p><textEntryInteraction responseIdentifier="RESPONSE"/></p>'
    item = one(item21("relative", declaration, body, processing))
    assert item.scoring["answers"] == [
        {"value": "200", "tolerance": "20", "fraction": 1.0},
        {"min": "99", "max": "105", "fraction": 0.5},
    ]
    assert item.max_score == 2.0
    assert graded(item, {"value": "219"}) == 1.0
    assert graded(item, {"value": "104"}) == 0.5
    assert graded(item, {"value": "98"}) == 0.0


def test_true_false_shaped_choice_becomes_true_false():
    document = item30(
        "tf",
        """<qti-response-declaration identifier="RESPONSE" cardinality="single"
             base-type="identifier"><qti-correct-response><qti-value>false</qti-value>
           </qti-correct-response></qti-response-declaration>""",
        """<p>The sun is cold.</p><qti-choice-interaction response-identifier="RESPONSE"
             max-choices="1"><qti-simple-choice identifier="true">True</qti-simple-choice>
           <qti-simple-choice identifier="false">False</qti-simple-choice></qti-choice-interaction>""",
        template30("match_correct"),
    )
    item = one(document)
    assert (item.kind, item.scoring) == (items.TRUE_FALSE, {"correct": False})


# -- refused items -----------------------------------------------------------------------------


def test_custom_response_processing_is_skipped_with_the_reason():
    processing = """<responseProcessing><responseCondition><responseIf>
        <gt><variable identifier="numAttempts"/><baseValue baseType="integer">1</baseValue></gt>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue>
        </setOutcomeValue></responseIf></responseCondition></responseProcessing>"""
    report = qti.parse(SINGLE_21.replace(template21("match_correct"), processing).encode())
    assert report.items == []
    assert report.skipped[0].source == "single"
    assert "custom response processing" in report.skipped[0].reason


def test_an_unknown_template_is_skipped():
    report = qti.parse(SINGLE_30.replace("match_correct.xml", "map_response_point.xml"))
    assert "'map_response_point' is not supported" in report.skipped[0].reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('<hotspotInteraction responseIdentifier="RESPONSE"/>', "hotspotInteraction"),
        (
            '<p><textEntryInteraction responseIdentifier="RESPONSE"/>'
            '<textEntryInteraction responseIdentifier="R2"/></p>',
            "more than one interaction",
        ),
        ("<p>No question here</p>", "no interaction"),
        ('<orderInteraction responseIdentifier="OTHER"/>', "no response declaration"),
    ],
)
def test_unsupported_items_are_skipped(body, reason):
    declaration = (
        '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>'
    )
    report = qti.parse(item21("odd", declaration, body, template21("match_correct")), "odd.xml")
    assert report.items == []
    assert report.skipped[0].source == "odd.xml"
    assert reason in report.skipped[0].reason


def test_not_a_qti_document():
    with pytest.raises(FormatError, match="not a QTI item"):
        qti.parse(b"<quiz/>")
    with pytest.raises(FormatError, match="whole content package"):
        qti.parse(b"<manifest/>")


# -- tests and packages ------------------------------------------------------------------------

TEST_21 = f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentTest xmlns="{NS21}" identifier="T1" title="Astronomy">
  <testPart identifier="P1" navigationMode="linear" submissionMode="individual">
    <assessmentSection identifier="S1" title="Planets" visible="true">
      <assessmentItemRef identifier="ref1" href="items/elsewhere.xml"/>
      {SINGLE_21.split("?>", 1)[1]}
    </assessmentSection>
    <assessmentSection identifier="S2" title="History" visible="true">
      {ORDER_21.split("?>", 1)[1]}
    </assessmentSection>
  </testPart>
</assessmentTest>"""


def test_a_test_with_inline_items_and_references():
    report = qti.parse(TEST_21.encode(), "astro.xml")
    assert [(i.title, i.category) for i in report.items] == [
        ("single title", "Planets"),
        ("order title", "History"),
    ]
    assert [s.source for s in report.skipped] == ["astro.xml: items/elsewhere.xml"]
    assert "content package" in report.skipped[0].reason


MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M1">
  <organizations/>
  <resources>
    <resource identifier="test" type="imsqti_test_xmlv2p1" href="tests/test.xml"/>
    <resource identifier="i1" type="imsqti_item_xmlv2p1" href="items/single.xml">
      <file href="items/single.xml"/></resource>
    <resource identifier="i2" type="imsqti_item_xmlv3p0"><file href="items/match%2030.xml"/>
    </resource>
    <resource identifier="i3" type="imsqti_item_xmlv2p1" href="items/broken.xml"/>
    <resource identifier="i4" type="imsqti_item_xmlv2p1" href="../evil.xml"/>
    <resource identifier="i5" type="imsqti_item_xmlv2p1" href="/etc/passwd"/>
    <resource identifier="i6" type="imsqti_item_xmlv2p1" href="file:///etc/passwd"/>
    <resource identifier="i7" type="imsqti_item_xmlv2p1" href="items/missing.xml"/>
    <resource identifier="i8" type="imsqti_item_xmlv2p1" href="items/xxe.xml"/>
    <resource identifier="css" type="webcontent" href="style.css"/>
  </resources>
</manifest>"""
PACKAGE_TEST = f"""<assessmentTest xmlns="{NS21}" identifier="T" title="T"><testPart
  identifier="P" navigationMode="linear" submissionMode="individual">
  <assessmentSection identifier="S" title="Space" visible="true">
    <assessmentItemRef identifier="a" href="../items/single.xml" category="skill:planets core"/>
    <assessmentItemRef identifier="b" href="../items/ordered.xml"/>
  </assessmentSection></testPart></assessmentTest>"""
XXE_ITEM = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<assessmentItem identifier="x">&e;</assessmentItem>"""


def build_zip(entries: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_content_package():
    package = build_zip(
        {
            "imsmanifest.xml": MANIFEST,
            "tests/test.xml": PACKAGE_TEST,
            "items/single.xml": SINGLE_21,
            "items/match 30.xml": MATCH_30,
            "items/ordered.xml": ORDER_30,
            "items/broken.xml": "<assessmentItem><itemBody>",
            "items/xxe.xml": XXE_ITEM,
            "style.css": "p {}",
        }
    )
    report = qti.parse(package)
    assert report.format == "qti"
    imported = {i.source: (i.kind, i.category, i.tags) for i in report.items}
    assert imported == {
        "items/single.xml": (items.SINGLE, "Space", ("skill:planets", "core")),
        "items/match 30.xml": (items.MATCHING, "", ()),
        "items/ordered.xml": (items.ORDERING, "Space", ()),
    }
    reasons = {s.source: s.reason for s in report.skipped}
    assert "not well-formed XML" in reasons["items/broken.xml"]
    assert "DTDs and entities are not allowed" in reasons["items/xxe.xml"]
    assert "points outside the package" in reasons["../evil.xml"]
    assert "does not point inside the package" in reasons["/etc/passwd"]
    assert "does not point inside the package" in reasons["file:///etc/passwd"]
    assert "no file 'items/missing.xml'" in reasons["items/missing.xml"]
    assert len(report.skipped) == 6


def test_a_package_needs_a_manifest():
    with pytest.raises(FormatError, match=r"no imsmanifest\.xml"):
        qti.parse(build_zip({"item.xml": SINGLE_21}))


# -- hostile archives --------------------------------------------------------------------------


def test_zip_slip_entries_are_refused():
    with pytest.raises(FormatError, match="points outside the package"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, "../evil.xml": SINGLE_21}))
    with pytest.raises(FormatError, match="points outside the package"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, "items/../../evil.xml": "x"}))


def test_absolute_and_backslash_entries_are_refused():
    with pytest.raises(FormatError, match="absolute path"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, "/etc/evil.xml": SINGLE_21}))
    with pytest.raises(FormatError, match="absolute path"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, "C:/evil.xml": SINGLE_21}))
    with pytest.raises(FormatError, match="unsafe name"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, "..\\evil.xml": SINGLE_21}))


def test_symlinks_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST)
        link = zipfile.ZipInfo("items/single.xml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(FormatError, match="symbolic link"):
        qti.parse(buffer.getvalue())


def test_duplicate_names_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST)
        with pytest.warns(UserWarning, match="Duplicate"):
            archive.writestr("imsmanifest.xml", "<manifest/>")
    with pytest.raises(FormatError, match="twice"):
        qti.parse(buffer.getvalue())


def test_too_many_entries():
    entries = {f"f{n}.txt": "" for n in range(501)}
    with pytest.raises(FormatError, match="more than 500 entries"):
        qti.parse(build_zip({"imsmanifest.xml": MANIFEST, **entries}))


def zeros_zip(name: str, size: int) -> bytes:
    """A tiny archive holding one member of ``size`` zero bytes, written in chunks."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", MANIFEST)
        with archive.open(name, "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_size():
    bomb = zeros_zip("items/single.xml", 60 * 1024 * 1024)
    assert len(bomb) < 200_000
    with pytest.raises(FormatError, match="unpack to more than 50 MB"):
        qti.parse(bomb)


def test_a_zip_bomb_that_lies_about_its_size_is_never_unpacked():
    real = 30 * 1024 * 1024
    data = bytearray(zeros_zip("items/single.xml", real))
    # Rewrite the central directory so the member claims to be 100 bytes.
    header = data.rindex(b"PK\x01\x02")
    assert struct.unpack_from("<I", data, header + 24)[0] == real
    struct.pack_into("<I", data, header + 24, 100)
    archive = SafeZip(bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"damaged|more than it declares"):
            archive.read("items/single.xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024  # the 30 MB were never produced
    # Inside an import the entry is skipped with the reason; the rest of the package is read.
    reasons = {s.source: s.reason for s in qti.parse(bytes(data)).skipped}
    assert "damaged" in reasons["items/single.xml"]


def test_not_a_zip_and_a_truncated_zip():
    with pytest.raises(FormatError, match="not a readable zip"):
        qti.parse(b"PK\x03\x04 this is not really a zip")
    package = build_zip({"imsmanifest.xml": MANIFEST, "items/single.xml": SINGLE_21})
    with pytest.raises(FormatError, match="not a readable zip"):
        qti.parse(package[: len(package) // 2])


def test_members_are_read_by_exact_name_only():
    archive = SafeZip(build_zip({"imsmanifest.xml": MANIFEST, "a/b.xml": "<x/>"}))
    assert archive.names == {"imsmanifest.xml", "a/b.xml"}
    assert archive.read("a/b.xml") == b"<x/>"
    with pytest.raises(FormatError, match="no entry"):
        archive.read("/etc/passwd")
    with pytest.raises(FormatError, match="no entry"):
        archive.read("a/../imsmanifest.xml")


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("", "items/a.xml", "items/a.xml"),
        ("tests", "../items/a.xml", "items/a.xml"),
        ("tests", "./a%20b.xml", "tests/a b.xml"),
        ("", "../a.xml", None),
        ("tests", "../../a.xml", None),
        ("", "/etc/passwd", None),
        ("", "http://example.com/a.xml", None),
        ("", "C:/a.xml", None),
        ("", "a\\..\\..\\b.xml", None),
        ("", "%2e%2e/a.xml", None),
    ],
)
def test_resolve_href(base, href, expected):
    if expected is None:
        with pytest.raises(FormatError):
            resolve_href(base, href)
    else:
        assert resolve_href(base, href) == expected


@pytest.mark.parametrize(
    "hostile",
    [
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><assessmentItem>&x;</assessmentItem>',
        b'<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><a>&b;</a>',
        b'<!DOCTYPE assessmentItem SYSTEM "http://127.0.0.1:1/x.dtd"><assessmentItem/>',
    ],
    ids=["xxe", "entity-expansion", "doctype"],
)
def test_hostile_qti_documents(hostile):
    with pytest.raises(FormatError, match="DTDs and entities are not allowed"):
        qti.parse(hostile)


@pytest.mark.parametrize("broken", [b"", b"not xml", SINGLE_30[:400].encode()])
def test_not_xml_or_truncated_qti(broken):
    with pytest.raises(FormatError, match="not well-formed XML"):
        qti.parse(broken)


# -- export ------------------------------------------------------------------------------------

ABC = [
    {"id": "A", "text": "Alpha"},
    {"id": "B", "text": "<b>Beta</b> &amp; more"},
    {"id": "C", "text": "x < y & z", "fixed": True},
]
PAIRS_IN = [{"id": "p1", "text": "cat"}, {"id": "p2", "text": "dog"}]
PAIRS_OUT = [
    {"id": "r1", "text": "meow"},
    {"id": "r2", "text": "woof"},
    {"id": "r3", "text": "moo"},
]

BANK = [
    ("single", items.SINGLE, {"choices": ABC}, {"weights": {"B": 1}}, 1),
    ("single-weights", items.SINGLE, {"choices": ABC, "shuffle": False},
     {"weights": {"A": 1, "B": 0.5, "C": -0.25}}, 2),
    ("true-false", items.TRUE_FALSE, {}, {"correct": False}, 1),
    ("multi-all", items.MULTIPLE, {"choices": ABC}, {"rule": "all_or_nothing", "correct": ["A", "C"]}, 1),
    ("multi-partial", items.MULTIPLE, {"choices": ABC}, {"rule": "partial", "correct": ["A", "B"]}, 3),
    ("multi-weights", items.MULTIPLE, {"choices": ABC},
     {"rule": "weights", "weights": {"A": 0.75, "B": 0.25, "C": -1}}, 1),
    ("numeric", items.NUMERIC, {"unit": "km"},
     {"answers": [{"value": "42.5", "tolerance": "0.5"}, {"min": "40", "max": "45.25", "fraction": 0.5}]}, 1),
    ("short", items.SHORT_TEXT, {"max_length": 40},
     {"answers": [{"text": "Paris"}, {"text": "Lutèce", "fraction": 0.5}], "case_sensitive": True,
      "ignore_whitespace": False}, 1),
    ("ordering", items.ORDERING, {"choices": ABC}, {"order": ["C", "A", "B"]}, 1),
    ("ordering-strict", items.ORDERING, {"choices": ABC}, {"order": ["B", "A", "C"], "rule": "all_or_nothing"}, 2),
    ("matching", items.MATCHING, {"premises": PAIRS_IN, "responses": PAIRS_OUT},
     {"pairs": {"p1": "r1", "p2": "r2"}}, 2),
    ("matching-strict", items.MATCHING, {"premises": PAIRS_IN, "responses": PAIRS_OUT},
     {"pairs": {"p1": "r2", "p2": "r2"}, "rule": "all_or_nothing"}, 1),
    ("essay", items.ESSAY, {"expected_lines": 20}, {}, 5),
    ("file", items.FILE, {"accept": [".pdf", ".zip"], "max_mb": 50}, {}, 10),
]  # fmt: skip


def bank() -> list[dict]:
    return [
        {
            "identifier": identifier,
            "title": f"Title of {identifier}",
            "kind": kind,
            "stem": f"<p>Question <em>{identifier}</em></p>",
            "interaction": interaction,
            "scoring": scoring,
            "feedback": {},
            "max_score": max_score,
        }
        for identifier, kind, interaction, scoring, max_score in BANK
    ]


def test_export_writes_a_qti3_content_package():
    package = qti.export(bank())
    archive = zipfile.ZipFile(io.BytesIO(package))
    manifest = parse_xml(archive.read("imsmanifest.xml"))
    resources = [r for r in manifest.iter() if r.tag.endswith("}resource")]
    assert {r.get("type") for r in resources} == {"imsqti_item_xmlv3p0"}
    assert [r.get("href") for r in resources] == [f"items/{row[0]}.xml" for row in BANK]
    for resource in resources:
        root = parse_xml(archive.read(resource.get("href")))
        assert root.tag == f"{{{NS30}}}qti-assessment-item"
        assert root.get("identifier") == resource.get("identifier")
    essay = parse_xml(archive.read("items/essay.xml"))
    assert essay.find(f"{{{NS30}}}qti-response-processing") is None
    assert essay.find(f"{{{NS30}}}qti-outcome-declaration").get("external-scored") == "human"
    assert b"qti-upload-interaction" in archive.read("items/file.xml")
    single = archive.read("items/single.xml").decode()
    assert f'template="{RP30}match_correct.xml"' in single


def test_round_trip_keeps_kind_interaction_scoring_and_points():
    originals = bank()
    report = qti.parse(qti.export(originals))
    assert report.skipped == []
    assert len(report.items) == len(originals)
    for original, imported in zip(originals, report.items, strict=True):
        interaction, scoring, _ = items.validate_item(
            original["kind"], original["interaction"], original["scoring"]
        )
        assert imported.kind == original["kind"], original["identifier"]
        assert imported.interaction == interaction, original["identifier"]
        assert imported.scoring == scoring, original["identifier"]
        assert imported.max_score == original["max_score"], original["identifier"]
        assert imported.title == original["title"]
        assert imported.stem == original["stem"]
        assert imported.source == f"items/{original['identifier']}.xml"


@pytest.mark.parametrize(
    ("identifier", "response"),
    [
        ("single-weights", {"choice": "B"}),
        ("multi-partial", {"choices": ["A"]}),
        ("multi-weights", {"choices": ["B"]}),
        ("numeric", {"value": "44"}),
        ("short", {"text": "Lutèce"}),
        ("ordering", {"order": ["A", "C", "B"]}),
        ("matching", {"pairs": {"p1": "r1", "p2": "r3"}}),
    ],
)
def test_round_trip_scores_the_same(identifier, response):
    original = next(row for row in bank() if row["identifier"] == identifier)
    _, scoring, _ = items.validate_item(
        original["kind"], original["interaction"], original["scoring"]
    )
    imported = qti.parse(qti.export([original])).items[0]
    expected = items.score(original["kind"], scoring, response)
    assert graded(imported, response) == expected
    assert 0 < expected < 1


def test_export_refuses_what_qti_cannot_say():
    pattern = {
        "identifier": "p",
        "title": "Pattern",
        "kind": items.SHORT_TEXT,
        "stem": "?",
        "interaction": {},
        "scoring": {"answers": [{"pattern": "colou?r"}]},
    }
    with pytest.raises(FormatError, match=r"item 1 \(Pattern\): pattern answers"):
        qti.export([pattern])
    broken = {**pattern, "kind": items.SINGLE, "scoring": {}}
    with pytest.raises(FormatError, match=r"item 1 \(Pattern\): choices must be"):
        qti.export([broken])


def test_export_makes_identifiers_safe_and_unique():
    rows = bank()[:3]
    rows[0]["identifier"] = "1 bad/id"
    rows[1]["identifier"] = "1 bad/id"
    rows[2]["identifier"] = ""
    archive = zipfile.ZipFile(io.BytesIO(qti.export(rows)))
    assert sorted(archive.namelist()) == [
        "imsmanifest.xml",
        "items/I1_bad_id-2.xml",
        "items/I1_bad_id.xml",
        "items/item-3.xml",
    ]
