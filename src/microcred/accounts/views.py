"""Log in (password, then a TOTP code when two-factor is on), password reset and account security.

Logging in with two-factor is two requests. The password step only records a *pending* login in
the session (user id, backend, a timestamp, a fingerprint of the password hash and a failure
count); nobody is logged in until the code is right. A pending login lasts five minutes and five
wrong codes, then the password must be entered again. On top of that, django-otp throttles each
device (1 s, 2 s, 4 s… after consecutive failures) until a right code is entered.
"""

from __future__ import annotations

import math
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import django_otp
import segno
from axes.utils import reset as reset_login_failures
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from microcred.accounts import services
from microcred.accounts.forms import (
    ChangePasswordForm,
    CurrentPasswordForm,
    LoginForm,
    ResetPasswordForm,
    TokenForm,
)
from microcred.accounts.models import User
from microcred.core.errors import DomainError

PENDING_LOGIN_KEY = "microcred_pending_login"
PENDING_LOGIN_SECONDS = 5 * 60
MAX_CODE_ATTEMPTS = 5


def _account(request: HttpRequest) -> User:
    """The logged-in user (LoginRequiredMiddleware guarantees one on non-public views)."""
    return cast("User", request.user)


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` address from the form or query string, or "" when it leaves this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _throttle_message(device: TOTPDevice) -> str | None:
    """A precise message when django-otp refuses to check codes for a while, else None."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        return "Codes cannot be checked right now. Please try again in a minute."
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    unit = "second" if seconds == 1 else "seconds"
    return (
        f"Too many wrong codes in a row. Wait {seconds} {unit}, "
        "then enter the newest code from your app."
    )


# --- Log in, step 1: e-mail and password ---------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        user = cast("User", form.get_user())
        if not user.has_totp():
            return super().form_valid(form)
        # Right password, but no session yet: the second step logs in.
        session = self.request.session
        session.cycle_key()
        session[PENDING_LOGIN_KEY] = {
            "user_id": user.pk,
            "backend": user.backend,  # set by authenticate()
            "auth_hash": user.get_session_auth_hash(),
            "started": time.time(),
            "failures": 0,
        }
        return HttpResponseRedirect(
            _with_next(reverse("accounts:login_verify"), self.get_redirect_url())
        )


# --- Log in, step 2: the code from the authenticator app ----------------------------------


@dataclass(frozen=True)
class _PendingLogin:
    user: User
    device: TOTPDevice
    backend: str
    failures: int


def _pending_login(request: HttpRequest) -> _PendingLogin | None:
    """The login waiting for its code, or None (expired, tampered with, or never started)."""
    data = request.session.get(PENDING_LOGIN_KEY)
    if not isinstance(data, dict):
        return None
    elapsed = time.time() - float(data.get("started", 0))
    if not 0 <= elapsed <= PENDING_LOGIN_SECONDS:
        del request.session[PENDING_LOGIN_KEY]
        messages.info(
            request, "Your log-in timed out before the code was entered. Please log in again."
        )
        return None
    user = User.objects.filter(pk=data.get("user_id"), is_active=True).first()
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if user is not None
        else None
    )
    # A password change (or two-factor being switched off) since step 1 voids the pending login.
    if (
        user is None
        or device is None
        or not constant_time_compare(str(data.get("auth_hash", "")), user.get_session_auth_hash())
    ):
        del request.session[PENDING_LOGIN_KEY]
        return None
    return _PendingLogin(
        user=user, device=device, backend=str(data["backend"]), failures=int(data["failures"])
    )


def _check_code(device: TOTPDevice, code: str) -> str | None:
    """Verify ``code`` on ``device``; return None when right, else the message to show."""
    with transaction.atomic():
        # Locked, so that two simultaneous requests cannot both use the same code.
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        refusal = _throttle_message(device)
        if refusal:
            return refusal
        if device.verify_token(code):
            return None
    return (
        "That code is not right. Check that your phone's clock is set automatically, "
        "then enter the newest code."
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    pending = _pending_login(request)
    if pending is None:
        return redirect(_with_next(reverse("accounts:login"), next_url))

    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            error = _check_code(pending.device, form.cleaned_data["code"])
            if error is None:
                del request.session[PENDING_LOGIN_KEY]
                auth.login(request, pending.user, backend=pending.backend)
                django_otp.login(request, pending.device)
                return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
            failures = pending.failures + 1
            if failures >= MAX_CODE_ATTEMPTS:
                del request.session[PENDING_LOGIN_KEY]
                messages.error(
                    request,
                    f"{MAX_CODE_ATTEMPTS} wrong codes in a row. For your safety, "
                    "please enter your password again.",
                )
                return redirect(_with_next(reverse("accounts:login"), next_url))
            request.session[PENDING_LOGIN_KEY] = {
                **request.session[PENDING_LOGIN_KEY],
                "failures": failures,
            }
            left = MAX_CODE_ATTEMPTS - failures
            form.add_error("code", f"{error} ({left} {'try' if left == 1 else 'tries'} left)")
    context = {"form": form, "next": next_url, "pending_email": pending.user.email}
    return render(request, "accounts/login_verify.html", context, status=status)


# --- Log out --------------------------------------------------------------------------------


# Public so that a visitor whose session already expired can still press "Log out".
@method_decorator(login_not_required, name="dispatch")
class LogoutView(auth_views.LogoutView):
    pass


# --- Password reset (also used to set the first password from an invitation) -------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetPasswordForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: ResetPasswordForm) -> HttpResponse:  # type: ignore[override]
        # Links use the configured public address, as invitations do, never the Host header.
        self.extra_email_context = {"public_url": settings.PUBLIC_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Invited accounts have no password yet: the page says "choose" rather than "reset".
        context["is_new_account"] = self.user is not None and not self.user.has_usable_password()
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever can read the mailbox may log in again at once, as the lockout page promises.
        reset_login_failures(username=self.user.get_username())
        services.record_password_set(user=self.user, how="reset")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Password change ------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangePasswordForm
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.record_password_set(user=form.user, how="changed")
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


# --- Two-factor set-up ------------------------------------------------------------------------


def _render_security(
    request: HttpRequest, *, disable_form: CurrentPasswordForm, status: int = 200
) -> HttpResponse:
    user = _account(request)
    context = {
        "has_totp": user.has_totp(),
        "disable_form": disable_form,
        "addresses": list(user.email_addresses.all()),
    }
    return render(request, "accounts/security.html", context, status=status)


@require_GET
def security(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    return _render_security(request, disable_form=CurrentPasswordForm(user=user, request=request))


def _qr_code(device: TOTPDevice) -> SafeString:
    # make_qr: never a Micro QR code, which authenticator apps cannot read.
    svg = segno.make_qr(device.config_url).svg_inline(
        scale=4,
        light="#fff",
        svgclass="qr-code",
        title="QR code to scan with your authenticator app",
    )
    # segno's own markup: numbers and a fixed path syntax, nothing taken from the user unescaped.
    return mark_safe(svg)


def _grouped_secret(device: TOTPDevice) -> str:
    """The base32 secret in blocks of four, easier to type into an app by hand."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    """POST with ``start`` creates a fresh secret; the page then shows it and asks for a code."""
    user = _account(request)
    if user.has_totp():
        messages.info(
            request,
            "Two-factor authentication is already on. To move it to a new phone, "
            "turn it off, then set it up again.",
        )
        return redirect("accounts:security")
    if request.method == "POST" and "start" in request.POST:
        services.start_totp_setup(user=user)
        return redirect("accounts:totp_setup")

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        return redirect("accounts:security")

    # No autofocus here: the page starts with the QR code and its instructions.
    form = TokenForm(request.POST or None, autofocus=False)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            refusal = _throttle_message(device)
            try:
                if refusal:
                    raise DomainError(refusal)
                device = services.confirm_totp(
                    user=user, device=device, token=form.cleaned_data["code"]
                )
            except DomainError as exc:
                form.add_error("code", exc.message)
            else:
                # The code just proved the second factor: this session counts as verified.
                django_otp.login(request, device)
                messages.success(
                    request,
                    "Two-factor authentication is on. From now on, logging in asks for a code "
                    "from your app after your password.",
                )
                return redirect("accounts:security")
    context = {
        "form": form,
        "qr_code": _qr_code(device),
        "secret": _grouped_secret(device),
        "account_label": user.email,
    }
    return render(request, "accounts/totp_setup.html", context, status=status)


@sensitive_post_parameters()
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    user = _account(request)
    form = CurrentPasswordForm(request.POST, user=user, request=request)
    if not form.is_valid():
        return _render_security(request, disable_form=form, status=400)
    services.disable_totp(user=user)
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    messages.success(
        request, "Two-factor authentication is off. Logging in now needs only your password."
    )
    return redirect("accounts:security")
