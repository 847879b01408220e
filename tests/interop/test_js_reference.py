"""Interop with the reference JS implementations (issue 3, "Interoperability, proven").

microcred signs → ``@digitalbazaar/vc`` ``verifyCredential`` (and DCC ``verifier-core``)
verify; the JS stack signs → microcred verifies; tampered copies fail on both sides. The JS
side lives in ``interop/js/`` (pinned by its ``package-lock.json``, installed by
``bin/interop-setup``) and loads documents offline only: contexts from microcred's pinned files,
did:key locally, did:web documents and status lists from maps passed in, sockets refused.

Each test starts one ``node`` process per script it needs and sends all its documents in one
batch.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from microcred.vc import dataintegrity, multikey, ob3, status_list

REPO = Path(__file__).resolve().parents[2]
JS_DIR = REPO / "interop" / "js"
VECTORS = Path(__file__).parent / "vectors"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(
        NODE is None,
        reason="node is not installed: the JS reference interop tests need Node 20+ "
        "(then run bin/interop-setup)",
    ),
    pytest.mark.skipif(
        NODE is not None and not (JS_DIR / "node_modules" / ".package-lock.json").is_file(),
        reason="the JS reference verifiers are not installed: run bin/interop-setup "
        "(npm ci in interop/js)",
    ),
]

SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
CREATED = "2026-03-01T12:00:00Z"
NOW = "2027-06-01T00:00:00Z"  # the @digitalbazaar/vc validity check runs at this time
STATUS_LIST_URL = "https://creds.example.org/orgs/uni/status/1"


def run_js(script: str, payload: Any, *, check: bool = True) -> tuple[Any, int]:
    """Run ``interop/js/<script>`` with ``payload`` on stdin; its JSON output and exit code."""
    process = subprocess.run(  # noqa: S603 - our own script, no shell
        [NODE, script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=JS_DIR,
        timeout=180,
        check=False,
    )
    if check and process.returncode != 0:
        pytest.fail(f"node {script} exited {process.returncode}:\n{process.stderr[-4000:]}")
    try:
        output = json.loads(process.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"node {script} printed no JSON:\n{process.stdout[-2000:]}{process.stderr[-4000:]}"
        )
    return output, process.returncode


# -- microcred credentials -------------------------------------------------------------------


def key_and_did() -> tuple[Ed25519PrivateKey, str, str]:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    did = multikey.did_key(key.public_key())
    return key, did, multikey.did_key_verification_method(did)


def credential(issuer_id: str, *, eu: bool, status_index: int | None = None) -> dict[str, Any]:
    """A typical microcred OB3 credential; with ``eu`` it carries the embedded EU context."""
    eu_elements = (
        ob3.EuElements(
            awarding_bodies=("Example University",),
            learning_outcomes=("Load tabular data", "Chart findings"),
            workload_ects=Decimal(3),
            workload_hours=Decimal("80.5"),
            eqf_level=5,
            assessment_type="Online exam",
            participation_form="online",
            quality_assurance="Internal QA",
        )
        if eu
        else ob3.EuElements()
    )
    status = None
    if status_index is not None:
        entry = status_list.status_entry(
            list_url=STATUS_LIST_URL, index=status_index, purpose="revocation"
        )
        status = ob3.CredentialStatus(
            id=entry.pop("id"), type=entry.pop("type"), properties=tuple(entry.items())
        )
    return ob3.build_credential(
        id="urn:uuid:2f6bb8c4-4e0c-4b0e-9bd7-3f4bb2a1f001",
        issuer=ob3.Issuer(
            id=issuer_id,
            name="Example University",
            url="https://uni.example.org",
            email="credentials@uni.example.org",
            image="https://creds.example.org/media/logos/uni.png",
            country_code="NL",
            region="Utrecht",
        ),
        achievement=ob3.Achievement(
            id="https://creds.example.org/achievements/3d1f",
            name="Data Analysis with Python",
            description="Clean, analyse and visualise tabular data.",
            criteria_narrative="Pass the final exam with at least 80 %.",
            tags=("data", "python"),
            skills=(
                ob3.Skill(
                    "Python (computer programming)",
                    "http://data.europa.eu/esco/skill/ccd0a1d9",
                    "ESCO",
                    "S1",
                ),
                ob3.Skill("Data analysis", "http://data.europa.eu/esco/skill/15d76317", "ESCO"),
            ),
            version="2",
            eu=eu_elements,
        ),
        recipient=ob3.Recipient(email="ada@example.org", salt="s4lt", name="Ada Lovelace"),
        valid_from="2026-01-15T09:00:00Z",
        valid_until="2099-01-15T09:00:00Z",
        results=(ob3.Result("urn:uuid:result-1", "Final exam", "86"),),
        status=status,
    )


#: "plain": OB3 contexts only; "eu-context": with the embedded EU context object (4th entry);
#: "control-characters": a string with C0/DEL characters, which RDFC-1.0 N-Quads escape as
#: \\uXXXX (pyld and older JS canonicalizers differed there; issue 3).
VARIANTS = ["plain", "eu-context", "control-characters"]


def variant_credential(issuer_id: str, variant: str) -> dict[str, Any]:
    document = credential(issuer_id, eu=variant == "eu-context")
    if variant == "control-characters":
        achievement = document["credentialSubject"]["achievement"]
        achievement["description"] = "bell\u0007 bs\u0008 vt\u000b ff\u000c esc\u001b del\u007f"
    return document


def python_sign(document: dict[str, Any]) -> dict[str, Any]:
    key, _, vm = key_and_did()
    return dataintegrity.sign(
        document,
        key=key,
        verification_method=vm,
        cryptosuite="eddsa-rdfc-2022",
        created=CREATED,
        proof_as_array=True,
    )


def python_verify(document: dict[str, Any]) -> tuple[bool, list[str]]:
    """microcred's Data Integrity verification: (all proofs verified, the failures)."""
    results = dataintegrity.verify(document, resolve_key=multikey.did_key_public_key)
    errors = [f"{r.error_code}: {r.error_message}" for r in results if not r.ok]
    return dataintegrity.all_verified(results), errors


def tampered(signed: dict[str, Any], *, eu: bool) -> dict[str, dict[str, Any]]:
    """Copies of a signed credential, each with one change the signature must catch."""
    copies: dict[str, dict[str, Any]] = {}

    def change(name, mutate):
        document = copy.deepcopy(signed)
        mutate(document)
        copies[name] = document

    def achievement(document):
        return document["credentialSubject"]["achievement"]

    change("achievement name", lambda d: achievement(d).update(name="Data Analysis with R"))
    # Earlier, so the validity-period check still passes: only the signature can catch it.
    change("validFrom", lambda d: d.update(validFrom="2026-01-14T09:00:00Z"))
    change("dropped alignment", lambda d: achievement(d)["alignment"].pop(0))
    if eu:
        # The EU terms come from the embedded context: a change there must break the proof too
        # (it would not if a processor silently dropped the terms).
        change("euWorkloadHours", lambda d: achievement(d).update(euWorkloadHours=8.5))
        change("euLearningOutcome order", lambda d: achievement(d)["euLearningOutcome"].reverse())
    return copies


# -- 1. the harness is faithful ----------------------------------------------------------------


def _vector(name: str, sha256: str) -> Any:
    data = (VECTORS / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256, f"{name} differs from the W3C copy"
    return json.loads(data)


def test_js_reproduces_the_w3c_eddsa_rdfc_2022_vector():
    key_pair = _vector(
        "keyPair.json", "978631fc2aba6e8cd8be0bd5a7bf216e2ac54201594937602a9acd6e9763d08f"
    )
    unsigned = _vector(
        "unsigned.json", "060626e6046fc6f39a4aecc55a60b61071ab9aa3f8fd05b8626f8787ec0ff912"
    )
    signed = _vector(
        "eddsa-rdfc-2022-signedDataInt.json",
        "0867c0b2e086a29901c6d53851dd87590c152b6e4959bb835e5edf7294bfb895",
    )
    public = key_pair["publicKeyMultibase"]
    request = {
        "credential": unsigned,
        "secretKeyMultibase": key_pair["privateKeyMultibase"],
        "publicKeyMultibase": public,
        "verificationMethod": f"did:key:{public}#{public}",
        "controller": f"did:key:{public}",
        "created": signed["proof"]["created"],
    }
    outputs, _ = run_js("sign.mjs", [{**request, "method": "vc"}, {**request, "method": "jsigs"}])
    for output in outputs:
        assert output["proof"]["proofValue"] == (
            "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
        )
        assert output == signed


# -- 2. microcred → JS -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_microcred_signed_credentials_verify_in_the_js_reference(variant):
    _, did, _ = key_and_did()
    signed = python_sign(variant_credential(did, variant))
    copies = tampered(signed, eu=variant == "eu-context")
    outputs, _ = run_js(
        "verify.mjs",
        {"now": NOW, "batch": [{"credential": c} for c in (signed, *copies.values())]},
    )
    original, *bad = outputs

    assert original["verified"], original.get("error")
    assert original["proofVerified"], original.get("proofError")
    core = original["verifierCore"]
    assert core["verified"], core
    assert core["schema"] == [{"schema": ob3.OB3_SCHEMA, "valid": True, "errors": []}], (
        "verifier-core's OB3 schema check (the pinned schema, served offline)"
    )
    assert original["refused"] == [], "nothing outside the offline map was requested"

    for (name, _), output in zip(copies.items(), bad, strict=True):
        assert not output["verified"], f"JS accepted the tampered {name}"
        assert not output["proofVerified"], f"the signature did not catch the tampered {name}"
        assert output["error"].endswith("Invalid signature."), output["error"]
        assert output["proofError"].endswith("Invalid signature."), output["proofError"]
        assert not output["verifierCore"]["verified"], f"verifier-core accepted the tampered {name}"
        assert not output["verifierCore"]["signatureValid"]


# -- 3. JS → microcred -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_js_signed_credentials_verify_in_microcred(variant):
    _, did, vm = key_and_did()
    unsigned = variant_credential(did, variant)
    [js_signed], _ = run_js(
        "sign.mjs",
        [
            {
                "credential": unsigned,
                "seedHex": SEED.hex(),
                "verificationMethod": vm,
                "controller": did,
                "created": CREATED,
                "proofAsArray": True,
            }
        ],
    )
    assert js_signed["issuer"]["id"] == did
    verified, errors = python_verify(js_signed)
    assert verified, errors
    # Ed25519 is deterministic: the same document, key and options give byte-identical proofs,
    # so the two canonicalizations (and hash layouts) agree exactly.
    assert js_signed == python_sign(unsigned)

    copies = tampered(js_signed, eu=variant == "eu-context")
    for name, document in copies.items():
        verified, errors = python_verify(document)
        assert not verified, f"microcred accepted the tampered {name}"
        assert errors == ["PROOF_VERIFICATION_ERROR: signature does not match the document"]
    outputs, _ = run_js(
        "verify.mjs",
        {
            "now": NOW,
            "verifierCore": False,
            "batch": [{"credential": c} for c in (js_signed, *copies.values())],
        },
    )
    original, *bad = outputs
    assert original["verified"], original.get("error")
    for (name, _), output in zip(copies.items(), bad, strict=True):
        assert not output["verified"], f"JS accepted its own tampered {name}"


# -- 4. the embedded EU context in JSON-LD safe mode --------------------------------------------


def test_embedded_eu_context_passes_js_safe_mode_and_undefined_terms_do_not():
    """jsonld.js canonicalizes in safe mode: an undefined term or relative IRI is an error.

    The EU context object must pass it (every ``eu*`` term maps to an absolute IRI), and the
    control shows safe mode is really on: the same credential with a term the contexts do not
    define is refused.
    """
    _, did, vm = key_and_did()
    good = credential(did, eu=True)
    assert isinstance(good["@context"][3], dict), "the EU context is the embedded 4th entry"
    undefined_term = copy.deepcopy(good)
    undefined_term["credentialSubject"]["achievement"]["euNotInTheContext"] = "x"
    relative_type = copy.deepcopy(good)
    relative_type["credentialSubject"]["achievement"]["type"] = ["Achievement", "EuMicroCredential"]
    request = {"seedHex": SEED.hex(), "verificationMethod": vm, "controller": did}
    outputs, code = run_js(
        "sign.mjs",
        {
            **request,
            "created": CREATED,
            "batch": [{"credential": c} for c in (good, undefined_term, relative_type)],
        },
        check=False,
    )
    signed, undefined_error, relative_error = outputs
    assert "error" not in signed, signed.get("error")
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert code == 1  # the two refused documents
    assert "safe mode" in undefined_error["error"]
    assert "euNotInTheContext" in undefined_error["error"]
    assert "safe mode" in relative_error["error"]
    assert "EuMicroCredential" in relative_error["error"]


# -- status list and did:web -------------------------------------------------------------------


def _status_list(did: str, *, revoked: int | None) -> dict[str, Any]:
    bits = status_list.Bitstring()
    if revoked is not None:
        bits.set(revoked, True)
    unsigned = status_list.status_list_credential(
        list_url=STATUS_LIST_URL,
        issuer=did,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from="2026-01-01T00:00:00Z",
    )
    return python_sign(unsigned)


def test_microcred_status_list_is_read_by_the_js_verifiers():
    _, did, _ = key_and_did()
    signed = python_sign(credential(did, eu=False, status_index=41))
    outputs, _ = run_js(
        "verify.mjs",
        {
            "now": NOW,
            "batch": [
                {
                    "credential": signed,
                    "documents": {STATUS_LIST_URL: _status_list(did, revoked=7)},
                },
                {
                    "credential": signed,
                    "documents": {STATUS_LIST_URL: _status_list(did, revoked=41)},
                },
                {"credential": signed},  # no list: status unknown, never "valid"
            ],
        },
    )
    active, revoked, unknown = outputs

    assert active["status"] == "checked"
    assert active["verified"], active.get("error")
    assert active["statusSet"] is False
    assert active["statusResult"]["results"] == [
        {"verified": True, "status": False, "purpose": "revocation"}
    ]
    assert active["verifierCore"]["verified"], active["verifierCore"]

    assert revoked["status"] == "checked"
    # @digitalbazaar/vc keeps verified=true for a revoked credential (its status check
    # "verified" the list); the set bit is what says revoked.
    assert revoked["statusSet"] is True
    assert revoked["statusResult"]["results"] == [
        {"verified": True, "status": True, "purpose": "revocation"}
    ]
    core_status = {s["id"]: s for s in revoked["verifierCore"]["log"]}["revocation_status"]
    assert core_status["valid"] is False

    assert unknown["status"] == "not checked"
    assert not unknown["verifierCore"]["verified"]
    assert unknown["refused"] == [STATUS_LIST_URL]


def test_did_web_issuer_verifies_from_a_supplied_did_document():
    key, _, _ = key_and_did()
    did = "did:web:creds.example.org:orgs:uni"
    public = multikey.encode_public_key(key.public_key())
    method = {
        "id": f"{did}#key-1",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": public,
    }
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }
    signed = dataintegrity.sign(
        credential(did, eu=False),
        key=key,
        verification_method=method["id"],
        created=CREATED,
        proof_as_array=True,
    )
    not_assertion = {**document, "assertionMethod": []}
    outputs, _ = run_js(
        "verify.mjs",
        {
            "now": NOW,
            "batch": [
                {"credential": signed, "didDocuments": {did: document}},
                {"credential": signed, "didDocuments": {did: not_assertion}, "verifierCore": False},
            ],
        },
    )
    good, unauthorized = outputs
    assert good["verified"], good.get("error")
    assert good["verifierCore"]["verified"], good["verifierCore"]
    assert good["refused"] == []
    assert not unauthorized["verified"]
    assert "assertionMethod" in unauthorized["error"]
