"""Compiled shape templates: JSON-LD → RDF once per document *shape*, not once per document.

An issuer signs thousands of credentials that differ only in their values (ids, names, dates)
and a verifier sees the same few shapes over and over. JSON-LD expansion of such a document is
a function of its structure — keys, nesting, ``type`` values, contexts, numbers — and of how each
string value is *used* (literal, or IRI expanded in some active context). So the first time a
shape is seen twice, it is compiled: pyld runs once on a *probe* copy of the document whose
string values are replaced by unique marker IRIs, recording every IRI expansion a marker goes
through; the resulting dataset, with markers in it, is the template. Later documents of that
shape get their dataset by substituting their values into the template (IRI values through the
very expansion call pyld made, memoized), then go through the same RDFC-1.0 canonicalization as
always. Nothing is skipped: the strictness checks either are structural (the probe passed them)
or run on every substituted value; whatever the template cannot reproduce exactly falls back to
the full pyld path, which then also produces the error message.

Why this is exact:

- The shape key holds the whole document except string values outside keyword positions, and
  the *equality pattern* of those strings (equal strings share one marker), so pyld's node
  merging and value de-duplication happen in the probe exactly where they happen in the
  document. A value of a keyword-aliased key (``type``, ``@value``, ``@language`` …) or under
  ``@context`` is part of the key, because it changes how the rest is read.
- A marker passed to IRI expansion is recorded with the active context and flags; substitution
  repeats that call with the real value and requires an absolute, non-blank IRI (what strict
  processing demands), else falls back. A marker used as a literal keeps its value verbatim
  (literals are never transformed; ``@json`` literals would show the marker quoted and are
  refused at compile time).
- Values the probe kept apart but the document makes equal (two spellings of one IRI) would
  de-duplicate in pyld: a substituted dataset with a repeated quad falls back.
- Blank node labels and quad order may differ from pyld's own output; RDFC-1.0's canonical form
  does not depend on either (isomorphic datasets canonicalize identically). Tests compare the
  canonical output of both paths on every document the suite has, and on random variants.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from frozendict import frozendict

from microcred.vc.errors import VCError

#: Dataset as pyld's ``to_rdf`` gives it: ``{graph name: [{"subject", "predicate", "object"}]}``.
Dataset = dict[str, list[dict[str, Any]]]

_TEMPLATES_MAX: Final = 256
_SEEN_MAX: Final = 2048
#: Larger documents always take the full path, so the templates' keys stay small in memory
#: (a typical credential has about 150 JSON values).
MAX_TEMPLATED_VALUES: Final = 1000
_REFUSED: Final = object()


def keyword_aliases(contexts: Iterable[Any]) -> frozenset[str]:
    """Every term that some context (or a scoped context inside it) maps to a keyword other than
    ``@id``: such keys carry structure (``type`` → ``@type``), so their values belong to the
    shape key. ``@id`` aliases (``id``) carry values and stay substitutable."""
    aliases: set[str] = set()
    stack = list(contexts)
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for term, definition in item.items():
                target = definition.get("@id") if isinstance(definition, dict) else definition
                if isinstance(target, str) and target.startswith("@") and target != "@id":
                    aliases.add(term)
                if isinstance(definition, dict):
                    stack.append(definition.get("@context"))
            stack.append(item.get("@context"))
    return frozenset(aliases)


@dataclass(frozen=True, slots=True)
class _Slot:
    """A term of the template that takes the value of string class ``index``."""

    index: int
    iri: bool  # IRI term (expanded value) or literal (raw value)
    shape: tuple[tuple[str, Any], ...]  # the literal's other fields (datatype, language)


@dataclass(frozen=True, slots=True)
class _Template:
    # Per string class: the (active context, base, vocab) of each IRI expansion it went
    # through, or None (used as a literal only).
    expansions: tuple[tuple[tuple[Any, Any, bool], ...] | None, ...]
    # Per graph: triples as (subject, predicate, object), each a constant term or a _Slot.
    graphs: tuple[tuple[str, tuple[tuple[Any, Any, Any], ...]], ...]


class _Recorder:
    """The IRI expansions markers go through while a probe is processed (one compile at a time)."""

    def __init__(self, markers: dict[str, int]) -> None:
        self.markers = markers
        # Per marker: {(id of the active context, base, vocab): (active context, base, vocab)}.
        self.calls: dict[int, dict[tuple[int, Any, bool], tuple[Any, Any, bool]]] = {}

    def record(self, active_ctx: Any, value: str, base: Any, vocab: bool) -> None:
        index = self.markers.get(value)
        if index is not None:
            call = (active_ctx, base, bool(vocab))
            self.calls.setdefault(index, {})[(id(active_ctx), base, bool(vocab))] = call


class ShapeCache:
    """Templates per document shape, for one JSON-LD pipeline.

    ``to_rdf(document, recorder)`` is the full strict pipeline, telling ``recorder`` every IRI
    expansion it makes; ``expand_iri(active_ctx, value, base, vocab)`` repeats one (memoized);
    ``is_absolute_iri`` is the strict test for an IRI value; ``structural_keys`` are the keys
    whose values are part of the shape (keyword aliases).
    """

    def __init__(
        self,
        *,
        to_rdf: Callable[[dict[str, Any], _Recorder], Dataset],
        expand_iri: Callable[[Any, str, Any, bool], Any],
        is_absolute_iri: Callable[[Any], bool],
        structural_keys: frozenset[str],
    ) -> None:
        self._to_rdf = to_rdf
        self._expand_iri = expand_iri
        self._is_absolute_iri = is_absolute_iri
        self._structural = structural_keys
        self._token = secrets.token_hex(8)
        #: False makes every document take the full path (benchmarks of one-off documents).
        self.enabled = True
        self._templates: OrderedDict[Any, Any] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()
        self._compile_lock = threading.Lock()

    # -- shape key ---------------------------------------------------------------------------

    def _is_structural_key(self, key: str) -> bool:
        return (key.startswith("@") and key != "@id") or key in self._structural

    def shape(self, document: dict[str, Any]) -> tuple[Any, list[str]] | None:
        """(shape key, distinct string values in first-seen order), or None for a document of
        more than :data:`MAX_TEMPLATED_VALUES` JSON values. In the key, a substitutable string
        is the index of its value among the distinct ones."""
        values: list[str] = []
        index: dict[str, int] = {}
        structural_key = self._is_structural_key
        budget = [MAX_TEMPLATED_VALUES]

        def walk(value: Any, structural: bool) -> Any:
            budget[0] -= 1
            if budget[0] < 0:
                raise _NotTemplatableError
            kind = type(value)
            if kind is str:
                if structural:
                    return ("s", value)
                position = index.get(value)
                if position is None:
                    position = index[value] = len(values)
                    values.append(value)
                return position
            if kind is dict:
                return (
                    "{",
                    *[
                        (key, walk(item, structural or structural_key(key)))
                        for key, item in value.items()
                    ],
                )
            if kind is list:
                return ("[", *[walk(item, structural) for item in value])
            # Numbers and booleans are structure (their RDF form depends on their value); repr
            # keeps 1, 1.0, True and -0.0 apart.
            return (kind.__name__, repr(value))

        try:
            return walk(document, False), values
        except _NotTemplatableError:
            return None

    def _probe(self, document: dict[str, Any], markers: list[str]) -> Any:
        """The document with every substitutable string replaced by its class's marker."""
        index: dict[str, int] = {}
        structural_key = self._is_structural_key

        def walk(value: Any, structural: bool) -> Any:
            kind = type(value)
            if kind is str:
                if structural:
                    return value
                position = index.setdefault(value, len(index))
                return markers[position]
            if kind is dict:
                return {
                    key: walk(item, structural or structural_key(key))
                    for key, item in value.items()
                }
            if kind is list:
                return [walk(item, structural) for item in value]
            return value

        return walk(document, False)

    # -- use ---------------------------------------------------------------------------------

    def dataset(self, document: dict[str, Any]) -> Dataset | None:
        """The document's dataset from its shape's template, or None when the caller must take
        the full path (shape seen once so far, not templatable, or values the template cannot
        reproduce). The document must already have passed the JSON-level checks."""
        shape = self.shape(document) if self.enabled else None
        if shape is None:
            return None
        key, values = shape
        with self._lock:
            template = self._templates.get(key)
            if template is not None:
                self._templates.move_to_end(key)
            elif hash(key) not in self._seen:
                # First sighting: a one-off document does not pay for a compile. (Only the
                # hash is kept: a collision merely compiles a shape one sighting early.)
                self._seen[hash(key)] = None
                if len(self._seen) > _SEEN_MAX:
                    self._seen.popitem(last=False)
                return None
        if template is None:
            template = self._compile(document, len(values)) or _REFUSED
            with self._lock:
                self._templates[key] = template
                self._seen.pop(hash(key), None)
                if len(self._templates) > _TEMPLATES_MAX:
                    self._templates.popitem(last=False)
        if template is _REFUSED:
            return None
        return self._apply(template, values)

    def _compile(self, document: dict[str, Any], count: int) -> _Template | None:
        prefix = f"urn:x-microcred-shape-{self._token}:"
        markers = [f"{prefix}{i}" for i in range(count)]
        recorder = _Recorder({marker: i for i, marker in enumerate(markers)})
        with self._compile_lock:
            try:
                dataset = self._to_rdf(self._probe(document, markers), recorder)
            except VCError:  # the full path will report it on the real values
                return None
        # A value may go through several expansions (an id used in two scopes): each must give
        # the marker back, and at substitution each must give the same IRI.
        expansions: list[tuple[tuple[Any, Any, bool], ...] | None] = [None] * count
        for index, calls in recorder.calls.items():
            for active_ctx, base, vocab in calls.values():
                if type(active_ctx) is not frozendict:
                    return None  # only immutable, processed contexts may be kept
                if self._expand_iri(active_ctx, markers[index], base, vocab) != markers[index]:
                    return None
            expansions[index] = tuple(calls.values())

        def term(value: dict[str, Any]) -> Any:
            text = value.get("value")
            other = [(k, v) for k, v in value.items() if k not in ("type", "value")]
            if any(prefix in str(v) for _, v in other):
                raise _NotTemplatableError
            if not isinstance(text, str) or prefix not in text:
                return value
            if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
                raise _NotTemplatableError  # marker inside a larger value (e.g. an @json literal)
            index = int(text[len(prefix) :])
            if value["type"] == "IRI":
                if expansions[index] is None:
                    raise _NotTemplatableError
                return _Slot(index, True, ())
            if value["type"] == "literal":
                return _Slot(index, False, tuple(other))
            raise _NotTemplatableError

        try:
            graphs = []
            for name, triples in dataset.items():
                if prefix in name:
                    raise _NotTemplatableError
                rows = []
                for triple in triples:
                    if prefix in triple["predicate"]["value"]:
                        raise _NotTemplatableError
                    rows.append(
                        (term(triple["subject"]), triple["predicate"], term(triple["object"]))
                    )
                graphs.append((name, tuple(rows)))
        except _NotTemplatableError:
            return None
        return _Template(tuple(expansions), tuple(graphs))

    def _apply(self, template: _Template, values: list[str]) -> Dataset | None:
        iris: list[str | None] = [None] * len(values)
        for index, calls in enumerate(template.expansions):
            if calls is None:
                continue
            expanded = None
            for active_ctx, base, vocab in calls:
                result = self._expand_iri(active_ctx, values[index], base, vocab)
                if not self._is_absolute_iri(result) or expanded not in (None, result):
                    return None  # relative, blank, keyword, dropped or scope-dependent
                expanded = result
            iris[index] = expanded

        def term(value: Any) -> dict[str, Any]:
            if type(value) is not _Slot:
                return value  # type: ignore[no-any-return]
            if value.iri:
                return {"type": "IRI", "value": iris[value.index]}
            return {"type": "literal", "value": values[value.index], **dict(value.shape)}

        dataset: Dataset = {}
        seen: set[tuple[Any, ...]] = set()
        for name, rows in template.graphs:
            triples = []
            for subject, predicate, obj in rows:
                s, o = term(subject), term(obj)
                identity = (
                    name,
                    s["value"],
                    predicate["value"],
                    o["type"],
                    o["value"],
                    o.get("datatype"),
                    o.get("language"),
                )
                if identity in seen:
                    return None  # values the probe kept apart coincide: pyld would merge them
                seen.add(identity)
                triples.append({"subject": s, "predicate": predicate, "object": o})
            dataset[name] = triples
        return dataset


class _NotTemplatableError(Exception):
    pass
