"""LinkedIn's add-certification link and fields, CV lines and JSON Resume, exactly."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from microcred.wallet import sharing

LISTING = sharing.Listing(
    title="Data Analysis & Python: Level 2",
    issuer="Université de Demo",
    issued=date(2026, 1, 31),
    url="https://creds.example.org/verify/ZFCMFRG4TP",
    code="ZFCMFRG4TP",
)


def test_the_linkedin_link_has_exactly_the_documented_parameters_in_order():
    url = sharing.linkedin_url(LISTING)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    assert parse_qsl(parts.query) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Data Analysis & Python: Level 2"),
        ("organizationName", "Université de Demo"),
        ("issueYear", "2026"),
        ("issueMonth", "1"),  # 1-based: January is 1
        ("certUrl", "https://creds.example.org/verify/ZFCMFRG4TP"),
        ("certId", "ZFCMFRG4TP"),
    ]
    # Everything is URL-encoded: no raw &, spaces or non-ASCII in the query.
    assert "name=Data+Analysis+%26+Python%3A+Level+2" in parts.query
    assert "organizationName=Universit%C3%A9+de+Demo" in parts.query
    assert "certUrl=https%3A%2F%2Fcreds.example.org%2Fverify%2FZFCMFRG4TP" in parts.query


def test_expiry_only_when_it_expires_and_the_page_id_replaces_the_name():
    expiring = sharing.Listing(
        **{**_fields(LISTING), "expires": date(2029, 12, 1), "linkedin_organization_id": "1337"}
    )
    query = dict(parse_qsl(urlsplit(sharing.linkedin_url(expiring)).query))
    assert query["expirationYear"] == "2029"
    assert query["expirationMonth"] == "12"
    assert query["organizationId"] == "1337"
    assert "organizationName" not in query
    assert "expirationYear" not in dict(parse_qsl(urlsplit(sharing.linkedin_url(LISTING)).query))


def test_empty_parameters_are_left_out():
    bare = sharing.Listing(**{**_fields(LISTING), "url": "", "issuer": ""})
    names = [name for name, _ in parse_qsl(urlsplit(sharing.linkedin_url(bare)).query)]
    assert names == ["startTask", "name", "issueYear", "issueMonth", "certId"]


def test_the_copy_block_names_linkedins_fields():
    rows = dict(
        sharing.linkedin_copy_block(
            sharing.Listing(**{**_fields(LISTING), "expires": date(2029, 12, 1)})
        )
    )
    assert rows == {
        "Name": "Data Analysis & Python: Level 2",
        "Issuing organization": "Université de Demo",
        "Issue date": "January 2026",
        "Expiration date": "December 2029",
        "Credential ID": "ZFCMFRG4TP",
        "Credential URL": "https://creds.example.org/verify/ZFCMFRG4TP",
    }


def test_cv_lines_markdown_and_json_resume():
    second = sharing.Listing(
        **{**_fields(LISTING), "title": "SQL *basics*", "issued": date(2025, 6, 2)}
    )
    assert sharing.cv_lines([LISTING, second]) == (
        "Data Analysis & Python: Level 2 — Université de Demo — 2026-01-31 — "
        "https://creds.example.org/verify/ZFCMFRG4TP\n"
        "SQL *basics* — Université de Demo — 2025-06-02 — https://creds.example.org/verify/ZFCMFRG4TP\n"
    )
    assert sharing.cv_markdown([second]) == (
        "- **SQL \\*basics\\*** — Université de Demo — 2025-06-02 — "
        "[verify](https://creds.example.org/verify/ZFCMFRG4TP)\n"
    )
    assert sharing.json_resume_certificates([LISTING]) == [
        {
            "name": "Data Analysis & Python: Level 2",
            "date": "2026-01-31",
            "issuer": "Université de Demo",
            "url": "https://creds.example.org/verify/ZFCMFRG4TP",
        }
    ]
    assert sharing.cv_lines([]) == ""


def _fields(listing: sharing.Listing) -> dict:
    return {name: getattr(listing, name) for name in listing.__slots__}


def test_the_embed_snippet_links_the_badge_to_the_verification_page_escaped():
    tricky = sharing.Listing(**{**_fields(LISTING), "title": 'Quotes " and <tags>'})
    snippet = sharing.embed_snippet(
        tricky, image="https://creds.example.org/verify/ZFCMFRG4TP/badge.png"
    )
    assert snippet == (
        '<a href="https://creds.example.org/verify/ZFCMFRG4TP" '
        'title="Quotes &quot; and &lt;tags&gt; — Université de Demo (verify)">'
        '<img src="https://creds.example.org/verify/ZFCMFRG4TP/badge.png" '
        'alt="Quotes &quot; and &lt;tags&gt; — Université de Demo (verify)" width="160" height="160"></a>'
    )
