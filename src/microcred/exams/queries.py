"""Exam lookups shared by surfaces and other domains."""

from __future__ import annotations

from django.db.models import Q, QuerySet

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


def requirements_naming(organization_id: int, title: str, *, published_only: bool) -> QuerySet:  # type: ignore[type-arg]
    """Requirements of the organization's credential definitions that an exam with ``title``
    meets: a minimum score in the exam of that name, or an approved project of that name.
    Requirements find exams by title (case and spacing aside); this is that rule.
    ``published_only``: only the versions in force, else every version that may still be
    published or is in force (drafts included, superseded and archived left out)."""
    from microcred.achievements.models import (
        AchievementStatus,
        Requirement,
        RequirementKind,
        VersionState,
    )

    name = " ".join(title.split())
    found = Requirement.objects.filter(organization_id=organization_id).filter(
        Q(kind=RequirementKind.EXAM_SCORE, exam_name__iexact=name)
        | Q(kind=RequirementKind.EVIDENCE, description__iexact=name)
    )
    if published_only:
        return found.filter(
            version__state=VersionState.PUBLISHED,
            version__achievement__status=AchievementStatus.PUBLISHED,
        )
    return found.exclude(version__state=VersionState.SUPERSEDED).exclude(
        version__achievement__status=AchievementStatus.ARCHIVED
    )


def achievements_counting(exam: Exam) -> list:  # type: ignore[type-arg]
    """Credential definitions one of whose requirements this exam can meet."""
    from microcred.achievements.models import Achievement

    naming = requirements_naming(exam.organization_id, exam.title, published_only=True)
    return list(Achievement.objects.filter(pk__in=naming.values("version__achievement")))
