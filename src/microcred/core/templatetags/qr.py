"""``{{ url|qr_data_uri }}``: a QR code of a URL as an SVG data URI for an ``<img>``.

Pages show it next to a credential's verification link so it can be scanned off a screen.
A data URI keeps it within the page's Content-Security-Policy (img-src data:)."""

from __future__ import annotations

from django import template

from microcred.rendering.data import data_uri, qr_svg

register = template.Library()


@register.filter
def qr_data_uri(url: str) -> str:
    return data_uri(qr_svg(url).encode(), "svg")
