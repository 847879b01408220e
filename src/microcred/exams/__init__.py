"""Exams: question banks, items, exams, attempts, grading and item interchange."""
