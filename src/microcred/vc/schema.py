"""Validation against the official OB 3.0 AchievementCredential JSON Schema (draft 2019-09).

The schema ships with the package (``schemas/``), copied from the 1EdTech specification build.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator


@cache
def _validator() -> Draft201909Validator:
    text = (
        resources.files("microcred.vc")
        .joinpath("schemas/ob_v3p0_achievementcredential.json")
        .read_text()
    )
    schema = json.loads(text)
    # Documented deviation: the OB3 schema allows one credentialStatus object (0..1), VC Data
    # Model 2.0 §4.10 allows several; a credential that can be revoked AND suspended needs two.
    schema["properties"]["credentialStatus"] = {
        "oneOf": [
            {"$ref": "#/$defs/CredentialStatus"},
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/CredentialStatus"}},
        ]
    }
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Every violation of the OB3 AchievementCredential schema, as ``path: message`` lines."""
    errors = sorted(
        _validator().iter_errors(credential), key=lambda error: list(error.absolute_path)
    )
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in errors
    ]
