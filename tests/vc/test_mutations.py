"""Every single-field mutation of a signed OB3 credential fails verification (issue 3).

The paths are enumerated from the signed document itself (proof included): every scalar is
changed, every value at every path (scalars, objects, arrays, array items) is removed, and a
defined term is added to every object. Nothing is reordered.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from microcred.vc import dataintegrity as di
from microcred.vc import multikey
from tests.vc.support import load_json, w3c_key

Path = tuple[str | int, ...]
ADDED_TERMS = ("description", "name", "narrative")


def signed_credential(cryptosuite: str) -> dict[str, Any]:
    key = w3c_key()
    did = multikey.did_key(key.public_key())
    return di.sign(
        load_json("ob3-typical.json"),
        key=key,
        verification_method=multikey.did_key_verification_method(did),
        cryptosuite=cryptosuite,
        created="2026-01-15T09:30:00Z",
        proof_as_array=True,
    )


def paths(value: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def parent_of(document: dict[str, Any], path: Path) -> Any:
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    return node


def changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return value + "x" if value else "x"


def mutations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, value in paths(document):
        if not path:
            continue
        if not isinstance(value, dict | list):
            mutated = copy.deepcopy(document)
            parent_of(mutated, path)[path[-1]] = changed(value)
            yield f"change {path}", mutated
        mutated = copy.deepcopy(document)
        del parent_of(mutated, path)[path[-1]]
        yield f"remove {path}", mutated
    for path, value in paths(document):
        if isinstance(value, dict):
            term = next((t for t in ADDED_TERMS if t not in value), None)
            if term is not None:
                mutated = copy.deepcopy(document)
                parent_of(mutated, (*path, term))[term] = "added"
                yield f"add {term} at {path}", mutated


def resolve(verification_method: str) -> Any:
    return multikey.did_key_public_key(verification_method)


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_every_single_field_mutation_fails(cryptosuite: str) -> None:
    signed = signed_credential(cryptosuite)
    assert di.all_verified(di.verify(signed, resolve_key=resolve))
    survivors = []
    count = 0
    for label, mutated in mutations(signed):
        count += 1
        if di.all_verified(di.verify(mutated, resolve_key=resolve)):
            survivors.append(label)
    assert count > 150  # the enumeration really covers the document
    assert survivors == []


def test_redundant_statements_are_not_protected_by_rdfc() -> None:
    """Known limit of eddsa-rdfc-2022 (RDF semantics, same in the JS reference): a statement
    the credential makes twice about the same IRI node (here ``type: Profile`` on the issuer and
    on an achievement ``creator`` with the issuer's id) can be deleted from one place without
    changing the signed graph. Credential builders must not repeat a node's properties."""
    document = load_json("ob3-typical.json")
    document["credentialSubject"]["achievement"]["creator"] = {
        "id": document["issuer"]["id"],
        "type": ["Profile"],
    }
    key = w3c_key()
    vm = multikey.did_key_verification_method(multikey.did_key(key.public_key()))
    signed = di.sign(document, key=key, verification_method=vm)
    del signed["credentialSubject"]["achievement"]["creator"]["type"]
    assert di.all_verified(di.verify(signed, resolve_key=resolve))
