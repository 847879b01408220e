"""Exam services: the only code that writes exam data. Surfaces (back office, candidate pages,
API, commands) call these; each checks the acting member's capability or the candidate's
rights, runs in a transaction and writes an audit entry or attempt event for every change."""
