"""Shape templates (microcred.vc.shapes) give exactly the canonical form of the full pyld path.

The reference here is ``_Rdfc10().canonical_nquads(jsonld.to_rdf(doc))``: the strict pyld
pipeline with no template, itself checked against the JS reference in test_jsonld.py.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.vc import jsonld
from microcred.vc.errors import VCError
from tests.vc.support import VECTORS, load_json

V2 = "https://www.w3.org/ns/credentials/v2"


def reference(document: dict[str, Any]) -> str:
    return jsonld._Rdfc10().canonical_nquads(jsonld.to_rdf(document))


def outcome(function: Any, document: dict[str, Any]) -> tuple[str, str]:
    try:
        return ("ok", function(document))
    except VCError as exc:
        return (type(exc).__name__, exc.message)


def templated(document: dict[str, Any]) -> str:
    """Canonicalize until the shape's template is in use (first sighting takes the full path,
    the second compiles)."""
    for _ in range(3):
        result = jsonld.canonicalize(document)
    return result


def template_of(document: dict[str, Any]) -> Any:
    checked = jsonld._interned_contexts(document)
    shape = jsonld.SHAPE_TEMPLATES.shape(checked)
    return None if shape is None else jsonld.SHAPE_TEMPLATES._templates.get(shape[0])


def vector_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(VECTORS.rglob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or "@context" not in document:
            continue
        unsecured = {key: value for key, value in document.items() if key != "proof"}
        yield str(path.relative_to(VECTORS)), unsecured
        proofs = document.get("proof")
        for proof in proofs if isinstance(proofs, list) else [proofs] if proofs else []:
            if isinstance(proof, dict) and proof.get("cryptosuite") == "eddsa-rdfc-2022":
                config = {k: v for k, v in proof.items() if k != "proofValue"}
                yield (
                    f"{path.relative_to(VECTORS)}#proof",
                    {
                        **config,
                        "@context": document["@context"],
                    },
                )


DOCUMENTS = list(vector_documents())


@pytest.mark.parametrize(("name", "document"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_every_vector_document_canonicalizes_identically_through_its_template(
    name: str, document: dict[str, Any]
) -> None:
    pristine = copy.deepcopy(document)
    expected = outcome(reference, document)
    assert outcome(templated, document) == expected
    assert document == pristine


def test_typical_credentials_and_proof_configurations_are_templated() -> None:
    document = load_json("ob3-typical.json")
    config = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-01-01T00:00:00Z",
        "verificationMethod": "did:key:z6Mkexample#z6Mkexample",
        "proofPurpose": "assertionMethod",
        "@context": document["@context"],
    }
    for item in (document, config):
        templated(item)
        assert type(template_of(item)).__name__ == "_Template"


def test_one_off_documents_do_not_compile() -> None:
    document = load_json("ob3-typical.json")
    document["name"] = {"@value": "one off", "@language": "en"}  # a shape of its own
    jsonld.canonicalize(document)
    assert template_of(document) is None


def test_a_second_document_of_the_same_shape_uses_the_template(monkeypatch) -> None:
    first = load_json("ob3-typical.json")
    templated(first)
    second = copy.deepcopy(first)
    second["id"] = "urn:uuid:5e0a1b0c-0000-4000-8000-000000000001"
    second["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$" + "ab" * 32
    calls = 0
    original = jsonld._to_rdf

    def counting(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args)

    monkeypatch.setattr(jsonld, "_to_rdf", counting)
    assert jsonld.canonicalize(second) == reference(second)
    assert calls == 1  # only the reference computation above, none for canonicalize


# -- values the template must not take at face value -------------------------------------------

ODD_STRINGS = [
    "",
    " ",
    "plain",
    "Achievement",  # a term: as an @vocab value it expands, as an @id value it is relative
    "assertionMethod",
    "ob:Achievement",  # compact IRIs
    "xsd:string",
    "cred:issuer",
    "_:b0",  # blank node identifiers
    "_:c14n0",
    "relative/path",
    "@id",
    "@type",
    "https://example.org/a b",
    "https://example.org/x",
    "did:example:123",
    "urn:uuid:00000000-0000-4000-8000-000000000000",
    "line\nbreak\ttab\x00nul\x7f\x1b\u2028",
    'quote " backslash \\',
    "astral \U0001f600 and \ue000",
    "עברית ↔ العربية",
]


def string_paths(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("@context", "type"):
                continue
            yield from string_paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from string_paths(value, (*path, index))
    elif isinstance(document, str):
        yield path


def replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    result = copy.deepcopy(document)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


BASES = [
    load_json("ob3-typical.json"),
    load_json("ob3-ldp/unsigned.json"),
    {k: v for k, v in load_json("1edtech/complete.json").items() if k != "proof"},
]


@pytest.mark.parametrize("base", range(len(BASES)))
def test_every_odd_value_in_every_position_matches_the_full_path(base: int) -> None:
    document = BASES[base]
    templated(document)
    assert type(template_of(document)).__name__ == "_Template"
    paths = list(string_paths(document))
    existing = sorted({_get(document, path) for path in paths})
    # Every position of the small documents; an even spread of about 20 in the large one.
    for path in paths[:: max(1, len(paths) // 20)]:
        for value in [*ODD_STRINGS, *existing[:: max(1, len(existing) // 6)]]:
            variant = replace(document, path, value)
            assert outcome(jsonld.canonicalize, variant) == outcome(reference, variant), (
                path,
                value,
            )


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_value_changes_match_the_full_path(data: st.DataObject) -> None:
    document = BASES[data.draw(st.integers(0, len(BASES) - 1))]
    paths = list(string_paths(document))
    existing = [_get(document, path) for path in paths]
    values = st.one_of(st.sampled_from(ODD_STRINGS), st.sampled_from(existing), st.text())
    variant = document
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=6)):
        variant = replace(variant, path, data.draw(values))
    outcome(jsonld.canonicalize, variant)  # a new shape: the second call compiles it
    assert outcome(jsonld.canonicalize, variant) == outcome(reference, variant)


def test_large_documents_always_take_the_full_path() -> None:
    from microcred.vc.shapes import MAX_TEMPLATED_VALUES

    document = load_json("ob3-typical.json")
    document["credentialSubject"]["achievement"]["tag"] = [
        f"tag {i}" for i in range(MAX_TEMPLATED_VALUES)
    ]
    assert templated(document) == reference(document)
    assert jsonld.SHAPE_TEMPLATES.shape(document) is None
    assert template_of(document) is None


def test_keyword_aliases_of_the_bundled_contexts_are_structural() -> None:
    keys = jsonld.SHAPE_TEMPLATES._structural
    assert {"type"} <= keys
    assert "id" not in keys  # ids are values, substituted per document


def test_documents_are_not_mutated_and_templates_are_not_either() -> None:
    document = load_json("ob3-typical.json")
    expected = reference(document)
    templated(document)
    variant = copy.deepcopy(document)
    variant["name"] = "changed"
    first = jsonld.canonicalize(variant)
    assert first == reference(variant)
    assert jsonld.canonicalize(document) == expected


def test_vector_files_exist() -> None:
    assert len(DOCUMENTS) >= 20
    assert Path(VECTORS / "ob3-typical.json").is_file()
