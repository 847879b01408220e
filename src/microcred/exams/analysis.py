"""Classical-test-theory item analysis for exams (framework-free, plain Python).

Input is one mapping per attempt, ``item key -> ItemResult``; the key is whatever identifies
an item for the report (a slot, or an item version). Use first attempts only, as Moodle does:
later attempts break the assumptions of item analysis. :func:`analyse` computes:

- per exam: the mean and standard deviation of the total percentage, Cronbach's alpha (equal to
  KR-20 when every item is scored 0/1) and the standard error of measurement
  ``SEM = SD * sqrt(1 - alpha)``, in percentage points;
- per item: the facility (mean fraction), its SD, the corrected item-total correlation (the
  Pearson correlation of the item with the rest score, Moodle's "discrimination index"),
  the discriminative efficiency (that covariance over the largest covariance the two
  distributions allow), the number of attempts choosing each choice id, and plain-language flags.

Missing data: an item absent from an attempt was not drawn for it; ``fraction=None`` means
unanswered or not yet graded. Both are left out pairwise, never counted as 0, so random draws
and pending essays do not bias the statistics. Pass ``fraction=0.0`` for deliberate omissions.

Undefined statistics (fewer than two data points, zero variance, a single item) are ``None``.
Formulas: ``/work/shared/notes/exams.md`` section 6; all variances use the n-1 convention.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

_EPSILON = 1e-12  # relative: a total variance this small is rounding noise
_TOLERANCE = 1e-9  # absolute, on correlations
# Below this many attempts the exam-level report says the numbers are provisional (notes 6.3).
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class ItemResult:
    """One attempt's outcome on one item: fraction of ``max_score`` earned, and choices picked."""

    fraction: float | None
    max_score: float
    choice_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.fraction is not None and not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be between 0 and 1, got {self.fraction!r}")
        if not self.max_score >= 0.0 or math.isinf(self.max_score):  # also rejects NaN
            raise ValueError(f"max_score must be a finite number >= 0, got {self.max_score!r}")

    @property
    def score(self) -> float | None:
        return None if self.fraction is None else self.fraction * self.max_score


@dataclass(frozen=True)
class FlagRules:
    """Thresholds for the item flags (facility 0..1, discrimination as a correlation)."""

    very_easy: float = 0.95
    very_hard: float = 0.20
    weak_discrimination: float = 0.20  # Ebel: below 0.20 the item needs review


@dataclass(frozen=True)
class ChoiceCount:
    """How many attempts that saw the item chose ``choice_id``, and their share of those."""

    choice_id: str
    count: int
    share: float


@dataclass(frozen=True)
class ItemAnalysis:
    key: str
    n: int  # attempts that saw the item
    n_scored: int  # ... and have a score for it (answered and graded)
    facility: float | None
    sd: float | None  # of the fraction, so it reads on the same 0..1 scale as the facility
    discrimination: float | None  # corrected item-total (item-rest) correlation
    discriminative_efficiency: float | None
    distractors: tuple[ChoiceCount, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExamAnalysis:
    n_attempts: int
    mean_percentage: float | None
    sd_percentage: float | None
    alpha: float | None
    sem: float | None  # percentage points
    items: tuple[ItemAnalysis, ...] = ()
    flags: tuple[str, ...] = ()

    def item(self, key: str) -> ItemAnalysis:
        for analysis in self.items:
            if analysis.key == key:
                return analysis
        raise KeyError(key)


Attempt = Mapping[str, ItemResult]


def analyse(
    attempts: Sequence[Attempt],
    *,
    choices: Mapping[str, Sequence[str]] | None = None,
    rules: FlagRules | None = None,
) -> ExamAnalysis:
    """Item and test statistics for ``attempts``; ``choices`` lists every choice id per item."""
    rules = rules or FlagRules()
    choices = choices or {}
    keys = _item_keys(attempts)
    percentages = [p for p in map(_percentage, attempts) if p is not None]
    mean = statistics.fmean(percentages) if percentages else None
    sd = _stdev(percentages)
    alpha = cronbach_alpha(attempts, keys)
    sem = None if sd is None or alpha is None else sd * math.sqrt(max(0.0, 1.0 - alpha))
    items = tuple(_analyse_item(attempts, key, choices.get(key, ()), rules) for key in keys)
    flags: tuple[str, ...] = ()
    if len(attempts) < SMALL_SAMPLE:
        flags = (f"only {len(attempts)} attempts: treat the statistics as provisional",)
    return ExamAnalysis(len(attempts), mean, sd, alpha, sem, items, flags)


def cronbach_alpha(attempts: Sequence[Attempt], keys: Sequence[str] | None = None) -> float | None:
    """``k/(k-1) * (1 - sum of item variances / variance of the total)`` on raw scores.

    The total variance is the sum of the item covariance matrix, each entry estimated on the
    attempts scored on both items (pairwise-complete), so random draws still give an estimate;
    on complete data this is exactly the variance of the totals. Items nobody was scored on add
    nothing to any total and are skipped; any other gap in the matrix makes alpha undefined.
    """
    columns = [_scores(attempts, key) for key in keys or _item_keys(attempts)]
    columns = [column for column in columns if column]
    k = len(columns)
    if k < 2:
        return None
    variances = [_stdev(list(column.values())) for column in columns]
    covariances = [
        _paired_covariance(a, b) for i, a in enumerate(columns) for b in columns[i + 1 :]
    ]
    if None in variances or None in covariances:
        return None
    item_variance = math.fsum(sd**2 for sd in variances if sd is not None)
    total_variance = item_variance + 2 * math.fsum(c for c in covariances if c is not None)
    # Constant totals (e.g. two perfectly opposed items) leave only rounding noise here.
    if total_variance <= _EPSILON * max(item_variance, 1.0):
        return None
    return k / (k - 1) * (1 - item_variance / total_variance)


# -- per item ------------------------------------------------------------------------------


def _analyse_item(
    attempts: Sequence[Attempt], key: str, choice_ids: Sequence[str], rules: FlagRules
) -> ItemAnalysis:
    seen = [attempt for attempt in attempts if key in attempt]
    fractions = [f for f in (attempt[key].fraction for attempt in seen) if f is not None]
    pairs = _item_rest_pairs(seen, key)
    discrimination = _pearson(pairs)
    distractors = _count_choices(seen, key, choice_ids)
    analysis = ItemAnalysis(
        key=key,
        n=len(seen),
        n_scored=len(fractions),
        facility=statistics.fmean(fractions) if fractions else None,
        sd=_stdev(fractions),
        discrimination=discrimination,
        discriminative_efficiency=_efficiency(pairs),
        distractors=distractors,
    )
    return replace(analysis, flags=_flags(analysis, rules))


def _item_rest_pairs(seen: Sequence[Attempt], key: str) -> list[tuple[float, float]]:
    """(item fraction, rest fraction) for each attempt scored on the item and on something else.

    The rest score is taken as a fraction of the rest maximum so attempts that drew or were
    graded on different items stay comparable. When every attempt has the same rest maximum
    this is a constant rescaling of the raw rest score, which leaves the correlation unchanged.
    """
    pairs = []
    for attempt in seen:
        fraction = attempt[key].fraction
        rest = {k: result for k, result in attempt.items() if k != key}
        rest_fraction = _percentage(rest)
        if fraction is not None and rest_fraction is not None:
            pairs.append((fraction, rest_fraction / 100))
    return pairs


def _pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    sx, sy = _stdev(xs), _stdev(ys)
    if not sx or not sy:  # fewer than two pairs, or a constant column
        return None
    return statistics.covariance(xs, ys) / (sx * sy)


def _efficiency(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Moodle's discriminative efficiency: cov(x, R) / cov(sorted x, sorted R).

    Sorting both columns independently pairs the best item scores with the best rest scores,
    the largest covariance these two distributions allow (rearrangement inequality).
    """
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    if not _stdev(xs) or not _stdev(ys):  # then the ceiling is 0
        return None
    return statistics.covariance(xs, ys) / statistics.covariance(sorted(xs), sorted(ys))


def _count_choices(
    seen: Sequence[Attempt], key: str, choice_ids: Sequence[str]
) -> tuple[ChoiceCount, ...]:
    counts = dict.fromkeys(choice_ids, 0)  # declared choices first, in their order
    for attempt in seen:
        for choice_id in sorted(set(attempt[key].choice_ids)):  # one vote per attempt
            counts[choice_id] = counts.get(choice_id, 0) + 1
    n = len(seen)
    return tuple(ChoiceCount(c, count, count / n if n else 0.0) for c, count in counts.items())


def _flags(item: ItemAnalysis, rules: FlagRules) -> tuple[str, ...]:
    flags = []
    facility, discrimination = item.facility, item.discrimination
    if facility is not None and facility >= rules.very_easy:
        flags.append(f"very easy (facility {_two_places(facility)})")
    if facility is not None and facility <= rules.very_hard:
        flags.append(f"very hard (facility {_two_places(facility)})")
    # The tolerance keeps a correlation of 0 computed as -1e-17 from reading as a miskey.
    if discrimination is not None and discrimination < -_TOLERANCE:
        flags.append(f"negative discrimination ({_two_places(discrimination)}): check the key")
    elif discrimination is not None and discrimination < rules.weak_discrimination:
        flags.append(f"weak discrimination ({_two_places(discrimination)})")
    if item.n:
        flags.extend(
            f"distractor {c.choice_id} never chosen" for c in item.distractors if not c.count
        )
    return tuple(flags)


def _two_places(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


# -- helpers -------------------------------------------------------------------------------


def _item_keys(attempts: Sequence[Attempt]) -> list[str]:
    """Every item key, in order of first appearance."""
    return list(dict.fromkeys(key for attempt in attempts for key in attempt))


def _percentage(attempt: Attempt) -> float | None:
    """Score on the scored items as a percentage of their maximum (None if nothing is scored)."""
    scored = [result for result in attempt.values() if result.fraction is not None]
    maximum = math.fsum(result.max_score for result in scored)
    if maximum <= 0:
        return None
    return 100 * math.fsum(result.score or 0.0 for result in scored) / maximum


def _scores(attempts: Sequence[Attempt], key: str) -> dict[int, float]:
    """Raw scores on one item, keyed by attempt index so columns can be paired."""
    return {
        index: score
        for index, attempt in enumerate(attempts)
        if key in attempt and (score := attempt[key].score) is not None
    }


def _paired_covariance(a: Mapping[int, float], b: Mapping[int, float]) -> float | None:
    """Sample covariance over the attempts scored on both items (pairwise-complete)."""
    common = sorted(a.keys() & b.keys())
    if len(common) < 2:
        return None
    return statistics.covariance([a[i] for i in common], [b[i] for i in common])


def _stdev(values: Sequence[float]) -> float | None:
    # statistics.stdev sums exactly, so a constant column gives exactly 0.0, never rounding noise.
    return statistics.stdev(values) if len(values) >= 2 else None
