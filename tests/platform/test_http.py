"""Cross-cutting HTTP behaviour: headers, friendly errors, admin access, health."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client, override_settings
from django.urls import path

from microcred import urls as root_urls
from tests.conftest import make_user


@login_not_required
def _boom(request):
    raise RuntimeError("internal detail that must not leak")


urlpatterns = [path("boom", _boom), *root_urls.urlpatterns]
handler500 = "microcred.core.views.server_error"


@pytest.mark.django_db
def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.platform.test_http", DEBUG=False)
def test_server_error_shows_no_stack_trace():
    client = Client(raise_request_exception=False)
    response = client.get("/boom")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "internal detail" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_back_office_and_wallet_require_login(client):
    for url in ("/manage/", "/me/credentials"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_django_admin_is_for_superusers_only():
    staff = make_user("staff@example.test")
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302  # sent to the admin login, not let in
    superuser = make_user("root@example.test")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_health_endpoint_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_uploaded_media_is_served_sandboxed(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    response = client.get("/media/logos/x.svg")
    assert response.status_code == 200
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.getvalue().startswith(b"<svg")
    assert client.get("/media/../settings.py").status_code == 404


@pytest.fixture
def memory_storage(settings):
    """Uploads in Django's in-memory storage with its own URLs (as with S3: not /media/)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://bucket.example/signed/"},
        },
    }
    return storages["default"]


@pytest.mark.django_db
def test_uploads_are_served_from_any_storage_at_a_lasting_address(client, memory_storage):
    name = memory_storage.save("question-images/7/0123abcd.png", ContentFile(b"\x89PNG-bytes"))
    assert memory_storage.url(name).startswith("https://bucket.example/signed/")
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response.getvalue() == b"\x89PNG-bytes"
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    for missing in ("question-images/7/nothing.png", "logos/.hidden", "question-images/x/a.png"):
        assert client.get(f"/media/{missing}").status_code == 404, missing
