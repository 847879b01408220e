"""Exam engine data: question banks and versioned items, exams and their published versions,
accommodations, and attempts with their items, response steps and hash-chained event log."""

from microcred.exams.models.attempts import (
    Attempt,
    AttemptEvent,
    AttemptItem,
    AttemptState,
    AttemptUpload,
    FinishReason,
    ResponseStep,
)
from microcred.exams.models.banks import Item, ItemStatus, ItemVersion, QuestionBank
from microcred.exams.models.exams import (
    Accommodation,
    Disagreement,
    Exam,
    ExamStatus,
    ExamVersion,
    GradingMethod,
    Navigation,
    ReviewPolicy,
)
from microcred.exams.models.grading import Mark, RegradeReview, Rubric

__all__ = [
    "Accommodation",
    "Attempt",
    "AttemptEvent",
    "AttemptItem",
    "AttemptState",
    "AttemptUpload",
    "Disagreement",
    "Exam",
    "ExamStatus",
    "ExamVersion",
    "FinishReason",
    "GradingMethod",
    "Item",
    "ItemStatus",
    "ItemVersion",
    "Mark",
    "Navigation",
    "QuestionBank",
    "RegradeReview",
    "ResponseStep",
    "ReviewPolicy",
    "Rubric",
]
