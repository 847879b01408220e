"""Forms for logging in, the second factor, and password and two-factor management."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.db.models import QuerySet
from django.http import HttpRequest

from microcred.accounts.models import User, normalize_email

_TOKEN_SEPARATORS = re.compile(r"[\s-]+")


class LoginForm(AuthenticationForm):
    """E-mail and password. Keeps Django's form so django-axes sees ``request``."""

    error_messages = {
        "invalid_login": (
            "That e-mail address and password do not match an account. "
            "Check both and try again, or reset your password."
        ),
        "inactive": "This account has been deactivated. Ask your organization's administrator.",
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.label = "E-mail address"
        username.widget = forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
                "maxlength": username.max_length,
            }
        )

    def clean_username(self) -> str:
        # Normalized before authenticate(), so django-axes counts "Ann@X.org" and "ann@x.org"
        # as the same username.
        return normalize_email(self.cleaned_data["username"])


class TokenForm(forms.Form):
    """A six-digit code from an authenticator app."""

    code = forms.CharField(
        label="6-digit code",
        max_length=12,
        help_text="The code shown in your authenticator app. It changes every 30 seconds.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "size": 8,
            }
        ),
    )

    def __init__(self, *args: Any, autofocus: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["code"].widget.attrs["autofocus"] = True

    def clean_code(self) -> str:
        code = _TOKEN_SEPARATORS.sub("", self.cleaned_data["code"])
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError("Enter the 6 digits shown in your app.", code="format")
        return code


def is_current_password(request: HttpRequest, user: User, password: str) -> bool:
    """Check through authenticate(), so django-axes counts wrong guesses here as at log-in.

    Without it, a left-open session would let someone try passwords without limit.
    """
    authenticated = authenticate(request, username=user.get_username(), password=password)
    return authenticated is not None and authenticated.pk == user.pk


class CurrentPasswordForm(forms.Form):
    """Asks again for the password before a change that weakens the account."""

    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not is_current_password(self.request, self.user, password):
            raise forms.ValidationError("That password is not right.", code="password_incorrect")
        return password


class ChangePasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not right. Please enter it again.",
    }

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if not is_current_password(self.request, self.user, old_password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class ResetPasswordForm(PasswordResetForm):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str) -> QuerySet[User]:  # type: ignore[override]
        # Unlike Django's default, accounts without a usable password are included: they are
        # invited accounts whose set-password link expired or got lost, and there is no other
        # login method (LDAP, SSO) whose users this check would protect.
        return User.objects.filter(email=normalize_email(email), is_active=True)
