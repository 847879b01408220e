from __future__ import annotations

from django import forms

from microcred.issuance import codes
from microcred.vc import baking
from microcred.vc.errors import VCError

MAX_FILE_BYTES = 8 * 1024 * 1024


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=40,
        error_messages={"required": "Enter a verification code."},
        help_text="The 10-character code printed on the certificate, e.g. 7KQ2M-X9ABC.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_code(self) -> str:
        try:
            return codes.normalize(self.cleaned_data["code"])
        except codes.InvalidCode as exc:
            raise forms.ValidationError(str(exc), code="invalid_code") from None


class VerifyFileForm(forms.Form):
    file = forms.FileField(
        label="Credential file",
        help_text="A signed credential (.json) or a badge image with the credential baked in (.png, .svg). At most 8 MB.",
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 8 MB.", code="too_large")
        try:
            text = baking.extract(upload.read(MAX_FILE_BYTES + 1))
        except VCError as exc:
            raise forms.ValidationError(exc.message, code="no_credential") from None
        self.cleaned_data["credential"] = text
        return text
