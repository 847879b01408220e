"""What every importer returns, and the limits every importer applies to untrusted input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from microcred.exams.items import ItemError, validate_item

#: Largest file an importer reads (bytes).
MAX_IMPORT_BYTES: Final = 10 * 1024 * 1024
#: Most items one import may produce.
MAX_IMPORT_ITEMS: Final = 2_000
#: Archives (QTI content packages): most entries, largest total uncompressed size.
MAX_ARCHIVE_ENTRIES: Final = 500
MAX_ARCHIVE_BYTES: Final = 50 * 1024 * 1024


class FormatError(ValueError):
    """The whole file cannot be read (too large, not the format, unsafe archive …)."""


@dataclass(frozen=True, slots=True)
class ImportedItem:
    """One item read from a file, already validated against the canonical model."""

    title: str
    kind: str
    stem: str  # plain text or sanitised HTML
    interaction: dict[str, Any]
    scoring: dict[str, Any]
    feedback: dict[str, Any]
    max_score: float = 1.0
    category: str = ""  # e.g. the GIFT $CATEGORY or the QTI section
    tags: tuple[str, ...] = ()
    source: str = ""  # where in the file: "line 12", "question 3", "items/q1.xml"


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    reason: str


@dataclass
class ImportReport:
    format: str
    items: list[ImportedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def add(
        self,
        *,
        source: str,
        title: str,
        kind: str,
        stem: str,
        interaction: dict[str, Any],
        scoring: dict[str, Any],
        feedback: dict[str, Any] | None = None,
        max_score: float = 1.0,
        category: str = "",
        tags: tuple[str, ...] = (),
    ) -> None:
        """Validate and keep one item, or record why it was skipped."""
        if len(self.items) >= MAX_IMPORT_ITEMS:
            raise FormatError(f"the file has more than {MAX_IMPORT_ITEMS} items")
        try:
            if not stem.strip():
                raise ItemError("the question text is empty")
            interaction, scoring, feedback = validate_item(kind, interaction, scoring, feedback)
        except ItemError as exc:
            self.skip(source, str(exc))
            return
        self.items.append(
            ImportedItem(
                title=(title or stem).strip()[:200],
                kind=kind,
                stem=stem.strip(),
                interaction=interaction,
                scoring=scoring,
                feedback=feedback,
                max_score=max_score,
                category=category,
                tags=tags,
                source=source,
            )
        )

    def skip(self, source: str, reason: str) -> None:
        self.skipped.append(Skipped(source, reason))


def read_text(data: bytes | str) -> str:
    """Untrusted text file → str: size limit, UTF-8 (with or without BOM), no NUL bytes."""
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate: not text any file could hold
            raise FormatError(f"the text is not valid Unicode (character {exc.start})") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise FormatError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"the file is not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise FormatError("the file contains NUL characters; it is not a text file")
    return text.replace("\r\n", "\n").replace("\r", "\n")
