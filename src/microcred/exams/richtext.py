"""Question text (an item's stem) as rich text: an allow-list HTML sanitiser and a plain-text view.

A stem is stored as sanitised HTML and rendered as it is (``exam_text`` template filter). The
sanitiser is `ammonia <https://docs.rs/ammonia>`_ through ``nh3``: it parses like a browser, keeps
only the elements and attributes below and re-serialises, so malformed or nested markup cannot
smuggle anything through.

Kept: ``p br strong em b i u sub sup code pre ul ol li table thead tbody tr th td blockquote h3
h4``; ``a`` with an ``http``, ``https`` or ``mailto`` link (``rel="noopener noreferrer nofollow"``
forced, no ``target``); ``img`` whose ``src`` is a question image of this installation
(``MEDIA_URL + "question-images/<org id>/<name>.<png|jpg|jpeg|gif|webp>"``) or a small base64
PNG, JPEG, GIF or WebP ``data:`` URL, with ``alt`` and numeric ``width``/``height``; ``span
class="math"`` around TeX (``\\( … \\)``), which stays text. Everything else goes: scripts,
styles, event handlers, ``javascript:`` and other URLs, SVG and MathML (with their content),
frames, forms, comments.

Text without markup is kept as text: ``<`` and ``>`` are escaped and line breaks become ``<br>``.
Sanitising is idempotent: ``sanitize_stem(sanitize_stem(x)) == sanitize_stem(x)``.

Only ``sanitize_stem``'s default media URL comes from Django's settings; the rest is plain Python.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from html.parser import HTMLParser
from typing import Final

import nh3

__all__ = [
    "DATA_IMAGES_MAX_CHARS",
    "DATA_IMAGE_MAX_CHARS",
    "MAX_INPUT_CHARS",
    "QUESTION_IMAGE_DIR",
    "sanitize_stem",
    "stem_text",
]

#: Storage folder (under the media root) of images uploaded for questions.
QUESTION_IMAGE_DIR: Final = "question-images"
#: Longest ``data:`` image URL kept (about 190 KB of image); a longer one loses its ``src``.
DATA_IMAGE_MAX_CHARS: Final = 256 * 1024
#: All ``data:`` image URLs of one stem together; images past this lose their ``src``.
DATA_IMAGES_MAX_CHARS: Final = 1024 * 1024
#: Input past this many characters is cut off before sanitising (bounds the work per stem).
MAX_INPUT_CHARS: Final = 2 * DATA_IMAGES_MAX_CHARS

LINK_REL: Final = "noopener noreferrer nofollow"
MATH_CLASS: Final = "math"

TAGS: Final = frozenset(
    {
        "p", "br", "strong", "em", "b", "i", "u", "sub", "sup", "code", "pre", "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td", "blockquote", "h3", "h4", "a", "img", "span",
    }
)  # fmt: skip
# Removed together with everything inside them (their text is not question text).
DROP_WITH_CONTENT: Final = frozenset(
    {
        "script", "style", "svg", "math", "iframe", "frame", "frameset", "object", "embed",
        "applet", "template", "noscript", "noembed", "noframes", "textarea", "select", "option",
        "title", "head", "xmp", "plaintext", "canvas", "audio", "video", "button",
    }
)  # fmt: skip
_ATTRIBUTES: Final = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_TAG_ATTRIBUTE_VALUES: Final = {"th": {"scope": {"row", "col", "rowgroup", "colgroup"}}}

# Block-level output: a stem containing any of these is laid out by its markup, not its newlines.
_BLOCK = re.compile(r"<(?:p|pre|ul|ol|li|table|thead|tbody|tr|th|td|blockquote|h3|h4)[\s>]")
_BREAKS_TEXT = frozenset(
    {"br", "p", "pre", "ul", "ol", "li", "table", "tr", "th", "td", "blockquote", "h3", "h4"}
)

# Names of HTML (and SVG/MathML) elements: a complete tag of one of these makes input markup.
# Anything else ("x<y", "a < b", "a<b & c > d", "<3") is text. Either way the result is safe;
# this only decides whether "<" means a tag or a less-than sign.
_ELEMENT_NAMES = (
    "a", "abbr", "acronym", "address", "applet", "area", "article", "aside", "audio", "b", "base",
    "basefont", "bdi", "bdo", "bgsound", "big", "blink", "blockquote", "body", "br", "button",
    "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data", "datalist", "dd",
    "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "embed", "fieldset",
    "figcaption", "figure", "font", "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hgroup", "hr", "html", "i", "iframe", "image", "img", "input",
    "ins", "isindex", "kbd", "keygen", "label", "legend", "li", "link", "listing", "main", "map",
    "mark", "marquee", "math", "menu", "meta", "meter", "multicol", "nav", "nobr", "noembed",
    "noframes", "noscript", "object", "ol", "optgroup", "option", "output", "p", "param", "picture",
    "plaintext", "portal", "pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp",
    "script", "search", "section", "select", "slot", "small", "source", "spacer", "span", "strike",
    "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td", "template",
    "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u", "ul", "var",
    "video", "wbr", "xmp",
)  # fmt: skip
_ATTRIBUTE = r"""[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_LOOKS_LIKE_HTML = re.compile(
    rf"<(?:{'|'.join(_ELEMENT_NAMES)})(?:\s+{_ATTRIBUTE})*\s*/?>"
    rf"|</(?:{'|'.join(_ELEMENT_NAMES)})\s*>|<!--|<!\[CDATA\[|<!doctype",
    re.IGNORECASE,
)

_LINK = re.compile(r"(?:https?://[^\s/?#]+(?:[/?#]\S*)?|mailto:\S+)", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})")
_DIMENSION = re.compile(r"[0-9]{1,4}")
_SPAN = re.compile(r"[0-9]{1,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAGIC: Final = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}


def _default_media_url() -> str:
    try:
        from django.conf import settings

        return str(settings.MEDIA_URL or "/media/")
    except Exception:  # Django not configured: the stock media URL
        return "/media/"


@lru_cache(maxsize=16)
def _question_image_pattern(media_url: str) -> re.Pattern[str]:
    prefix = media_url if media_url.endswith("/") else media_url + "/"
    return re.compile(
        re.escape(prefix + QUESTION_IMAGE_DIR + "/")
        + r"[0-9]{1,12}/[A-Za-z0-9_-]{1,100}\.(?:png|jpe?g|gif|webp)"
    )


def _is_data_image(value: str) -> bool:
    match = _DATA_IMAGE.fullmatch(value)
    if match is None or len(value) > DATA_IMAGE_MAX_CHARS:
        return False
    try:
        head = base64.b64decode(match[2][:24] + "=" * (-len(match[2][:24]) % 4))
    except (binascii.Error, ValueError):
        return False
    if match[1] == "webp" and head[8:12] != b"WEBP":
        return False
    return head.startswith(_MAGIC[match[1]])


class _AttributeFilter:
    """ammonia's per-attribute callback: it must never raise (nh3 would report it as unraisable),
    so every check is a plain comparison. Counts the ``data:`` image budget of one call."""

    def __init__(self, media_url: str) -> None:
        self.images = _question_image_pattern(media_url)
        self.data_chars = 0

    def __call__(self, element: str, attribute: str, value: str) -> str | None:
        if element == "a":
            if attribute == "rel":
                return LINK_REL
            if attribute == "href":
                value = value.strip()
                ok = _LINK.fullmatch(value) and not _CONTROL.search(value)
                return value if ok else None
            return None
        if element == "img":
            if attribute == "src":
                return self._image_source(value.strip())
            if attribute == "alt":
                return " ".join(value.split())[:500]
            if attribute in ("width", "height"):
                value = value.strip()
                return str(int(value)) if _DIMENSION.fullmatch(value) and int(value) else None
            return None
        if element in ("td", "th") and attribute in ("colspan", "rowspan"):
            value = value.strip()
            return str(int(value)) if _SPAN.fullmatch(value) and int(value) else None
        if (element, attribute) in (("th", "scope"), ("span", "class")):
            return value  # ammonia keeps only the allowed values
        return None

    def _image_source(self, value: str) -> str | None:
        if self.images.fullmatch(value):
            return value
        if value[:5].lower() != "data:" or not _is_data_image(value):
            return None
        if self.data_chars + len(value) > DATA_IMAGES_MAX_CHARS:
            return None
        self.data_chars += len(value)
        return value


def _cleaner(media_url: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_AttributeFilter(media_url),
        strip_comments=True,
        link_rel=LINK_REL,
        tag_attribute_values={
            tag: {name: set(values) for name, values in attributes.items()}
            for tag, attributes in _TAG_ATTRIBUTE_VALUES.items()
        },
        url_schemes={"http", "https", "mailto", "data"},
        allowed_classes={"span": {MATH_CLASS}},
    )


def sanitize_stem(html: str, *, media_url: str | None = None) -> str:
    """``html`` (or plain text) → safe HTML for a question's text.

    ``media_url`` is where this installation's uploads are served (``settings.MEDIA_URL`` when
    not given); images are accepted from its ``question-images/`` folder only.
    """
    text = (
        str(html or "")[:MAX_INPUT_CHARS]
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\x00", "")
    )
    text = text.strip()
    if not text:
        return ""
    if not _LOOKS_LIKE_HTML.search(text):
        # Plain text: "<" and ">" are characters. "&" is left to the parser, so the entities a
        # stored (already escaped) stem contains read back the same: sanitising is idempotent.
        text = text.replace("<", "&lt;").replace(">", "&gt;")
    clean = _cleaner(media_url if media_url is not None else _default_media_url()).clean(text)
    clean = clean.strip().replace('<span class="">', "<span>")  # no allowed class left
    if "\n" in clean and not _BLOCK.search(clean):
        # Text (or inline-only markup) typed with line breaks: keep them as <br>.
        clean = clean.replace("<br>\n", "<br>").replace("\n", "<br>")
    return clean


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            alt = dict(attrs).get("alt")  # alt="" marks a decorative image: no text
            self.parts.append(" [image] " if alt is None else f" {alt} ")
        elif tag in _BREAKS_TEXT:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS_TEXT:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def stem_text(html: str, *, media_url: str | None = None) -> str:
    """The text of a stem on one line (titles, search, length checks): markup removed, entities
    decoded, whitespace collapsed; an image counts as its ``alt`` text (``[image]`` without one)."""
    collector = _TextCollector()
    collector.feed(sanitize_stem(html, media_url=media_url))
    collector.close()
    return " ".join("".join(collector.parts).split())
