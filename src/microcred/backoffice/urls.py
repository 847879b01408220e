from __future__ import annotations

from django.urls import path

from microcred.backoffice.views import (
    achievements,
    audit,
    credentials,
    home,
    members,
    organization,
    tokens,
)

app_name = "backoffice"
org = "<slug:slug>/"
urlpatterns = [
    path("", home.index, name="index"),
    path(org, home.dashboard, name="dashboard"),
    path(org + "organization", organization.profile, name="organization"),
    path(org + "members", members.members, name="members"),
    path(org + "members/<int:pk>/role", members.change_role, name="member_role"),
    path(org + "members/<int:pk>/remove", members.remove, name="member_remove"),
    path(org + "credentials/definitions", achievements.achievement_list, name="achievements"),
    path(
        org + "credentials/definitions/new",
        achievements.achievement_create,
        name="achievement_create",
    ),
    path(
        org + "credentials/definitions/<int:pk>",
        achievements.achievement_detail,
        name="achievement",
    ),
    path(
        org + "credentials/definitions/<int:pk>/v<int:number>",
        achievements.achievement_detail,
        name="achievement_version",
    ),
    path(
        org + "credentials/definitions/<int:pk>/edit",
        achievements.achievement_edit,
        name="achievement_edit",
    ),
    path(
        org + "credentials/definitions/<int:pk>/publish",
        achievements.achievement_publish,
        name="achievement_publish",
    ),
    path(
        org + "credentials/definitions/<int:pk>/new-version",
        achievements.achievement_new_version,
        name="achievement_new_version",
    ),
    path(
        org + "credentials/definitions/<int:pk>/discard-draft",
        achievements.achievement_discard_draft,
        name="achievement_discard_draft",
    ),
    path(
        org + "credentials/definitions/<int:pk>/archive",
        achievements.achievement_archive,
        name="achievement_archive",
    ),
    path(org + "credentials/issued", credentials.credential_list, name="credentials"),
    path(org + "credentials/issued/new", credentials.credential_issue, name="credential_issue"),
    path(org + "credentials/issued/<int:pk>", credentials.credential_detail, name="credential"),
    path(
        org + "credentials/issued/<int:pk>/revoke",
        credentials.credential_revoke,
        name="credential_revoke",
    ),
    path(
        org + "credentials/issued/<int:pk>/suspend",
        credentials.credential_suspend,
        name="credential_suspend",
    ),
    path(
        org + "credentials/issued/<int:pk>/reinstate",
        credentials.credential_reinstate,
        name="credential_reinstate",
    ),
    path(
        org + "credentials/issued/<int:pk>/download/<slug:kind>",
        credentials.credential_download,
        name="credential_download",
    ),
    path(org + "audit", audit.audit_log, name="audit"),
    path(org + "api-tokens", tokens.token_list, name="tokens"),
    path(org + "api-tokens/<int:pk>/revoke", tokens.token_revoke, name="token_revoke"),
]
