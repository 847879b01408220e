"""Item interchange formats: GIFT, Aiken, Moodle XML and QTI 2.1/3.0 in; QTI 3.0 out.

Every importer turns untrusted text or bytes into :class:`~microcred.exams.formats.base.ImportReport`
— the items it could read (validated by :func:`microcred.exams.items.validate_item`) and, per
skipped entry, why. Importers never touch the database; the exam services store a report's
items only when the caller accepts it, in one transaction.
"""
