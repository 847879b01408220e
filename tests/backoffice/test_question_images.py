"""Images for question texts: upload (cleaned, re-encoded, stored per organization, audited),
refusals (SVG, files that are not images), who may upload, and that the stem accepts the URL."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from microcred.core.errors import DomainError, PermissionDenied
from microcred.core.models import AuditEntry
from microcred.core.uploads import SVG_NOT_ALLOWED
from microcred.exams.richtext import sanitize_stem
from microcred.exams.services import media
from tests.backoffice.helpers import SVG_WITH_SCRIPT, audit_actions, png_bytes, text, url
from tests.conftest import World


def png_with_secrets() -> bytes:
    """A PNG with a text chunk and bytes appended after its end (a polyglot's trailer)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-location 52.5N 13.4E")
    output = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(output, format="PNG", pnginfo=info)
    return output.getvalue() + b"<script>alert(1)</script>"


def stored_path(image_url: str) -> str:
    assert image_url.startswith(settings.MEDIA_URL)
    return image_url.removeprefix(settings.MEDIA_URL)


def test_an_author_uploads_a_png_which_is_re_encoded_and_listed(world: World, login: Any) -> None:
    client = login(world.a.issuer.user)
    upload = SimpleUploadedFile(
        "../../my diagram.png", png_with_secrets(), content_type="image/png"
    )

    response = client.post(url("question_images", world.a.slug), {"file": upload})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="microcred.question_image.uploaded")
    assert entry.organization == world.a.organization
    assert entry.actor == world.a.issuer.user
    path = entry.data["path"]
    assert re.fullmatch(rf"question-images/{world.a.organization.pk}/[0-9a-f]{{32}}\.png", path)
    with storages["default"].open(path, "rb") as stored:
        data = stored.read()
    assert b"secret-location" not in data
    assert b"<script" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == (30, 20)
        assert "Comment" not in image.info
    image_url = f"{settings.MEDIA_URL}{path}"
    assert entry.data["url"] == image_url
    page = text(client.get(url("question_images", world.a.slug)))
    assert f'<img src="{image_url}"' in page
    assert f'<code>&lt;img src="{image_url}" alt="…"&gt;</code>' in page
    # The flash message names the markup to paste, escaped.
    assert f"write &lt;img src=&quot;{image_url}&quot; alt=&quot;…&quot;&gt;." in page
    # The URL is what a question's text may use.
    stem = f'<p>Look:</p><img src="{image_url}" alt="diagram">'
    assert sanitize_stem(stem) == stem


def test_the_service_returns_the_url_and_stores_gif_as_png(world: World) -> None:
    output = io.BytesIO()
    Image.new("P", (8, 8)).save(output, format="GIF")
    upload = SimpleUploadedFile("anim.gif", output.getvalue(), content_type="image/gif")

    image_url = media.upload_question_image(member=world.a.owner, file=upload)

    path = stored_path(image_url)
    assert re.fullmatch(rf"question-images/{world.a.organization.pk}/[0-9a-f]{{32}}\.png", path)
    assert storages["default"].exists(path)
    listed = media.question_images_for(world.a.owner)
    assert [image.url for image in listed] == [image_url]
    assert listed[0].uploaded_by == world.a.owner.user.email


def test_question_images_are_served_in_a_sandbox(world: World, client: Any) -> None:
    output = io.BytesIO()
    Image.new("RGB", (4, 4)).save(output, format="PNG")
    image_url = media.upload_question_image(
        member=world.a.owner, file=SimpleUploadedFile("a.png", output.getvalue())
    )
    served = client.get(image_url)
    assert served.status_code == 200
    assert "sandbox" in served["Content-Security-Policy"]
    assert served.getvalue().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("diagram.svg", SVG_WITH_SCRIPT, SVG_NOT_ALLOWED),
        ("diagram.png", SVG_WITH_SCRIPT, SVG_NOT_ALLOWED),
        (
            "diagram.png",
            b"MZ\x90\x00 not an image",
            "Upload a PNG, JPEG, WebP or GIF image; this file is not one of those.",
        ),
        (
            "diagram.png",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
            "The file looks like a PNG image but is damaged or incomplete.",
        ),
        ("page.html", b"<html><script>alert(1)</script></html>", None),
    ],
)
def test_svg_and_files_that_are_not_images_are_refused(
    world: World, login: Any, name: str, content: bytes, message: str | None
) -> None:
    upload = SimpleUploadedFile(name, content, content_type="image/png")

    response = login(world.a.issuer.user).post(
        url("question_images", world.a.slug), {"file": upload}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    if message is not None:
        assert errors == [message]
    assert not storages["default"].exists(f"question-images/{world.a.organization.pk}")
    assert audit_actions(world.a.organization) == []
    with pytest.raises(DomainError) as caught:
        media.upload_question_image(member=world.a.issuer, file=SimpleUploadedFile(name, content))
    assert caught.value.field == "file"


def test_too_large_a_file_is_refused(world: World) -> None:
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * media.MAX_BYTES)
    with pytest.raises(DomainError, match=r"limit is 2 MB|larger than"):
        media.upload_question_image(member=world.a.issuer, file=big)


def test_another_organization_cannot_upload_or_see_the_images(world: World, login: Any) -> None:
    mine = media.upload_question_image(
        member=world.a.issuer, file=SimpleUploadedFile("a.png", png_bytes())
    )
    path = url("question_images", world.a.slug)

    for user in (world.b.owner.user, world.stranger, world.learner):
        client = login(user)
        upload = SimpleUploadedFile("x.png", png_bytes(), content_type="image/png")
        assert client.post(path, {"file": upload}).status_code == 404
        assert client.get(path).status_code == 404
    assert AuditEntry.objects.filter(action=media.UPLOADED).count() == 1
    # B's own page lists B's images only, stored in B's folder.
    theirs = media.upload_question_image(
        member=world.b.issuer, file=SimpleUploadedFile("b.png", png_bytes())
    )
    assert f"question-images/{world.b.organization.pk}/" in theirs
    page = text(login(world.b.issuer.user).get(url("question_images", world.b.slug)))
    assert theirs in page
    assert mine not in page


def test_an_assessor_cannot_upload(world: World, login: Any) -> None:
    client = login(world.a.assessor.user)
    path = url("question_images", world.a.slug)
    upload = SimpleUploadedFile("x.png", png_bytes(), content_type="image/png")

    assert client.post(path, {"file": upload}).status_code == 403
    assert client.get(path).status_code == 403
    with pytest.raises(PermissionDenied):
        media.upload_question_image(
            member=world.a.assessor, file=SimpleUploadedFile("x.png", png_bytes())
        )
    assert not storages["default"].exists(f"question-images/{world.a.organization.pk}")
    assert audit_actions(world.a.organization) == []
