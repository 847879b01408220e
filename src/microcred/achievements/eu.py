"""Vocabularies of the EU standard elements of a micro-credential.

Council Recommendation of 16 June 2022 on a European approach to micro-credentials
for lifelong learning and employability (2022/C 243/02), Annex I.
"""

from __future__ import annotations

from django.db import models


class ParticipationForm(models.TextChoices):
    ONLINE = "online", "Online"
    ONSITE = "onsite", "On-site"
    BLENDED = "blended", "Blended"


class Supervision(models.TextChoices):
    """Annex I, optional element: supervision and identity verification during assessment."""

    UNSUPERVISED = "unsupervised", "Unsupervised, no identity verification"
    SUPERVISED = "supervised", "Supervised, no identity verification"
    SUPERVISED_ONLINE_ID = "supervised_online_id", "Supervised online, with identity verification"
    SUPERVISED_ONSITE_ID = "supervised_onsite_id", "Supervised on-site, with identity verification"


class Integration(models.TextChoices):
    """Annex I, optional element: integration / stackability options."""

    STANDALONE = "standalone", "Stand-alone, independent micro-credential"
    STACKABLE = "stackable", "Integrated, stackable towards another credential"


EQF_LEVELS = [(level, f"EQF level {level}") for level in range(1, 9)]

# Mandatory elements (Annex I, part 1) checked before publishing: field name -> label.
MANDATORY = {
    "title": "Title of the micro-credential",
    "awarding_bodies": "Awarding body(ies)",
    "issuer_country": "Country/region of the issuer",
    "learning_outcomes": "Learning outcomes",
    "workload": "Notional workload (ECTS and/or hours)",
    "assessment_type": "Type of assessment",
    "participation_form": "Form of participation",
    "quality_assurance": "Type of quality assurance",
}
