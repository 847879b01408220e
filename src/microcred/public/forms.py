from __future__ import annotations

from django import forms

from microcred.issuance import codes


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
