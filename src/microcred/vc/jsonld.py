"""Strict, offline JSON-LD processing and RDFC-1.0 canonicalization.

What this implements:

- JSON-LD 1.1 API §9.4 (document loading) with an allow-list loader: only the pinned contexts of
  :mod:`microcred.vc.contexts` load; any other URL raises :class:`ContextError`, nothing is fetched.
  Loaded contexts are tagged ``static`` so pyld keeps the *processed* contexts in its shared,
  process-wide resolved-context cache; repeated canonicalization then skips context processing
  (that was two thirds of the naive cost).
- The "safe mode" of jsonld.js (which every JS verifier uses for Data Integrity), which pyld
  3.3.0 lacks: a property that does not expand to an absolute IRI, a relative or blank-node
  ``@id``, a relative or blank-node ``@type`` or predicate, a ``null`` value, an inline or unknown ``@context`` or a
  document that expands to nothing is an error — otherwise the signature would cover less than
  the JSON shows (standards notes §0.1).
- JSON-LD 1.1 §8 "Deserialize JSON-LD to RDF" via pyld (``base=None``,
  ``rdfDirection='i18n-datatype'`` as in the JS cryptosuites), then RDF Dataset Canonicalization
  (RDFC-1.0, W3C REC 2024, §4.4) on pyld's URDNA2015 machinery with canonical N-Quads written
  exactly as rdf-canonize 5 (the JS reference) writes them: literal escaping of ``\\b``, ``\\f``,
  ``\\u0000``–``\\u001F``, ``\\u007F`` (pyld differs, notes §0.3), IRI escaping, and JavaScript's
  sort order. pyoxigraph's RDFC-1.0 is *not* used: it labels identical blank nodes in different
  named graphs differently from rdf-canonize and pyld (found on 1EdTech's ``complete.json``).
- Limits for untrusted input (RDFC-1.0 §6 "Dataset poisoning"): JSON size, number of JSON
  values, nesting depth, number of quads and of blank nodes, and rdf-canonize's default work
  limit (``maxWorkFactor`` 1: no more Hash N-Degree Quads runs than blank nodes with a shared
  first-degree hash), so a crafted credential fails fast instead of running for hours.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from frozendict import frozendict
from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.jsonld import (
    RDF_TYPE as _RDF_TYPE,
)
from pyld.jsonld import (
    IdentifierIssuer,
    JsonLdError,
    JsonLdProcessor,
    _resolved_context_cache,
)
from pyld.jsonld import (
    _is_keyword as _pyld_is_keyword,
)

from microcred.vc.contexts import REGISTRY, is_known_context, load_context
from microcred.vc.errors import ContextError, ParsingError, VCError
from microcred.vc.shapes import ShapeCache, keyword_aliases

#: Largest accepted JSON text (bytes), e.g. a credential with an embedded data: URI image.
MAX_DOCUMENT_BYTES: Final = 2 * 1024 * 1024
#: Most JSON values (objects, arrays, scalars) in one document.
MAX_JSON_VALUES: Final = 50_000
#: Deepest nesting of objects/arrays.
MAX_DEPTH: Final = 48
#: Most RDF quads a document may produce.
MAX_QUADS: Final = 20_000
#: Most blank nodes a document may produce. A typical OB3 credential has fewer than 10.
MAX_BLANK_NODES: Final = 512

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_MISSING: Final = object()
# pyld 3.3.0's absolute-IRI test (``_is_absolute_iri``: re.match, so ``$`` also matches before
# a final newline), precompiled.
_PYLD_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")


_PYLD_ABSOLUTE_IRI_MEMO: dict[str, bool] = {}


def _pyld_is_absolute_iri(value: Any) -> bool:
    if type(value) is not str:
        return isinstance(value, str) and _PYLD_ABSOLUTE_IRI.match(value) is not None
    # A pure function of the string: memoized (bounded; cleared when full).
    hit = _PYLD_ABSOLUTE_IRI_MEMO.get(value)
    if hit is None:
        hit = _PYLD_ABSOLUTE_IRI.match(value) is not None
        if len(_PYLD_ABSOLUTE_IRI_MEMO) >= 8192:
            _PYLD_ABSOLUTE_IRI_MEMO.clear()
        _PYLD_ABSOLUTE_IRI_MEMO[value] = hit
    return hit


_CONTEXT_LOADER_OPTIONS = {"contentType": "application/ld+json", "contextUrl": None}

# pyld 3.3.0's ``_is_keyword`` tests membership in the ``KEYWORDS`` *list* and its
# ``_is_absolute_iri`` looks its pattern up in ``re``'s cache on every call; both run tens of
# thousands of times per credential. Drop-in replacements with identical results (same truth
# value *and* same return objects: ``False``/``bool`` and ``False``/match/``None``), installed
# in pyld's module namespace where its methods look them up.
_PYLD_KEYWORDS: Final = frozenset(_pyld.KEYWORDS)


def _fast_is_keyword(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    return v in _PYLD_KEYWORDS


def _fast_is_absolute_iri(v: Any) -> Any:
    return isinstance(v, str) and _PYLD_ABSOLUTE_IRI.match(v)


_pyld._is_keyword = _fast_is_keyword
_pyld._is_absolute_iri = _fast_is_absolute_iri


# -- document loading ------------------------------------------------------------------------


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves only registered contexts (never the network).

    The ``tag: "static"`` entry makes pyld's ContextResolver keep the resolved and processed
    context in its shared LRU cache across calls.
    """
    document = load_context(url)  # raises ContextError for anything unregistered
    return {**_CONTEXT_LOADER_OPTIONS, "documentUrl": url, "document": document, "tag": "static"}


def parse_json(data: bytes | str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse untrusted JSON text strictly (RFC 8259 §4 + I-JSON RFC 7493 §2.3).

    Rejects texts larger than ``max_bytes``, duplicate member names (which would make JCS and
    JSON-LD see different documents), ``NaN``/``Infinity`` and excessive nesting.
    """
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ParsingError(f"document is {size} bytes; the limit is {max_bytes}")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ParsingError(f"duplicate member name {key!r}")
            result[key] = value
        return result

    def no_constants(name: str) -> NoReturn:
        raise ParsingError(f"{name} is not valid JSON")

    try:
        return json.loads(data, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except RecursionError:
        raise ParsingError("document is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, VCError):
            raise
        raise ParsingError(f"not valid JSON: {exc}") from None


# -- structural checks before JSON-LD processing ----------------------------------------------


_INLINE_TERM = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INLINE_DEFINITION_KEYS = {"@id", "@type", "@container"}
_INLINE_CONTAINERS = {"@list", "@set"}
_INLINE_TYPES = {"@id"}
_INLINE_MEMO: OrderedDict[str, dict[str, Any]] = OrderedDict()
_INLINE_MEMO_SIZE = 256


def _check_inline_context(context: dict[str, Any]) -> None:
    """An embedded context object may only define plain terms as absolute IRIs.

    No ``@vocab``/``@base``/``@import``/``@propagate``/nested contexts — anything that would
    make undefined terms meaningful, pull in other documents, or change how the rest of the
    document is read. Redefining a protected term of a bundled context fails in JSON-LD itself.
    """
    if not context:
        raise ContextError("an embedded @context object is empty")
    for term, definition in context.items():
        if term == "@protected" and isinstance(definition, bool):
            continue
        if term == "@version" and definition == 1.1:
            continue
        if not _INLINE_TERM.fullmatch(term):
            raise ContextError(
                f"embedded @context: {term!r} is not allowed (only plain term definitions)"
            )
        if isinstance(definition, str):
            definition = {"@id": definition}
        if not isinstance(definition, dict) or not set(definition) <= _INLINE_DEFINITION_KEYS:
            raise ContextError(
                f"embedded @context: the definition of {term!r} may only use @id, @type, @container"
            )
        if not _is_absolute_iri(definition.get("@id")) or str(definition["@id"]).startswith("_:"):
            raise ContextError(f"embedded @context: {term!r} must map to an absolute IRI")
        kind = definition.get("@type")
        if (
            kind is not None
            and kind not in _INLINE_TYPES
            and not (_is_absolute_iri(kind) and not str(kind).startswith("_:"))
        ):
            raise ContextError(
                f"embedded @context: the @type of {term!r} must be @id or an absolute IRI"
            )
        if "@container" in definition and definition["@container"] not in _INLINE_CONTAINERS:
            raise ContextError(
                f"embedded @context: the @container of {term!r} must be @list or @set"
            )


def _check_context_value(value: Any, *, top_level: bool) -> None:
    entries = value if isinstance(value, list) else [value]
    for entry in entries:
        if isinstance(entry, dict) and top_level:
            _check_inline_context(entry)
            continue
        if not isinstance(entry, str):
            raise ContextError(
                "@context entries must be URLs of bundled contexts "
                "(or, at the top level, an object that only defines terms)"
            )
        if not is_known_context(entry):
            raise ContextError(f"context {entry!r} is not one of the contexts microcred accepts")


def _interned_contexts(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its embedded context objects replaced by shared, never-mutated copies,
    so the context memo can key them by identity (and a caller mutating its dict later cannot
    reach a cached result)."""
    value = document.get("@context")
    entries = value if isinstance(value, list) else [value]
    if not any(isinstance(entry, dict) for entry in entries):
        return document
    interned = []
    for entry in entries:
        if isinstance(entry, dict):
            key = json.dumps(entry, sort_keys=True)
            copy = _INLINE_MEMO.get(key)
            if copy is None:
                copy = json.loads(key)
                _INLINE_MEMO[key] = copy
                if len(_INLINE_MEMO) > _INLINE_MEMO_SIZE:
                    _INLINE_MEMO.popitem(last=False)
            interned.append(copy)
        else:
            interned.append(entry)
    return {**document, "@context": interned if isinstance(value, list) else interned[0]}


def _render(path: Any) -> str:
    """``(((None, "a"), 0), "b")`` → ``$.a[0].b`` (paths are built lazily: only errors need them)."""
    parts: list[str] = []
    while path is not None:
        path, step = path
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "$" + "".join(reversed(parts))


def check_document_limits(document: Any, *, jsonld: bool = True) -> None:
    """Size, depth and shape limits on a parsed JSON document (iterative, no recursion).

    With ``jsonld`` (the default) also the JSON-LD strictness that needs no context processing:
    ``@context`` values must name registered contexts, and ``null`` values are rejected.
    """
    if not isinstance(document, dict):
        raise ParsingError("a JSON-LD document must be a JSON object")
    values = 0
    chars = 0
    # Paths are linked (parent, step) pairs, rendered only for an error message.
    stack: list[tuple[Any, int, Any]] = [(document, 1, None)]
    while stack:
        value, depth, path = stack.pop()
        values += 1
        if values > MAX_JSON_VALUES:
            raise ParsingError(f"document has more than {MAX_JSON_VALUES} JSON values")
        if depth > MAX_DEPTH:
            raise ParsingError(f"document is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ParsingError(f"member names must be strings at {_render(path)}")
                chars += len(key) + 4
                if key == "@context" and jsonld:
                    # An eddsa-jcs-2022 proof carries a copy of the document's @context.
                    top_level = depth == 1 or value.get("type") == "DataIntegrityProof"
                    _check_context_value(item, top_level=top_level)
                    continue
                stack.append((item, depth + 1, (path, key)))
        elif isinstance(value, list):
            chars += 2
            stack.extend((item, depth + 1, (path, i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            chars += len(value) + 2
        elif value is None:
            if not jsonld:
                continue
            # JSON-LD ignores nulls, so a signature would not cover them (issue 3: strict).
            raise ParsingError(f"null value at {_render(path)} is not allowed")
        elif isinstance(value, float) and not math.isfinite(value):
            raise ParsingError(f"non-finite number at {_render(path)}")
        elif not isinstance(value, bool | int | float):
            raise ParsingError(f"unsupported value type {type(value).__name__} at {_render(path)}")
        else:
            chars += 8
        if chars > MAX_DOCUMENT_BYTES:
            raise ParsingError(f"document is larger than {MAX_DOCUMENT_BYTES} bytes")


_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")


_ABSOLUTE_IRI_MEMO: dict[str, bool] = {}
_ABSOLUTE_IRI_MEMO_SIZE = 8192


def _is_absolute_iri(value: Any) -> bool:
    # The test jsonld.js and pyld use (``scheme ":" no-whitespace``), excluding blank nodes.
    # A pure function of the string, so answers are memoized (bounded; cleared when full).
    if type(value) is not str:
        return (
            isinstance(value, str)
            and not value.startswith("_:")
            and _ABSOLUTE_IRI.fullmatch(value) is not None
        )
    memo = _ABSOLUTE_IRI_MEMO
    hit = memo.get(value)
    if hit is None:
        hit = not value.startswith("_:") and _ABSOLUTE_IRI.fullmatch(value) is not None
        if len(memo) >= _ABSOLUTE_IRI_MEMO_SIZE:
            memo.clear()
        memo[value] = hit
    return hit


def _is_blank_node_id(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("_:") and len(value) > 2


def _walk_expanded(expanded: list[Any]) -> None:
    """Reject what jsonld.js safe mode rejects and pyld drops silently (relative IRIs etc.)."""
    stack: list[Any] = list(expanded)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "@value" in item:
            datatype = item.get("@type")
            if datatype is not None and datatype != "@json" and not _is_absolute_iri(datatype):
                raise ParsingError(f"relative datatype IRI {datatype!r}")
            continue
        for key, value in item.items():
            if key == "@id":
                if not (_is_absolute_iri(value) or _is_blank_node_id(value)):
                    raise ParsingError(f"@id {value!r} is a relative IRI reference")
            elif key == "@type":
                for type_iri in value if isinstance(value, list) else [value]:
                    if not _is_absolute_iri(type_iri):
                        raise ParsingError(f"type {type_iri!r} is not defined by the contexts")
            elif key == "@reverse":
                for reverse_key, reverse_value in value.items():
                    if not _is_absolute_iri(reverse_key):
                        raise ParsingError(f"property {reverse_key!r} is not an absolute IRI")
                    stack.append(reverse_value)
            elif key in ("@graph", "@list", "@set", "@included"):
                stack.append(value)
            elif key.startswith("@"):
                continue
            elif not _is_absolute_iri(key):
                raise ParsingError(f"property {key!r} is not an absolute IRI")
            else:
                stack.append(value)


# -- JSON-LD → RDF ------------------------------------------------------------------------------


def _raise_dropped(expanded_property: str | None) -> NoReturn:
    raise ParsingError(f"term {expanded_property!r} is not defined by the document's contexts")


class _CachingProcessor(JsonLdProcessor):  # type: ignore[misc]
    """pyld processor that memoizes context processing across calls.

    pyld caches a processed context per (resolved context, active context ``_uuid``), but a
    type-scoped context (``propagate=False``, e.g. OB3's ``Achievement`` or ``Profile``) is
    applied to a fresh clone with a fresh ``_uuid`` on every call, so it is re-processed each
    time (≈60 % of the cost of canonicalizing an OB3 credential). Processed contexts are frozen
    and identified by their ``_uuid``; local contexts here are always bundled, immutable
    context objects (documents may only name registered URLs), so memoizing on
    (active ``_uuid``, local context identity, flags) returns exactly what pyld would compute.
    """

    _MEMO_SIZE = 2048
    _IRI_MEMO_SIZE = 65536

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_raise_dropped)
        self._iri_memo: dict[tuple[Any, ...], Any] = {}
        self._memo: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
        self._memo_lock = threading.Lock()

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        uuid = active_ctx.get("_uuid") if isinstance(active_ctx, Mapping) else None
        if uuid is None or cycles:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        if isinstance(local_ctx, str):
            local_key: Any = local_ctx
        elif isinstance(local_ctx, list) and all(isinstance(c, str) for c in local_ctx):
            local_key = tuple(local_ctx)
        else:
            local_key = id(local_ctx)
        key = (uuid, local_key, override_protected, propagate, validate_scoped)
        with self._memo_lock:
            hit = self._memo.get(key)
            if hit is not None and (hit[0] is local_ctx or not isinstance(local_key, int)):
                self._memo.move_to_end(key)
                return hit[1]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if isinstance(result, Mapping) and type(result) is not dict:  # frozendict: shareable
            with self._memo_lock:
                # Keep a reference to local_ctx so its id() cannot be reused while cached.
                self._memo[key] = (local_ctx, result)
                if len(self._memo) > self._MEMO_SIZE:
                    self._memo.popitem(last=False)
        return result

    def expand_document(self, document: dict[str, Any], options: dict[str, Any]) -> list[Any]:
        """:meth:`JsonLdProcessor.expand` of an in-memory document, without its defensive deep
        copy of the input (expansion only reads it and builds new objects; a test checks the
        input is left untouched). ``options`` must be complete (see ``_OPTIONS``)."""
        options = {
            **options,
            "contextResolver": ContextResolver(_resolved_context_cache, options["documentLoader"]),
        }
        active_ctx = self._get_initial_context(options)
        expanded = self._expand(active_ctx, None, document, options, inside_list=False)
        if isinstance(expanded, dict) and "@graph" in expanded and len(expanded) == 1:
            expanded = expanded["@graph"]
        elif expanded is None:
            expanded = []
        return expanded if isinstance(expanded, list) else [expanded]

    def _graph_to_rdf(
        self, graph: dict[str, Any], issuer: IdentifierIssuer, options: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """:meth:`JsonLdProcessor._graph_to_rdf` (pyld 3.3.0) with its per-item absolute-IRI
        tests of the subject and predicate hoisted to once per node / property (they do not
        depend on the item) and the pattern precompiled; same triples, same order, same blank
        node issuing (``_object_to_rdf`` is called for exactly the same items)."""
        triples: list[dict[str, Any]] = []
        generalized = options["produceGeneralizedRdf"]
        object_to_rdf = self._object_to_rdf
        for id_, node in sorted(graph.items()):
            if not _pyld_is_absolute_iri(id_):
                continue  # pyld skips every item of a relative-IRI subject
            subject_type = "blank node" if id_.startswith("_:") else "IRI"
            for property_, items in sorted(node.items()):
                if property_ == "@type":
                    property_ = _RDF_TYPE
                elif (
                    property_ in _PYLD_KEYWORDS
                    if type(property_) is str
                    else (_pyld_is_keyword(property_))
                ):
                    continue
                if not items or not _pyld_is_absolute_iri(property_):
                    continue
                if property_.startswith("_:"):
                    if not generalized:
                        continue
                    predicate_type = "blank node"
                else:
                    predicate_type = "IRI"
                for item in items:
                    rdf_object = object_to_rdf(item, issuer, triples, options)
                    if rdf_object is not None:
                        triples.append(
                            {
                                "subject": {"type": subject_type, "value": id_},
                                "predicate": {"type": predicate_type, "value": property_},
                                "object": rdf_object,
                            }
                        )
        return triples

    def _object_to_rdf(
        self, item: Any, issuer: IdentifierIssuer, triples: list[Any], options: dict[str, Any]
    ) -> Any:
        """:meth:`JsonLdProcessor._object_to_rdf` (pyld 3.3.0) with a direct path for the two
        common items — a plain node reference and a string value without language or
        direction whose datatype needs no conversion — building the same dict (same keys,
        same order); everything else goes to pyld."""
        if type(item) is dict:
            if "@value" in item:
                value = item["@value"]
                if type(value) is str and "@language" not in item and "@direction" not in item:
                    datatype = item.get("@type")
                    if datatype != "@json" and datatype != _XSD_DOUBLE:
                        return {
                            "type": "literal",
                            "value": value,
                            "datatype": datatype or _XSD_STRING,
                        }
            elif "@list" not in item:
                id_ = item["@id"]
                if type(id_) is str:
                    if id_.startswith("_:"):
                        return {"type": "blank node", "value": id_}
                    if _PYLD_ABSOLUTE_IRI.match(id_) is None:
                        return None
                    return {"type": "IRI", "value": id_}
        return super()._object_to_rdf(item, issuer, triples, options)

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        """pyld's IRI expansion, memoized for frozen (processed, never-mutated) active contexts.

        Outside context processing (``local_ctx`` is None) the result is a pure function of the
        active context, the string and the flags; a frozen context's ``_uuid`` is unique to it
        (pyld draws a fresh uuid1 for every processed context), so (``_uuid``, value, base,
        vocab) identifies the answer. Terms are expanded over and over (≈130 calls for one OB3
        credential, most of them the same few dozen terms), so this is the hottest pyld path.
        """
        if local_ctx is None and type(active_ctx) is frozendict and type(value) is str:
            key = (active_ctx.get("_uuid"), value, base, vocab)
            memo = self._iri_memo
            hit = memo.get(key, _MISSING)
            if hit is not _MISSING:
                return hit
            result = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
            if key[0] is not None:
                if len(memo) >= self._IRI_MEMO_SIZE:
                    memo.clear()
                memo[key] = result
            return result
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)


_PROCESSOR = _CachingProcessor()
_OPTIONS: Final[dict[str, Any]] = {
    "isFrame": False,
    "keepFreeFloatingNodes": False,
    "base": None,
    "documentLoader": document_loader,
    "processingMode": "json-ld-1.1",
    "rdfDirection": "i18n-datatype",
    "produceGeneralizedRdf": False,
    "extractAllScripts": False,
}


def _unwrap(exc: BaseException) -> VCError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, VCError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _pyld_error(exc: JsonLdError) -> VCError:
    inner = _unwrap(exc)
    if inner is not None:
        return inner
    messages = []
    seen: BaseException | None = exc
    while seen is not None and len(messages) < 4:
        messages.append(str(getattr(seen, "message", seen)).split("\n", 1)[0])
        seen = seen.__cause__
    return ParsingError("JSON-LD processing failed: " + " / ".join(messages))


def to_rdf(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Strict JSON-LD → RDF (JSON-LD 1.1 API §9.3 ``toRdf``) as a pyld dataset.

    Same steps as :meth:`pyld.jsonld.JsonLdProcessor.to_rdf` (expand, node map, graph to RDF)
    with the safe-mode check in between. Uses two private pyld 3.3.0 helpers; the test-vector
    tests catch any change in them. Returns ``{graph name or "@default": [triple, …]}``.
    """
    check_document_limits(document)
    return _to_rdf(_interned_contexts(document), _PROCESSOR)


def _to_rdf(document: dict[str, Any], processor: _CachingProcessor) -> dict[str, list[Any]]:
    try:
        expanded = processor.expand_document(document, _OPTIONS)
        if not expanded:
            raise ParsingError("document expands to nothing (no defined terms)")
        _walk_expanded(expanded)
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {
            name: processor._graph_to_rdf(graph, issuer, _OPTIONS)
            for name, graph in sorted(node_map.items())
        }
    except JsonLdError as exc:
        raise _pyld_error(exc) from None
    except RecursionError:
        raise ParsingError("document is nested too deeply") from None
    if sum(len(triples) for triples in dataset.values()) > MAX_QUADS:
        raise ParsingError(f"document produces more than {MAX_QUADS} RDF statements")
    return dataset


class _RecordingProcessor(_CachingProcessor):
    """The processor shape templates are compiled with: tells the current recorder about every
    IRI expansion of a value (see :mod:`microcred.vc.shapes`). Used under the compile lock."""

    recorder: Any = None

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        if self.recorder is not None and local_ctx is None and type(value) is str:
            self.recorder.record(active_ctx, value, base, vocab)
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)


_RECORDING_PROCESSOR = _RecordingProcessor()


def _recorded_to_rdf(document: dict[str, Any], recorder: Any) -> dict[str, list[Any]]:
    _RECORDING_PROCESSOR.recorder = recorder
    try:
        return _to_rdf(document, _RECORDING_PROCESSOR)
    finally:
        _RECORDING_PROCESSOR.recorder = None


def _expand_value_iri(active_ctx: Any, value: str, base: Any, vocab: bool) -> Any:
    return _PROCESSOR._expand_iri(active_ctx, value, base, vocab)


#: Compiled shape templates of this process (:mod:`microcred.vc.shapes`).
SHAPE_TEMPLATES = ShapeCache(
    to_rdf=_recorded_to_rdf,
    expand_iri=_expand_value_iri,
    is_absolute_iri=_is_absolute_iri,
    structural_keys=keyword_aliases(load_context(url) for url in REGISTRY),
)


def _dataset(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """:func:`to_rdf`, from the document's shape template when there is one (same canonical
    form, a fraction of the work; :mod:`microcred.vc.shapes`)."""
    check_document_limits(document)
    document = _interned_contexts(document)
    dataset = SHAPE_TEMPLATES.dataset(document)
    if dataset is None:
        dataset = _to_rdf(document, _PROCESSOR)
    return dataset


# -- canonical N-Quads (byte-compatible with rdf-canonize 5 / jsonld.js) ------------------------

_LITERAL_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]}
_LITERAL_ESCAPES.update(
    {ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\f"): "\\f", ord("\r"): "\\r"}
)
_LITERAL_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\"})
_NEEDS_LITERAL_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x21), *map(ord, '<>"{}|^`\\')]}
_NEEDS_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


_IRI_MEMO: dict[str, str] = {}
_IRI_MEMO_SIZE = 8192


def _iri(value: str) -> str:
    # A pure function of the string; memoized (bounded; cleared when full).
    field = _IRI_MEMO.get(value)
    if field is None:
        escaped = value
        if _NEEDS_IRI_ESCAPE.search(escaped):
            escaped = escaped.translate(_IRI_ESCAPES)
        field = f"<{escaped}>"
        if len(_IRI_MEMO) >= _IRI_MEMO_SIZE:
            _IRI_MEMO.clear()
        _IRI_MEMO[value] = field
    return field


def _term_nquads(term: dict[str, Any]) -> str:
    kind = term["type"]
    if kind == "IRI":
        return _iri(term["value"])
    if kind == "blank node":
        return term["value"]
    value = term["value"]
    if _NEEDS_LITERAL_ESCAPE.search(value):
        value = value.translate(_LITERAL_ESCAPES)
    datatype = term.get("datatype")
    if datatype == _RDF_LANG_STRING:
        language = term.get("language")
        return f'"{value}"@{language}' if language else f'"{value}"'
    if datatype and datatype != _XSD_STRING:
        return f'"{value}"^^{_iri(datatype)}'
    return f'"{value}"'


def serialize_nquad(quad: dict[str, Any]) -> str:
    """One N-Quads line exactly as rdf-canonize's ``NQuads.serializeQuad`` writes it.

    RDFC-1.0 §4.3 / N-Quads canonical form: literals escape ``\\b \\t \\n \\f \\r " \\``
    and every other U+0000–U+001F and U+007F as upper-case ``\\uXXXX``; IRIs escape
    U+0000–U+0020 and ``<>"{}|^`\\`` (pyld escapes only ``\\ \\t \\n \\r "``, §0.3 of the notes).
    """
    line = (
        f"{_term_nquads(quad['subject'])} {_iri(quad['predicate']['value'])} "
        f"{_term_nquads(quad['object'])}"
    )
    name = quad.get("name")
    if name is not None:
        line += " " + _term_nquads(name)
    return line + " .\n"


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _code_unit_sorted(lines: list[str]) -> list[str]:
    # rdf-canonize sorts with JavaScript's default (UTF-16 code unit) order; it differs from
    # Python's code point order only when astral characters meet U+E000–U+FFFF.
    if _ASTRAL.search("".join(lines)):
        return sorted(lines, key=lambda line: line.encode("utf-16-be", "surrogatepass"))
    return sorted(lines)


class _Rdfc10(URDNA2015):  # type: ignore[misc]
    """RDFC-1.0 (W3C REC 2024) on pyld's URDNA2015 machinery, aligned with rdf-canonize 5.

    - First-degree hashes (§4.6) and the output use :func:`serialize_nquad` (pyld's own
      serializer escapes differently, which would change hashes and output).
    - §4.4.3 step 5 without the obsolete "simple" loop (same result, as in rdf-canonize).
    - Dataset-poisoning guard (§6) as rdf-canonize's default ``maxWorkFactor: 1``: at most as
      many Hash N-Degree Quads runs (incl. recursive ones) as there are blank nodes with a
      shared first-degree hash; beyond that, :class:`ParsingError`.

    Why not pyoxigraph: its RDFC-1.0 labels differ from rdf-canonize's (and pyld's) when
    identical blank nodes sit in different named graphs (1EdTech ``complete.json``: identical
    endorsement proofs) — measured, so it is not byte-identical.
    """

    def __init__(self) -> None:
        super().__init__()
        self.remaining_deep_iterations = 0

    def hash_first_degree_quads(self, id_: str) -> str:
        info = self.blank_node_info[id_]
        cached: str | None = info.get("hash")
        if cached is not None:
            return cached
        # Each quad's terms were serialized once (``rows``); only blank node labels change.
        lines = [
            " ".join(
                ("_:a" if part == id_ else "_:z") if part.startswith("_:") else part for part in row
            )
            + " .\n"
            for row in info["rows"]
        ]
        digest = hashlib.sha256("".join(_code_unit_sorted(lines)).encode("utf-8")).hexdigest()
        info["hash"] = digest
        return digest

    def hash_n_degree_quads(self, id_: str, issuer: IdentifierIssuer) -> dict[str, Any]:
        if self.remaining_deep_iterations <= 0:
            raise ParsingError(
                "document has too many indistinguishable blank nodes (identical anonymous "
                "objects) to canonicalize safely"
            )
        self.remaining_deep_iterations -= 1
        result: dict[str, Any] = super().hash_n_degree_quads(id_, issuer)
        return result

    def canonical_nquads(self, dataset: dict[str, list[dict[str, Any]]]) -> str:
        """RDFC-1.0 §4.4.3 Canonicalization Algorithm → sorted canonical N-Quads.

        Every term is serialized exactly once (:func:`serialize_nquad`'s rules) into a row of
        N-Quads fields; a blank node's field is its label (no other field starts with ``_:``:
        IRIs start with ``<`` and literals with ``"``), so first-degree hashing and the final
        relabelling only substitute labels instead of re-serializing every quad.
        """
        quads = self.quads
        blank_node_info = self.blank_node_info
        rows: list[list[str]] = []
        # The finished line of each row without blank nodes (None where labels are pending).
        plain: list[str | None] = []
        for graph_name, triples in dataset.items():
            name = None
            name_field = None
            if graph_name != "@default":
                kind = "blank node" if graph_name.startswith("_:") else "IRI"
                name = {"type": kind, "value": graph_name}
                name_field = _term_nquads(name)
            for triple in triples:
                quad = dict(triple) if name is None else {**triple, "name": name}
                quads.append(quad)
                row = [
                    _term_nquads(quad["subject"]),
                    _iri(quad["predicate"]["value"]),
                    _term_nquads(quad["object"]),
                ]
                if name_field is not None:
                    row.append(name_field)
                rows.append(row)
                blank = False
                for key, term in quad.items():
                    if key != "predicate" and term["type"] == "blank node":
                        blank = True
                        info = blank_node_info.get(term["value"])
                        if info is None:
                            info = blank_node_info[term["value"]] = {"quads": [], "rows": []}
                        info["quads"].append(quad)
                        info["rows"].append(row)
                plain.append(None if blank else " ".join(row) + " .\n")
        if len(blank_node_info) > MAX_BLANK_NODES:
            raise ParsingError(f"document has more than {MAX_BLANK_NODES} blank nodes")
        # Steps 3–4: first-degree hashes; unique ones get canonical identifiers directly.
        by_hash: dict[str, list[str]] = {}
        for id_ in blank_node_info:
            by_hash.setdefault(self.hash_first_degree_quads(id_), []).append(id_)
        non_unique = []
        for _, ids in sorted(by_hash.items()):
            if len(ids) == 1:
                self.canonical_issuer.get_id(ids[0])
            else:
                non_unique.append(ids)
        self.remaining_deep_iterations = sum(len(ids) for ids in non_unique)
        # Step 5: n-degree hashes for the rest.
        for ids in non_unique:
            paths = []
            for id_ in ids:
                if self.canonical_issuer.has_id(id_):
                    continue
                issuer = IdentifierIssuer("_:b")
                issuer.get_id(id_)
                paths.append(self.hash_n_degree_quads(id_, issuer))
            for result in sorted(paths, key=lambda r: r["hash"]):
                for existing in result["issuer"].order:
                    self.canonical_issuer.get_id(existing)
        # Step 6: relabel and serialize.
        canonical_id = self.canonical_issuer.get_id
        lines = [
            line
            if line is not None
            else " ".join(canonical_id(part) if part.startswith("_:") else part for part in row)
            + " .\n"
            for row, line in zip(rows, plain, strict=True)
        ]
        return "".join(_code_unit_sorted(lines))


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (each line ``\\n``-terminated, sorted).

    Byte-identical to jsonld.js ``canonize(doc, {algorithm: 'RDFC-1.0', safe: true,
    rdfDirection: 'i18n-datatype'})`` with the same contexts. Raises :class:`ParsingError`
    (strictness, limits) or :class:`ContextError` (unknown context).
    """
    return _Rdfc10().canonical_nquads(_dataset(document))


def canonicalize_bytes(document: dict[str, Any]) -> bytes:
    """:func:`canonicalize` encoded as UTF-8 (what Data Integrity hashes)."""
    return canonicalize(document).encode("utf-8")
