from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "microcred.exams"
    label = "exams"
    verbose_name = "Exams"
