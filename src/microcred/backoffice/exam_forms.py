"""Back-office forms for question banks, items and exams.

The item editor turns plain form fields (choice rows with a "correct" box, accepted answers,
premise → response pairs) into the ``interaction`` / ``scoring`` / ``feedback`` JSON of
:mod:`microcred.exams.items`. The forms only shape and pre-check input; the exam services
validate it again and apply the business rules.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from microcred.achievements.models import Achievement
from microcred.core.errors import DomainError
from microcred.exams import items, richtext
from microcred.exams.models import (
    Disagreement,
    GradingMethod,
    Item,
    ItemStatus,
    ItemVersion,
    Navigation,
    QuestionBank,
    ReviewPolicy,
    Rubric,
)

MAX_ROWS = items.MAX_CHOICES
IMPORT_FORMATS = [
    ("auto", "Detect from the file"),
    ("gift", "GIFT (.txt, .gift)"),
    ("aiken", "Aiken (.txt)"),
    ("moodlexml", "Moodle XML (.xml)"),
    ("qti", "QTI 2.1 / 3.0 (.xml item or .zip package)"),
]


class CommaListField(forms.CharField):
    """A list of short strings typed comma-separated (case kept: tags must match exactly)."""

    def __init__(self, *, max_items: int = 20, max_length_each: int = 60, **kwargs: Any) -> None:
        self.max_items, self.max_length_each = max_items, max_length_each
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        entries = list(dict.fromkeys(" ".join(e.split()) for e in text.split(",") if e.strip()))
        if len(entries) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items} entries.")
        if any(len(entry) > self.max_length_each for entry in entries):
            raise forms.ValidationError(
                f"Each entry can have at most {self.max_length_each} characters."
            )
        return entries


class LinesListField(forms.CharField):
    """One entry per line (IP ranges, Safe Exam Browser keys)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20000)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        entries = [line.strip() for line in text.splitlines() if line.strip()]
        if len(entries) > 200:
            raise forms.ValidationError("At most 200 lines.")
        return entries


def _percent(
    label: str, *, low: int = 0, high: int = 100, initial: Any = None
) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        max_digits=6,
        decimal_places=2,
        initial=initial,
    )


def _fraction(value: Decimal | None, default: float = 1.0) -> float:
    return default if value is None else float(value) / 100


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 100, 0.05, 3.1."""
    return format(value.normalize(), "f")


def _as_percent(value: Any) -> str:
    return _plain((Decimal(str(value)) * 100).quantize(Decimal("0.01")))


# -- banks and items ---------------------------------------------------------------------------


class BankForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ItemFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *items.KIND_LABELS.items()])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ItemStatus.choices])
    tag = forms.CharField(required=False, max_length=60, label="Tag")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].widget.input_type = "search"


RULES_MULTIPLE = [
    (items.PARTIAL, "Partial credit: each right choice earns, each wrong one costs"),
    (items.ALL_OR_NOTHING, "All or nothing"),
    (items.WEIGHTS, "Use the weight (%) given to each choice"),
]
RULES_SHARE = [
    (items.PARTIAL, "Partial credit for each part in the right place"),
    (items.ALL_OR_NOTHING, "All or nothing"),
]

# The fields of the item form each kind uses, besides the common ones.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    items.SINGLE: ("shuffle",),
    items.MULTIPLE: ("shuffle", "rule_multiple"),
    items.TRUE_FALSE: ("true_false",),
    items.NUMERIC: ("unit",),
    items.SHORT_TEXT: ("case_sensitive", "ignore_whitespace", "max_length"),
    items.ORDERING: ("rule_share",),
    items.MATCHING: ("rule_share",),
    items.ESSAY: ("expected_lines", "rubric"),
    items.FILE: ("accept", "max_mb", "rubric"),
}
KIND_ONLY = {name for names in KIND_FIELDS.values() for name in names}


class ItemForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Shown in lists; the start of the question text is used when empty.",
    )
    stem = forms.CharField(
        label="Question text",
        max_length=richtext.MAX_INPUT_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Plain text, or simple HTML (paragraphs, lists, tables, emphasis, links, and "
        "images from Question images); anything else is removed.",
    )
    max_score = forms.DecimalField(
        label="Maximum score",
        min_value=Decimal("0.01"),
        max_value=1000,
        max_digits=6,
        decimal_places=2,
        initial=1,
    )
    category = forms.CharField(
        max_length=200,
        required=False,
        help_text="Use “/” for subcategories, e.g. statistics/tests.",
    )
    tags = CommaListField(help_text="Comma-separated, e.g. week 1, calculation.")
    general_feedback = forms.CharField(
        label="General feedback",
        required=False,
        max_length=items.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to every candidate after the review policy allows.",
    )
    # Kind-specific (the form keeps only those of its kind).
    shuffle = forms.BooleanField(required=False, initial=True, label="Shuffle the choices")
    rule_multiple = forms.ChoiceField(
        choices=RULES_MULTIPLE, initial=items.PARTIAL, label="Scoring", widget=forms.RadioSelect
    )
    rule_share = forms.ChoiceField(
        choices=RULES_SHARE, initial=items.PARTIAL, label="Scoring", widget=forms.RadioSelect
    )
    true_false = forms.TypedChoiceField(
        choices=[("true", "True"), ("false", "False")],
        coerce=lambda value: value == "true",
        label="The correct answer",
        widget=forms.RadioSelect,
    )
    unit = forms.CharField(max_length=40, required=False, help_text="Shown after the box, e.g. kg.")
    case_sensitive = forms.BooleanField(required=False, label="Case-sensitive")
    ignore_whitespace = forms.BooleanField(
        required=False, initial=True, label="Ignore extra spaces"
    )
    max_length = forms.IntegerField(
        label="Longest answer (characters)", min_value=1, max_value=2000, initial=200
    )
    expected_lines = forms.IntegerField(
        label="Expected length (lines)", min_value=1, max_value=200, initial=10
    )
    accept = CommaListField(
        label="Accepted file types",
        initial=[".pdf", ".zip"],
        required=True,
        max_length_each=9,
        help_text="Extensions, comma-separated, e.g. .pdf, .zip, .png.",
    )
    max_mb = forms.IntegerField(label="Largest file (MB)", min_value=1, max_value=200, initial=20)
    rubric = forms.ModelChoiceField(
        queryset=Rubric.objects.none(),
        required=False,
        label="Rubric",
        empty_label="No rubric: assessors give a percentage",
        help_text="Assessors mark the answer with this rubric's criteria and levels.",
    )

    def __init__(self, *args: Any, kind: str, rubrics: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in KIND_ONLY - set(KIND_FIELDS[kind]):
            del self.fields[name]
        if "rubric" in self.fields:
            if rubrics is None:  # the organization's rubrics are not known here
                del self.fields["rubric"]
            else:
                self.fields["rubric"].queryset = rubrics

    def clean_accept(self) -> list[str]:
        accepted = []
        for entry in self.cleaned_data["accept"]:
            extension = "." + entry.lower().lstrip(".")
            if not re.fullmatch(r"\.[a-z0-9]{1,8}", extension):
                raise forms.ValidationError(f"“{entry}” is not a file extension such as .pdf.")
            accepted.append(extension)
        return list(dict.fromkeys(accepted))

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name in KIND_ONLY]


class ChoiceRowForm(forms.Form):
    """One choice of a single, multiple-response or ordering question."""

    key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    text = forms.CharField(required=False, max_length=items.MAX_TEXT, label="Choice")
    correct = forms.BooleanField(required=False, label="Correct")
    weight = _percent("Weight (%)", low=-100)
    pinned = forms.BooleanField(required=False, label="Pinned (never shuffled)")
    feedback = forms.CharField(required=False, max_length=items.MAX_TEXT, label="Feedback")

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind == items.ORDERING:
            del self.fields["correct"], self.fields["weight"]
        if "weight" in self.fields:
            self.fields[
                "weight"
            ].help_text = "Optional. Partial credit for this choice; negative to penalise."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        filled = [
            name
            for name in ("correct", "weight", "feedback")
            if data.get(name) not in (None, "", False)
        ]
        if not data.get("text") and filled and "text" not in self.errors:
            self.add_error("text", "Enter the choice text, or clear this row.")
        return data


class _RowForm(forms.Form):
    """A row of the item editor; rows are built with the question's kind."""

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class NumericRowForm(_RowForm):
    value = forms.DecimalField(required=False, label="Answer", max_digits=40, decimal_places=20)
    tolerance = forms.DecimalField(
        required=False, label="± tolerance", min_value=0, max_digits=40, decimal_places=20
    )
    minimum = forms.DecimalField(required=False, label="or from", max_digits=40, decimal_places=20)
    maximum = forms.DecimalField(required=False, label="to", max_digits=40, decimal_places=20)
    fraction = _percent("Credit (%)", initial=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_value = data.get("value") is not None
        has_range = data.get("minimum") is not None or data.get("maximum") is not None
        if has_value and has_range:
            self.add_error("value", "Give either a value (± tolerance) or a range, not both.")
        elif has_range and (data.get("minimum") is None or data.get("maximum") is None):
            self.add_error("minimum", "A range needs both ends.")
        elif has_range and data["minimum"] > data["maximum"]:
            self.add_error("maximum", "The end of the range is below its start.")
        elif not has_value and not has_range and data.get("tolerance") is not None:
            self.add_error("value", "Enter the answer the tolerance applies to.")
        return data


class TextAnswerRowForm(_RowForm):
    text = forms.CharField(required=False, max_length=500, label="Accepted answer")
    is_pattern = forms.BooleanField(
        required=False, label="Regular expression", help_text="E.g. t[- ]?test"
    )
    fraction = _percent("Credit (%)", initial=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("is_pattern") and data.get("text"):
            try:
                re.compile(data["text"])
            except re.error as exc:
                self.add_error("text", f"This is not a valid regular expression ({exc}).")
        return data


class PairRowForm(forms.Form):
    premise_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    response_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    premise = forms.CharField(required=False, max_length=items.MAX_TEXT, label="Premise")
    response = forms.CharField(required=False, max_length=items.MAX_TEXT, label="Matches")

    def __init__(self, *args: Any, kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["response"].help_text = "A response without a premise is a distractor."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("premise") and not data.get("response"):
            self.add_error("response", "Enter what this premise matches.")
        return data


class SkillRowForm(forms.Form):
    name = forms.CharField(required=False, max_length=200, label="Skill")
    weight = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_value=100, decimal_places=2, label="Weight"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["list"] = "skill-names"


def _rowset(form: type[forms.Form], extra: int) -> type[forms.BaseFormSet]:
    return forms.formset_factory(form, extra=extra, max_num=MAX_ROWS, validate_max=True)


ROW_FORMS: dict[str, type[forms.Form]] = {
    items.SINGLE: ChoiceRowForm,
    items.MULTIPLE: ChoiceRowForm,
    items.ORDERING: ChoiceRowForm,
    items.NUMERIC: NumericRowForm,
    items.SHORT_TEXT: TextAnswerRowForm,
    items.MATCHING: PairRowForm,
}
ROW_LEGENDS = {
    items.SINGLE: "Choices",
    items.MULTIPLE: "Choices",
    items.ORDERING: "Entries, in the correct order",
    items.NUMERIC: "Accepted answers",
    items.SHORT_TEXT: "Accepted answers",
    items.MATCHING: "Pairs",
}
ROW_HELP = {
    items.SINGLE: "Tick the one correct choice. Another choice may earn partial credit through "
    "its weight. Empty rows are ignored.",
    items.MULTIPLE: "Tick every correct choice (or give weights and choose the weights rule). "
    "Empty rows are ignored.",
    items.ORDERING: "List the entries in the correct order; candidates see them shuffled.",
    items.NUMERIC: "Give a value with an optional tolerance, or a range. An answer may earn "
    "partial credit.",
    items.SHORT_TEXT: "Answers are compared ignoring case unless you tick “Case-sensitive”.",
    items.MATCHING: "Each premise with the response it matches. Premises sharing the same "
    "response text share that response.",
}


def _next_key(used: set[str]) -> str:
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter not in used:
            used.add(letter)
            return letter
    n = len(used) + 1
    while f"c{n}" in used:
        n += 1
    used.add(f"c{n}")
    return f"c{n}"


def _keys(wanted: list[str]) -> list[str]:
    """Stable ids for rows: keep a row's earlier id when it is valid and unique."""
    used: set[str] = set()
    result: list[str | None] = []
    for key in wanted:
        if key and re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", key) and key not in used:
            used.add(key)
            result.append(key)
        else:
            result.append(None)
    return [key or _next_key(used) for key in result]


class ItemEditor:
    """The item form with its rows and skills, turned into the content the services take."""

    def __init__(
        self,
        kind: str,
        data: Any = None,
        *,
        version: ItemVersion | None = None,
        item: Item | None = None,
        skill_names: list[str] | None = None,
        rubrics: Any = None,
    ) -> None:
        if kind not in items.KINDS:
            raise ValueError(kind)
        self.kind, self.version = kind, version
        self.skill_names = skill_names or []
        initial, rows, skills = _initial(version, item) if version else ({}, [], [])
        if rubrics is None and item is not None:
            rubrics = Rubric.objects.filter(organization_id=item.organization_id)
        self.form = ItemForm(data, kind=kind, initial=initial, rubrics=rubrics)
        self.rows: forms.BaseFormSet | None = None
        if kind in ROW_FORMS:
            rowset = _rowset(ROW_FORMS[kind], 2 if rows else 4)
            self.rows = rowset(data, prefix="rows", initial=rows, form_kwargs={"kind": kind})
        self.skills = _rowset(SkillRowForm, 2)(data, prefix="skills", initial=skills)
        self.answer_errors: list[str] = []
        self.skill_errors: list[str] = []
        self._content: dict[str, Any] | None = None

    @property
    def legend(self) -> str:
        return ROW_LEGENDS.get(self.kind, "")

    @property
    def row_help(self) -> str:
        return ROW_HELP.get(self.kind, "")

    @property
    def kind_label(self) -> str:
        return items.KIND_LABELS[self.kind]

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.answer_errors
            or self.skill_errors
            or (self.rows is not None and (self.rows.total_error_count()))
            or self.skills.total_error_count()
        )

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        valid = (self.rows is None or self.rows.is_valid()) and valid
        valid = self.skills.is_valid() and valid
        if not valid:
            return False
        try:
            self._content = self._build()
        except forms.ValidationError as exc:
            self.answer_errors.extend(exc.messages)
            return False
        return True

    def add_domain_error(self, exc: DomainError) -> None:
        if exc.field in self.form.fields:
            self.form.add_error(exc.field, exc.message)
        elif exc.field == "skills":
            self.skill_errors.append(exc.message)
        else:
            self.answer_errors.append(exc.message)

    def content(self) -> dict[str, Any]:
        if self._content is None:
            raise RuntimeError("call is_valid() first")
        return self._content

    @property
    def category(self) -> str:
        return self.form.cleaned_data["category"]

    @property
    def tags(self) -> list[str]:
        return self.form.cleaned_data["tags"]

    # -- building ------------------------------------------------------------------------------

    def _row_data(self) -> list[dict[str, Any]]:
        return [f.cleaned_data for f in self.rows.forms] if self.rows is not None else []

    def _filled(self, field: str) -> list[dict[str, Any]]:
        return [row for row in self._row_data() if row.get(field)]

    def _build(self) -> dict[str, Any]:
        data = self.form.cleaned_data
        feedback: dict[str, Any] = {"general": data["general_feedback"], "choices": {}}
        builder = getattr(self, f"_build_{self.kind}")
        interaction, scoring = builder(data, feedback)
        skills = [
            {"name": f.cleaned_data["name"].strip(), "weight": float(f.cleaned_data["weight"] or 1)}
            for f in self.skills.forms
            if f.cleaned_data.get("name", "").strip()
        ]
        return {
            "kind": self.kind,
            "title": data["title"],
            "stem": data["stem"],
            "interaction": interaction,
            "scoring": scoring,
            "feedback": feedback,
            "max_score": data["max_score"],
            "skills": skills,
        }

    def _choices(
        self, feedback: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
        rows = self._filled("text")
        if len(rows) < 2:
            raise forms.ValidationError("Enter at least two choices.")
        keys = _keys([row.get("key", "") for row in rows])
        choices = [
            {"id": key, "text": row["text"].strip(), "fixed": bool(row.get("pinned"))}
            for key, row in zip(keys, rows, strict=True)
        ]
        for key, row in zip(keys, rows, strict=True):
            if row.get("feedback", "").strip():
                feedback["choices"][key] = row["feedback"].strip()
        return choices, keys, rows

    def _build_single(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        choices, keys, rows = self._choices(feedback)
        correct = [key for key, row in zip(keys, rows, strict=True) if row["correct"]]
        if len(correct) > 1:
            raise forms.ValidationError(
                "A single-choice question has one correct choice; give the others a partial "
                "weight, or make it a multiple-response question."
            )
        weights = {}
        for key, row in zip(keys, rows, strict=True):
            if row["correct"]:
                weights[key] = 1.0
            elif row.get("weight"):
                weights[key] = _fraction(row["weight"])
        if not weights or max(weights.values()) != 1.0:
            raise forms.ValidationError("Tick the correct choice.")
        return {"choices": choices, "shuffle": data["shuffle"]}, {"weights": weights}

    def _build_multiple(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        choices, keys, rows = self._choices(feedback)
        rule = data["rule_multiple"]
        interaction = {"choices": choices, "shuffle": data["shuffle"]}
        if rule == items.WEIGHTS:
            weights = {
                key: _fraction(row["weight"])
                for key, row in zip(keys, rows, strict=True)
                if row.get("weight")
            }
            positive = sum(w for w in weights.values() if w > 0)
            if abs(positive - 1) > 0.001:
                raise forms.ValidationError(
                    "With the weights rule, the positive weights must add up to 100 %."
                )
            return interaction, {"rule": rule, "weights": weights}
        correct = [key for key, row in zip(keys, rows, strict=True) if row["correct"]]
        if not correct:
            raise forms.ValidationError("Tick at least one correct choice.")
        return interaction, {"rule": rule, "correct": correct}

    def _build_ordering(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        choices, keys, _ = self._choices(feedback)
        return {"choices": choices, "shuffle": True}, {"order": keys, "rule": data["rule_share"]}

    def _build_true_false(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        return {}, {"correct": data["true_false"]}

    def _build_numeric(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        answers = []
        for row in self._row_data():
            fraction = _fraction(row.get("fraction"))
            if row.get("value") is not None:
                answers.append(
                    {
                        "value": _plain(row["value"]),
                        "tolerance": _plain(row.get("tolerance") or Decimal(0)),
                        "fraction": fraction,
                    }
                )
            elif row.get("minimum") is not None and row.get("maximum") is not None:
                answers.append(
                    {
                        "min": _plain(row["minimum"]),
                        "max": _plain(row["maximum"]),
                        "fraction": fraction,
                    }
                )
        if not answers:
            raise forms.ValidationError("Enter at least one accepted answer.")
        if max(a["fraction"] for a in answers) != 1.0:
            raise forms.ValidationError("One accepted answer must earn full credit (100 %).")
        return {"unit": data["unit"].strip()}, {"answers": answers}

    def _build_short_text(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        answers = []
        for row in self._filled("text"):
            fraction = _fraction(row.get("fraction"))
            key = "pattern" if row["is_pattern"] else "text"
            answers.append({key: row["text"], "fraction": fraction})
        if not answers:
            raise forms.ValidationError("Enter at least one accepted answer.")
        if max(a["fraction"] for a in answers) != 1.0:
            raise forms.ValidationError("One accepted answer must earn full credit (100 %).")
        return {"max_length": data["max_length"]}, {
            "answers": answers,
            "case_sensitive": data["case_sensitive"],
            "ignore_whitespace": data["ignore_whitespace"],
        }

    def _build_matching(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        rows = self._filled("response")
        pairs_rows = [row for row in rows if row.get("premise")]
        if len(pairs_rows) < 2:
            raise forms.ValidationError("Enter at least two premises with what they match.")
        premise_keys = _keys([row.get("premise_key", "") for row in pairs_rows])
        # One response per distinct text; keep the first id given for it.
        by_text: dict[str, str] = {}
        wanted: list[str] = []
        texts: list[str] = []
        for row in rows:
            text = row["response"].strip()
            if text not in by_text:
                by_text[text] = str(len(texts))
                texts.append(text)
                wanted.append(row.get("response_key", ""))
        response_keys = _keys(wanted)
        responses = [
            {"id": key, "text": text, "fixed": False}
            for key, text in zip(response_keys, texts, strict=True)
        ]
        if len(responses) < 2:
            raise forms.ValidationError("Enter at least two different responses.")
        premises = [
            {"id": key, "text": row["premise"].strip(), "fixed": False}
            for key, row in zip(premise_keys, pairs_rows, strict=True)
        ]
        pairs = {
            key: response_keys[int(by_text[row["response"].strip()])]
            for key, row in zip(premise_keys, pairs_rows, strict=True)
        }
        return (
            {"premises": premises, "responses": responses, "shuffle": True},
            {"pairs": pairs, "rule": data["rule_share"]},
        )

    def _rubric(self, data: dict[str, Any]) -> int | None:
        if "rubric" in self.form.fields:
            return data["rubric"].pk if data.get("rubric") else None
        return self.version.scoring.get("rubric") if self.version else None

    def _build_essay(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        return {"expected_lines": data["expected_lines"]}, {"rubric": self._rubric(data)}

    def _build_file(self, data: dict[str, Any], feedback: dict[str, Any]) -> Any:
        interaction = {"accept": data["accept"], "max_mb": data["max_mb"]}
        return interaction, {"rubric": self._rubric(data)}


def _initial(
    version: ItemVersion, item: Item | None
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """An item version → the editor's initial form values, rows and skills."""
    interaction, scoring, feedback = version.interaction, version.scoring, version.feedback
    initial: dict[str, Any] = {
        "title": version.title,
        "stem": version.stem,
        "max_score": version.max_score,
        "category": item.category if item else "",
        "tags": list(item.tags) if item else [],
        "general_feedback": feedback.get("general", ""),
        "shuffle": interaction.get("shuffle", True),
    }
    rows: list[dict[str, Any]] = []
    choice_feedback = feedback.get("choices") or {}
    kind = version.kind
    if kind in (items.SINGLE, items.MULTIPLE, items.ORDERING):
        weights = scoring.get("weights") or {}
        correct = set(scoring.get("correct") or [])
        entries = {c["id"]: c for c in interaction["choices"]}
        ordered = scoring["order"] if kind == items.ORDERING else list(entries)
        for choice_id in ordered:
            choice = entries[choice_id]
            weight = weights.get(choice_id)
            is_correct = choice_id in correct or (
                kind == items.SINGLE and weight is not None and float(weight) == 1.0
            )
            rows.append(
                {
                    "key": choice_id,
                    "text": choice["text"],
                    "correct": is_correct,
                    "weight": None if weight is None or is_correct else _as_percent(weight),
                    "pinned": choice.get("fixed", False),
                    "feedback": choice_feedback.get(choice_id, ""),
                }
            )
        initial["rule_multiple"] = scoring.get("rule", items.PARTIAL)
        initial["rule_share"] = scoring.get("rule", items.PARTIAL)
    elif kind == items.TRUE_FALSE:
        initial["true_false"] = "true" if scoring.get("correct") else "false"
    elif kind == items.NUMERIC:
        initial["unit"] = interaction.get("unit", "")
        for answer in scoring.get("answers", []):
            row = {"fraction": _as_percent(answer.get("fraction", 1))}
            if "min" in answer:
                row.update(minimum=answer["min"], maximum=answer["max"])
            else:
                row.update(value=answer["value"], tolerance=answer.get("tolerance", "0"))
            rows.append(row)
    elif kind == items.SHORT_TEXT:
        initial.update(
            case_sensitive=scoring.get("case_sensitive", False),
            ignore_whitespace=scoring.get("ignore_whitespace", True),
            max_length=interaction.get("max_length", 200),
        )
        for answer in scoring.get("answers", []):
            rows.append(
                {
                    "text": answer.get("pattern", answer.get("text", "")),
                    "is_pattern": "pattern" in answer,
                    "fraction": _as_percent(answer.get("fraction", 1)),
                }
            )
    elif kind == items.MATCHING:
        initial["rule_share"] = scoring.get("rule", items.PARTIAL)
        responses = {r["id"]: r["text"] for r in interaction["responses"]}
        paired = set()
        for premise in interaction["premises"]:
            response_id = scoring["pairs"][premise["id"]]
            paired.add(response_id)
            rows.append(
                {
                    "premise_key": premise["id"],
                    "premise": premise["text"],
                    "response_key": response_id,
                    "response": responses[response_id],
                }
            )
        for response_id, text in responses.items():
            if response_id not in paired:
                rows.append({"response_key": response_id, "response": text})
    elif kind == items.ESSAY:
        initial.update(
            expected_lines=interaction.get("expected_lines", 10), rubric=scoring.get("rubric")
        )
    elif kind == items.FILE:
        initial.update(
            accept=interaction.get("accept", []),
            max_mb=interaction.get("max_mb", 20),
            rubric=scoring.get("rubric"),
        )
    skills = [{"name": s["name"], "weight": s.get("weight", 1)} for s in version.skills]
    return initial, rows, skills


def with_more_rows(data: Any, prefix: str, more: int = 3) -> Any:
    """POST data with ``more`` blank rows added to formset ``prefix`` (the "More rows" button)."""
    data = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    try:
        count = int(data.get(total, 0))
    except ValueError:
        count = 0
    data[total] = str(min(count + more, MAX_ROWS))
    return data


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="GIFT or Aiken (.txt, .gift), Moodle XML (.xml), QTI (.xml or .zip); "
        "at most 10 MB."
    )
    format = forms.ChoiceField(choices=IMPORT_FORMATS, initial="auto")
    publish = forms.BooleanField(
        required=False, label="Publish the imported questions at once (otherwise drafts)"
    )


# -- exams -------------------------------------------------------------------------------------


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


SETTINGS_FIELDS = (
    "title",
    "instructions",
    "achievement",
    "time_limit_minutes",
    "open_at",
    "close_at",
    "max_attempts",
    "cooldown_minutes",
    "pass_mark_percent",
    "grading_method",
    "navigation",
    "shuffle_items",
    "review_after_submit",
    "review_after_close",
    "ip_ranges",
    "seb_config_keys",
    "blind_marking",
    "double_marking",
    "disagreement",
    "disagreement_points",
)


class ExamSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    instructions = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )
    achievement = forms.ModelChoiceField(
        queryset=Achievement.objects.none(),
        required=False,
        label="Counts towards",
        empty_label="No credential definition",
        help_text="The credential definition this exam counts towards.",
    )
    time_limit_minutes = forms.IntegerField(
        required=False, min_value=1, max_value=24 * 60, label="Time limit (minutes)"
    )
    open_at = forms.DateTimeField(required=False, widget=_DateTimeInput(), label="Opens at")
    close_at = forms.DateTimeField(required=False, widget=_DateTimeInput(), label="Closes at")
    max_attempts = forms.IntegerField(
        required=False, min_value=1, max_value=1000, help_text="Empty: no limit."
    )
    cooldown_minutes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=365 * 24 * 60,
        initial=0,
        label="Wait between attempts (minutes)",
    )
    pass_mark_percent = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=2, initial=50, label="Pass mark (%)"
    )
    grading_method = forms.ChoiceField(choices=GradingMethod.choices, initial="highest")
    navigation = forms.ChoiceField(choices=Navigation.choices, initial="free")
    shuffle_items = forms.BooleanField(
        required=False, initial=True, label="Shuffle the questions within sections"
    )
    review_after_submit = forms.ChoiceField(
        choices=ReviewPolicy.choices, initial=ReviewPolicy.SCORE, label="Review after submitting"
    )
    review_after_close = forms.ChoiceField(
        choices=ReviewPolicy.choices,
        initial=ReviewPolicy.RESPONSES,
        label="Review after the exam closes",
    )
    ip_ranges = LinesListField(
        label="Allowed IP ranges", help_text="One per line, e.g. 192.0.2.0/24. Empty: anywhere."
    )
    seb_config_keys = LinesListField(
        label="Safe Exam Browser config keys",
        help_text="One per line (64 hexadecimal characters). Empty: any browser.",
    )
    blind_marking = forms.BooleanField(
        required=False,
        label="Blind marking",
        help_text="Assessors do not see who wrote an essay or project.",
    )
    double_marking = forms.BooleanField(
        required=False,
        label="Double marking",
        help_text="Two assessors mark every essay and project independently.",
    )
    disagreement = forms.ChoiceField(
        choices=Disagreement.choices,
        initial=Disagreement.THIRD,
        required=False,
        label="When two marks disagree",
        widget=forms.RadioSelect,
    )
    disagreement_points = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        initial=10,
        label="Marks disagree when further apart than (percentage points)",
    )

    def __init__(self, *args: Any, achievements: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = achievements

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("open_at") and data.get("close_at") and data["open_at"] >= data["close_at"]:
            self.add_error("close_at", "The exam must open before it closes.")
        return data

    def settings(self) -> dict[str, Any]:
        settings = {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
        # Marking rules left empty keep the exam's defaults.
        settings["disagreement"] = settings["disagreement"] or Disagreement.THIRD
        if settings["disagreement_points"] is None:
            settings["disagreement_points"] = 10
        return settings


def settings_initial(exam: Any) -> dict[str, Any]:
    initial = {name: getattr(exam, name) for name in SETTINGS_FIELDS}
    initial["achievement"] = exam.achievement_id
    return initial


class AccessCodeForm(forms.Form):
    access_code = forms.CharField(
        label="New access code",
        min_length=4,
        max_length=100,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Candidates type it to start. Stored only as a hash: it cannot be shown again.",
    )


class SectionRowForm(forms.Form):
    title = forms.CharField(required=False, max_length=200, label="Section title")
    shuffle = forms.BooleanField(required=False, initial=True, label="Shuffle its questions")


class RuleRowForm(forms.Form):
    section = forms.IntegerField(min_value=1, max_value=50, required=False, label="Section")
    item = forms.ModelChoiceField(
        queryset=Item.objects.none(),
        required=False,
        label="Fixed question",
        empty_label="— or draw from a bank —",
    )
    bank = forms.ModelChoiceField(
        queryset=QuestionBank.objects.none(),
        required=False,
        label="Draw from bank",
        empty_label="— no bank —",
    )
    count = forms.IntegerField(required=False, min_value=1, max_value=500, label="How many")
    tags = CommaListField(label="With tags")
    skills = CommaListField(label="With skills", max_length_each=200)
    category = forms.CharField(required=False, max_length=200, label="In category")

    def __init__(self, *args: Any, questions: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = questions
        self.fields["item"].label_from_instance = _question_label
        self.fields["bank"].queryset = banks

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        item, bank = data.get("item"), data.get("bank")
        drawing = any(data.get(n) for n in ("count", "tags", "skills", "category"))
        if item and (bank or drawing):
            self.add_error("item", "Choose a fixed question or a bank to draw from, not both.")
        elif bank and not data.get("count"):
            self.add_error("count", "Say how many questions to draw.")
        elif drawing and not bank:
            self.add_error("bank", "Choose the bank to draw from.")
        if (item or bank) and not data.get("section") and "section" not in self.errors:
            self.add_error("section", "Give the section number.")
        return data


def _question_label(item: Item) -> str:
    title = item.current.title if item.current else f"Item {item.pk}"
    status = "" if item.status == ItemStatus.PUBLISHED else f" [{item.get_status_display()}]"
    return f"{item.bank.name} · {title}{status}"


class BlueprintRowForm(forms.Form):
    skill = forms.CharField(required=False, max_length=200)
    min_items = forms.IntegerField(
        required=False, min_value=1, max_value=500, label="At least (questions)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].widget.attrs["list"] = "skill-names"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("skill") and not data.get("min_items"):
            self.add_error("min_items", "Give the minimum number of questions.")
        elif data.get("min_items") and not data.get("skill"):
            self.add_error("skill", "Name the skill.")
        return data


SectionRowSet = forms.formset_factory(
    SectionRowForm, extra=1, max_num=50, validate_max=True, can_delete=True
)
RuleRowSet = forms.formset_factory(
    RuleRowForm, extra=3, max_num=200, validate_max=True, can_delete=True
)
BlueprintRowSet = forms.formset_factory(BlueprintRowForm, extra=2, max_num=50, validate_max=True)


def sections_from(sections: forms.BaseFormSet, rules: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The editor's rows → the ``sections`` list of ``authoring.update_exam``.

    Sections are numbered as shown (1, 2, …); deleted or empty sections are dropped.
    Raises ValidationError naming the row when a rule points at no kept section."""
    kept: dict[int, dict[str, Any]] = {}
    for number, form in enumerate(sections.forms, 1):
        if sections.can_delete and form.cleaned_data.get("DELETE"):
            continue
        kept[number] = {
            "title": form.cleaned_data.get("title", ""),
            "shuffle": bool(form.cleaned_data.get("shuffle")),
            "rules": [],
        }
    for number, form in enumerate(rules.forms, 1):
        data = form.cleaned_data
        if data.get("DELETE") or not (data.get("item") or data.get("bank")):
            continue
        section = kept.get(data["section"])
        if section is None:
            raise forms.ValidationError(
                f"Rule {number} names section {data['section']}, which does not exist."
            )
        if data.get("item"):
            section["rules"].append({"item": data["item"].pk})
        else:
            section["rules"].append(
                {
                    "bank": data["bank"].pk,
                    "count": data["count"],
                    "tags": data["tags"],
                    "skills": data["skills"],
                    "category": data["category"],
                }
            )
    result = []
    for number, section in kept.items():
        if not section["rules"]:
            if section["title"]:
                raise forms.ValidationError(
                    f"Section {number} has no questions: add a rule or delete it."
                )
            continue
        result.append(section)
    return result


def blueprint_from(rows: forms.BaseFormSet) -> list[dict[str, Any]]:
    return [
        {"skill": f.cleaned_data["skill"].strip(), "min_items": f.cleaned_data["min_items"]}
        for f in rows.forms
        if f.cleaned_data.get("skill", "").strip()
    ]


def sections_initial(exam: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sections, rules = [], []
    for number, section in enumerate(exam.sections, 1):
        sections.append({"title": section.get("title", ""), "shuffle": section.get("shuffle")})
        for rule in section["rules"]:
            if "item" in rule:
                rules.append({"section": number, "item": rule["item"]})
            else:
                rules.append(
                    {
                        "section": number,
                        "bank": rule["bank"],
                        "count": rule["count"],
                        "tags": rule.get("tags", []),
                        "skills": rule.get("skills", []),
                        "category": rule.get("category", ""),
                    }
                )
    return sections, rules


class AccommodationForm(forms.Form):
    candidate_email = forms.EmailField(label="Candidate's e-mail address")
    time_multiplier = forms.DecimalField(
        min_value=1,
        max_value=5,
        decimal_places=2,
        initial=1,
        label="Time multiplier",
        help_text="E.g. 1.25 for 25 % more time.",
    )
    extra_minutes = forms.IntegerField(
        min_value=0, max_value=24 * 60, initial=0, label="Extra minutes"
    )
    note = forms.CharField(required=False, max_length=500, label="Note (internal)")
    all_exams = forms.BooleanField(
        required=False, label="Apply to every exam of the organization, not only this one"
    )
