from __future__ import annotations

from django.urls import path

from microcred.backoffice.views import (
    achievements,
    audit,
    banks,
    credentials,
    exams,
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
    path(org + "question-banks", banks.bank_list, name="banks"),
    path(org + "question-banks/<int:pk>", banks.bank_detail, name="bank"),
    path(org + "question-banks/<int:pk>/new/<slug:kind>", banks.item_create, name="item_create"),
    path(org + "question-banks/<int:pk>/import", banks.bank_import, name="bank_import"),
    path(org + "question-banks/<int:pk>/export", banks.bank_export, name="bank_export"),
    path(org + "questions/<int:pk>", banks.item_detail, name="item"),
    path(org + "questions/<int:pk>/edit", banks.item_edit, name="item_edit"),
    path(org + "questions/<int:pk>/status", banks.item_status, name="item_status"),
    path(org + "exams", exams.exam_list, name="exams"),
    path(org + "exams/new", exams.exam_create, name="exam_create"),
    path(org + "exams/<int:pk>", exams.exam_detail, name="exam"),
    path(org + "exams/<int:pk>/settings", exams.exam_edit, name="exam_edit"),
    path(org + "exams/<int:pk>/questions", exams.exam_questions, name="exam_questions"),
    path(org + "exams/<int:pk>/access-code", exams.exam_access_code, name="exam_access_code"),
    path(org + "exams/<int:pk>/publish", exams.exam_publish, name="exam_publish"),
    path(org + "exams/<int:pk>/archive", exams.exam_archive, name="exam_archive"),
    path(
        org + "exams/<int:pk>/accommodations",
        exams.exam_accommodations,
        name="exam_accommodations",
    ),
    path(org + "exams/<int:pk>/preview", exams.exam_preview, name="exam_preview"),
    path(org + "exams/<int:pk>/results", exams.exam_results, name="exam_results"),
    path(org + "exams/<int:pk>/export", exams.exam_export, name="exam_export"),
    path(org + "audit", audit.audit_log, name="audit"),
    path(org + "api-tokens", tokens.token_list, name="tokens"),
    path(org + "api-tokens/<int:pk>/revoke", tokens.token_revoke, name="token_revoke"),
]
