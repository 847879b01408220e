"""W3C VC-API: POST /credentials/issue (API token with the issue scope) and /credentials/verify."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from microcred.api.vcapi import api as vc_api
from microcred.core.models import AuditEntry
from microcred.issuance.services import revoke_credential
from microcred.issuance.verification import verify
from microcred.organizations import keys, tokens
from microcred.organizations.models import IdempotentRequest, Organization
from microcred.organizations.roles import Role
from tests.conftest import World, issue, publish_achievement

INPUTS = Path(__file__).parent / "vcdm2_inputs"
ISSUE = "/credentials/issue"
VERIFY = "/credentials/verify"


def _token(world_org: Any, scopes: tuple[str, ...] = ("issue",)) -> str:
    return tokens.create_token(member=world_org.owner, name="CI", scopes=list(scopes)).secret


def _credential(organization: Organization, **extra: Any) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2",
        ],
        "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": keys.organization_did(organization),
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "degree": {"type": "ExampleBachelorDegree", "name": "Bachelor of Science and Arts"},
        },
        **extra,
    }


def _issue(client: Any, body: Any, secret: str | None, **headers: str) -> Any:
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(ISSUE, data, content_type="application/json", headers=headers)


def _verify(client: Any, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(VERIFY, data, content_type="application/json")


def _signed_actions(organization: Organization) -> list[dict[str, Any]]:
    return list(
        AuditEntry.objects.filter(
            organization=organization, action="microcred.credential.signed_via_api"
        ).values_list("data", flat=True)
    )


# -- issue ---------------------------------------------------------------------------------------


def test_issue_signs_as_the_organization_and_the_result_verifies(client, world: World) -> None:
    created = tokens.create_token(member=world.a.owner, name="CI", scopes=["issue"])
    credential = _credential(world.a.organization)
    response = _issue(client, {"credential": credential, "options": {}}, created.secret)

    assert response.status_code == 201
    signed = response.json()["verifiableCredential"]
    proof = signed.pop("proof")
    assert signed == credential  # nothing else changed
    assert isinstance(proof, dict)  # one proof object, as the W3C suites expect
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith(keys.organization_did(world.a.organization))
    report = verify({**signed, "proof": proof})
    assert report.verdict == "valid", report.checks
    assert report.known_issuer == "Alpha Academy"
    assert _signed_actions(world.a.organization) == [
        {
            "credential_id": credential["id"],
            "token": "CI",
            "key_id": created.token.key_id,
            "cryptosuite": "eddsa-rdfc-2022",
        }
    ]


def test_issue_with_eddsa_jcs_and_an_issuer_object(client, world: World) -> None:
    did = keys.organization_did(world.a.organization)
    credential = _credential(world.a.organization, issuer={"id": did, "name": "Alpha Academy"})
    response = _issue(
        client,
        {"credential": credential, "options": {"cryptosuite": "eddsa-jcs-2022"}},
        _token(world.a),
    )
    assert response.status_code == 201
    signed = response.json()["verifiableCredential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert verify(signed).verdict == "valid"


def test_unknown_options_are_tolerated_but_selective_disclosure_is_refused(
    client, world: World
) -> None:
    secret = _token(world.a)
    credential = _credential(world.a.organization)
    lenient = _issue(
        client, {"credential": credential, "options": {"credentialId": "x", "foo": 1}}, secret
    )
    assert lenient.status_code == 201
    refused = _issue(
        client, {"credential": credential, "options": {"mandatoryPointers": ["/issuer"]}}, secret
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "options.mandatoryPointers"
    unknown_suite = _issue(
        client, {"credential": credential, "options": {"cryptosuite": "ecdsa-rdfc-2019"}}, secret
    )
    assert unknown_suite.status_code == 400


def test_issuer_other_than_the_organization_did_is_refused(client, world: World) -> None:
    credential = _credential(world.a.organization, issuer="did:example:someone-else")
    response = _issue(client, {"credential": credential}, _token(world.a))
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "invalid_credential"
    assert keys.organization_did(world.a.organization) in body["detail"]
    assert "did:example:someone-else" in body["detail"]
    assert _signed_actions(world.a.organization) == []


def test_token_of_another_organization_cannot_sign_as_this_one(client, world: World) -> None:
    credential_of_a = _credential(world.a.organization)
    b_secret = _token(world.b)

    response = _issue(client, {"credential": credential_of_a}, b_secret)

    assert response.status_code == 400
    assert keys.organization_did(world.b.organization) in response.json()["detail"]
    assert _signed_actions(world.a.organization) == []
    assert _signed_actions(world.b.organization) == []
    # B's token signs B's own credentials.
    own = _issue(client, {"credential": _credential(world.b.organization)}, b_secret)
    assert own.status_code == 201
    assert verify(own.json()["verifiableCredential"]).known_issuer == "Beta College"


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Authorization: Bearer"),
        ("Basic dXNlcjpwYXNz", "Authorization: Bearer"),
        ("Bearer nonsense", "not a microcred API token"),
        ("Bearer mc_0000000000000000_secret", "not valid"),
    ],
)
def test_missing_or_invalid_token_is_401(
    client, world: World, authorization: str | None, detail: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(
        ISSUE,
        json.dumps({"credential": _credential(world.a.organization)}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["type"] == "invalid_token"
    assert detail in body["detail"]
    assert _signed_actions(world.a.organization) == []


def test_tampered_secret_of_a_real_token_is_401(client, world: World) -> None:
    secret = _token(world.a)
    response = _issue(client, {"credential": _credential(world.a.organization)}, secret[:-2])
    assert response.status_code == 401


def test_token_without_the_issue_scope_is_403(client, world: World) -> None:
    response = _issue(
        client, {"credential": _credential(world.a.organization)}, _token(world.a, ("read",))
    )
    assert response.status_code == 403
    assert response.json()["type"] == "insufficient_scope"


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (
            lambda c: c.update(
                {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential"],
                    "credentialSubject": {"id": "did:example:x", "undefinedTerm": 1},
                }
            ),
            "undefinedTerm",
        ),
        (lambda c: c.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}), "degree"),
        (lambda c: c["@context"].append("https://example.org/unknown/v1"), "context"),
        (lambda c: c.update(validFrom="1 January 2025"), "validFrom"),
        (lambda c: c.update(type=["ExampleDegreeCredential"]), "VerifiableCredential"),
        (lambda c: c.pop("credentialSubject"), "credentialSubject"),
        (lambda c: c.update(id=None), "null"),
    ],
    ids=[
        "undefined-term",
        "term-without-its-context",
        "unknown-context",
        "bad-date",
        "no-vc-type",
        "no-subject",
        "null",
    ],
)
def test_malformed_credentials_are_400(client, world: World, mutate: Any, needle: str) -> None:
    credential = _credential(world.a.organization)
    mutate(credential)
    response = _issue(client, {"credential": credential}, _token(world.a))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert needle in body["detail"]
    assert _signed_actions(world.a.organization) == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        '{"credential": {"a": 1, "a": 2}}',
        "[]",
        "{}",
        '{"credential": "a string"}',
        '{"credential": {}, "extra": 1}',
    ],
)
def test_malformed_requests_are_400(client, world: World, body: str) -> None:
    response = _issue(client, body, _token(world.a))
    assert response.status_code == 400
    assert response.json()["type"] in {"malformed_json", "invalid_request", "invalid_credential"}


def _fixture(name: str, did: str) -> dict[str, Any]:
    text = (INPUTS / name).read_text()
    now = datetime.now(UTC)
    text = text.replace("FUTURE DATE", (now + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = text.replace("PAST DATE", (now - timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    credential = json.loads(text)
    if name.startswith("credential-issuer-") and name.endswith("-fail.json"):
        return credential  # these test the issuer value itself
    if isinstance(credential.get("issuer"), dict):
        credential["issuer"]["id"] = did
    else:
        credential["issuer"] = did
    return credential


FIXTURES = sorted(path.name for path in INPUTS.glob("*.json"))


@pytest.mark.parametrize("name", FIXTURES)
def test_w3c_vc_data_model_suite_inputs(client, world: World, name: str) -> None:
    """What the W3C VC 2.0 test suite sends an issuer: *-ok accepted, *-fail refused."""
    did = keys.organization_did(world.a.organization)
    credential = _fixture(name, did)
    response = _issue(client, {"credential": credential, "options": {}}, _token(world.a))
    if "-fail" in name:
        assert response.status_code == 400, response.json()
        return
    assert response.status_code == 201, response.json()
    signed = response.json()["verifiableCredential"]
    if "proof" not in credential:
        assert isinstance(signed["proof"], dict)
        # Dates and status entries of some inputs make the verdict expired/unknown; the
        # signature and its binding to the issuer hold for all.
        report = verify(signed)
        assert report.check("proof").outcome == "passed", report.checks
        assert report.check("issuer").outcome == "passed", report.checks


# -- idempotency ---------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_signs_once(client, world: World) -> None:
    secret = _token(world.a)
    body = {"credential": _credential(world.a.organization)}

    first = _issue(client, body, secret, **{"Idempotency-Key": "order-17"})
    second = _issue(client, body, secret, **{"Idempotency-Key": "order-17"})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(_signed_actions(world.a.organization)) == 1
    # Without the key, the same body is signed again.
    third = _issue(client, body, secret)
    assert third.status_code == 201
    assert len(_signed_actions(world.a.organization)) == 2


def test_same_idempotency_key_with_another_body_is_409(client, world: World) -> None:
    secret = _token(world.a)
    body = {"credential": _credential(world.a.organization)}
    assert _issue(client, body, secret, **{"Idempotency-Key": "k1"}).status_code == 201

    other = copy.deepcopy(body)
    other["credential"]["credentialSubject"]["degree"]["name"] = "Master of Arts"
    response = _issue(client, other, secret, **{"Idempotency-Key": "k1"})

    assert response.status_code == 409
    assert response.json()["type"] == "idempotency_conflict"
    assert len(_signed_actions(world.a.organization)) == 1


def test_idempotency_keys_expire_after_24_hours(client, world: World) -> None:
    secret = _token(world.a)
    body = {"credential": _credential(world.a.organization)}
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        first = _issue(client, body, secret, **{"Idempotency-Key": "k"})
    with time_machine.travel(datetime(2026, 3, 2, 8, 59, tzinfo=UTC), tick=False):
        assert _issue(client, body, secret, **{"Idempotency-Key": "k"}).json() == first.json()
    with time_machine.travel(datetime(2026, 3, 2, 9, 1, tzinfo=UTC), tick=False):
        later = _issue(client, body, secret, **{"Idempotency-Key": "k"})
    assert later.status_code == 201
    assert later.json() != first.json()  # signed anew, with a new date
    assert len(_signed_actions(world.a.organization)) == 2
    assert IdempotentRequest.objects.count() == 1


def test_failed_requests_are_not_stored_and_keys_are_per_token(client, world: World) -> None:
    secret, other_secret = _token(world.a), _token(world.a)
    bad = {"credential": _credential(world.a.organization, issuer="did:example:x")}
    assert _issue(client, bad, secret, **{"Idempotency-Key": "k"}).status_code == 400
    good = {"credential": _credential(world.a.organization)}
    assert _issue(client, good, secret, **{"Idempotency-Key": "k"}).status_code == 201
    assert _issue(client, good, other_secret, **{"Idempotency-Key": "k"}).status_code == 201
    assert len(_signed_actions(world.a.organization)) == 2


def test_invalid_idempotency_key_is_400(client, world: World) -> None:
    response = _issue(
        client,
        {"credential": _credential(world.a.organization)},
        _token(world.a),
        **{"Idempotency-Key": "x" * 256},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"


# -- verify ----------------------------------------------------------------------------------------


def test_verify_reports_a_valid_credential(client, world: World) -> None:
    signed = _issue(
        client, {"credential": _credential(world.a.organization)}, _token(world.a)
    ).json()["verifiableCredential"]

    response = _verify(client, {"verifiableCredential": signed, "options": {"checks": ["proof"]}})

    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True
    assert body["verdict"] == "valid"
    assert {"proof", "issuer", "validity"} <= set(body["checks"])
    assert body["errors"] == []
    assert body["problemDetails"] == []


def test_verify_reports_a_credential_issued_in_the_back_office(client, world: World) -> None:
    credential = issue(world.a.issuer, publish_achievement(world.a.issuer))
    response = _verify(client, {"verifiableCredential": credential.document})
    assert response.status_code == 200
    assert response.json()["verified"] is True
    assert "schema" in response.json()["checks"]

    revoke_credential(member=world.a.issuer, credential=credential, reason="Issued in error")
    revoked = _verify(client, {"verifiableCredential": credential.document})
    assert revoked.status_code == 400
    assert revoked.json()["verified"] is False
    assert revoked.json()["verdict"] == "revoked"
    assert any(error.startswith("status:") for error in revoked.json()["errors"])


def test_verify_rejects_a_tampered_credential(client, world: World) -> None:
    signed = _issue(
        client, {"credential": _credential(world.a.organization)}, _token(world.a)
    ).json()["verifiableCredential"]
    signed["credentialSubject"]["degree"]["name"] = "Doctor of Everything"

    response = _verify(client, {"verifiableCredential": signed})

    # The W3C suites count only HTTP >= 400 as a rejection; the body is still a result.
    assert response.status_code == 400
    body = response.json()
    assert body["verified"] is False
    assert body["verdict"] == "invalid"
    assert any("signature does not match" in error for error in body["errors"])
    assert body["problemDetails"][0]["type"] == "microcred:proof:failed"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[]",
        "{}",
        '{"verifiableCredential": "eyJhbGciOi"}',
        '{"verifiableCredential": {"a": null}}',
        '{"verifiableCredential": {}, "credential": {}}',
        '{"verifiableCredential": {"id": 1, "id": 2}}',
    ],
)
def test_verify_rejects_malformed_requests(client, body: str) -> None:
    response = _verify(client, body)
    assert response.status_code == 400
    problem = response.json()
    assert "verified" not in problem
    assert problem["status"] == 400
    assert problem["detail"]


def test_verify_needs_no_login_and_no_token(client, world: World) -> None:
    signed = _issue(
        client, {"credential": _credential(world.a.organization)}, _token(world.a)
    ).json()["verifiableCredential"]
    response = client.post(
        VERIFY,
        json.dumps({"verifiableCredential": signed}),
        content_type="application/json",
        headers={"Authorization": "Bearer mc_revoked_or_whatever"},
    )
    assert response.status_code == 200


# -- OpenAPI ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_openapi_document_describes_both_endpoints(client) -> None:
    response = client.get("/credentials/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == vc_api.title
    issue_op = schema["paths"]["/credentials/issue"]["post"]
    verify_op = schema["paths"]["/credentials/verify"]["post"]
    assert {"201", "400", "401", "409"} <= set(issue_op["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in issue_op["parameters"])
    assert issue_op["security"] == [{"TokenAuth": []}]
    assert "security" not in verify_op
    assert {"200", "400"} <= set(verify_op["responses"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_roles_do_not_matter_once_a_token_exists(client, world: World) -> None:
    """The token acts for the organization; the admin who created it may create tokens too."""
    assert world.a.admin.role == Role.ADMIN
    secret = tokens.create_token(member=world.a.admin, name="Admin CI", scopes=["issue"]).secret
    response = _issue(client, {"credential": _credential(world.a.organization)}, secret)
    assert response.status_code == 201


def test_a_concurrent_request_with_the_same_key_wins_and_ours_is_rolled_back(
    client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request stores the same key between our look-up and our insert: the unique
    constraint stops ours, our signature and audit entry roll back, the winner's answer is
    returned."""
    secret = _token(world.a)
    body = {"credential": _credential(world.a.organization)}
    stored_response = {"stored": "by the other request"}
    real_check = tokens._check_issuer

    def check_while_another_request_commits(token: Any, credential: Any) -> None:
        real_check(token, credential)
        IdempotentRequest.objects.create(
            token=token,
            key="k",
            fingerprint=tokens.idempotency_key("k", body).fingerprint,
            status_code=201,
            response=stored_response,
        )

    monkeypatch.setattr(tokens, "_check_issuer", check_while_another_request_commits)
    response = _issue(client, body, secret, **{"Idempotency-Key": "k"})

    assert response.status_code == 201
    assert response.json() == {"verifiableCredential": stored_response}
    assert _signed_actions(world.a.organization) == []
    assert IdempotentRequest.objects.count() == 1
