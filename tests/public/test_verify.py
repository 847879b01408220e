from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from microcred.issuance import codes
from microcred.issuance.services import revoke_credential
from tests.conftest import issue, publish_achievement


@pytest.fixture
def credential(world):
    achievement = publish_achievement(
        world.a.issuer, title="Cloud Security Basics", validity_months=12
    )
    return issue(world.a.issuer, achievement, "holder@example.test")


def test_valid_credential_page_shows_issuer_definition_and_holder(client, credential):
    response = client.get(reverse("public:verify_code", args=[credential.verification_code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Valid credential" in page
    assert "Cloud Security Basics" in page
    assert "Alpha Academy" in page
    assert "Hana Holder" in page
    # EU elements of the definition are shown.
    assert "Example University" in page
    assert "Interpret a p-value" in page
    assert "2 ECTS" in page
    assert credential.display_code in page
    # No script is needed: the verdict is in the HTML itself.
    assert "<script" not in page.split("</head>", 1)[1]


def test_revoked_credential_shows_reason_and_date(client, world, credential):
    revoke_credential(
        member=world.a.issuer, credential=credential, reason="Exam misconduct established"
    )
    page = client.get(
        reverse("public:verify_code", args=[credential.verification_code])
    ).content.decode()
    assert "Revoked" in page
    assert "Exam misconduct established" in page
    assert "Valid credential" not in page


def test_expired_credential_is_reported_expired(client, credential):
    with time_machine.travel(credential.valid_until + dt.timedelta(days=1)):
        page = client.get(
            reverse("public:verify_code", args=[credential.verification_code])
        ).content.decode()
    assert "Expired" in page
    assert "Valid credential" not in page


def test_typed_variants_redirect_to_the_canonical_address(client, credential):
    typed = credential.display_code.lower().replace("0", "o")
    response = client.get(reverse("public:verify_code", args=[typed]))
    assert response.status_code == 301
    assert response["Location"] == reverse(
        "public:verify_code", args=[credential.verification_code]
    )


def test_form_redirects_to_the_code_page(client, credential):
    response = client.get(reverse("public:verify"), {"code": credential.display_code})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "public:verify_code", args=[credential.verification_code]
    )


@pytest.mark.django_db
def test_form_without_code_shows_the_form(client):
    response = client.get(reverse("public:verify"))
    assert response.status_code == 200
    assert "Verification code" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABC", "has 10 characters; this one has 3"),
        ("ABCDE-FGHU!", "is not one of them"),
        ("", "Enter a verification code"),
    ],
)
def test_malformed_codes_get_a_clear_message(client, typed, message):
    response = client.get(reverse("public:verify"), {"code": typed})
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.django_db
def test_mistyped_code_is_caught_by_the_check_character(client):
    payload = "7KQ2MX9AB"
    good = payload + codes.check_symbol(payload)
    wrong_check = codes.ALPHABET[(codes.ALPHABET.index(good[-1]) + 1) % 32]
    response = client.get(reverse("public:verify_code", args=[payload + wrong_check]))
    assert response.status_code == 400
    assert "looks mistyped" in response.content.decode()


@pytest.mark.django_db
def test_unknown_well_formed_code_is_not_found_without_error(client):
    payload = "ZZZZZZZZZ"
    response = client.get(
        reverse("public:verify_code", args=[payload + codes.check_symbol(payload)])
    )
    assert response.status_code == 404
    assert "No credential has this verification code" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["%00", "<script>", "a" * 300, "..%2F..%2Fetc%2Fpasswd", "💥"])
def test_hostile_input_never_errors(client, junk):
    response = client.get(f"/verify/{junk}")
    assert response.status_code in {400, 404}


def test_brand_css_serves_the_organization_colours(client, world):
    world.a.organization.primary_color = "#aa0011"
    world.a.organization.save()
    response = client.get(reverse("public:brand_css", args=["org-a"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "--brand: #aa0011" in response.content.decode()
    assert client.get(reverse("public:brand_css", args=["no-such-org"])).status_code == 404
