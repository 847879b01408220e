"""Moodle XML import, and the hardened XML parser every XML importer goes through."""

from __future__ import annotations

import pytest

from microcred.exams import items
from microcred.exams.formats import moodlexml
from microcred.exams.formats.base import MAX_IMPORT_BYTES, FormatError, ImportedItem, ImportReport
from microcred.exams.formats.xmlsafe import parse_xml


def graded(item: ImportedItem, response: dict) -> float | None:
    """Score a response the way an attempt does: checked against the interaction first."""
    checked = items.validate_response(item.kind, item.interaction, response)
    return items.score(item.kind, item.scoring, checked)


QUIZ = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Networking/IPv4</text></category>
  </question>
  <question type="multichoice">
    <name><text>Subnet size</text></name>
    <questiontext format="html"><text><![CDATA[<p>How many hosts fit in a <b>/30</b>?</p>]]></text></questiontext>
    <generalfeedback format="html"><text>Four addresses, two usable.</text></generalfeedback>
    <defaultgrade>2</defaultgrade>
    <single>true</single>
    <shuffleanswers>false</shuffleanswers>
    <answer fraction="100" format="html"><text>2</text><feedback><text>Yes</text></feedback></answer>
    <answer fraction="50" format="html"><text>4</text><feedback><text>Close</text></feedback></answer>
    <answer fraction="0" format="html"><text>8</text></answer>
    <tags><tag><text>skill:ipv4</text></tag><tag><text>easy</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Private ranges</text></name>
    <questiontext format="html"><text>Which ranges are private?</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>10.0.0.0/8</text></answer>
    <answer fraction="50"><text>192.168.0.0/16</text></answer>
    <answer fraction="-100"><text>8.8.8.0/24</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Loopback</text></name>
    <questiontext format="html"><text>127.0.0.1 is the loopback address.</text></questiontext>
    <answer fraction="100"><text>true</text><feedback><text>Right</text></feedback></answer>
    <answer fraction="0"><text>false</text><feedback><text>No, it is</text></feedback></answer>
  </question>
  <question type="category">
    <category><text>$course$/top/Networking/Basics</text></category>
  </question>
  <question type="shortanswer">
    <name><text>Protocol</text></name>
    <questiontext format="html"><text>Name the protocol that maps IPs to MACs.</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>ARP</text></answer>
    <answer fraction="50"><text>Address Resolution*</text></answer>
    <answer fraction="0"><text>*</text><feedback><text>No</text></feedback></answer>
  </question>
  <question type="numerical">
    <name><text>MTU</text></name>
    <questiontext format="html"><text>Ethernet MTU?</text></questiontext>
    <answer fraction="100"><text>1500</text><tolerance>2</tolerance></answer>
    <answer fraction="50"><text>1492</text><tolerance>0</tolerance></answer>
    <answer fraction="0"><text>*</text></answer>
    <units><unit><multiplier>1</multiplier><unit_name>bytes</unit_name></unit></units>
  </question>
  <question type="matching">
    <name><text>Ports</text></name>
    <questiontext format="html"><text>Match service and port.</text></questiontext>
    <shuffleanswers>true</shuffleanswers>
    <subquestion format="html"><text>HTTP</text><answer><text>80</text></answer></subquestion>
    <subquestion format="html"><text>HTTPS</text><answer><text>443</text></answer></subquestion>
    <subquestion format="html"><text>SSH</text><answer><text>22</text></answer></subquestion>
    <subquestion format="html"><text></text><answer><text>25</text></answer></subquestion>
  </question>
  <question type="essay">
    <name><text>Explain NAT</text></name>
    <questiontext format="html"><text>Explain NAT in your own words.</text></questiontext>
    <responseformat>editor</responseformat>
    <responsefieldlines>15</responsefieldlines>
    <attachments>0</attachments>
  </question>
  <question type="essay">
    <name><text>Lab report</text></name>
    <questiontext format="html"><text>Upload your lab report.</text></questiontext>
    <responseformat>noinline</responseformat>
    <attachments>1</attachments>
    <filetypeslist>.pdf,.zip</filetypeslist>
    <maxbytes>5242880</maxbytes>
  </question>
  <question type="ordering">
    <name><text>OSI</text></name>
    <questiontext format="html"><text>Order the layers, bottom first.</text></questiontext>
    <gradingtype>-1</gradingtype>
    <answer fraction="1"><text>Physical</text></answer>
    <answer fraction="3"><text>Network</text></answer>
    <answer fraction="2"><text>Data link</text></answer>
  </question>
  <question type="description">
    <name><text>Intro</text></name>
    <questiontext format="html"><text>Read carefully.</text></questiontext>
  </question>
  <question type="multianswer">
    <name><text>Cloze</text></name>
    <questiontext format="html"><text>{1:MULTICHOICE:=a~b}</text></questiontext>
  </question>
  <question type="multichoice">
    <name><text>No key</text></name>
    <questiontext format="html"><text>Nothing is right here.</text></questiontext>
    <single>true</single>
    <answer fraction="0"><text>A</text></answer>
    <answer fraction="0"><text>B</text></answer>
  </question>
</quiz>
"""


@pytest.fixture(scope="module")
def report() -> ImportReport:
    return moodlexml.parse(QUIZ.encode())


def by_title(report: ImportReport, title: str) -> ImportedItem:
    return next(item for item in report.items if item.title == title)


def test_every_supported_type_is_imported_and_the_rest_reported(report):
    assert report.format == "moodle_xml"
    kinds = {item.title: item.kind for item in report.items}
    assert kinds == {
        "Subnet size": items.SINGLE,
        "Private ranges": items.MULTIPLE,
        "Loopback": items.TRUE_FALSE,
        "Protocol": items.SHORT_TEXT,
        "MTU": items.NUMERIC,
        "Ports": items.MATCHING,
        "Explain NAT": items.ESSAY,
        "Lab report": items.FILE,
        "OSI": items.ORDERING,
    }
    reasons = {s.source: s.reason for s in report.skipped}
    assert reasons["question 12 (Intro)"] == "a description is not a question"
    assert reasons["question 13 (Cloze)"] == "question type 'multianswer' is not supported"
    # One bad question does not stop the others; it is reported with the validator's reason.
    assert reasons["question 14 (No key)"] == "a single-choice item needs the correct choice"
    assert len(report.skipped) == 3


def test_single_choice_keeps_html_weights_feedback_grade_tags_and_category(report):
    item = by_title(report, "Subnet size")
    assert item.stem == "<p>How many hosts fit in a <b>/30</b>?</p>"
    assert item.interaction["shuffle"] is False
    assert [c["text"] for c in item.interaction["choices"]] == ["2", "4", "8"]
    assert item.scoring == {"weights": {"c1": 1.0, "c2": 0.5}}
    assert item.feedback == {
        "general": "Four addresses, two usable.",
        "choices": {"c1": "Yes", "c2": "Close"},
    }
    assert item.max_score == 2.0
    assert item.tags == ("skill:ipv4", "easy")
    assert item.category == "Networking/IPv4"
    assert item.source == "question 2 (Subnet size)"
    assert graded(item, {"choice": "c1"}) == 1.0
    assert graded(item, {"choice": "c2"}) == 0.5
    assert graded(item, {"choice": "c3"}) == 0.0


def test_multiple_response_uses_the_fractions_as_weights(report):
    item = by_title(report, "Private ranges")
    assert item.scoring == {"rule": items.WEIGHTS, "weights": {"c1": 0.5, "c2": 0.5, "c3": -1.0}}
    assert graded(item, {"choices": ["c1", "c2"]}) == 1.0
    assert graded(item, {"choices": ["c1"]}) == 0.5
    assert graded(item, {"choices": ["c1", "c2", "c3"]}) == 0.0


def test_true_false(report):
    item = by_title(report, "Loopback")
    assert item.scoring == {"correct": True}
    assert item.feedback["choices"] == {"true": "Right", "false": "No, it is"}
    assert graded(item, {"value": True}) == 1.0
    assert graded(item, {"value": False}) == 0.0


def test_short_answer_case_and_wildcards(report):
    item = by_title(report, "Protocol")
    assert item.category == "Networking/Basics"
    assert item.scoring["case_sensitive"] is True
    assert item.scoring["answers"] == [
        {"text": "ARP", "fraction": 1.0},
        {"pattern": "Address\\ Resolution.*", "fraction": 0.5},
    ]
    assert graded(item, {"text": "ARP"}) == 1.0
    assert graded(item, {"text": "arp"}) == 0.0  # usecase=1
    assert graded(item, {"text": "Address Resolution Protocol"}) == 0.5
    assert graded(item, {"text": "DNS"}) == 0.0


def test_numerical_tolerance_and_unit(report):
    item = by_title(report, "MTU")
    assert item.interaction == {"unit": "bytes"}
    assert item.scoring["answers"] == [
        {"value": "1500", "tolerance": "2", "fraction": 1.0},
        {"value": "1492", "tolerance": "0", "fraction": 0.5},
    ]
    assert graded(item, {"value": "1501.5"}) == 1.0
    assert graded(item, {"value": "1492"}) == 0.5
    assert graded(item, {"value": "1400"}) == 0.0


def test_matching_with_a_distractor_answer(report):
    item = by_title(report, "Ports")
    assert [p["text"] for p in item.interaction["premises"]] == ["HTTP", "HTTPS", "SSH"]
    assert [r["text"] for r in item.interaction["responses"]] == ["80", "443", "22", "25"]
    assert item.scoring == {"pairs": {"p1": "r1", "p2": "r2", "p3": "r3"}, "rule": items.PARTIAL}
    assert graded(item, {"pairs": {"p1": "r1", "p2": "r2", "p3": "r3"}}) == 1.0
    assert graded(item, {"pairs": {"p1": "r1", "p2": "r4"}}) == pytest.approx(1 / 3)


def test_essay_and_attachment_only_essay(report):
    essay = by_title(report, "Explain NAT")
    assert essay.interaction == {"expected_lines": 15}
    assert graded(essay, {"text": "Address translation"}) is None
    upload = by_title(report, "Lab report")
    assert upload.interaction == {"accept": [".pdf", ".zip"], "max_mb": 5}


def test_ordering_plugin(report):
    item = by_title(report, "OSI")
    assert [c["text"] for c in item.interaction["choices"]] == ["Physical", "Network", "Data link"]
    assert item.scoring == {"order": ["c1", "c3", "c2"], "rule": items.ALL_OR_NOTHING}
    assert graded(item, {"order": ["c1", "c3", "c2"]}) == 1.0
    assert graded(item, {"order": ["c1", "c2", "c3"]}) == 0.0


def test_bad_values_inside_one_question_skip_only_that_question():
    xml = """<quiz>
      <question type="numerical"><name><text>Broken</text></name>
        <questiontext><text>?</text></questiontext>
        <answer fraction="100"><text>abc</text></answer></question>
      <question type="truefalse"><name><text>Fine</text></name>
        <questiontext><text>Yes?</text></questiontext>
        <answer fraction="100"><text>false</text></answer>
        <answer fraction="0"><text>true</text></answer></question>
    </quiz>"""
    report = moodlexml.parse(xml)
    assert [i.title for i in report.items] == ["Fine"]
    assert report.items[0].scoring == {"correct": False}
    assert report.skipped[0].source == "question 1 (Broken)"
    assert "not a number" in report.skipped[0].reason


def test_a_file_that_is_not_moodle_xml():
    with pytest.raises(FormatError, match="not a Moodle XML file"):
        moodlexml.parse(b"<assessmentItem/>")


# -- hostile XML ------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="essay"><questiontext><text>&lol4;</text></questiontext></question></quiz>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&x;</text></name>
<questiontext><text>&x;</text></questiontext></question></quiz>
"""
DOCTYPE_ONLY = '<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "quiz.dtd">\n<quiz/>'
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote;]><quiz/>"""


@pytest.mark.parametrize(
    "hostile",
    [BILLION_LAUGHS, XXE, DOCTYPE_ONLY, PARAMETER_ENTITY, XXE.encode("utf-16")],
    ids=["billion-laughs", "external-entity", "doctype", "parameter-entity", "utf16-xxe"],
)
def test_dtds_and_entities_are_refused(hostile):
    data = hostile if isinstance(hostile, bytes) else hostile.encode()
    with pytest.raises(FormatError, match="DTDs and entities are not allowed"):
        moodlexml.parse(data)


def test_an_undeclared_entity_is_not_well_formed():
    with pytest.raises(FormatError, match="not well-formed XML"):
        parse_xml(b"<quiz>&x;</quiz>")


@pytest.mark.parametrize(
    "broken",
    [b"", b"just some text", b"<quiz><question type='essay'>", b"\x00\x01\x02PK", b"<a></b>"],
    ids=["empty", "text", "truncated", "binary", "mismatched"],
)
def test_not_xml_or_truncated_xml_is_refused(broken):
    with pytest.raises(FormatError, match="not well-formed XML"):
        moodlexml.parse(broken)


def test_size_limit():
    with pytest.raises(FormatError, match="larger than 10 MB"):
        moodlexml.parse(b"<quiz>" + b" " * MAX_IMPORT_BYTES + b"</quiz>")


def test_doctype_text_inside_cdata_is_only_text():
    xml = """<quiz><question type="essay"><name><text>HTML</text></name>
      <questiontext><text><![CDATA[<p>Why start with <!DOCTYPE html>?</p>]]></text></questiontext>
    </question></quiz>"""
    report = moodlexml.parse(xml)
    assert report.items[0].stem == "<p>Why start with <!DOCTYPE html>?</p>"


def test_comments_and_processing_instructions_are_dropped():
    root = parse_xml(b"<?xml-stylesheet href='x'?><quiz><!-- hidden --><a>1</a></quiz>")
    assert [child.tag for child in root] == ["a"]
