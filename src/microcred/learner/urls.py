from __future__ import annotations

from django.urls import path

from microcred.learner import exams, exports, imports, views

app_name = "learner"
urlpatterns = [
    path("credentials", views.credentials, name="credentials"),
    path("credentials/<uuid:uuid>/download/<slug:kind>", views.download, name="download"),
    path("credentials/cv.<slug:kind>", views.cv_export, name="cv_export"),
    path("credentials/export.zip", exports.export_archive, name="export"),
    path("credentials/summary.pdf", exports.summary_pdf, name="summary_pdf"),
    path("credentials/<uuid:uuid>/sharing", views.sharing_choice, name="sharing"),
    path("credentials/import", imports.add, name="import"),
    path("credentials/imported/<uuid:uuid>", imports.detail, name="imported"),
    path("credentials/imported/<uuid:uuid>/reverify", imports.reverify, name="imported_reverify"),
    path("credentials/imported/<uuid:uuid>/delete", imports.delete, name="imported_delete"),
    path("credentials/imported/<uuid:uuid>/original", imports.original, name="imported_original"),
    path("exams", exams.exam_list, name="exams"),
    path("exams/<uuid:exam_uuid>", exams.exam_home, name="exam"),
    path("attempts/<int:pk>", exams.attempt_start, name="attempt"),
    path("attempts/<int:pk>/q/<int:slot>", exams.question, name="question"),
    path("attempts/<int:pk>/save", exams.save, name="save"),
    path("attempts/<int:pk>/signal", exams.signal, name="signal"),
    path("attempts/<int:pk>/q/<int:slot>/upload", exams.upload, name="upload"),
    path("attempts/<int:pk>/files/<int:upload_id>", exams.uploaded_file, name="uploaded_file"),
    path("attempts/<int:pk>/submit", exams.submit, name="submit"),
    path("attempts/<int:pk>/review", exams.review, name="review"),
]
