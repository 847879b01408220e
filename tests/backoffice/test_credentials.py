"""Issued credentials: list with search and filters (and its htmx partial), issue, detail, revoke."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from microcred.achievements import services as achievement_services
from microcred.achievements.models import Achievement
from microcred.core.models import AuditEntry
from microcred.issuance.models import CredentialStatus, IssuedCredential
from microcred.issuance.services import revoke_credential
from tests.conftest import World, complete_content, issue, publish_achievement

from .helpers import audit_actions, messages_of, query_count, text, url, version


@pytest.fixture
def statistics(world: World) -> Achievement:
    return publish_achievement(world.a.issuer, title="Applied Statistics")


def issue_data(definition: Achievement, **overrides: Any) -> dict[str, Any]:
    return {
        "achievement": definition.pk,
        "recipient_name": "Hana Holder",
        "recipient_email": "hana@example.test",
        **overrides,
    }


# --- List --------------------------------------------------------------------------------------------


@pytest.fixture
def listed(world: World, statistics: Achievement) -> dict[str, IssuedCredential]:
    """Three credentials in A (one revoked) and one in B."""
    credentials = {
        "ada": issuance(world, statistics, "Ada Lovelace", "ada@analytical.example"),
        "grace": issuance(world, statistics, "Grace Hopper", "grace@navy.example"),
        "alan": issuance(world, statistics, "Alan Turing", "alan@bletchley.example"),
    }
    revoke_credential(member=world.a.issuer, credential=credentials["alan"], reason="Mistake")
    beta = publish_achievement(world.b.issuer, title="Beta Course")
    credentials["beta"] = issuance(world, beta, "Bert Beta", "bert@beta.example", org="b")
    return credentials


def issuance(
    world: World, achievement: Achievement, name: str, email: str, org: str = "a"
) -> IssuedCredential:
    from microcred.issuance.services import issue_credential

    return issue_credential(
        member=getattr(world, org).issuer,
        achievement=achievement,
        recipient_name=name,
        recipient_email=email,
    )


def names(response: Any) -> set[str]:
    assert response.status_code == 200
    return {credential.recipient_name for credential in response.context["page"]}


def test_list_shows_only_the_own_credentials(
    world: World, login: Any, listed: dict[str, IssuedCredential]
) -> None:
    response = login(world.a.assessor.user).get(url("credentials", world.a.slug))

    assert names(response) == {"Ada Lovelace", "Grace Hopper", "Alan Turing"}
    page = text(response)
    assert "Bert Beta" not in page
    assert listed["ada"].display_code in page
    assert '<form method="get" class="filters"' in page
    assert "3 credentials" in page
    assert login(world.b.owner.user).get(url("credentials", world.a.slug)).status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "grace"}, {"Grace Hopper"}),
        ({"q": "LOVELACE"}, {"Ada Lovelace"}),
        ({"q": "@bletchley.example"}, {"Alan Turing"}),
        ({"q": "bert"}, set()),  # B's credential is never found through A
        ({"q": "beta.example"}, set()),
        ({"status": "revoked"}, {"Alan Turing"}),
        ({"status": "active"}, {"Ada Lovelace", "Grace Hopper"}),
        ({"status": "active", "q": "a"}, {"Ada Lovelace", "Grace Hopper"}),
        ({"status": "bogus"}, {"Ada Lovelace", "Grace Hopper", "Alan Turing"}),
        ({"status": "bogus", "q": "grace"}, {"Grace Hopper"}),
    ],
)
def test_list_search_and_status_filter(
    world: World,
    login: Any,
    listed: dict[str, IssuedCredential],
    query: dict[str, str],
    expected: set[str],
) -> None:
    response = login(world.a.issuer.user).get(url("credentials", world.a.slug), query)

    assert names(response) == expected


def test_list_search_by_code(world: World, login: Any, listed: dict[str, IssuedCredential]) -> None:
    client = login(world.a.issuer.user)
    path = url("credentials", world.a.slug)

    assert names(client.get(path, {"q": listed["grace"].display_code.lower()})) == {"Grace Hopper"}
    assert names(client.get(path, {"q": listed["ada"].verification_code})) == {"Ada Lovelace"}
    # The code of B's credential finds nothing in A.
    assert names(client.get(path, {"q": listed["beta"].display_code})) == set()


def test_list_filter_by_definition(
    world: World, login: Any, statistics: Achievement, listed: dict[str, IssuedCredential]
) -> None:
    other = publish_achievement(world.a.issuer, title="Other Course")
    issue(world.a.issuer, other, email="otto@example.test")
    client = login(world.a.issuer.user)
    path = url("credentials", world.a.slug)

    assert names(client.get(path, {"achievement": other.pk})) == {"Hana Holder"}
    assert len(names(client.get(path, {"achievement": statistics.pk}))) == 3
    # B's definition is not a valid choice: the filter is ignored, B's rows stay hidden.
    foreign = listed["beta"].achievement_id
    response = client.get(path, {"achievement": foreign, "q": "grace"})
    assert names(response) == {"Grace Hopper"}
    assert "Bert Beta" not in text(response)
    assert list(response.context["filters"].errors) == ["achievement"]


def test_htmx_request_gets_only_the_results(
    world: World, login: Any, listed: dict[str, IssuedCredential]
) -> None:
    response = login(world.a.issuer.user).get(
        url("credentials", world.a.slug), {"q": "grace"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="results">')
    assert "<html" not in page
    assert 'class="filters"' not in page
    assert "1 credential" in page
    assert "Grace Hopper" in page
    assert "Ada Lovelace" not in page
    assert response.templates[0].name == "backoffice/credentials/_results.html"
    htmx_b = login(world.b.owner.user).get(
        url("credentials", world.a.slug), headers={"HX-Request": "true"}
    )
    assert htmx_b.status_code == 404


def test_list_query_count_does_not_grow_with_the_rows(
    world: World, login: Any, statistics: Achievement, django_assert_max_num_queries: Any
) -> None:
    other = publish_achievement(world.a.issuer, title="Second Course")
    client = login(world.a.issuer.user)
    path = url("credentials", world.a.slug)
    for number in range(3):
        issue(world.a.issuer, statistics, email=f"holder{number}@example.test")
    few = query_count(client, path)
    few_htmx = query_count(client, path, HX_Request="true")
    for number in range(3, 15):
        issue(
            world.a.issuer,
            other if number % 2 else statistics,
            email=f"holder{number}@example.test",
        )

    with django_assert_max_num_queries(few):
        response = client.get(path)
    with django_assert_max_num_queries(few_htmx):
        client.get(path, headers={"HX-Request": "true"})

    assert len(response.context["page"]) == 15
    assert text(response).count('<span class="code">') == 15
    assert few <= 10


def test_list_pages_through_many_rows(world: World, login: Any, statistics: Achievement) -> None:
    for number in range(27):
        issue(world.a.issuer, statistics, email=f"holder{number:02}@example.test")
    client = login(world.a.issuer.user)

    first = client.get(url("credentials", world.a.slug), {"q": "holder"})
    second = client.get(url("credentials", world.a.slug), {"q": "holder", "page": 2})

    assert len(first.context["page"]) == 25
    assert "?q=holder&amp;page=2" in text(first)
    assert len(second.context["page"]) == 2
    assert not {c.pk for c in first.context["page"]} & {c.pk for c in second.context["page"]}


# --- Issue -------------------------------------------------------------------------------------------


def test_issue_offers_only_published_definitions_of_the_own_organization(
    world: World, login: Any, statistics: Achievement
) -> None:
    draft = achievement_services.create_achievement(
        member=world.a.issuer, content=complete_content(title="Draft Course")
    )
    archived = publish_achievement(world.a.issuer, title="Archived Course")
    achievement_services.archive_achievement(member=world.a.issuer, achievement=archived)
    foreign = publish_achievement(world.b.issuer, title="Beta Course")
    client = login(world.a.issuer.user)

    page = client.get(url("credential_issue", world.a.slug))

    assert page.status_code == 200
    assert list(page.context["form"].fields["achievement"].queryset) == [statistics]
    assert "Applied Statistics (v1)" in text(page)
    for hidden in ("Draft Course", "Archived Course", "Beta Course"):
        assert hidden not in text(page)
    for refused in (draft, archived, foreign):
        response = login(world.a.issuer.user).post(
            url("credential_issue", world.a.slug), issue_data(refused)
        )
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "achievement": [
                "Select a valid choice. That choice is not one of the available choices."
            ]
        }
    assert not IssuedCredential.objects.exists()


def test_issue_page_without_published_definitions_says_so(world: World, login: Any) -> None:
    response = login(world.a.issuer.user).get(url("credential_issue", world.a.slug))

    assert "There is no published credential definition yet." in text(response)


def test_issue_preselects_the_definition(world: World, login: Any, statistics: Achievement) -> None:
    response = login(world.a.issuer.user).get(
        url("credential_issue", world.a.slug), {"achievement": statistics.pk}
    )

    assert response.context["form"]["achievement"].value() == str(statistics.pk)


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_issue_a_credential(
    world: World,
    login: Any,
    statistics: Achievement,
    role: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.a.member(role).user).post(
            url("credential_issue", world.a.slug),
            issue_data(
                statistics, recipient_name="  Hana   Holder ", recipient_email="Hana@Example.test"
            ),
        )

    credential = IssuedCredential.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("credential", world.a.slug, credential.pk)
    assert messages_of(response) == [
        f"Issued to Hana Holder. Verification code {credential.display_code}."
    ]
    assert credential.organization == world.a.organization
    assert credential.achievement_version == version(statistics, 1)
    assert credential.recipient_name == "Hana Holder"
    assert credential.recipient_email == "hana@example.test"
    assert credential.issued_by == world.a.member(role).user
    assert credential.status == CredentialStatus.ACTIVE
    entry = AuditEntry.objects.get(action="microcred.credential.issued")
    assert entry.organization == world.a.organization
    assert entry.data["code"] == credential.verification_code
    assert [message.to for message in mail.outbox] == [["hana@example.test"]]
    assert mail.outbox[0].subject == "Your credential: Applied Statistics"
    assert credential.display_code in mail.outbox[0].body
    # B's owner cannot issue A's definition, through either address.
    hostile = issue_data(statistics, recipient_email="x@example.test")
    assert (
        login(world.b.owner.user).post(url("credential_issue", world.a.slug), hostile).status_code
        == 404
    )
    refused = login(world.b.owner.user).post(url("credential_issue", world.b.slug), hostile)
    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "achievement": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert IssuedCredential.objects.count() == 1


def test_a_duplicate_active_credential_is_refused(
    world: World, login: Any, statistics: Achievement
) -> None:
    issue(world.a.issuer, statistics, email="hana@example.test")

    response = login(world.a.issuer.user).post(
        url("credential_issue", world.a.slug),
        issue_data(statistics, recipient_email="HANA@example.test "),
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "recipient_email": [
            "hana@example.test already holds an active credential for this definition."
        ]
    }
    assert "hana@example.test already holds an active credential for this definition." in text(
        response
    )
    assert IssuedCredential.objects.count() == 1
    assert audit_actions(world.a.organization).count("microcred.credential.issued") == 1


def test_a_revoked_credential_can_be_issued_again(
    world: World, login: Any, statistics: Achievement
) -> None:
    first = issue(world.a.issuer, statistics, email="hana@example.test")
    revoke_credential(member=world.a.issuer, credential=first, reason="Wrong name")

    response = login(world.a.issuer.user).post(
        url("credential_issue", world.a.slug), issue_data(statistics)
    )

    assert response.status_code == 302
    assert IssuedCredential.objects.filter(status=CredentialStatus.ACTIVE).count() == 1


def test_the_same_address_may_hold_credentials_of_two_organizations(
    world: World, login: Any, statistics: Achievement
) -> None:
    beta = publish_achievement(world.b.issuer, title="Beta Course")
    issue(world.b.issuer, beta, email="hana@example.test")

    response = login(world.a.issuer.user).post(
        url("credential_issue", world.a.slug), issue_data(statistics)
    )

    assert response.status_code == 302
    assert IssuedCredential.objects.filter(recipient_email="hana@example.test").count() == 2


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"recipient_email": "not-an-address"}, "recipient_email", "Enter a valid email address."),
        ({"recipient_name": ""}, "recipient_name", "This field is required."),
        ({"achievement": ""}, "achievement", "This field is required."),
    ],
)
def test_issue_form_errors(
    world: World,
    login: Any,
    statistics: Achievement,
    change: dict[str, str],
    field: str,
    error: str,
) -> None:
    response = login(world.a.issuer.user).post(
        url("credential_issue", world.a.slug), issue_data(statistics, **change)
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [error]}
    assert not IssuedCredential.objects.exists()


# --- Detail and revoke ---------------------------------------------------------------------------------


def test_detail(world: World, login: Any, statistics: Achievement) -> None:
    credential = issue(world.a.issuer, statistics, email="hana@example.test")
    path = url("credential", world.a.slug, credential.pk)

    response = login(world.a.issuer.user).get(path)

    assert response.status_code == 200
    page = text(response)
    assert "Hana Holder &lt;hana@example.test&gt;" in page
    assert credential.display_code in page
    assert credential.urn in page
    assert "Applied Statistics, version 1" in page
    assert ">Valid<" in page
    assert url("credential_revoke", world.a.slug, credential.pk) in page
    # Assessors see it without the revoke button.
    assessor_page = text(login(world.a.assessor.user).get(path))
    assert credential.display_code in assessor_page
    assert url("credential_revoke", world.a.slug, credential.pk) not in assessor_page
    # Org B sees nothing, through either address.
    assert login(world.b.owner.user).get(path).status_code == 404
    assert (
        login(world.b.owner.user).get(url("credential", world.b.slug, credential.pk)).status_code
        == 404
    )


def test_revoke_needs_a_reason(world: World, login: Any, statistics: Achievement) -> None:
    credential = issue(world.a.issuer, statistics)
    path = url("credential_revoke", world.a.slug, credential.pk)

    form = login(world.a.issuer.user).get(path)
    assert form.status_code == 200
    assert "Revocation cannot be undone." in text(form)

    for reason in ("", "   "):
        response = login(world.a.issuer.user).post(path, {"reason": reason})
        assert response.status_code == 400
        assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert IssuedCredential.objects.get(pk=credential.pk).status == CredentialStatus.ACTIVE
    assert "microcred.credential.revoked" not in audit_actions(world.a.organization)


@pytest.mark.parametrize("role", ["owner", "admin", "issuer"])
def test_revoke(world: World, login: Any, statistics: Achievement, role: str) -> None:
    credential = issue(world.a.issuer, statistics)
    path = url("credential_revoke", world.a.slug, credential.pk)
    reason = "Issued to the wrong person."
    b_owner = login(world.b.owner.user)
    assert b_owner.post(path, {"reason": "hostile"}).status_code == 404
    assert (
        b_owner.post(
            url("credential_revoke", world.b.slug, credential.pk), {"reason": "hostile"}
        ).status_code
        == 404
    )
    assert IssuedCredential.objects.get(pk=credential.pk).status == CredentialStatus.ACTIVE

    response = login(world.a.member(role).user).post(path, {"reason": f"  {reason} "})

    assert response.status_code == 302
    assert response["Location"] == url("credential", world.a.slug, credential.pk)
    assert messages_of(response) == [f"Credential {credential.display_code} revoked."]
    revoked = IssuedCredential.objects.get(pk=credential.pk)
    assert revoked.status == CredentialStatus.REVOKED
    assert revoked.revocation_reason == reason
    assert revoked.revoked_by == world.a.member(role).user
    assert revoked.revoked_at is not None
    entry = AuditEntry.objects.get(action="microcred.credential.revoked")
    assert entry.organization == world.a.organization
    assert entry.data == {"code": credential.verification_code, "reason": reason}
    detail = text(login(world.a.member(role).user).get(response["Location"]))
    assert ">Revoked<" in detail
    assert reason in detail
    assert url("credential_revoke", world.a.slug, credential.pk) not in detail
    # A second revocation is refused with the reason why.
    again = login(world.a.member(role).user).post(path, {"reason": "Again"}, follow=True)
    assert again.redirect_chain[-1][0] == response["Location"]
    assert "This credential is already revoked." in text(again)
    assert IssuedCredential.objects.get(pk=credential.pk).revocation_reason == reason


@pytest.mark.parametrize("method", ["get", "post"])
def test_assessor_cannot_revoke(
    world: World, login: Any, statistics: Achievement, method: str
) -> None:
    credential = issue(world.a.issuer, statistics)
    client = login(world.a.assessor.user)
    path = url("credential_revoke", world.a.slug, credential.pk)

    response = client.post(path, {"reason": "No"}) if method == "post" else client.get(path)

    assert response.status_code == 403
    assert IssuedCredential.objects.get(pk=credential.pk).status == CredentialStatus.ACTIVE


@pytest.mark.parametrize("method", ["get", "post"])
def test_assessor_cannot_issue(
    world: World, login: Any, statistics: Achievement, method: str
) -> None:
    client = login(world.a.assessor.user)
    path = url("credential_issue", world.a.slug)

    response = client.post(path, issue_data(statistics)) if method == "post" else client.get(path)

    assert response.status_code == 403
    assert not IssuedCredential.objects.exists()
