from __future__ import annotations

from django.urls import path

from microcred.public import views

app_name = "public"
urlpatterns = [
    path("verify", views.verify_form, name="verify"),
    path("verify/file", views.verify_file, name="verify_file"),
    path("verify/<str:code>", views.verify_code, name="verify_code"),
    path("verify/<str:code>/badge.png", views.badge_image, name="badge_image"),
    path("orgs/<slug:slug>/brand.css", views.brand_css, name="brand_css"),
    path(".well-known/did.json", views.installation_did, name="installation_did"),
    path("did.json", views.installation_did, name="installation_did_below_path"),
    path("orgs/<slug:slug>/did.json", views.organization_did, name="organization_did"),
    path(
        "orgs/<slug:slug>/status/<slug:purpose>/<int:number>", views.status_list, name="status_list"
    ),
]
