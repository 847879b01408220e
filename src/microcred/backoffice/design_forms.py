"""The design editor's form: layouts, paper, font, colours and up to three signatories."""

from __future__ import annotations

from typing import Any

from django import forms

from microcred.achievements.designs import MAX_SIGNATORIES, MAX_SIGNATURE_BYTES, SignatoryData
from microcred.achievements.models import BadgeLayout, CertificateLayout, Design, DesignFont, Paper
from microcred.core.uploads import UploadRejected, validate_image_upload

#: Sample holders for the live preview: long names and other scripts must not break a layout.
SAMPLES = {
    "standard": "Ada Lovelace",
    "long": "Maximiliana Wilhelmina Theodora von und zu Hohenzollern-Sigmaringen",
    "arabic": "محمد بن عبد الله الهاشمي",
    "hebrew": "שרה בת אברהם לוי",
    "greek": "Αλέξανδρος Παπαδόπουλος",
    "cyrillic": "Екатерина Алексеевна Смирнова",
    "cjk": "山田 花子",
}
SAMPLE_LABELS = {
    "standard": "Ada Lovelace",
    "long": "A very long name",
    "arabic": "Arabic (right to left)",
    "hebrew": "Hebrew (right to left)",
    "greek": "Greek",
    "cyrillic": "Cyrillic",
    "cjk": "Japanese (needs Noto Sans CJK)",
}


class DesignForm(forms.Form):
    #: The design's own settings, as ``update_design`` takes them (and the model names them).
    SETTINGS = (
        "certificate_layout",
        "badge_layout",
        "paper",
        "font",
        "primary_color",
        "accent_color",
    )

    certificate_layout = forms.ChoiceField(choices=CertificateLayout.choices)
    badge_layout = forms.ChoiceField(choices=BadgeLayout.choices)
    paper = forms.ChoiceField(choices=Paper.choices)
    font = forms.ChoiceField(choices=DesignFont.choices)
    primary_color = forms.CharField(
        required=False, max_length=7, help_text="#RRGGBB; empty: the organization's colour."
    )
    accent_color = forms.CharField(
        required=False, max_length=7, help_text="#RRGGBB; empty: the organization's colour."
    )

    custom_certificate = forms.FileField(
        required=False,
        label="Custom certificate template (SVG)",
        help_text="Used with the “Custom SVG template” layout; see the placeholders below.",
    )
    custom_badge = forms.FileField(
        required=False,
        label="Custom badge template (SVG, 512 × 512)",
        help_text="Leave the bottom strip (y 424–504) free: the QR and code plate goes there.",
    )

    def __init__(self, *args: Any, design: Design, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = list(design.signatories.all())
        self.signatory_rows = []
        for number in range(1, MAX_SIGNATORIES + 1):
            person = people[number - 1] if number <= len(people) else None
            self.fields[f"signatory_{number}_name"] = forms.CharField(
                required=False,
                max_length=120,
                label=f"Signatory {number}: name",
                initial=person.name if person else "",
            )
            self.fields[f"signatory_{number}_title"] = forms.CharField(
                required=False,
                max_length=160,
                label=f"Signatory {number}: title",
                initial=person.title if person else "",
            )
            self.fields[f"signatory_{number}_signature"] = forms.FileField(
                required=False, label=f"Signatory {number}: signature image (PNG, JPEG or SVG)"
            )
            self.fields[f"signatory_{number}_remove"] = forms.BooleanField(
                required=False, label="Remove the signature image"
            )
            self.signatory_rows.append(
                {
                    "number": number,
                    "person": person,
                    "fields": [
                        self[f"signatory_{number}_{part}"]
                        for part in ("name", "title", "signature")
                    ],
                    "remove": self[f"signatory_{number}_remove"],
                }
            )

    def clean(self) -> dict[str, Any]:
        """Check each signature image here too, so that a refusal lands on its own row (the
        service counts only filled rows); the service cleans the image again before storing."""
        data = super().clean() or {}
        for number in range(1, MAX_SIGNATORIES + 1):
            field = f"signatory_{number}_signature"
            upload = data.get(field)
            if not upload:
                continue
            if not (data.get(f"signatory_{number}_name") or "").strip():
                self.add_error(
                    field, "Enter the signatory's name for this signature image, or leave it out."
                )
                continue
            try:
                validate_image_upload(upload, max_bytes=MAX_SIGNATURE_BYTES)
            except UploadRejected as exc:
                self.add_error(field, exc.message)
        return data

    def settings(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.SETTINGS}

    def signatories(self) -> list[SignatoryData]:
        """Filled rows in order; a row without a name is no signatory."""
        people = []
        for number in range(1, MAX_SIGNATORIES + 1):
            name = self.cleaned_data[f"signatory_{number}_name"].strip()
            if not name:
                continue
            people.append(
                SignatoryData(
                    name=name,
                    title=self.cleaned_data[f"signatory_{number}_title"],
                    signature=self.cleaned_data[f"signatory_{number}_signature"],
                    remove_signature=self.cleaned_data[f"signatory_{number}_remove"],
                )
            )
        return people
