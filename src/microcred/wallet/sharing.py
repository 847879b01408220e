"""Ways a holder shows a credential elsewhere: LinkedIn's "Add license or certification" link
and its fields, CV lines (plain text, Markdown) and JSON Resume ``certificates``.

Pure functions over :class:`Listing` (what a wallet lists about one credential), so the same
rules serve pages, exports and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import urlencode

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True, slots=True)
class Listing:
    title: str
    issuer: str
    issued: date
    url: str  # the public verification page
    code: str
    expires: date | None = None
    linkedin_organization_id: str = ""  # the issuer's LinkedIn Page id, when it has one


def linkedin_fields(listing: Listing) -> list[tuple[str, str]]:
    """The fields of LinkedIn's add-certification form, in its order; empty ones left out.
    ``issueMonth``/``expirationMonth`` are 1-based; the expiry only when the credential expires."""
    fields: list[tuple[str, str]] = [("startTask", "CERTIFICATION_NAME"), ("name", listing.title)]
    if listing.linkedin_organization_id:
        fields.append(("organizationId", listing.linkedin_organization_id))
    else:
        fields.append(("organizationName", listing.issuer))
    fields += [("issueYear", str(listing.issued.year)), ("issueMonth", str(listing.issued.month))]
    if listing.expires is not None:
        fields += [
            ("expirationYear", str(listing.expires.year)),
            ("expirationMonth", str(listing.expires.month)),
        ]
    fields += [("certUrl", listing.url), ("certId", listing.code)]
    return [(name, value) for name, value in fields if value]


def linkedin_url(listing: Listing) -> str:
    return f"{LINKEDIN_ADD}?{urlencode(linkedin_fields(listing))}"


def linkedin_copy_block(listing: Listing) -> list[tuple[str, str]]:
    """The same facts as LinkedIn's form labels them, for copying by hand (LinkedIn does not
    always prefill its form from the link)."""
    rows = [
        ("Name", listing.title),
        ("Issuing organization", listing.issuer),
        ("Issue date", listing.issued.strftime("%B %Y")),
    ]
    if listing.expires is not None:
        rows.append(("Expiration date", listing.expires.strftime("%B %Y")))
    rows += [("Credential ID", listing.code), ("Credential URL", listing.url)]
    return rows


def _day(moment: date) -> str:
    return moment.isoformat()


def cv_lines(listings: list[Listing]) -> str:
    """One line per credential: title — issuer — date — verification URL."""
    return "".join(
        f"{item.title} — {item.issuer} — {_day(item.issued)} — {item.url}\n" for item in listings
    )


def _markdown_text(text: str) -> str:
    """Text with Markdown's inline syntax characters escaped."""
    special = "\\`*_{}[]()#+-.!|<>"
    return "".join(f"\\{ch}" if ch in special else ch for ch in text)


def cv_markdown(listings: list[Listing]) -> str:
    return "".join(
        f"- **{_markdown_text(item.title)}** — {_markdown_text(item.issuer)} — "
        f"{_day(item.issued)} — [verify]({item.url})\n"
        for item in listings
    )


def json_resume_certificates(listings: list[Listing]) -> list[dict[str, str]]:
    """JSON Resume's ``certificates`` section (name, date, issuer, url)."""
    return [
        {"name": item.title, "date": _day(item.issued), "issuer": item.issuer, "url": item.url}
        for item in listings
    ]


def embed_snippet(listing: Listing, *, image: str) -> str:
    """HTML for a web page: the badge image linking to the public verification page."""
    label = escape(f"{listing.title} — {listing.issuer} (verify)")
    return (
        f'<a href="{escape(listing.url)}" title="{label}">'
        f'<img src="{escape(image)}" alt="{label}" width="160" height="160"></a>'
    )
