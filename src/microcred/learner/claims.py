"""The claim link of a credential e-mail: add the credential to the signed-in account, or make
an account for the address first."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from microcred.core.errors import DomainError
from microcred.wallet import claims


class NewAccountForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, label="Choose a password")


@login_not_required
def claim(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = claims.read_claim(token)
    except DomainError as exc:
        return render(request, "learner/claim.html", {"error": exc.message}, status=400)
    form = NewAccountForm()
    status = 200
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                claims.claim_credential(user=request.user, token=token)  # type: ignore[arg-type]
            else:
                form = NewAccountForm(request.POST)
                if not form.is_valid():
                    raise DomainError("Check the fields below.")
                user, _ = claims.create_account_and_claim(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                messages.error(request, exc.message)
            status = 400
        else:
            messages.success(
                request, f"“{found.credential.achievement_version.title}” is in your wallet."
            )
            return redirect("learner:credentials")
    login_url = reverse("accounts:login") + "?" + urlencode({"next": request.path})
    return render(
        request,
        "learner/claim.html",
        {"claim": found, "form": form, "login_url": login_url},
        status=status,
    )
