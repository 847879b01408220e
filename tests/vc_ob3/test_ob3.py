from __future__ import annotations

import hashlib
from decimal import Decimal

from microcred.vc import ob3
from microcred.vc.schema import schema_errors


def full_credential(**overrides):
    arguments = {
        "id": "urn:uuid:2f6bb8c4-4e0c-4b0e-9bd7-3f4bb2a1f001",
        "issuer": ob3.Issuer(
            id="did:web:creds.example.org:orgs:uni",
            name="Example University",
            url="https://uni.example.org",
            email="credentials@uni.example.org",
            image="https://creds.example.org/media/logos/uni.png",
            country_code="NL",
            region="Utrecht",
        ),
        "achievement": ob3.Achievement(
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
            ),
            version="2",
            eu=ob3.EuElements(
                awarding_bodies=("Example University",),
                learning_outcomes=("Load data", "Chart findings"),
                workload_ects=Decimal(3),
                workload_hours=Decimal("80.5"),
                eqf_level=5,
                assessment_type="Online exam",
                participation_form="online",
                quality_assurance="Internal QA",
            ),
        ),
        "recipient": ob3.Recipient(email="ada@example.org", salt="s4lt", name="Ada Lovelace"),
        "valid_from": "2026-11-22T10:00:00Z",
        "valid_until": "2029-11-22T10:00:00Z",
        "results": (ob3.Result("urn:uuid:result-1", "Final exam", "86"),),
        "status": ob3.CredentialStatus(
            id="https://creds.example.org/orgs/uni/status/1#41",
            type="BitstringStatusListEntry",
            properties=(
                ("statusPurpose", "revocation"),
                ("statusListIndex", "41"),
                ("statusListCredential", "https://creds.example.org/orgs/uni/status/1"),
            ),
        ),
    }
    arguments.update(overrides)
    return ob3.build_credential(**arguments)


def test_full_credential_validates_against_the_official_schema():
    credential = full_credential()
    assert schema_errors(credential) == []


def test_shape_follows_ob3_and_vc2():
    credential = full_credential()
    assert credential["@context"][:3] == [
        ob3.VC_CONTEXT,
        ob3.OB3_CONTEXT,
        ob3.OB3_EXTENSIONS_CONTEXT,
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = credential["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "MicroCredential"
    assert subject["achievement"]["creditsAvailable"] == 3
    assert subject["achievement"]["euWorkloadHours"] == 80.5
    eqf = subject["achievement"]["alignment"][-1]
    assert eqf["targetUrl"] == "http://data.europa.eu/snb/eqf/5"
    assert credential["issuer"]["address"] == {
        "type": ["Address"],
        "addressCountryCode": "NL",
        "addressRegion": "Utrecht",
    }
    assert subject["result"] == [
        {"type": ["Result"], "resultDescription": "urn:uuid:result-1", "value": "86"}
    ]


def test_recipient_is_a_salted_email_hash():
    identifier = full_credential()["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(b"ada@example.orgs4lt").hexdigest()
    assert identifier == {
        "type": "IdentityObject",
        "identityHash": f"sha256${expected}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "s4lt",
    }
    assert "ada@example.org" not in str(full_credential())


def test_empty_optional_elements_are_omitted_not_null():
    credential = full_credential(
        achievement=ob3.Achievement(
            id="https://x.example/a", name="A", description="D", criteria_narrative=""
        ),
        valid_until=None,
        results=(),
        status=None,
        recipient=ob3.Recipient(email="a@example.org", salt="x"),
    )
    assert "validUntil" not in credential
    assert "credentialStatus" not in credential
    assert "name" not in credential["credentialSubject"]
    assert len(credential["@context"]) == 3  # no EU terms, no embedded context
    assert credential["credentialSubject"]["achievement"]["criteria"] == {"narrative": "D"}
    assert schema_errors(credential) == []


def test_schema_errors_name_the_path():
    credential = full_credential()
    del credential["validFrom"]
    credential["credentialSubject"]["achievement"]["alignment"][0].pop("targetUrl")
    errors = schema_errors(credential)
    assert any(error.startswith("(root): 'validFrom' is a required property") for error in errors)
    assert any("alignment/0" in error and "targetUrl" in error for error in errors)
