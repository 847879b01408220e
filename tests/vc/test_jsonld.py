"""Strict JSON-LD processing and RDFC-1.0 canonicalization (byte-identical to the JS reference)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pyld.jsonld import JsonLdProcessor

from microcred.vc import jsonld
from microcred.vc.errors import ParsingError
from tests.vc.support import load_json, load_text

V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2, EXAMPLES],
        "id": "urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11",
        "type": ["VerifiableCredential", "ExampleCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "alumniOf": "School"},
        **extra,
    }


def v2_only(**extra: Any) -> dict[str, Any]:
    """A credential with only the VC 2.0 context, which has no ``@vocab`` (the examples context
    does, so under it every term is defined)."""
    return {
        "@context": [V2],
        "id": "urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


def test_canonical_form_of_a_small_document() -> None:
    assert jsonld.canonicalize(credential(name="Badge")) == (
        "<did:example:subject> <https://www.w3.org/ns/credentials/examples#alumniOf> "
        '"School" .\n'
        "<urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
        "<urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11> "
        "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://www.w3.org/ns/credentials/examples#ExampleCredential> .\n"
        '<urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11> <https://schema.org/name> "Badge" .\n'
        "<urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11> "
        "<https://www.w3.org/2018/credentials#credentialSubject> <did:example:subject> .\n"
        "<urn:uuid:0f0c5a1e-6a7b-4f2f-9d44-1c5f0c1f2a11> "
        "<https://www.w3.org/2018/credentials#issuer> <did:example:issuer> .\n"
    )


def test_w3c_and_ob3_canonical_documents() -> None:
    assert jsonld.canonicalize(load_json("w3c-eddsa/unsigned.json")) == load_text(
        "w3c-eddsa/rdfc/canonDocDataInt.txt"
    )
    assert jsonld.canonicalize(load_json("ob3-ldp/unsigned.json")) == load_text(
        "ob3-ldp/document-canon.txt"
    )


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("\u0007", "\\u0007"),
        ("\b", "\\b"),
        ("\f", "\\f"),
        ("\u000b", "\\u000B"),
        ("\u007f", "\\u007F"),
        ("\u0000", "\\u0000"),
        ("\t\n\r", "\\t\\n\\r"),
        ('"\\', '\\"\\\\'),
        ("é😀\u2028", "é😀\u2028"),
    ],
)
def test_control_characters_are_escaped_like_js(text: str, escaped: str) -> None:
    out = jsonld.canonicalize(credential(name=f"a{text}z"))
    assert f'<https://schema.org/name> "a{escaped}z" .\n' in out


def test_matches_js_reference_on_control_characters_and_directions() -> None:
    document = load_json("jsonld/control-chars.json")
    assert jsonld.canonicalize(document) == load_text("jsonld/control-chars.js-canon.nq")


def test_matches_js_reference_on_identical_blank_nodes_in_named_graphs() -> None:
    document = load_json("1edtech/complete.json")
    del document["proof"]
    assert jsonld.canonicalize(document) == load_text("1edtech/complete.js-canon.nq")


def test_undefined_term_is_an_error() -> None:
    with pytest.raises(ParsingError, match="favouriteColour"):
        jsonld.canonicalize(v2_only(favouriteColour="blue"))


def test_undefined_nested_term_is_an_error() -> None:
    document = v2_only()
    document["credentialSubject"]["shoeSize"] = "42"
    with pytest.raises(ParsingError, match="shoeSize"):
        jsonld.canonicalize(document)


def test_relative_type_is_an_error() -> None:
    with pytest.raises(ParsingError, match="UnknownCredential"):
        jsonld.canonicalize(v2_only(type=["VerifiableCredential", "UnknownCredential"]))


def test_relative_id_is_an_error() -> None:
    document = credential()
    document["credentialSubject"]["id"] = "subjects/42"
    with pytest.raises(ParsingError, match="relative"):
        jsonld.canonicalize(document)


def test_relative_iri_value_is_an_error() -> None:
    with pytest.raises(ParsingError, match="relative"):
        jsonld.canonicalize(credential(issuer="issuers/1"))


def test_null_value_is_an_error() -> None:
    with pytest.raises(ParsingError, match="null"):
        jsonld.canonicalize(credential(name=None))


def test_document_that_expands_to_nothing_is_an_error() -> None:
    with pytest.raises(ParsingError):
        jsonld.canonicalize({"@context": [V2]})


def test_blank_node_cap() -> None:
    subjects = [{"alumniOf": f"School {i}"} for i in range(jsonld.MAX_BLANK_NODES + 1)]
    with pytest.raises(ParsingError, match="blank nodes"):
        jsonld.canonicalize(credential(credentialSubject=subjects))


def test_many_distinct_blank_nodes_below_the_cap_are_fine() -> None:
    subjects = [{"alumniOf": f"School {i}"} for i in range(100)]
    assert jsonld.canonicalize(credential(credentialSubject=subjects)).count("_:c14n") >= 200


def test_poisoned_dataset_fails_fast() -> None:
    """Two identical subjects with three identical children: rdf-canonize's default work limit
    (maxWorkFactor 1) rejects it ("Maximum deep iterations exceeded (8)"), and so do we."""
    child = {"type": "ExampleCredential", "alumniOf": "1"}
    subject = {"type": "ExampleCredential", "alumniOf": [child, child, child]}
    document = credential(credentialSubject=[copy.deepcopy(subject), copy.deepcopy(subject)])
    with pytest.raises(ParsingError, match="indistinguishable"):
        jsonld.canonicalize(document)


def test_identical_pairs_are_accepted() -> None:
    subject = {"type": "ExampleCredential", "alumniOf": "1"}
    out = jsonld.canonicalize(credential(credentialSubject=[subject, dict(subject)]))
    assert "_:c14n1" in out


def test_depth_limit() -> None:
    value: Any = "deep"
    for _ in range(jsonld.MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(ParsingError, match="deeper"):
        jsonld.canonicalize(credential(name=value))


def test_size_limit() -> None:
    with pytest.raises(ParsingError, match="larger"):
        jsonld.canonicalize(credential(name="x" * (jsonld.MAX_DOCUMENT_BYTES + 1)))
    with pytest.raises(ParsingError, match="bytes"):
        jsonld.parse_json(b" " * (jsonld.MAX_DOCUMENT_BYTES + 1))


def test_parse_json_is_strict() -> None:
    assert jsonld.parse_json('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    with pytest.raises(ParsingError, match="duplicate"):
        jsonld.parse_json('{"a": 1, "a": 2}')
    with pytest.raises(ParsingError, match="NaN"):
        jsonld.parse_json('{"a": NaN}')
    with pytest.raises(ParsingError, match="not valid JSON"):
        jsonld.parse_json("{")
    with pytest.raises(ParsingError, match="deep"):
        jsonld.parse_json("[" * 100_000 + "]" * 100_000)


def test_processed_contexts_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """After one warm-up call, canonicalizing an OB3 credential defines no JSON-LD terms at all:
    neither the top-level nor the type-scoped contexts are processed again."""
    document = load_json("ob3-ldp/unsigned.json")
    jsonld.canonicalize(document)
    calls = 0
    original = JsonLdProcessor._create_term_definition

    def counting(self: JsonLdProcessor, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(JsonLdProcessor, "_create_term_definition", counting)
    assert jsonld.canonicalize(document) == load_text("ob3-ldp/document-canon.txt")
    assert calls == 0


def test_matches_js_reference_on_a_typical_ob3_credential() -> None:
    document = load_json("ob3-typical.json")
    assert jsonld.canonicalize(document) == load_text("ob3-typical.js-canon.nq")


PERFORMANCE_DOCUMENTS = (
    "ob3-typical.json",
    "ob3-ldp/unsigned.json",
    "w3c-eddsa/unsigned.json",
    "1edtech/complete.json",
    "jsonld/control-chars.json",
)


@pytest.mark.parametrize("name", PERFORMANCE_DOCUMENTS)
def test_memoized_pipeline_equals_plain_pyld(name: str) -> None:
    """The memoized processor (IRI memo, no input deep copy, hoisted _graph_to_rdf) yields the
    very dataset a plain pyld 3.3.0 processor yields, and never touches its input."""
    from pyld.jsonld import IdentifierIssuer

    document = load_json(name)
    pristine = copy.deepcopy(document)
    for _ in range(2):  # second round: all memos warm
        dataset = jsonld.to_rdf(document)
        assert document == pristine
    plain = JsonLdProcessor()
    expanded = plain.expand(copy.deepcopy(document), dict(jsonld._OPTIONS))
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    plain._create_node_map(expanded, node_map, "@default", issuer)
    expected = {
        graph: plain._graph_to_rdf(nodes, issuer, dict(jsonld._OPTIONS))
        for graph, nodes in sorted(node_map.items())
    }
    assert dataset == expected


@pytest.mark.parametrize("name", PERFORMANCE_DOCUMENTS)
def test_row_serializer_equals_serialize_nquad(name: str) -> None:
    """The canonical output (terms serialized once, labels substituted) equals serializing each
    relabelled quad with serialize_nquad, and repeated runs agree."""
    document = load_json(name)
    dataset = jsonld.to_rdf(document)
    canonicalizer = jsonld._Rdfc10()
    out = canonicalizer.canonical_nquads(dataset)
    lines = []
    for quad in canonicalizer.quads:
        relabelled = {
            key: (
                {"type": "blank node", "value": canonicalizer.canonical_issuer.get_id(t["value"])}
                if key != "predicate" and t["type"] == "blank node"
                else t
            )
            for key, t in quad.items()
        }
        lines.append(jsonld.serialize_nquad(relabelled))
    assert out == "".join(jsonld._code_unit_sorted(lines))
    assert jsonld.canonicalize(document) == out
