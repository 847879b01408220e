"""Back-office forms for marking, rubrics, regrading and the regrade review list.

The rubric editor turns criterion rows (a title) with their level rows (points, descriptor)
into the ``criteria`` list of :func:`microcred.exams.services.grading.create_rubric`; the
marking form turns one radio group per criterion into the ``scores`` of ``mark_answer``. The
forms only shape input; the services validate it again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from microcred.exams.models import ItemVersion, Rubric
from microcred.exams.services.grading import MAX_CRITERIA, MAX_LEVELS

LEVEL_ROWS = 4  # blank level rows a new criterion starts with
CRITERION_ROWS = 2  # blank criteria a new rubric starts with


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# -- marking -----------------------------------------------------------------------------------


class MarkForm(forms.Form):
    """One assessor's mark: a level per rubric criterion, or a percentage without a rubric."""

    comment = forms.CharField(
        label="Comment for the candidate",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The candidate reads it with the result; your name is never shown.",
    )

    def __init__(self, *args: Any, rubric: Rubric | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        if rubric is None:
            self.fields["percent"] = forms.DecimalField(
                label="Mark (%)",
                min_value=0,
                max_value=100,
                max_digits=6,
                decimal_places=2,
                help_text="0 to 100; the answer earns this share of its points.",
            )
        else:
            for criterion in rubric.criteria:
                self.fields[f"criterion_{criterion['id']}"] = forms.ChoiceField(
                    label=criterion["title"],
                    widget=forms.RadioSelect,
                    choices=[
                        (
                            level["points"],
                            f"{_plain(Decimal(level['points']))} points"
                            + (f" — {level['descriptor']}" if level.get("descriptor") else ""),
                        )
                        for level in criterion["levels"]
                    ],
                    error_messages={"required": f"Choose a level for “{criterion['title']}”."},
                )
        # The comment goes last, after the mark itself.
        self.order_fields([name for name in self.fields if name != "comment"] + ["comment"])

    def mark_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "comment"]

    def scores(self) -> dict[str, str] | None:
        if self.rubric is None:
            return None
        return {c["id"]: self.cleaned_data[f"criterion_{c['id']}"] for c in self.rubric.criteria}

    def percent(self) -> Decimal | None:
        return self.cleaned_data.get("percent") if self.rubric is None else None

    def add_domain_error(self, field: str | None, message: str) -> None:
        self.add_error(
            "percent" if field == "percent" and "percent" in self.fields else None, message
        )


# -- rubrics -----------------------------------------------------------------------------------


class RubricForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="E.g. Project report, 2025.")
    pass_points = forms.DecimalField(
        label="Points to pass",
        required=False,
        min_value=0,
        max_value=1000,
        max_digits=6,
        decimal_places=2,
        help_text="Points needed for the work to count as approved. Empty: half the maximum.",
    )


class CriterionRowForm(forms.Form):
    title = forms.CharField(required=False, max_length=200, label="Criterion")


class LevelRowForm(forms.Form):
    points = forms.DecimalField(
        required=False, min_value=0, max_value=1000, max_digits=6, decimal_places=2, label="Points"
    )
    descriptor = forms.CharField(required=False, max_length=500, label="Descriptor")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("descriptor") and data.get("points") is None and "points" not in self.errors:
            self.add_error("points", "Give the points of this level, or clear the row.")
        return data


CriterionRowSet = forms.formset_factory(
    CriterionRowForm, extra=CRITERION_ROWS, max_num=MAX_CRITERIA, validate_max=True
)
LevelRowSet = forms.formset_factory(
    LevelRowForm, extra=LEVEL_ROWS, max_num=MAX_LEVELS, validate_max=True
)


def _total(data: Any, prefix: str) -> int:
    try:
        return max(0, int(data.get(f"{prefix}-TOTAL_FORMS", 0)))
    except (TypeError, ValueError):
        return 0


class RubricEditor:
    """The rubric's name, its criteria, and for criterion ``n`` a level formset ``levels-n``."""

    def __init__(self, data: Any = None) -> None:
        if data is not None:
            data = self._grown(data)
        self.form = RubricForm(data)
        self.criteria = CriterionRowSet(data, prefix="criteria")
        self.levels = [
            LevelRowSet(data, prefix=f"levels-{n}") for n in range(len(self.criteria.forms))
        ]
        self.problems: list[str] = []
        self._criteria: list[dict[str, Any]] | None = None

    @staticmethod
    def _grown(data: Any) -> Any:
        """The data with rows added for "More criteria" / "More levels", and management data
        for a criterion that has none yet."""
        data = data.copy()
        count = min(_total(data, "criteria"), MAX_CRITERIA)
        if "more_criteria" in data:
            count = min(count + 1, MAX_CRITERIA)
        data["criteria-TOTAL_FORMS"] = str(count)
        data.setdefault("criteria-INITIAL_FORMS", "0")
        for n in range(count):
            prefix = f"levels-{n}"
            if f"{prefix}-TOTAL_FORMS" not in data:
                data[f"{prefix}-TOTAL_FORMS"] = str(LEVEL_ROWS)
                data[f"{prefix}-INITIAL_FORMS"] = "0"
        more = data.get("more_levels")
        if more is not None and more.isdigit() and int(more) < count:
            prefix = f"levels-{more}"
            data[f"{prefix}-TOTAL_FORMS"] = str(min(_total(data, prefix) + 2, MAX_LEVELS))
        return data

    @property
    def growing(self) -> bool:
        return self.form.is_bound and (
            "more_criteria" in self.form.data or "more_levels" in self.form.data
        )

    @property
    def rows(self) -> list[tuple[int, forms.Form, forms.BaseFormSet]]:
        return [
            (n, form, levels)
            for n, (form, levels) in enumerate(zip(self.criteria.forms, self.levels, strict=True))
        ]

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.problems
            or self.criteria.total_error_count()
            or any(levels.total_error_count() for levels in self.levels)
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        valid = self.criteria.is_valid() and valid
        for levels in self.levels:  # every formset, so each shows its errors
            valid = levels.is_valid() and valid
        if not valid:
            return False
        criteria = []
        for n, (form, levels) in enumerate(zip(self.criteria.forms, self.levels, strict=True), 1):
            title = form.cleaned_data.get("title", "").strip()
            rows = [
                {
                    "points": _plain(row.cleaned_data["points"]),
                    "descriptor": row.cleaned_data.get("descriptor", "").strip(),
                }
                for row in levels.forms
                if row.cleaned_data.get("points") is not None
            ]
            if not title:
                if any(row["descriptor"] for row in rows):
                    self.problems.append(f"Criterion {n} has levels but no title.")
                continue
            criteria.append({"title": title, "levels": rows})
        if not criteria:
            self.problems.append("Add at least one criterion with its levels.")
        if self.problems:
            return False
        self._criteria = criteria
        return True

    def criteria_data(self) -> list[dict[str, Any]]:
        if self._criteria is None:
            raise RuntimeError("call is_valid() first")
        return self._criteria

    @property
    def name(self) -> str:
        return self.form.cleaned_data["name"]

    @property
    def pass_points(self) -> Decimal | None:
        return self.form.cleaned_data.get("pass_points")

    def add_domain_error(self, field: str | None, message: str) -> None:
        if field in ("name", "pass_points"):
            self.form.add_error(field, message)
        else:
            self.problems.append(message)


# -- regrading ---------------------------------------------------------------------------------


class RegradeForm(forms.Form):
    version = forms.TypedChoiceField(
        coerce=int,
        label="Regrade to version",
        help_text="Answers given to other versions are scored again against this one.",
    )

    def __init__(self, *args: Any, versions: list[ItemVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (v.number, f"Version {v.number}: {v.title}") for v in versions
        ]


KEEP, REVOKE = "keep", "revoke"


class ReviewResolveForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (KEEP, "Keep the credential"),
            (REVOKE, "Revoke the credential"),
        ],
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(
        max_length=500,
        label="Reason",
        help_text="Recorded with the decision; a revocation reason is public.",
    )
