from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path, re_path

from microcred.api.v1 import api as api_v1
from microcred.api.v1 import public_api_urls
from microcred.api.vcapi import api as vc_api
from microcred.core import views as core_views
from microcred.learner.claims import claim
from microcred.public.views import home


def _superusers_only(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


# The Django admin stays available, to superusers only; staff work in the back office.
admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
admin.site.site_header = "microcred administration"

urlpatterns = [
    path("", home, name="home"),
    path("", include("microcred.public.urls")),
    path("accounts/", include("microcred.accounts.urls")),
    path("manage/", include("microcred.backoffice.urls")),
    path("me/", include("microcred.learner.urls")),
    path("api/v1/", public_api_urls(api_v1)),
    # W3C VC-API at the paths the spec and the W3C test suites use.
    path("credentials/", public_api_urls(vc_api)),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("claim/<str:token>", claim, name="claim"),
]

# Public uploads (logos, images) are served by the app from the default storage (local or S3),
# with a sandbox CSP, at URLs that do not expire (signed credentials and question texts keep them).
urlpatterns.append(
    re_path(
        r"^media/(?P<path>(?:logos|achievements|question-images/\d+)/[^/]+)$",
        core_views.media,
    )
)

handler400 = "microcred.core.views.bad_request"
handler403 = "microcred.core.views.permission_denied"
handler404 = "microcred.core.views.page_not_found"
handler500 = "microcred.core.views.server_error"
