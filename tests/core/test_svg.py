"""The SVG sanitizer against the payload corpus of reliability.md ("SVG payload corpus")."""

from __future__ import annotations

import re

import pytest
from defusedxml.ElementTree import fromstring

from microcred.core.svg import (
    ALLOWED_ELEMENTS,
    MAX_SVG_BYTES,
    MAX_SVG_DEPTH,
    MAX_SVG_ELEMENTS,
    SVG_NS,
    XLINK_NS,
    UploadRejected,
    format_size,
    sanitize_svg,
)

OPEN = f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="100" height="100">'
CLOSE = "</svg>"
PNG_DATA_URI = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
HTML_BASE64 = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>


def svg(body: str) -> bytes:
    return f"{OPEN}{body}{CLOSE}".encode()


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def assert_inert(output: bytes) -> None:
    """Whatever went in, what comes out is allowlisted SVG with no script and no fetch."""
    root = fromstring(output, forbid_dtd=True)
    assert root.tag == f"{{{SVG_NS}}}svg"
    for element in root.iter():
        assert element.tag.startswith(f"{{{SVG_NS}}}"), element.tag
        assert local(element.tag) in ALLOWED_ELEMENTS, element.tag
        for name, value in element.attrib.items():
            assert not local(name).lower().startswith("on"), name
            if local(name) == "href":
                assert value.startswith(("#", "data:image/png;base64,")), value
    text = output.decode().lower()
    assert "javascript" not in text
    assert "ns0:" not in text
    assert all(part.lstrip("'\"").startswith("#") for part in text.split("url(")[1:])


# Each case: (payload, substrings that must not survive).
CORPUS = {
    # --- the corpus in reliability.md -----------------------------------------------------------
    "script": (
        svg('<script>alert(1)</script><script xlink:href="https://evil.example/x.js"/>'),
        ["script", "alert", "evil"],
    ),
    "onload": (
        f'<svg xmlns="{SVG_NS}" onload="alert(1)"><rect width="1" height="1" onload="alert(2)"/>'
        "</svg>".encode(),
        ["onload", "alert"],
    ),
    "onerror": (
        svg(
            f'<image href="{PNG_DATA_URI}" onerror="alert(1)"/><image href="x" onerror="alert(2)"/>'
        ),
        ["onerror", "alert"],
    ),
    "onbegin": (
        svg('<animate onbegin="alert(1)" attributeName="x" dur="1s"/><rect onbegin="alert(2)"/>'),
        ["onbegin", "alert", "animate"],
    ),
    "onfocusin": (
        svg('<g onfocusin="alert(1)" tabindex="0"><rect width="5" height="5"/></g>'),
        ["onfocusin", "alert", "tabindex"],
    ),
    "animate-href-javascript": (
        svg(
            '<a><animate attributeName="href" values="javascript:alert(1)" begin="0s"/>'
            '<text x="1" y="10">click</text></a>'
        ),
        ["animate", "javascript", "alert", "attributeName"],
    ),
    "set-href-javascript": (
        svg('<a><set attributeName="href" to="javascript:alert(1)"/><text>click</text></a>'),
        ["<set", "javascript", "alert"],
    ),
    "a-xlink-href-javascript": (
        svg('<a xlink:href="javascript:alert(1)"><text>click</text></a>'),
        ["<a", "javascript", "alert"],
    ),
    "foreignObject-iframe": (
        svg(
            '<foreignObject width="100" height="100">'
            '<iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/>'
            "<body xmlns='http://www.w3.org/1999/xhtml'><script>alert(2)</script></body>"
            "</foreignObject>"
        ),
        ["foreignobject", "iframe", "script", "alert"],
    ),
    "use-external": (
        svg('<use href="https://evil.example/x.svg#a"/><use xlink:href="//evil.example/y.svg#b"/>'),
        ["evil", "<use"],
    ),
    "image-metadata-endpoint": (
        svg(
            '<image href="http://169.254.169.254/latest/meta-data/" width="1" height="1"/>'
            '<image xlink:href="file:///etc/passwd"/>'
        ),
        ["169.254", "passwd", "<image"],
    ),
    "style-import": (
        svg("<style>@import url(https://evil.example/x.css); rect { fill: red }</style>"),
        ["import", "evil", "<style"],
    ),
    "data-text-html-hrefs": (
        svg(
            '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"><text>x</text></a>'
            f'<use href="data:text/html;base64,{HTML_BASE64}"/>'
            f'<image href="data:text/html;base64,{HTML_BASE64}"/>'
            f'<linearGradient id="g" xlink:href="data:text/html;base64,{HTML_BASE64}"/>'
        ),
        ["data:", HTML_BASE64.lower(), "<use", "<image"],
    ),
    # --- disguises of the same attacks ----------------------------------------------------------
    "javascript-entity-encoded": (
        svg('<a xlink:href="&#106;ava&#x09;script&#58;alert(1)"><text>x</text></a>'),
        ["alert"],
    ),
    "javascript-mixed-case-padded": (
        svg(
            '<use href="  JaVaScRiPt:alert(1)"/><textPath href=" javascript:alert(2)">t</textPath>'
        ),
        ["alert"],
    ),
    "style-attribute-urls": (
        svg(
            '<rect style="fill:url(https://evil.example/a.svg#p);'
            "background-image:url(https://evil.example/b.png);"
            'behavior:url(evil.htc);stroke:blue"/>'
        ),
        ["evil", "background", "behavior"],
    ),
    "presentation-attribute-urls": (
        svg(
            '<rect fill="url(https://evil.example/a.svg#p)" filter="url(//evil.example/f#f)"'
            " mask=\"image-set('https://evil.example/m.png' 1x)\""
            " clip-path=\"url('http://evil.example/c.svg#c')\"/>"
        ),
        ["evil", "image-set"],
    ),
    "css-escapes": (
        svg(
            r'<rect fill="u\72l(https://evil.example/)" style="fill:u\72l(https://evil.example/)"/>'
        ),
        ["evil", "\\"],
    ),
    "css-expression-and-comments": (
        svg(
            '<rect style="width:expression(alert(1))" fill="expression(alert(2))"/>'
            '<rect style="fill:red/**/;stroke:url(/**/https://evil.example/)"/>'
        ),
        ["expression", "alert", "evil"],
    ),
    "xhtml-namespaced-script": (
        svg('<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>'),
        ["script", "alert"],
    ),
    "svg-prefixed-script": (
        svg(f'<s:script xmlns:s="{SVG_NS}">alert(1)</s:script>'),
        ["script", "alert"],
    ),
    "feImage-external": (
        svg('<filter id="f"><feImage href="https://evil.example/x.png"/></filter>'),
        ["evil", "feimage"],
    ),
    "xml-stylesheet-instruction": (
        b'<?xml-stylesheet type="text/css" href="https://evil.example/x.css"?>' + svg(""),
        ["evil", "stylesheet"],
    ),
    "cdata-script-text": (
        svg("<text><![CDATA[<script>alert(1)</script>]]></text>"),
        ["<script"],
    ),
    "tiny-handler": (
        svg(
            '<handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">'
            "alert(1)</handler><listener event='click' handler='#h'/>"
        ),
        ["handler", "listener", "alert"],
    ),
    "image-svg-data-uri": (
        svg('<image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="/>'),
        ["svg+xml", "<image"],
    ),
    "animation-elements": (
        svg(
            '<rect><animateTransform attributeName="transform" type="rotate"/>'
            '<animateMotion path="M0 0"/><animateColor/><discard/></rect>'
        ),
        ["animate", "discard"],
    ),
    "metadata-and-editor-namespaces": (
        svg(
            "<metadata><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>"
            "</metadata><rect xmlns:inkscape='http://www.inkscape.org/namespaces/inkscape'"
            " inkscape:label='javascript:x' xml:base='https://evil.example/'/>"
        ),
        ["metadata", "rdf", "inkscape", "evil"],
    ),
}


@pytest.mark.parametrize(("payload", "forbidden"), CORPUS.values(), ids=CORPUS.keys())
def test_corpus_payload_is_neutralised(payload: bytes, forbidden: list[str]) -> None:
    output = sanitize_svg(payload)

    assert_inert(output)
    for marker in forbidden:
        assert marker.lower() not in output.decode().lower()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg ['
    '<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)).replace(
        "&lol0;", "&lol;"
    )
    + f']><svg xmlns="{SVG_NS}"><text>&lol9;</text></svg>'
).encode()

REJECTED = {
    "doctype-internal-entity": (
        f'<!DOCTYPE svg [<!ENTITY x "boo">]><svg xmlns="{SVG_NS}"><text>&x;</text></svg>',
        "DOCTYPE",
    ),
    "billion-laughs": (BILLION_LAUGHS.decode(), "DOCTYPE"),
    "external-entity": (
        f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="{SVG_NS}">&x;</svg>',
        "DOCTYPE",
    ),
    "parameter-entity": (
        '<!DOCTYPE svg [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]>'
        f'<svg xmlns="{SVG_NS}"/>',
        "DOCTYPE",
    ),
    "external-dtd-system": (
        f'<!DOCTYPE svg SYSTEM "file:///etc/passwd"><svg xmlns="{SVG_NS}"/>',
        "DOCTYPE",
    ),
    "deep-nesting-10001": (
        f'<svg xmlns="{SVG_NS}">' + "<g>" * 10_001 + "</g>" * 10_001 + "</svg>",
        f"more than {MAX_SVG_DEPTH} levels deep",
    ),
    "deep-nesting-unclosed": (
        f'<svg xmlns="{SVG_NS}">' + "<g>" * 200_000,
        f"more than {MAX_SVG_DEPTH} levels deep",
    ),
    "too-many-elements": (
        f'<svg xmlns="{SVG_NS}">' + "<g/>" * MAX_SVG_ELEMENTS + "</svg>",
        f"more than {MAX_SVG_ELEMENTS:,} elements",
    ),
    "too-large": (
        f'<svg xmlns="{SVG_NS}"><desc>{"x" * MAX_SVG_BYTES}</desc></svg>',
        "The SVG is 1.1 MB; the limit is 1 MB.",
    ),
    "not-well-formed": (f'<svg xmlns="{SVG_NS}"><g></svg>', "not well-formed XML (line 1,"),
    "no-svg-namespace": ("<svg onload='alert(1)'/>", 'add xmlns="http://www.w3.org/2000/svg"'),
    "unknown-encoding": (
        f'<?xml version="1.0" encoding="x-evil"?><svg xmlns="{SVG_NS}"/>',
        "character encoding that cannot be read",
    ),
    "multi-byte-encoding": (
        f'<?xml version="1.0" encoding="shift_jis"?><svg xmlns="{SVG_NS}"/>',
        "character encoding that cannot be read",
    ),
    "non-text-codec": (
        f'<?xml version="1.0" encoding="rot13"?><svg xmlns="{SVG_NS}"/>',
        "character encoding that cannot be read",
    ),
    "other-root": ("<html><body/></html>", "its root element is not <svg>"),
    "xhtml-root": (
        '<html xmlns="http://www.w3.org/1999/xhtml"><svg xmlns="http://www.w3.org/2000/svg"/>'
        "</html>",
        "its root element is not <svg>",
    ),
}


@pytest.mark.parametrize(("payload", "message"), REJECTED.values(), ids=REJECTED.keys())
def test_dangerous_document_is_rejected(payload: str, message: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        sanitize_svg(payload.encode())

    assert message in caught.value.message
    assert str(caught.value) == caught.value.message


def test_limits_leave_room_for_real_drawings() -> None:
    nested = "<g>" * (MAX_SVG_DEPTH - 1) + "</g>" * (MAX_SVG_DEPTH - 1)
    many = "<rect/>" * (MAX_SVG_ELEMENTS - 1)

    assert sanitize_svg(f'<svg xmlns="{SVG_NS}">{nested}</svg>'.encode()).count(b"<g") == 99
    assert sanitize_svg(f'<svg xmlns="{SVG_NS}">{many}</svg>'.encode()).count(b"<rect") == 19_999


BENIGN = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="200" height="200" viewBox="0 0 200 200">
  <title>Data steward badge</title>
  <desc>A circle with a gradient &amp; a label</desc>
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1" gradientUnits="objectBoundingBox">
      <stop offset="0%" stop-color="#0a4d8c"/>
      <stop offset="100%" style="stop-color:rgb(10, 140, 200);stop-opacity:0.8"/>
    </linearGradient>
    <radialGradient id="glow" xlink:href="#sky" cx="50%" cy="50%" r="50%"/>
    <clipPath id="round"><circle cx="100" cy="100" r="90"/></clipPath>
    <filter id="shadow"><feGaussianBlur in="SourceAlpha" stdDeviation="2" result="b"/>
      <feOffset in="b" dx="1" dy="2"/></filter>
    <symbol id="star" viewBox="0 0 10 10"><polygon points="5,0 6,4 10,4 7,6 8,10 5,7 2,10 3,6 0,4 4,4"/></symbol>
  </defs>
  <g clip-path="url(#round)" transform="translate(0 0) rotate(0)">
    <rect x="0" y="0" width="200" height="200" fill="url(#sky)"/>
    <circle cx="100" cy="100" r="60" fill="url('#glow')" stroke="#fff" stroke-width="4" filter="url(#shadow)"/>
    <path d="M 20 180 L 180 180" stroke="black" stroke-dasharray="4 2"/>
    <ellipse cx="100" cy="40" rx="30" ry="10" fill-opacity=".5"/>
    <line x1="0" y1="0" x2="10" y2="10" stroke="red"/>
    <polyline points="0,0 5,5 10,0" fill="none" stroke="green"/>
  </g>
  <use href="#star" x="90" y="150" width="20" height="20"/>
  <use xlink:href="#star" x="60" y="150" width="20" height="20"/>
  <text x="100" y="110" text-anchor="middle" font-family="'Open Sans', sans-serif" font-size="18"
        xml:space="preserve">Data <tspan font-weight="bold">steward</tspan></text>
  <image x="0" y="0" width="1" height="1" href="{PNG_DATA_URI}"/>
</svg>
"""


def test_benign_svg_keeps_its_structure() -> None:
    source = fromstring(BENIGN.encode())
    output = sanitize_svg(BENIGN.encode())
    clean = fromstring(output, forbid_dtd=True)

    assert_inert(output)
    assert [e.tag for e in clean.iter()] == [e.tag for e in source.iter()]
    for before, after in zip(source.iter(), clean.iter(), strict=True):
        assert after.attrib == before.attrib, before.tag
        assert (after.text or "").strip() == (before.text or "").strip()
    assert clean.find(f"{{{SVG_NS}}}title").text == "Data steward badge"
    assert "a gradient &amp; a label" in output.decode()


def test_output_declares_namespaces_without_generated_prefixes() -> None:
    output = sanitize_svg(BENIGN.encode())

    assert output.startswith(
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" width="200" '.encode()
    )
    assert b"<?xml" not in output
    assert b"<!--" not in output
    assert re.search(rb"\bns\d+:", output) is None
    assert b' xlink:href="#sky"' in output


def test_xlink_namespace_only_when_used() -> None:
    output = sanitize_svg(svg('<rect width="1" height="1"/><use href="#r"/>'))

    assert (
        output
        == (
            f'<svg xmlns="{SVG_NS}" width="100" height="100"><rect width="1" height="1" />'
            '<use href="#r" /></svg>'
        ).encode()
    )


def test_output_is_deterministic_and_stable() -> None:
    first = sanitize_svg(BENIGN.encode())

    assert sanitize_svg(BENIGN.encode()) == first
    assert sanitize_svg(first) == first


def test_standard_svg_doctype_is_accepted_and_dropped() -> None:
    document = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        f'<svg xmlns="{SVG_NS}"><rect width="1" height="1"/></svg>'
    )

    output = sanitize_svg(document.encode())

    assert output == f'<svg xmlns="{SVG_NS}"><rect width="1" height="1" /></svg>'.encode()


def test_links_and_switches_are_unwrapped_keeping_their_content() -> None:
    output = sanitize_svg(
        svg(
            '<a href="https://example.org/"><text>Visit <tspan>us</tspan></text> now</a>'
            '<switch><foreignObject requiredExtensions="http://ns.adobe.com/AdobeIllustrator/10.0/">'
            "<p>x</p></foreignObject><g id='art'><rect width='1' height='1'/></g></switch>"
        )
    )

    assert_inert(output)
    assert b'<text>Visit <tspan>us</tspan></text> now<g id="art">' in output
    assert b"example.org" not in output


def test_style_keeps_only_safe_declarations() -> None:
    output = sanitize_svg(
        svg(
            '<rect style=" FILL : url(#g) ; stroke:#00f;position:fixed;'
            "font-family:'Noto Sans';cursor:url(https://evil.example/c.cur),auto;"
            'stroke-width:2px !important"/>'
        )
    )

    assert b"style=\"fill:url(#g);stroke:#00f;font-family:'Noto Sans';stroke-width:2px " in output
    assert b"position" not in output
    assert b"cursor" not in output


@pytest.mark.parametrize(
    ("size", "round_up", "expected"),
    [
        (3 * 1024 * 1024 + 100_000, True, "3.1 MB"),
        (2 * 1024 * 1024, False, "2 MB"),
        (2 * 1024 * 1024 + 1, True, "2.1 MB"),
        (1536, False, "1.5 KB"),
        (1000, False, "1000 bytes"),
        (1, False, "1 byte"),
    ],
)
def test_format_size(size: int, round_up: bool, expected: str) -> None:
    assert format_size(size, round_up=round_up) == expected


# Corpus entries that are not attacks on a viewer: editor metadata, plain animations and text
# that merely reads like markup. Uploads accept them (cleaned); every other entry is refused.
HARMLESS = {"metadata-and-editor-namespaces", "animation-elements", "cdata-script-text"}


@pytest.mark.parametrize(("payload", "forbidden"), CORPUS.values(), ids=CORPUS.keys())
def test_uploads_refuse_scripts_and_external_references_with_a_reason(
    request: pytest.FixtureRequest, payload: bytes, forbidden: list[str]
) -> None:
    name = request.node.callspec.id
    if name in HARMLESS:
        assert_inert(sanitize_svg(payload, refuse_hostile=True))
        return
    with pytest.raises(UploadRejected) as refused:
        sanitize_svg(payload, refuse_hostile=True)
    message = refused.value.message
    assert message.startswith("The SVG ")
    assert any(
        words in message
        for words in ("script", "outside the file", "external", "embedded document", "escape")
    ), message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<script>alert(1)</script>", "The SVG contains a script (a <script> element); remove it."),
        (
            '<rect width="5" height="5" onclick="alert(1)"/>',
            "The SVG contains a script: the event handler onclick= on <rect>; remove it.",
        ),
        (
            '<image href="https://tracker.example/p.png" width="1" height="1"/>',
            "The SVG references a resource outside the file (https://tracker.example/p.png) from "
            "<image>; embed images in the file (PNG, JPEG, GIF or WebP as a data: URI) and upload "
            "it again.",
        ),
        (
            '<use xlink:href="file:///etc/passwd#x"/>',
            "The SVG references a resource outside the file (file:///etc/passwd#x) from <use>; "
            "embed images in the file (PNG, JPEG, GIF or WebP as a data: URI) and upload it again.",
        ),
        (
            '<rect style="fill:url(http://evil.example/p.svg#a)"/>',
            "The SVG loads an external resource (http://evil.example/p.svg#a) from CSS in the "
            "style of <rect>; embed it in the file or remove it.",
        ),
    ],
)
def test_the_refusal_names_what_was_found(body: str, expected: str) -> None:
    with pytest.raises(UploadRejected) as refused:
        sanitize_svg(svg(body), refuse_hostile=True)
    assert refused.value.message == expected


def test_uploads_accept_local_references_and_embedded_rasters() -> None:
    body = (
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
        '<path id="p" d="M0 0h10"/></defs><rect fill="url(#g)" style="stroke:url(#g)"/>'
        f'<use href="#p"/><image href="{PNG_DATA_URI}" width="1" height="1"/>'
        '<a href="https://example.org/"><text>site</text></a>'
    )
    assert sanitize_svg(svg(body), refuse_hostile=True) == sanitize_svg(svg(body))
