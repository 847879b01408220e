"""Images for question texts: upload one, copy its URL into the question's ``<img src="…">``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from microcred.backoffice.access import member_view
from microcred.core.errors import DomainError
from microcred.exams.services import media
from microcred.organizations.roles import Capability


class QuestionImageForm(forms.Form):
    file = forms.FileField(
        label="Image",
        help_text=(
            "PNG, JPEG, WebP or GIF, at most 2 MB. The image is re-encoded; SVG is not accepted."
        ),
    )


@member_view(Capability.AUTHOR_EXAMS)
def question_images(request: HttpRequest) -> HttpResponse:
    member = request.member  # type: ignore[attr-defined]
    form = QuestionImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            url = media.upload_question_image(member=member, file=form.cleaned_data["file"])
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request, f'Image uploaded. In a question, write <img src="{url}" alt="…">.'
            )
            return redirect("backoffice:question_images", slug=member.organization.slug)
    context = {"form": form, "images": media.question_images_for(member)}
    status = 400 if form.errors else 200
    return render(request, "backoffice/banks/question_images.html", context, status=status)
