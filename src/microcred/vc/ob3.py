"""Open Badges 3.0 ``OpenBadgeCredential`` documents (unsigned), built from plain data.

OB 3.0 §4 (data model) over VC Data Model 2.0. The EU standard elements of a micro-credential
(Council Recommendation 2022/C 243/02, Annex I) map to OB3 fields where OB3 has one:

| EU element                       | OB3 / VC field                                              |
|----------------------------------|-------------------------------------------------------------|
| title                            | ``achievement.name``                                        |
| awarding body(ies)               | ``issuer`` (the signing body) + ``euAwardingBody`` (all)    |
| country/region of the issuer     | ``issuer.address.addressCountryCode`` / ``addressRegion``   |
| date of issuing                  | ``validFrom`` / ``awardedDate``                             |
| learning outcomes                | ``euLearningOutcome``                                       |
| notional workload                | ``achievement.creditsAvailable`` (ECTS), ``euWorkloadHours``|
| level (EQF, NQF)                 | ``achievement.alignment`` to the EQF level, ``euNqfLevel``  |
| type of assessment               | ``euAssessmentType``                                        |
| form of participation            | ``euParticipationForm``                                     |
| type of quality assurance        | ``euQualityAssurance``                                      |
| optional elements                | ``euPrerequisites``, ``euSupervision``, ``euGrade``,        |
|                                  | ``euIntegration``, ``euFurtherInformation``                 |

Terms with the ``eu`` prefix are defined by an embedded JSON-LD context (third ``@context``
entry, an object — nothing to fetch) whose IRIs are in the European Learning Model namespace
where ELM has the concept, so any JSON-LD processor expands them to stable IRIs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechJsonSchemaValidator2019, the credentialSchema type OB3 uses.
OB3_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB3_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
ELM = "http://data.europa.eu/snb/model/elm/"
EU_NS = "https://w3id.org/microcred/eu-microcredential#"
EQF_LEVEL_URL = "http://data.europa.eu/snb/eqf/{}"

EU_CONTEXT: dict[str, Any] = {
    "euAwardingBody": {"@id": ELM + "awardingBody", "@container": "@list"},
    "euLearningOutcome": {"@id": ELM + "learningOutcome", "@container": "@list"},
    # A plain JSON number (ELM's volumeOfLearning is an xsd:duration, so it is not reused here).
    "euWorkloadHours": EU_NS + "workloadHours",
    "euNqfLevel": ELM + "NQFLevel",
    "euAssessmentType": ELM + "assessment",
    "euParticipationForm": ELM + "mode",
    "euQualityAssurance": EU_NS + "qualityAssurance",
    "euPrerequisites": ELM + "entryRequirement",
    "euSupervision": EU_NS + "supervisionAndIdentityVerification",
    "euGrade": ELM + "grade",
    "euIntegration": EU_NS + "integrationStackability",
    "euFurtherInformation": ELM + "additionalNote",
}


@dataclass(frozen=True)
class Skill:
    name: str
    url: str
    framework: str = ""
    code: str = ""


@dataclass(frozen=True)
class Issuer:
    id: str
    name: str
    url: str = ""
    email: str = ""
    image: str = ""
    country_code: str = ""
    region: str = ""


@dataclass(frozen=True)
class EuElements:
    awarding_bodies: tuple[str, ...] = ()
    learning_outcomes: tuple[str, ...] = ()
    workload_ects: Decimal | None = None
    workload_hours: Decimal | None = None
    eqf_level: int | None = None
    nqf_level: str = ""
    assessment_type: str = ""
    participation_form: str = ""
    quality_assurance: str = ""
    prerequisites: str = ""
    supervision: str = ""
    grade: str = ""
    integration: str = ""
    further_information: str = ""


@dataclass(frozen=True)
class Achievement:
    id: str
    name: str
    description: str
    criteria_narrative: str
    criteria_url: str = ""
    image: str = ""
    tags: tuple[str, ...] = ()
    skills: tuple[Skill, ...] = ()
    version: str = ""
    eu: EuElements = field(default_factory=EuElements)


@dataclass(frozen=True)
class Recipient:
    email: str
    salt: str
    name: str = ""  # shown only where the holder allows it


@dataclass(frozen=True)
class Result:
    description_id: str  # id of the ResultDescription in the achievement
    name: str  # e.g. the exam's name
    value: str  # e.g. "86"
    result_type: str = "Percent"


@dataclass(frozen=True)
class CredentialStatus:
    id: str
    type: str
    properties: tuple[tuple[str, Any], ...] = ()


def identity_hash(email: str, salt: str) -> str:
    """OB3 IdentityHash: ``sha256$`` + hex SHA-256 of the identifier followed by the salt (UTF-8)."""
    return "sha256$" + hashlib.sha256((email + salt).encode("utf-8")).hexdigest()


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _image(url: str, caption: str = "") -> dict[str, Any]:
    image: dict[str, Any] = {"id": url, "type": "Image"}
    if caption:
        image["caption"] = caption
    return image


def _issuer(issuer: Issuer) -> dict[str, Any]:
    profile: dict[str, Any] = {"id": issuer.id, "type": ["Profile"], "name": issuer.name}
    if issuer.url:
        profile["url"] = issuer.url
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.image:
        profile["image"] = _image(issuer.image, f"{issuer.name} logo")
    if issuer.country_code or issuer.region:
        address: dict[str, Any] = {"type": ["Address"]}
        if issuer.country_code:
            address["addressCountryCode"] = issuer.country_code
        if issuer.region:
            address["addressRegion"] = issuer.region
        profile["address"] = address
    return profile


def _eu_terms(eu: EuElements) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "euAwardingBody": list(eu.awarding_bodies),
        "euLearningOutcome": list(eu.learning_outcomes),
        "euWorkloadHours": _number(eu.workload_hours) if eu.workload_hours is not None else None,
        "euNqfLevel": eu.nqf_level,
        "euAssessmentType": eu.assessment_type,
        "euParticipationForm": eu.participation_form,
        "euQualityAssurance": eu.quality_assurance,
        "euPrerequisites": eu.prerequisites,
        "euSupervision": eu.supervision,
        "euGrade": eu.grade,
        "euIntegration": eu.integration,
        "euFurtherInformation": eu.further_information,
    }
    # OB3 serialization: null values and empty arrays are omitted.
    return {key: value for key, value in terms.items() if value not in (None, "", [])}


def _achievement(achievement: Achievement, results: tuple[Result, ...]) -> dict[str, Any]:
    criteria: dict[str, Any] = {
        "narrative": achievement.criteria_narrative or achievement.description
    }
    if achievement.criteria_url:
        criteria["id"] = achievement.criteria_url
    data: dict[str, Any] = {
        "id": achievement.id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": achievement.name,
        "description": achievement.description,
        "criteria": criteria,
    }
    if achievement.image:
        data["image"] = _image(achievement.image)
    if achievement.eu.workload_ects is not None:
        data["creditsAvailable"] = _number(achievement.eu.workload_ects)
    alignments = [
        {
            "type": ["Alignment"],
            "targetName": skill.name,
            "targetUrl": skill.url,
            **({"targetFramework": skill.framework} if skill.framework else {}),
            **({"targetCode": skill.code} if skill.code else {}),
        }
        for skill in achievement.skills
    ]
    if achievement.eu.eqf_level:
        alignments.append(
            {
                "type": ["Alignment"],
                "targetName": f"EQF level {achievement.eu.eqf_level}",
                "targetUrl": EQF_LEVEL_URL.format(achievement.eu.eqf_level),
                "targetFramework": "European Qualifications Framework",
                "targetCode": str(achievement.eu.eqf_level),
            }
        )
    if alignments:
        data["alignment"] = alignments
    if achievement.tags:
        data["tag"] = list(achievement.tags)
    if achievement.version:
        data["version"] = achievement.version
    if results:
        data["resultDescription"] = [
            {
                "id": r.description_id,
                "type": ["ResultDescription"],
                "name": r.name,
                "resultType": r.result_type,
            }
            for r in results
        ]
    data.update(_eu_terms(achievement.eu))
    return data


def build_credential(
    *,
    id: str,
    issuer: Issuer,
    achievement: Achievement,
    recipient: Recipient,
    valid_from: str,
    valid_until: str | None = None,
    name: str | None = None,
    results: tuple[Result, ...] = (),
    evidence: tuple[dict[str, Any], ...] = (),
    status: CredentialStatus | tuple[CredentialStatus, ...] | None = None,
) -> dict[str, Any]:
    """The unsigned credential. Dates are XMLSchema dateTimeStamp strings (``…Z``)."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(recipient.email, recipient.salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": recipient.salt,
            }
        ],
        "achievement": _achievement(achievement, results),
    }
    if recipient.name:
        subject["name"] = recipient.name
    if results:
        subject["result"] = [
            {"type": ["Result"], "resultDescription": r.description_id, "value": r.value}
            for r in results
        ]
    contexts: list[Any] = [VC_CONTEXT, OB3_CONTEXT, OB3_EXTENSIONS_CONTEXT]
    if _eu_terms(achievement.eu):
        contexts.append(EU_CONTEXT)
    credential: dict[str, Any] = {
        "@context": contexts,
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": _issuer(issuer),
        "validFrom": valid_from,
        "awardedDate": valid_from,
        "name": name or achievement.name,
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB3_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if valid_until:
        credential["validUntil"] = valid_until
    if evidence:
        credential["evidence"] = list(evidence)
    statuses = (status,) if isinstance(status, CredentialStatus) else tuple(status or ())
    entries = [{"id": s.id, "type": s.type, **dict(s.properties)} for s in statuses]
    if len(entries) == 1:
        credential["credentialStatus"] = entries[0]  # OB3's schema: one object
    elif entries:
        credential["credentialStatus"] = entries  # VC 2.0 allows a list (see vc.schema)
    return credential
