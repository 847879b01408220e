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
    Exam,
    ExamStatus,
    ExamVersion,
    GradingMethod,
    Navigation,
    ReviewPolicy,
)

__all__ = [
    "Accommodation",
    "Attempt",
    "AttemptEvent",
    "AttemptItem",
    "AttemptState",
    "AttemptUpload",
    "Exam",
    "ExamStatus",
    "ExamVersion",
    "FinishReason",
    "GradingMethod",
    "Item",
    "ItemStatus",
    "ItemVersion",
    "Navigation",
    "QuestionBank",
    "ResponseStep",
    "ReviewPolicy",
]
