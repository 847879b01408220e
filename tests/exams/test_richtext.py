"""Question text as rich text: the allow-list sanitiser (XSS vectors in the style of the OWASP
filter-evasion cheat sheet come out harmless, allowed markup survives), its plain-text view, the
``stem`` template filter, storage through ``banks.create_item`` and the candidate's page."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from microcred.core.errors import DomainError
from microcred.exams import items
from microcred.exams.models import Attempt
from microcred.exams.richtext import (
    DATA_IMAGE_MAX_CHARS,
    DATA_IMAGES_MAX_CHARS,
    LINK_REL,
    TAGS,
    sanitize_stem,
    stem_text,
)
from microcred.exams.services import authoring, banks
from microcred.exams.templatetags.exam_text import SanitisedStem
from tests.exams.support import CONTENT

MEDIA = "/media/"
QUESTION_IMAGE = "/media/question-images/7/0123456789abcdef0123456789abcdef.png"


def image_data_url(fmt: str = "PNG", mime: str = "png", *, length: int = 0) -> str:
    """A ``data:`` URL of a tiny image, padded with trailing bytes to about ``length`` chars."""
    output = io.BytesIO()
    Image.new("RGB", (2, 2), (10, 120, 200)).save(output, format=fmt)
    data = output.getvalue()
    data += b"\0" * max(0, length * 3 // 4 - len(data))
    return f"data:image/{mime};base64," + base64.b64encode(data).decode()


PNG = image_data_url()

ALLOWED_ATTRIBUTES = {
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "span": {"class"},
}
SAFE_HREF = re.compile(r"(?:https?://|mailto:)\S+", re.IGNORECASE)
SAFE_SRC = re.compile(
    re.escape("/media/question-images/")
    + r"[0-9]+/[A-Za-z0-9_-]+\.(?:png|jpe?g|gif|webp)"
    + r"|data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}"
)


class _Structure(HTMLParser):
    """Every element and attribute of the output, as a browser's tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"declaration {data}")


def assert_harmless(output: str) -> None:
    """Only allowed elements and attributes, every URL of an allowed kind, nothing else."""
    parser = _Structure()
    parser.feed(output)
    parser.close()
    assert parser.other == [], output
    for tag, attrs in parser.elements:
        assert tag in TAGS, (tag, output)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()), (tag, attrs, output)
        if "href" in attrs:
            assert SAFE_HREF.fullmatch(attrs["href"] or ""), output
        if "src" in attrs:
            assert SAFE_SRC.fullmatch(attrs["src"] or ""), output
        if tag == "a":
            assert attrs.get("rel") == LINK_REL, output
        if "class" in attrs:
            assert attrs["class"] == "math", output
    lowered = output.lower()
    # Text is escaped, so these can only be markup (a "javascript:" in text is just text).
    for needle in ("<script", "<style", "<svg", "<math", "<iframe", "<!--"):
        assert needle not in lowered, (needle, output)
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", lowered), output


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//<</SCRIPT>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<scr\x00ipt>alert(1)</scr\x00ipt>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=javascript:alert(&quot;XSS&quot;)>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;"
    "&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
    "&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039"
    "&#0000088&#0000083&#0000083&#0000039&#0000041>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74"
    "&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+">',
    '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<img src="data:image/png;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<img src="https://tracker.example/pixel.png">',
    '<img src="//tracker.example/pixel.png">',
    '<img src="/media/question-images/1/../../../settings.py">',
    '<img src="/media/logos/abc.png">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JAVASCRIPT:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="/relative/path" target="_blank">x</a>',
    '<a href="javascript:alert(1)"',
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style>'
    '<img src onerror=alert(1)>"></style></h1>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<style>@import 'https://xss.example/xss.css';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "<body onload=alert(1)>",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    '<table background="javascript:alert(1)"><tr><td background="javascript:alert(1)">x',
    "<template><script>alert(1)</script></template>",
    "<textarea></textarea><script>alert(1)</script>",
    "<xss onmouseover=alert(1)>hover</xss>",
    '<p onclick="alert(1)">x</p>',
    '<span class="math" onmouseover="alert(1)">\\(x\\)</span>',
    "<!--<img src=x onerror=alert(1)>-->",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml-stylesheet href="javascript:alert(1)"?>',
    "<b><i><u>nested <b>badly</i></u> closed</b>",
    "<p><table><tr><td><p>mis<li>nested</table>",
    '<a href="https://ok.example"><a href="javascript:alert(1)">inner</a></a>',
    '<img src="' + PNG + '" onload="alert(1)" width="100%" height="-5">',
]


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_xss_vectors_come_out_harmless(vector: str) -> None:
    once = sanitize_stem(vector, media_url=MEDIA)
    assert_harmless(once)
    assert sanitize_stem(once, media_url=MEDIA) == once  # and stable


@pytest.mark.parametrize(
    ("vector", "expected"),
    [
        ("<script>alert(1)</script>Which?", "Which?"),
        ("<img src=x onerror=alert(1)>", "<img>"),
        ("<svg onload=alert(1)><circle r=1 /></svg>ok", "ok"),
        ("<style>p { color: red }</style><p>x</p>", "<p>x</p>"),
        ("a<!-- hidden -->b", "ab"),
        (
            '<a href="https://example.org/" onclick="alert(1)" target="_blank" rel="opener">go</a>',
            f'<a href="https://example.org/" rel="{LINK_REL}">go</a>',
        ),
        ('<a href="javascript:alert(1)">go</a>', f'<a rel="{LINK_REL}">go</a>'),
        ('<span class="math evil">\\(x\\)</span>', '<span class="math">\\(x\\)</span>'),
        ('<span class="evil">x</span>', "<span>x</span>"),
        ("<form action=/x><input name=a><button>b</button></form>c", "c"),
        ("<h1>Big</h1><div>block</div>", "Bigblock"),
    ],
)
def test_exactly_what_is_removed(vector: str, expected: str) -> None:
    assert sanitize_stem(vector, media_url=MEDIA) == expected


ALLOWED = [
    "<p>One <strong>strong</strong>, <em>em</em>, <b>b</b>, <i>i</i>, <u>u</u>.</p>",
    "<p>H<sub>2</sub>O and x<sup>2</sup></p>",
    "<p>Run <code>ls -l</code></p><pre>line 1\nline 2</pre>",
    "<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>",
    "<blockquote>Quoted</blockquote><h3>Part A</h3><h4>Detail</h4>",
    '<table><thead><tr><th scope="col">x</th><th colspan="2">y</th></tr></thead>'
    '<tbody><tr><td rowspan="2">1</td><td>2</td></tr></tbody></table>',
    f'<p>See <a href="https://example.org/a?b=1&amp;c=2" rel="{LINK_REL}">the source</a> or '
    f'<a href="mailto:exams@example.org" rel="{LINK_REL}">write</a>.</p>',
    f'<p><img src="{QUESTION_IMAGE}" alt="A right triangle" width="320" height="200"></p>',
    f'<p><img src="{PNG}" alt="dot"></p>',
    '<p>Solve <span class="math">\\(x^2 - 1 = 0\\)</span>.</p>',
    "<p>a &lt; b &amp;&amp; c &gt; d</p>",
]


@pytest.mark.parametrize("markup", ALLOWED)
def test_allowed_markup_survives_unchanged(markup: str) -> None:
    assert sanitize_stem(markup, media_url=MEDIA) == markup
    assert_harmless(markup)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "png"), ("JPEG", "jpeg"), ("GIF", "gif"), ("WEBP", "webp")]
)
def test_small_data_images_of_the_four_raster_types_are_kept(fmt: str, mime: str) -> None:
    url = image_data_url(fmt, mime)
    assert sanitize_stem(f'<img src="{url}">', media_url=MEDIA) == f'<img src="{url}">'


def test_data_images_must_be_what_they_claim_and_not_too_large() -> None:
    mislabelled = image_data_url("GIF", "png")
    assert sanitize_stem(f'<img src="{mislabelled}">', media_url=MEDIA) == "<img>"
    not_base64 = "data:image/png,%89PNG"
    assert sanitize_stem(f'<img src="{not_base64}">', media_url=MEDIA) == "<img>"
    limit = image_data_url(length=DATA_IMAGE_MAX_CHARS - 100)
    assert sanitize_stem(f'<img src="{limit}">', media_url=MEDIA) == f'<img src="{limit}">'
    huge = image_data_url(length=DATA_IMAGE_MAX_CHARS + 100)
    assert sanitize_stem(f'<img src="{huge}" alt="big">', media_url=MEDIA) == '<img alt="big">'
    # Together, the data images of one stem stay within the budget.
    each = image_data_url(length=DATA_IMAGE_MAX_CHARS // 2)
    count = DATA_IMAGES_MAX_CHARS // len(each) + 2
    out = sanitize_stem(f'<img src="{each}">' * count, media_url=MEDIA)
    assert out.count("<img") == count
    assert out.count("src=") == DATA_IMAGES_MAX_CHARS // len(each)


def test_question_images_only_from_this_installations_media_url() -> None:
    cdn = "https://cdn.example/m/"
    on_cdn = f"{cdn}question-images/3/abc_DEF-1.webp"
    assert sanitize_stem(f'<img src="{on_cdn}">', media_url=cdn) == f'<img src="{on_cdn}">'
    assert sanitize_stem(f'<img src="{on_cdn}">', media_url=MEDIA) == "<img>"
    assert sanitize_stem(f'<img src="{QUESTION_IMAGE}">', media_url=cdn) == "<img>"
    for bad in (
        "/media/question-images/3/a.svg",
        "/media/question-images/x/a.png",
        "/media/question-images/3/sub/a.png",
        "/media/question-images/3/a.png?x=1",
        "/media/question-images/3/a b.png",
        "/media/question-images/3/a.png#x",
    ):
        assert sanitize_stem(f'<img src="{bad}">', media_url=MEDIA) == "<img>", bad


def test_default_media_url_comes_from_the_settings(settings) -> None:
    settings.MEDIA_URL = "/uploads/"
    assert sanitize_stem(f'<img src="{QUESTION_IMAGE}">') == "<img>"
    mine = "/uploads/question-images/1/abc.png"
    assert sanitize_stem(f'<img src="{mine}">') == f'<img src="{mine}">'


def test_image_size_attributes_must_be_plain_numbers() -> None:
    out = sanitize_stem(
        f'<img src="{QUESTION_IMAGE}" width="0120" height="50%" alt="  a\n  b ">', media_url=MEDIA
    )
    assert out == f'<img src="{QUESTION_IMAGE}" width="120" alt="a b">'
    assert sanitize_stem('<img width="99999" height="0">', media_url=MEDIA) == "<img>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Which is larger?", "Which is larger?"),
        ("Line 1\nLine 2\r\n\r\nLine 4", "Line 1<br>Line 2<br><br>Line 4"),
        ("Is a<b & b>c?", "Is a&lt;b &amp; b&gt;c?"),
        ("Is a < b and c > d?", "Is a &lt; b and c &gt; d?"),
        ("x<y", "x&lt;y"),
        ("I <3 statistics", "I &lt;3 statistics"),
        ("Use &lt;p&gt; for paragraphs", "Use &lt;p&gt; for paragraphs"),
        ("  padded  \n", "padded"),
        ("Solve \\(x^2 = 4\\)", "Solve \\(x^2 = 4\\)"),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_plain_text_stays_text_with_line_breaks(text: str, expected: str) -> None:
    assert sanitize_stem(text, media_url=MEDIA) == expected


def test_line_breaks_in_inline_markup_become_br_but_block_markup_keeps_its_layout() -> None:
    assert sanitize_stem("Pick the <b>best</b> answer\nfor you", media_url=MEDIA) == (
        "Pick the <b>best</b> answer<br>for you"
    )
    assert sanitize_stem("a<br>\nb\nc", media_url=MEDIA) == "a<br>b<br>c"
    pretty = "<p>\n  Which of these\n  is true?\n</p>\n<p>Second</p>"
    assert sanitize_stem(pretty, media_url=MEDIA) == pretty


HTML_BITS = st.sampled_from(
    [
        "<p>", "</p>", "<b>", "</b>", "<br>", "<ul><li>", "</li>", "<table><tr><td>", "</td>",
        "<pre>", "</pre>", "<script>", "</script>", "<style>", "<svg>", "<math>", "<mtext>",
        "<img src=x onerror=alert(1)>", f'<img src="{PNG}">', '<a href="https://e.example">',
        '<a href="javascript:alert(1)">', "</a>", "<!--", "-->", '"', "'", "<", ">", "&", "&lt;",
        "&amp;", "&#106;", "\n", " ", "x", "<span class=math>", "</span>", "<noscript>",
        "<textarea>", "<title>", "</", "=", "onerror=", "javascript:", "<h1>", "<div>",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(HTML_BITS | st.text(max_size=3), max_size=25).map("".join))
def test_any_mix_comes_out_harmless_and_sanitising_twice_changes_nothing(markup: str) -> None:
    once = sanitize_stem(markup, media_url=MEDIA)
    assert_harmless(once)
    assert sanitize_stem(once, media_url=MEDIA) == once


def test_oversized_input_is_cut_before_sanitising() -> None:
    out = sanitize_stem("<b>" + "x" * 5_000_000, media_url=MEDIA)
    assert len(out) < 2_100_000


# -- plain text ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Which <b>one</b>?</p><p>Pick&nbsp;it.</p>", "Which one? Pick it."),
        ("a &lt; b &amp; c", "a < b & c"),
        ("Line 1\nLine 2", "Line 1 Line 2"),
        ("<ul><li>a</li><li>b</li></ul>c", "a b c"),
        ("x<br>y", "x y"),
        ("<script>alert(1)</script>Question", "Question"),
        (f'<img src="{QUESTION_IMAGE}" alt="A graph"> What is shown?', "A graph What is shown?"),
        ("<img src=x>", "[image]"),
        ("<p></p><b> </b>", ""),
        ("Is x<y?", "Is x<y?"),
    ],
)
def test_stem_text(markup: str, expected: str) -> None:
    assert stem_text(markup, media_url=MEDIA) == expected


# -- template filter -----------------------------------------------------------------------------


def render(value: object) -> str:
    return Template("{% load exam_text %}<div>{{ value|stem }}</div>").render(
        Context({"value": value})
    )


def test_filter_renders_allowed_markup_and_sanitises_whatever_it_gets() -> None:
    assert render("<p>A <b>bold</b> question</p>") == "<div><p>A <b>bold</b> question</p></div>"
    assert render("Line 1\nLine 2 & more") == "<div>Line 1<br>Line 2 &amp; more</div>"
    assert render("<img src=x onerror=alert(1)><script>alert(1)</script>") == "<div><img></div>"
    assert render(None) == "<div></div>"
    for vector in XSS_VECTORS:
        assert_harmless(render(vector).removeprefix("<div>").removesuffix("</div>"))


def test_filter_passes_its_own_output_through() -> None:
    from microcred.exams.templatetags.exam_text import stem

    done = stem("<b>x</b><script>y</script>")
    assert isinstance(done, SanitisedStem)
    assert done == "<b>x</b>"
    assert stem(done) is done


# -- storing ---------------------------------------------------------------------------------------

HOSTILE_STEM = (
    '<p onmouseover="alert(1)">Which <strong>measure</strong> is robust?'
    '<script>alert("stem")</script></p>'
    '<img src="x" onerror="alert(2)" alt="chart">'
    '<a href="javascript:alert(3)">details</a> <span class="math">\\(\\tilde{x}\\)</span>'
    "<svg onload=alert(4)></svg><iframe src=https://evil.example></iframe>"
)
CLEAN_STEM = (
    "<p>Which <strong>measure</strong> is robust?</p>"
    '<img alt="chart">'
    f'<a rel="{LINK_REL}">details</a> <span class="math">\\(\\tilde{{x}}\\)</span>'
)


def single(stem: str, **extra: object) -> dict[str, object]:
    return {"kind": items.SINGLE, **CONTENT[items.SINGLE], "stem": stem, **extra}


def test_create_item_stores_a_clean_stem_and_a_plain_title(world) -> None:
    bank = banks.create_bank(member=world.a.issuer, name="Robust")
    item = banks.create_item(member=world.a.issuer, bank=bank, content=single(HOSTILE_STEM))

    assert item.current.stem == CLEAN_STEM
    assert item.current.title == "Which measure is robust? chart details \\(\\tilde{x}\\)"
    # Editing stores the sanitised form too; an unchanged clean stem stays the same.
    version = banks.edit_item(member=world.a.issuer, item=item, content=single(CLEAN_STEM))
    assert version.stem == CLEAN_STEM


def test_plain_text_stems_are_stored_as_escaped_text_with_line_breaks(world) -> None:
    bank = banks.create_bank(member=world.a.issuer, name="Plain")
    item = banks.create_item(
        member=world.a.issuer, bank=bank, content=single("Is 2 < 3?\nAnswer & explain.")
    )
    assert item.current.stem == "Is 2 &lt; 3?<br>Answer &amp; explain."
    assert item.current.title == "Is 2 < 3? Answer & explain."


@pytest.mark.parametrize("stem", ["<script>alert(1)</script>", "<p> </p><b></b>", "<!-- x -->"])
def test_a_stem_with_no_text_left_is_refused(world, stem: str) -> None:
    bank = banks.create_bank(member=world.a.issuer, name="Empty")
    with pytest.raises(DomainError) as caught:
        banks.create_item(member=world.a.issuer, bank=bank, content=single(stem))
    assert caught.value.field == "stem"
    assert caught.value.message == "Enter the question text."


def test_the_length_limit_counts_the_text_not_the_markup(world) -> None:
    bank = banks.create_bank(member=world.a.issuer, name="Long")
    markup = "<b>" + "x" * (items.MAX_TEXT - 10) + "</b>" + f'<img src="{PNG}" alt="">' * 20
    item = banks.create_item(member=world.a.issuer, bank=bank, content=single(markup))
    assert len(item.current.stem) > items.MAX_TEXT
    with pytest.raises(DomainError, match="longer than"):
        banks.create_item(
            member=world.a.issuer, bank=bank, content=single("<p>" + "y" * (items.MAX_TEXT + 1))
        )


# -- the candidate's page --------------------------------------------------------------------------


def test_candidate_page_renders_the_allowed_markup_and_nothing_executable(world, login) -> None:
    member = world.a.issuer
    bank = banks.create_bank(member=member, name="Rich")
    item = banks.create_item(member=member, bank=bank, content=single(HOSTILE_STEM), publish=True)
    exam = authoring.create_exam(member=member, title="Rich text exam")
    exam = authoring.update_exam(
        member=member, exam=exam, sections=[{"title": "All", "rules": [{"item": item.pk}]}]
    )
    authoring.publish_exam(member=member, exam=exam)
    exam.refresh_from_db()
    client = login(world.learner)
    client.post(reverse("learner:exam", args=[exam.uuid]))
    attempt = Attempt.objects.get(candidate=world.learner)

    page = client.get(f"/me/attempts/{attempt.pk}/q/1")

    assert page.status_code == 200
    html = page.content.decode()
    assert f'<div class="stem" id="stem-1">{CLEAN_STEM}</div>' in html
    assert '<fieldset class="answer" aria-labelledby="stem-1">' in html
    assert "<legend" not in html  # block content in a legend would be invalid
    start = html.index('<div class="stem"')
    region = html[start : html.index("</fieldset>", start)]
    assert_harmless(region[region.index(">") + 1 : region.index("</div>")])
    lowered = html.lower()
    for needle in ("alert(", "onerror", "onmouseover", "onload", "javascript:", "<iframe"):
        assert needle not in lowered, needle
    # Every script on the page is an external file (the CSP allows no inline script).
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))
