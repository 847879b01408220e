"""Back-office forms. They validate input; services apply the business rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.base import File

from microcred.achievements.models import Achievement, AchievementVersion, RequirementKind
from microcred.achievements.services import CONTENT_FIELDS, RequirementData, SkillData
from microcred.core.uploads import clean_image_field
from microcred.issuance.models import CredentialStatus
from microcred.organizations.models import Membership, Organization
from microcred.organizations.roles import Capability, Role
from microcred.organizations.services import PROFILE_FIELDS


class LinesField(forms.CharField):
    """A list of strings edited as one item per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, *, max_items: int = 50, max_length_each: int = 500, **kwargs: Any) -> None:
        self.max_items, self.max_length_each = max_items, max_length_each
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        items = [line.strip() for line in text.splitlines() if line.strip()]
        if len(items) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items} lines; there are {len(items)}.")
        for number, item in enumerate(items, start=1):
            if len(item) > self.max_length_each:
                raise forms.ValidationError(
                    f"Line {number} is longer than {self.max_length_each} characters."
                )
        return items


class TagsField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        tags = list(dict.fromkeys(tag.strip().lower() for tag in text.split(",") if tag.strip()))
        if len(tags) > 20:
            raise forms.ValidationError("At most 20 tags.")
        if any(len(tag) > 40 for tag in tags):
            raise forms.ValidationError("Each tag can have at most 40 characters.")
        return tags


class ImageUploadMixin:
    """Checks an optional image upload by content (core.uploads) and exposes the cleaned file."""

    image_field = "image"

    def cleaned_image(self) -> File | None:
        return self.cleaned_data.get(self.image_field) or None  # type: ignore[attr-defined]

    def _clean_upload(self) -> File | None:
        upload = self.cleaned_data.get(self.image_field)  # type: ignore[attr-defined]
        return clean_image_field(upload) if upload else None


class OrganizationForm(ImageUploadMixin, forms.ModelForm):
    image_field = "logo"
    logo = forms.FileField(
        required=False, help_text="PNG, JPEG, WebP or SVG, at most 2 MB. SVG files are sanitised."
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")
    # Declared, not generated from the model, to fix the scheme assumed for bare domains
    # ("example.org" -> https://example.org); Django 5.x warns when it is left implicit.
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Organization
        fields = PROFILE_FIELDS
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "secondary_color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Leaving it out of a submission keeps the current choice.
        self.fields["proof_format"].required = False

    def clean_logo(self) -> File | None:
        return self._clean_upload()

    def clean_proof_format(self) -> str:
        return self.cleaned_data.get("proof_format") or self.instance.proof_format

    def profile_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    full_name = forms.CharField(max_length=200, required=False, label="Full name")
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(member)
        self.fields["role"].initial = Role.ISSUER


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="Role")

    def __init__(self, *args: Any, member: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices_for(member)


def role_choices_for(member: Membership) -> list[tuple[str, str]]:
    if member.can(Capability.MANAGE_OWNERS):
        return list(Role.choices)
    return [choice for choice in Role.choices if choice[0] != Role.OWNER]


class AchievementForm(ImageUploadMixin, forms.ModelForm):
    """The content of one version. Lists are edited one item per line."""

    tags = TagsField(
        required=False, max_length=900, help_text="Comma-separated, e.g. data, python."
    )
    awarding_bodies = LinesField(
        label="Awarding body(ies)", help_text="One per line.", max_items=20
    )
    learning_outcomes = LinesField(
        help_text="One outcome per line, starting with a verb.", max_items=50
    )
    image = forms.FileField(required=False, help_text="PNG, JPEG, WebP or SVG, at most 2 MB.")
    remove_image = forms.BooleanField(required=False, label="Remove the current image")

    class Meta:
        model = AchievementVersion
        fields = CONTENT_FIELDS
        widgets = {
            "short_description": forms.Textarea(attrs={"rows": 2}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "criteria": forms.Textarea(attrs={"rows": 4}),
            "prerequisites": forms.Textarea(attrs={"rows": 2}),
            "further_information": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "issuer_country": "Country of the issuer",
            "issuer_region": "Region of the issuer",
            "workload_ects": "Workload (ECTS credits)",
            "workload_hours": "Workload (hours)",
            "eqf_level": "EQF level",
            "supervision": "Supervision and identity verification during assessment",
            "integration": "Integration / stackability",
            "validity_months": "Valid for (months)",
            "assessment_type": "Type of assessment",
            "participation_form": "Form of participation",
            "quality_assurance": "Type of quality assurance",
            "nqf_level": "National framework level",
        }
        help_texts = {
            "assessment_type": "E.g. online exam with proctoring, practical project, portfolio.",
            "quality_assurance": "E.g. internal QA of the institution, accredited by the national agency.",
        }

    def clean_image(self) -> File | None:
        return self._clean_upload()

    def content(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SkillForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, label="Skill")
    framework_name = forms.CharField(
        max_length=120, required=False, label="Framework", help_text="E.g. ESCO"
    )
    framework_url = forms.URLField(
        max_length=500, required=False, label="Framework entry URL", assume_scheme="https"
    )
    code = forms.CharField(max_length=120, required=False, label="Code")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("name") and any(
            data.get(f) for f in ("framework_name", "framework_url", "code")
        ):
            self.add_error("name", "Name the skill, or clear this row.")
        return data


class RequirementForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "—"), *RequirementKind.choices], required=False, label="Requirement"
    )
    exam_name = forms.CharField(max_length=200, required=False, label="Exam")
    min_score_percent = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, required=False, label="Minimum score (%)"
    )
    description = forms.CharField(max_length=500, required=False, label="Project / evidence")
    prerequisite = forms.ModelChoiceField(queryset=Achievement.objects.none(), required=False)

    def __init__(self, *args: Any, achievements: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if achievements is not None:
            self.fields["prerequisite"].queryset = achievements

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        needed: dict[str, str] = {}
        if kind == RequirementKind.EXAM_SCORE:
            needed = {
                "exam_name": "Name the exam.",
                "min_score_percent": "Give the minimum score in %.",
            }
        elif kind == RequirementKind.EVIDENCE:
            needed = {"description": "Describe the project or evidence to approve."}
        elif kind == RequirementKind.CREDENTIAL_HELD:
            needed = {"prerequisite": "Choose the prerequisite credential."}
        for field, message in needed.items():
            # A field that failed its own validation already says why; do not add a second error.
            if data.get(field) in (None, "") and field not in self.errors:
                self.add_error(field, message)
        return data


SkillFormSet = forms.formset_factory(SkillForm, extra=2, max_num=50, validate_max=True)
RequirementFormSet = forms.formset_factory(RequirementForm, extra=1, max_num=20, validate_max=True)


def skills_from(formset: forms.BaseFormSet) -> list[SkillData]:
    return [
        SkillData(
            name=form.cleaned_data["name"].strip(),
            framework_name=form.cleaned_data["framework_name"].strip(),
            framework_url=form.cleaned_data["framework_url"],
            code=form.cleaned_data["code"].strip(),
        )
        for form in formset.forms
        if form.cleaned_data.get("name")
    ]


def requirements_from(formset: forms.BaseFormSet) -> list[RequirementData]:
    result = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data.get("kind"):
            continue
        prerequisite = data.get("prerequisite")
        result.append(
            RequirementData(
                kind=data["kind"],
                exam_name=data.get("exam_name", ""),
                min_score_percent=data.get("min_score_percent"),
                description=data.get("description", ""),
                prerequisite_id=prerequisite.pk if prerequisite else None,
            )
        )
    return result


class IssueForm(forms.Form):
    achievement = forms.ModelChoiceField(
        queryset=Achievement.objects.none(),
        label="Credential",
        empty_label="Choose a published credential",
    )
    recipient_name = forms.CharField(max_length=200, label="Recipient's full name")
    recipient_email = forms.EmailField(label="Recipient's e-mail address")

    def __init__(self, *args: Any, achievements: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = achievements
        self.fields["achievement"].label_from_instance = lambda a: str(a.published_version())


class RevokeForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the public verification page.",
    )


class CredentialFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *CredentialStatus.choices]
    )
    achievement = forms.ModelChoiceField(
        queryset=Achievement.objects.none(), required=False, empty_label="Any credential"
    )

    def __init__(self, *args: Any, achievements: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = achievements
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs.update(placeholder="Name, e-mail or code")
