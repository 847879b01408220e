"""Exam lookups shared by surfaces and other domains."""

from __future__ import annotations

from microcred.accounts.models import User
from microcred.exams.models import Attempt, AttemptState, Exam


def counted_attempt(exam: Exam, candidate: User) -> Attempt | None:
    """The graded attempt that counts for ``candidate``: the highest or the last, as the exam's
    published version says."""
    graded = Attempt.objects.filter(exam=exam, candidate=candidate, state=AttemptState.GRADED)
    version = exam.published_version()
    method = version.config.get("grading_method") if version else "highest"
    if method == "last":
        return graded.order_by("-number").first()
    return graded.order_by("-percent", "-number").first()


def achievements_counting(exam: Exam) -> list:  # type: ignore[type-arg]
    """Credential definitions one of whose requirements this exam can meet."""
    from django.db.models import Q

    from microcred.achievements.models import Achievement, AchievementStatus, VersionState

    named = Q(
        versions__requirements__kind="exam_score",
        versions__requirements__exam_name__iexact=exam.title,
    ) | Q(
        versions__requirements__kind="evidence",
        versions__requirements__description__iexact=exam.title,
    )
    return list(
        Achievement.objects.filter(
            named,
            organization_id=exam.organization_id,
            status=AchievementStatus.PUBLISHED,
            versions__state=VersionState.PUBLISHED,
        ).distinct()
    )
