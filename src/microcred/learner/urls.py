from __future__ import annotations

from django.urls import path

from microcred.learner import views

app_name = "learner"
urlpatterns = [
    path("credentials", views.credentials, name="credentials"),
    path("credentials/<uuid:uuid>/download/<slug:kind>", views.download, name="download"),
]
