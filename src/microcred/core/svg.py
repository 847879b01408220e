"""Allowlist sanitizer for user-uploaded SVG images.

Threat model: an SVG uploaded by one user (an organization's badge artwork, a logo) is later
shown to others, inline or as an ``<img>``, and rasterized on our servers. It must not be able to
run script in a viewer's browser (``<script>``, ``on*`` handlers, ``javascript:`` links,
animations that rewrite ``href``, ``<foreignObject>`` HTML), make a viewer or our rasterizer fetch
anything (external ``href``, CSS ``url()``/``@import``, external entities and DTDs: SSRF and
tracking), or exhaust the parser (entity bombs, huge or deeply nested documents).

Option (b) of reliability.md section 3.6: parse with defusedxml under byte, element and depth
caps, then rebuild a new tree holding only allowlisted SVG elements and attributes, with every
reference pointing inside the document (or at an inline raster ``data:`` URI on ``<image>``).
Comments, processing instructions and the DOCTYPE are not carried over. Serve the result with
the sandbox CSP all the same.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET  # building and writing only; parsing goes through defusedxml
from typing import NoReturn

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

MAX_SVG_BYTES = 1024 * 1024
MAX_SVG_ELEMENTS = 20_000
MAX_SVG_DEPTH = 100


class UploadRejected(ValueError):  # noqa: N818 - reads as a verdict: "upload rejected"
    """An uploaded file we refuse to store. ``message`` is safe to show to the user."""

    code = "invalid_image"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def format_size(num_bytes: int, *, round_up: bool = False) -> str:
    """``"3.1 MB"``, ``"12 KB"``, ``"900 bytes"`` (binary multiples, one decimal at most).

    Round a measured size up and a limit down, so that a file just over a limit never reads as
    equal to it ("2.1 MB; the limit is 2 MB", not "2 MB; the limit is 2 MB").
    """
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if num_bytes >= factor:
            tenths = num_bytes * 10 / factor
            tenths = math.ceil(tenths) if round_up else math.floor(tenths)
            return f"{tenths / 10:g} {unit}"
    return f"{num_bytes} byte" if num_bytes == 1 else f"{num_bytes} bytes"


# --- What survives ------------------------------------------------------------------------------

_FILTER_PRIMITIVES = {
    "feBlend", "feColorMatrix", "feComponentTransfer", "feFuncR", "feFuncG", "feFuncB", "feFuncA",
    "feComposite", "feConvolveMatrix", "feDiffuseLighting", "feSpecularLighting",
    "feDistantLight", "fePointLight", "feSpotLight", "feDisplacementMap", "feDropShadow",
    "feFlood", "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset", "feTile",
    "feTurbulence",
}  # fmt: skip
# Not feImage: it loads a URL.

ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
        "image", "filter",
        *_FILTER_PRIMITIVES,
    }
)  # fmt: skip

# Dropped, but their children are kept in their place: a link's text and Illustrator's
# <switch><foreignObject/><g>…</g></switch> artwork stay visible.
_UNWRAPPED_ELEMENTS = frozenset({"a", "switch"})

# Elements whose href may point at another element of this document.
_LOCAL_HREF_ELEMENTS = frozenset(
    {"use", "textPath", "linearGradient", "radialGradient", "pattern", "filter"}
)
# Elements that are pointless without a usable href: dropped when theirs is refused.
_HREF_REQUIRED_ELEMENTS = frozenset({"use", "image"})

# Presentation properties: allowed as attributes and as declarations in style="…".
STYLE_PROPERTIES = frozenset(
    {
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
        "stroke-dashoffset", "opacity", "color", "display", "visibility", "overflow",
        "clip-path", "clip-rule", "mask", "filter", "stop-color", "stop-opacity",
        "flood-color", "flood-opacity", "lighting-color", "color-interpolation",
        "color-interpolation-filters", "font-family", "font-size", "font-weight", "font-style",
        "font-variant", "font-stretch", "text-anchor", "dominant-baseline",
        "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
        "text-decoration", "writing-mode", "direction", "unicode-bidi", "marker-start",
        "marker-mid", "marker-end", "paint-order", "vector-effect", "shape-rendering",
        "text-rendering", "image-rendering", "mix-blend-mode", "isolation",
    }
)  # fmt: skip

_GEOMETRY_ATTRIBUTES = {
    # core
    "id", "class", "lang", "version", "baseProfile",
    # geometry and coordinate systems
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr",
    "width", "height", "d", "points", "pathLength", "viewBox", "preserveAspectRatio",
    "transform",
    # text
    "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing",
    "side",
    # paint servers, clipping, masking, markers
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "patternUnits",
    "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "markerUnits", "markerWidth", "markerHeight", "refX", "refY", "orient",
    # filters
    "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode",
    "operator", "k1", "k2", "k3", "k4", "type", "values", "tableValues", "slope", "intercept",
    "amplitude", "exponent", "order", "kernelMatrix", "divisor", "bias", "targetX", "targetY",
    "edgeMode", "kernelUnitLength", "preserveAlpha", "surfaceScale", "diffuseConstant",
    "specularConstant", "specularExponent", "azimuth", "elevation", "z", "pointsAtX",
    "pointsAtY", "pointsAtZ", "limitingConeAngle", "scale", "xChannelSelector",
    "yChannelSelector", "radius", "baseFrequency", "numOctaves", "seed", "stitchTiles",
}  # fmt: skip

ALLOWED_ATTRIBUTES = frozenset(_GEOMETRY_ATTRIBUTES | STYLE_PROPERTIES)

# Attributes outside the null namespace that we keep, and how they are written out.
_NAMESPACED_ATTRIBUTES = {
    f"{{{XLINK_NS}}}href": "xlink:href",
    f"{{{XML_NS}}}lang": "xml:lang",
    f"{{{XML_NS}}}space": "xml:space",
}

# CSS functions a value may call; url() is handled apart (local fragments only).
_ALLOWED_FUNCTIONS = frozenset(
    {"rgb", "rgba", "hsl", "hsla", "matrix", "translate", "scale", "rotate", "skewx", "skewy"}
)

_LOCAL_REF = re.compile(r"#[^\W\d][\w.:-]*\Z")
_LOCAL_URL = re.compile(r"""url\((["']?)#[^\W\d][\w.:-]*\1\)""")
_FUNCTION_CALL = re.compile(r"([\w-]*)\(")
_RASTER_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]*={0,2}\Z")
_INVISIBLE = re.compile(r"[\s\x00-\x1f\x7f]+")
# What a style declaration's value may be made of: names, numbers, colours, lists, quoted
# font names, calls (checked above), !important. Nothing that can open a block, a comment or
# an escape.
_STYLE_VALUE = re.compile(r"""[\w\s#%.,+\-/()!'"]*\Z""")


# --- Parsing under caps -------------------------------------------------------------------------


def _reject(message: str) -> NoReturn:
    raise UploadRejected(message)


class _CappedTreeBuilder(ET.TreeBuilder):
    """Counts elements and depth as expat reports them, so a deep or huge document is refused
    before the tree (or any recursion over it) gets big."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_SVG_DEPTH:
            _reject(
                f"The SVG nests elements more than {MAX_SVG_DEPTH} levels deep; "
                "simplify the drawing and upload it again."
            )
        if self.elements > MAX_SVG_ELEMENTS:
            _reject(
                f"The SVG has more than {MAX_SVG_ELEMENTS:,} elements; "
                "simplify the drawing and upload it again."
            )
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


class _SvgParser(DefusedXMLParser):
    """defusedxml with DTDs forbidden, except a bare ``<!DOCTYPE svg PUBLIC …>`` line.

    Illustrator and older Inkscape write that line. With no internal subset it cannot declare
    entities, expat does not load the external subset, and it is not carried into the output.
    """

    def __init__(self, target: _CappedTreeBuilder) -> None:
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)

    def defused_start_doctype_decl(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        if (
            name == "svg"
            and not has_internal_subset
            and (pubid is None or pubid.startswith("-//W3C//DTD SVG "))
            and (sysid is None or sysid.startswith("http://www.w3.org/"))
        ):
            return
        raise DTDForbidden(name, sysid, pubid)


def _parse(data: bytes) -> ET.Element:
    builder = _CappedTreeBuilder()
    parser = _SvgParser(target=builder)
    try:
        parser.feed(data)
        return parser.close()
    except DTDForbidden:
        _reject(
            "The SVG has a DOCTYPE declaration that is not allowed (only the standard SVG "
            "DOCTYPE, without declarations, is); remove it."
        )
    except (EntitiesForbidden, ExternalReferenceForbidden):
        _reject("The SVG declares or references XML entities, which are not allowed.")
    except ParseError as exc:
        line, column = exc.position
        _reject(f"The SVG is not well-formed XML (line {line}, column {column + 1}).")
    except UploadRejected:
        raise
    except (LookupError, ValueError):  # expat and Python codecs refusing the declared encoding
        _reject("The SVG declares a character encoding that cannot be read; save it as UTF-8.")


# --- Values -------------------------------------------------------------------------------------


def _is_safe_value(value: str) -> bool:
    """No script, no fetch: only local url(#id) references and a few harmless CSS functions."""
    compact = _INVISIBLE.sub("", value).lower()
    if "\\" in compact:  # CSS escapes can spell url( or javascript: in disguise
        return False
    if any(word in compact for word in ("javascript:", "vbscript:", "data:", "@import")):
        return False
    remainder = _LOCAL_URL.sub("", compact)
    return all(name in _ALLOWED_FUNCTIONS for name in _FUNCTION_CALL.findall(remainder))


def _clean_style(value: str) -> str:
    """Keep the allowlisted declarations of a style attribute, rewritten as ``name:value;…``."""
    if "/*" in value or any(char in value for char in "\\{}@<>"):
        return ""
    declarations = []
    for declaration in value.split(";"):
        name, colon, declared = declaration.partition(":")
        name, declared = name.strip().lower(), declared.strip()
        if (
            colon
            and name in STYLE_PROPERTIES
            and declared
            and _STYLE_VALUE.match(declared)
            and declared.count('"') % 2 == 0
            and declared.count("'") % 2 == 0
            and _is_safe_value(declared)
        ):
            declarations.append(f"{name}:{declared}")
    return ";".join(declarations)


def _embedded_raster(compact: str) -> str | None:
    """``compact`` (an href without whitespace) as a base64 PNG, JPEG, GIF or WebP data URI,
    its scheme lower-cased; None when it is anything else."""
    scheme, comma, payload = compact.partition(",")
    candidate = f"{scheme.lower()}{comma}{payload}"
    return candidate if _RASTER_DATA_URI.match(candidate) else None


def _clean_href(element: str, value: str) -> str | None:
    compact = _INVISIBLE.sub("", value)
    if element in _LOCAL_HREF_ELEMENTS and _LOCAL_REF.match(compact):
        return compact
    if element == "image":
        return _embedded_raster(compact)
    return None


def _clean_attributes(element: str, source: ET.Element) -> dict[str, str] | None:
    """The attributes to keep, or None when the element must go (a refused required href)."""
    kept: dict[str, str] = {}
    for key, value in source.attrib.items():
        if key in ("href", f"{{{XLINK_NS}}}href"):
            href = _clean_href(element, value)
            if href is None:
                if element in _HREF_REQUIRED_ELEMENTS:
                    return None
                continue
            kept[_NAMESPACED_ATTRIBUTES.get(key, key)] = href
        elif key in _NAMESPACED_ATTRIBUTES:
            if _is_safe_value(value):
                kept[_NAMESPACED_ATTRIBUTES[key]] = value
        elif key == "style":
            style = _clean_style(value)
            if style:
                kept["style"] = style
        elif key in ALLOWED_ATTRIBUTES and _is_safe_value(value):
            kept[key] = value
    if element == "image" and not ({"href", "xlink:href"} & kept.keys()):
        return None
    return kept


# --- Refusing what is plainly hostile ------------------------------------------------------------

# Elements that run script (SVG, XHTML inside foreignObject, SVG Tiny's XML Events).
_SCRIPT_ELEMENTS = frozenset({"script", "handler", "listener"})
# Attributes that name a resource to load (or, with javascript:, code to run).
_REFERENCE_ATTRIBUTES = frozenset({"href", "src", "data", "action", "formaction"})
# Animation attributes that can write a javascript: URL into an href.
_ANIMATION_VALUES = frozenset({"values", "to", "from", "by"})
_CSS_REFERENCE = re.compile(
    r"""url\(\s*(["']?)\s*([^"')]*)|@import\s*(?:url\(\s*)?["']?([^"');\s]*)"""
)
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "livescript:")


def _shorten(value: str, length: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= length else value[: length - 1] + "…"


def _css_problem(css: str, where: str) -> str | None:
    compact = _INVISIBLE.sub("", css).lower()
    if "\\" in compact and "(" in compact:
        return f"The SVG hides CSS behind escape sequences in {where}; remove them."
    if "expression(" in compact or "behavior:" in compact:
        return f"The SVG contains a script in CSS ({where}); remove it."
    for match in _CSS_REFERENCE.finditer(css):
        target = (match.group(2) or match.group(3) or "").strip()
        if not target.startswith("#"):
            return (
                f"The SVG loads an external resource ({_shorten(target) or 'an empty URL'}) "
                f"from CSS in {where}; embed it in the file or remove it."
            )
    return None


def hostile_content(data: bytes) -> str | None:
    """Why an SVG is plainly hostile (a script, an event handler, a reference to anything
    outside the document), as a message for the uploader; None when it is not.

    Uploads refuse such files outright rather than store a silently altered copy: the
    uploader learns what was wrong, and nothing that was meant to attack is kept. What
    passes still goes through :func:`sanitize_svg`, which drops anything else not allowlisted
    (editor metadata, unknown elements)."""
    return _stylesheet_problem(data) or _element_problem(_parse(data))


def _stylesheet_problem(data: bytes) -> str | None:
    if re.search(rb"<\?xml-stylesheet", data[:4096]):
        return "The SVG loads an external stylesheet (<?xml-stylesheet?>); remove that line."
    return None


def _element_problem(root: ET.Element) -> str | None:
    """What :func:`hostile_content` finds in the parsed document."""
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag.rpartition("}")[2]
        if name.lower() in _SCRIPT_ELEMENTS:
            return f"The SVG contains a script (a <{name}> element); remove it."
        if name == "style" and element.text:
            problem = _css_problem(element.text, "a <style> element")
            if problem:
                return problem
        for key, value in element.attrib.items():
            namespace, _, attribute = key.rpartition("}")
            namespace = namespace.lstrip("{")
            if namespace not in ("", XLINK_NS, SVG_NS):
                continue  # an editor's own attribute (inkscape:label…): dropped, never read
            compact = _INVISIBLE.sub("", value).lower()
            if attribute.lower().startswith("on"):
                return (
                    f"The SVG contains a script: the event handler {attribute}= on <{name}>; "
                    "remove it."
                )
            if attribute in _REFERENCE_ATTRIBUTES | _ANIMATION_VALUES and compact.startswith(
                _SCRIPT_SCHEMES
            ):
                return f"The SVG contains a script: a {compact.split(':')[0]}: URL on <{name}>."
            if attribute in _REFERENCE_ATTRIBUTES and name != "a":
                if compact.startswith("#") or _embedded_raster(compact):
                    continue
                return (
                    f"The SVG references a resource outside the file ({_shorten(value)}) from "
                    f"<{name}>; embed images in the file (PNG, JPEG, GIF or WebP as a data: "
                    "URI) and upload it again."
                )
            if attribute in _REFERENCE_ATTRIBUTES and compact.startswith("data:"):
                return f"The SVG links to an embedded document ({_shorten(value)}) from <a>."
            if attribute == "style" or attribute in STYLE_PROPERTIES:
                problem = _css_problem(value, f"the {attribute} of <{name}>")
                if problem:
                    return problem
    return None


# --- Rebuilding ---------------------------------------------------------------------------------


def _local_name(tag: object) -> str | None:
    """The SVG element name, or None for anything outside the SVG namespace."""
    if isinstance(tag, str) and tag.startswith(f"{{{SVG_NS}}}"):
        return tag[len(SVG_NS) + 2 :]
    return None


def _append_text(target: ET.Element, text: str | None) -> None:
    """Add character data after whatever ``target`` holds so far."""
    if not text:
        return
    if len(target):
        last = target[-1]
        last.tail = (last.tail or "") + text
    else:
        target.text = (target.text or "") + text


def _copy_children(source: ET.Element, target: ET.Element) -> None:
    # Recursion is bounded by MAX_SVG_DEPTH, checked while parsing.
    for child in source:
        name = _local_name(child.tag)
        attributes = None
        if name is not None and name in ALLOWED_ELEMENTS:
            attributes = _clean_attributes(name, child)
        if name is not None and attributes is not None:
            copy = ET.SubElement(target, name, attributes)
            copy.text = child.text
            _copy_children(child, copy)
        elif name in _UNWRAPPED_ELEMENTS:
            _append_text(target, child.text)
            _copy_children(child, target)
        _append_text(target, child.tail)


def sanitize_svg(data: bytes, *, refuse_hostile: bool = False) -> bytes:
    """Return a safe copy of the SVG document ``data``, as UTF-8 bytes.

    Raises ``UploadRejected`` when the document is too big, deep or large in elements, is not
    well-formed, has a DTD with declarations or entities, or is not an ``<svg>`` in the SVG
    namespace; with ``refuse_hostile`` (uploads), also when it holds a script or an external
    reference (:func:`hostile_content`). Everything else not allowlisted is silently dropped.
    The same input always gives the same output.
    """
    if len(data) > MAX_SVG_BYTES:
        _reject(
            f"The SVG is {format_size(len(data), round_up=True)}; "
            f"the limit is {format_size(MAX_SVG_BYTES)}."
        )
    # hostile_content(data), on the one parse: the stylesheet check needs no tree.
    if refuse_hostile and (problem := _stylesheet_problem(data)):
        _reject(problem)
    root = _parse(data)
    if refuse_hostile and (problem := _element_problem(root)):
        _reject(problem)
    if _local_name(root.tag) != "svg":
        if root.tag == "svg" or root.tag.endswith("}svg"):
            _reject(f'The SVG lacks the SVG namespace; add xmlns="{SVG_NS}" to its <svg> element.')
        _reject("The file is XML but not an SVG image: its root element is not <svg>.")

    attributes = _clean_attributes("svg", root) or {}
    clean = ET.Element("svg", {"xmlns": SVG_NS})
    clean.text = root.text
    _copy_children(root, clean)

    uses_xlink = "xlink:href" in attributes or any(
        "xlink:href" in element.attrib for element in clean.iter()
    )
    if uses_xlink:
        clean.set("xmlns:xlink", XLINK_NS)
    for key, value in attributes.items():
        clean.set(key, value)
    # The names written here are literal ("svg", "xlink:href") and the namespaces are declared
    # as plain attributes: ElementTree's default_namespace cannot mix with unprefixed attributes,
    # and register_namespace would change process-wide state.
    return ET.tostring(clean, encoding="utf-8")
