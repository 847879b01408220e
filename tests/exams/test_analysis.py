"""Classical-test-theory item analysis: hand-computed and textbook-formula checks."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from microcred.exams.analysis import (
    ChoiceCount,
    FlagRules,
    ItemResult,
    analyse,
    cronbach_alpha,
)

Matrix = list[list[float]]


def attempts_from(matrix: Matrix, maxes: list[float] | None = None) -> list[dict[str, ItemResult]]:
    """Raw-score rows (one per attempt) to attempts keyed q1, q2, ..."""
    maxes = maxes or [1.0] * len(matrix[0])
    return [
        {f"q{i + 1}": ItemResult(x / m, m) for i, (x, m) in enumerate(zip(row, maxes, strict=True))}
        for row in matrix
    ]


def column(matrix: Matrix, i: int) -> list[float]:
    return [row[i] for row in matrix]


# Textbook reference formulas, deliberately on a different code path from the module's:
# whole-matrix variances of columns and of row totals, statistics.correlation, explicit sums.


def alpha_by_variances(matrix: Matrix) -> float:
    k = len(matrix[0])
    item_variances = sum(statistics.variance(column(matrix, i)) for i in range(k))
    return k / (k - 1) * (1 - item_variances / statistics.variance([sum(r) for r in matrix]))


def kr20(matrix: Matrix) -> float:
    # k/(k-1) * (1 - sum p*q / population variance of the totals)
    k, n = len(matrix[0]), len(matrix)
    pq = sum((p := sum(column(matrix, i)) / n) * (1 - p) for i in range(k))
    return k / (k - 1) * (1 - pq / statistics.pvariance([sum(r) for r in matrix]))


def item_rest_correlation(matrix: Matrix, i: int) -> float:
    x = column(matrix, i)
    return statistics.correlation(x, [sum(r) - r[i] for r in matrix])


def discriminative_efficiency(matrix: Matrix, i: int) -> float:
    x = column(matrix, i)
    rest = [sum(r) - r[i] for r in matrix]

    def sum_of_products(a: list[float], b: list[float]) -> float:
        ma, mb = sum(a) / len(a), sum(b) / len(b)
        return sum((p - ma) * (q - mb) for p, q in zip(a, b, strict=True))

    return sum_of_products(x, rest) / sum_of_products(sorted(x), sorted(rest))


# A perfect Guttman pattern: each attempt solves the easiest items only.
GUTTMAN = [
    [1, 1, 1, 1],
    [1, 1, 1, 0],
    [1, 1, 0, 0],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
]

# Partial credit, unequal maxima (2, 1, 3, 4 marks): raw scores per attempt.
PARTIAL = [
    [2.0, 1.0, 3.0, 4.0],
    [1.0, 1.0, 2.0, 3.0],
    [1.0, 0.0, 2.0, 1.0],
    [2.0, 1.0, 1.5, 2.0],
    [0.0, 0.0, 1.0, 0.5],
]
PARTIAL_MAXES = [2.0, 1.0, 3.0, 4.0]


# -- hand-computed ---------------------------------------------------------------------------


def test_guttman_pattern_hand_computed():
    result = analyse(attempts_from(GUTTMAN))

    assert result.n_attempts == 5
    # totals 100, 75, 50, 25, 0 % -> mean 50, SD = sqrt((2500+625+0+625+2500)/4) = sqrt(1562.5)
    assert result.mean_percentage == pytest.approx(50.0)
    assert result.sd_percentage == pytest.approx(math.sqrt(1562.5))
    # item variances p*q*5/4 = .2, .3, .3, .2 (sum 1.0); totals 4,3,2,1,0 have variance 10/4
    # alpha = 4/3 * (1 - 1.0/2.5) = 0.8
    assert result.alpha == pytest.approx(0.8)
    # SEM = SD * sqrt(1 - alpha) = 39.528 * sqrt(0.2) = 17.678
    assert result.sem == pytest.approx(math.sqrt(1562.5) * math.sqrt(0.2))

    q1 = result.item("q1")
    assert (q1.n, q1.n_scored) == (5, 5)
    assert q1.facility == pytest.approx(0.8)
    assert q1.sd == pytest.approx(math.sqrt(0.2))  # 0.8 * 0.2 * 5/4
    # x = 1,1,1,1,0 (mean .8); rest = 3,2,1,0,0 (mean 1.2)
    # sum of products = .2*1.8 + .2*.8 + .2*-.2 + .2*-1.2 + -.8*-1.2 = 1.2 -> cov .3
    # var x = .2, var rest = (3.24+.64+.04+1.44+1.44)/4 = 1.7 -> r = .3/sqrt(.34) = 0.5145
    assert q1.discrimination == pytest.approx(0.3 / math.sqrt(0.34))
    # sorting x and rest independently keeps the same pairing here: efficiency 1
    assert q1.discriminative_efficiency == pytest.approx(1.0)
    assert q1.flags == ()

    q4 = result.item("q4")
    assert q4.facility == pytest.approx(0.2)
    assert q4.flags == ("very hard (facility 0.20)",)


def test_miskeyed_item_has_negative_discrimination_and_is_flagged():
    # q4 is keyed wrongly: the three weakest candidates get it "right".
    matrix = [
        [1, 1, 1, 0],
        [1, 1, 0, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 1],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
    ]
    q4 = analyse(attempts_from(matrix)).item("q4")

    # x = 0,0,0,1,1,1 (mean .5); rest = 3,2,2,1,1,0 (mean 1.5)
    # sum of products = -.5*(1.5+.5+.5) + .5*(-.5-.5-1.5) = -2.5 -> cov -0.5
    # var x = 1.5/5 = .3; var rest = 5.5/5 = 1.1 -> r = -.5/sqrt(.33) = -0.870
    assert q4.discrimination == pytest.approx(-0.5 / math.sqrt(0.33))
    # sorted pairing gives sum of products +2.5 -> cov_max .5 -> efficiency -1
    assert q4.discriminative_efficiency == pytest.approx(-1.0)
    assert q4.flags == ("negative discrimination (-0.87): check the key",)


# -- textbook formulas on other data ---------------------------------------------------------


def test_partial_credit_matches_textbook_formulas():
    result = analyse(attempts_from(PARTIAL, PARTIAL_MAXES))

    assert result.alpha == pytest.approx(alpha_by_variances(PARTIAL))
    totals = [100 * sum(row) / sum(PARTIAL_MAXES) for row in PARTIAL]
    assert result.mean_percentage == pytest.approx(statistics.mean(totals))
    assert result.sd_percentage == pytest.approx(statistics.stdev(totals))
    assert result.sem == pytest.approx(statistics.stdev(totals) * math.sqrt(1 - result.alpha))
    for i, maximum in enumerate(PARTIAL_MAXES):
        item = result.item(f"q{i + 1}")
        fractions = [x / maximum for x in column(PARTIAL, i)]
        assert item.facility == pytest.approx(statistics.mean(fractions))
        assert item.sd == pytest.approx(statistics.stdev(fractions))
        assert item.discrimination == pytest.approx(item_rest_correlation(PARTIAL, i))
        assert item.discriminative_efficiency == pytest.approx(
            discriminative_efficiency(PARTIAL, i)
        )


def test_alpha_equals_average_covariance_form():
    # Another textbook form: alpha = k * mean covariance / (mean variance + (k-1) * mean cov).
    k = len(PARTIAL_MAXES)
    cols = [column(PARTIAL, i) for i in range(k)]
    mean_var = statistics.mean(statistics.variance(c) for c in cols)
    mean_cov = statistics.mean(
        statistics.covariance(cols[i], cols[j]) for i in range(k) for j in range(i + 1, k)
    )
    expected = k * mean_cov / (mean_var + (k - 1) * mean_cov)
    assert cronbach_alpha(attempts_from(PARTIAL, PARTIAL_MAXES)) == pytest.approx(expected)


def test_alpha_equals_kr20_on_dichotomous_items():
    rng = random.Random(1)
    ability = [rng.gauss(0, 1) for _ in range(40)]
    difficulty = [-1.0, -0.5, 0.0, 0.3, 0.8, 1.2]
    matrix = [
        [1.0 if rng.random() < 1 / (1 + math.exp(b - a)) else 0.0 for b in difficulty]
        for a in ability
    ]
    alpha = analyse(attempts_from(matrix)).alpha
    assert alpha == pytest.approx(kr20(matrix))
    assert alpha == pytest.approx(alpha_by_variances(matrix))
    assert kr20(GUTTMAN) == pytest.approx(0.8)  # sum pq = .8, population var 2: 4/3 * .6


# -- distractors -----------------------------------------------------------------------------


def test_distractor_counts_include_never_chosen_choices():
    picks = ["A", "A", "B", "D", "A", "B"]
    attempts = [
        {
            "q1": ItemResult(1.0 if pick == "A" else 0.0, 1.0, (pick,)),
            "q2": ItemResult(1.0, 1.0, ("B", "C", "B")),  # multiple response; a repeat counts once
        }
        for pick in picks
    ]
    result = analyse(attempts, choices={"q1": ["A", "B", "C", "D"], "q2": ["A", "B", "C"]})

    q1 = result.item("q1")
    assert q1.distractors == (
        ChoiceCount("A", 3, 0.5),
        ChoiceCount("B", 2, pytest.approx(2 / 6)),
        ChoiceCount("C", 0, 0.0),
        ChoiceCount("D", 1, pytest.approx(1 / 6)),
    )
    assert "distractor C never chosen" in q1.flags
    q2 = result.item("q2")
    assert [(c.choice_id, c.count) for c in q2.distractors] == [("A", 0), ("B", 6), ("C", 6)]
    assert "distractor A never chosen" in q2.flags
    assert "very easy (facility 1.00)" in q2.flags


def test_undeclared_choice_ids_are_counted_after_declared_ones():
    attempts = [{"q1": ItemResult(0.0, 1.0, ("Z",))}, {"q1": ItemResult(1.0, 1.0, ("A",))}]
    q1 = analyse(attempts, choices={"q1": ["A", "B"]}).item("q1")
    assert [(c.choice_id, c.count) for c in q1.distractors] == [("A", 1), ("B", 0), ("Z", 1)]


def test_without_declared_choices_only_chosen_ids_appear():
    attempts = [{"q1": ItemResult(1.0, 1.0, ("B",))}, {"q1": ItemResult(0.0, 1.0, ("A",))}]
    q1 = analyse(attempts).item("q1")
    assert [c.choice_id for c in q1.distractors] == ["B", "A"]  # order of first choice
    assert not any("never chosen" in flag for flag in q1.flags)


# -- flags -----------------------------------------------------------------------------------


def test_very_easy_flag_reports_the_facility():
    # 32 of 33 right: facility 0.9697 -> "0.97"
    attempts = [{"q1": ItemResult(1.0 if i else 0.0, 1.0)} for i in range(33)]
    assert analyse(attempts).item("q1").flags == ("very easy (facility 0.97)",)


def test_weak_discrimination_flag_and_custom_rules():
    matrix = [[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1], [0, 0, 0], [1, 0, 0]]
    result = analyse(attempts_from(matrix))
    # q1: x = 1,1,0,1,0,1 (mean 2/3), rest = 1,1,2,2,0,0 (mean 1)
    # sum of products = 1/3*0 + 1/3*0 - 2/3*1 + 1/3*1 - 2/3*-1 + 1/3*-1 = 0 -> r = 0
    q1 = result.item("q1")
    assert q1.discrimination == pytest.approx(0.0, abs=1e-12)
    assert q1.flags == ("weak discrimination (0.00)",)  # zero is weak, not negative
    q2 = result.item("q2")
    assert q2.discrimination == pytest.approx(item_rest_correlation(matrix, 1))
    assert q2.discrimination > 0.2
    assert q2.flags == ()
    strict = analyse(attempts_from(GUTTMAN), rules=FlagRules(weak_discrimination=0.9))
    assert strict.item("q1").flags == ("weak discrimination (0.51)",)


def test_small_samples_are_marked_provisional():
    assert analyse(attempts_from(GUTTMAN)).flags == (
        "only 5 attempts: treat the statistics as provisional",
    )
    assert analyse(attempts_from(GUTTMAN * 6)).flags == ()


# -- missing data and random draws -----------------------------------------------------------


def test_random_draws_use_pairwise_complete_data():
    # q1, q2 in every attempt; slot 3 draws q3 or q4 from a pool.
    rows = [
        ({"q1": 1, "q2": 1}, ("q3", 1)),
        ({"q1": 1, "q2": 0}, ("q4", 1)),
        ({"q1": 0, "q2": 1}, ("q3", 0)),
        ({"q1": 1, "q2": 1}, ("q4", 0)),
        ({"q1": 0, "q2": 0}, ("q3", 0)),
        ({"q1": 1, "q2": 1}, ("q3", 1)),
    ]
    attempts = [
        {**{k: ItemResult(v, 1.0) for k, v in fixed.items()}, drawn: ItemResult(x, 1.0)}
        for fixed, (drawn, x) in rows
    ]
    result = analyse(attempts)

    q3 = result.item("q3")
    assert (q3.n, q3.n_scored) == (4, 4)
    assert q3.facility == pytest.approx(0.5)
    # only the four attempts that drew q3: x = 1,0,0,1 against rest q1+q2 = 2,1,0,2
    assert q3.discrimination == pytest.approx(statistics.correlation([1, 0, 0, 1], [2, 1, 0, 2]))
    # q3 and q4 never appear together, so their covariance (and alpha) is undefined
    assert result.alpha is None
    assert result.sem is None
    # keyed by slot instead, the draw is one column and alpha is defined again
    by_slot = [{("s3" if k in {"q3", "q4"} else k): r for k, r in a.items()} for a in attempts]
    matrix = [[fixed["q1"], fixed["q2"], x] for fixed, (_, x) in rows]
    assert cronbach_alpha(by_slot) == pytest.approx(alpha_by_variances(matrix))


def test_pairwise_alpha_with_one_missing_score():
    # q3 is ungraded (None) in the last attempt: its variance and covariances use the 4 others.
    matrix = [[1, 2, 3], [2, 2, 1], [0, 1, 2], [2, 0, 1], [1, 1, None]]
    attempts = [
        {f"q{i + 1}": ItemResult(None if x is None else x / 3, 3.0) for i, x in enumerate(row)}
        for row in matrix
    ]
    cols = [column(matrix, i) for i in range(3)]
    var = [statistics.variance([x for x in c if x is not None]) for c in cols]

    def cov(a: list, b: list) -> float:
        pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
        ma = sum(x for x, _ in pairs) / len(pairs)
        mb = sum(y for _, y in pairs) / len(pairs)
        return sum((x - ma) * (y - mb) for x, y in pairs) / (len(pairs) - 1)

    total = sum(var) + 2 * (cov(cols[0], cols[1]) + cov(cols[0], cols[2]) + cov(cols[1], cols[2]))
    result = analyse(attempts)
    assert result.alpha == pytest.approx(3 / 2 * (1 - sum(var) / total))
    q3 = result.item("q3")
    assert (q3.n, q3.n_scored) == (5, 4)
    assert q3.facility == pytest.approx((3 + 1 + 2 + 1) / 12)
    # the ungraded item is left out of that attempt's percentage: (1 + 1) / 6
    assert result.mean_percentage == pytest.approx(
        statistics.mean([100 * 6 / 9, 100 * 5 / 9, 100 * 3 / 9, 100 * 3 / 9, 100 * 2 / 6])
    )


# -- degenerate inputs -----------------------------------------------------------------------


def test_no_attempts():
    result = analyse([])
    assert (result.n_attempts, result.items) == (0, ())
    assert result.mean_percentage is result.sd_percentage is result.alpha is result.sem is None


def test_single_attempt_has_no_spread_statistics():
    result = analyse(attempts_from([[1, 0, 1]]))
    assert result.mean_percentage == pytest.approx(100 * 2 / 3)
    assert result.sd_percentage is result.alpha is result.sem is None
    q1 = result.item("q1")
    assert q1.facility == 1.0
    assert q1.sd is q1.discrimination is q1.discriminative_efficiency is None


def test_single_item_has_no_alpha_or_discrimination():
    result = analyse(attempts_from([[1], [0], [1]]))
    assert result.alpha is None
    assert result.sem is None
    assert result.sd_percentage == pytest.approx(statistics.stdev([100, 0, 100]))
    q1 = result.item("q1")
    assert q1.facility == pytest.approx(2 / 3)
    assert q1.discrimination is q1.discriminative_efficiency is None


def test_zero_variance_returns_none_instead_of_dividing_by_zero():
    result = analyse(attempts_from([[1, 1, 0.5], [1, 1, 0.5], [1, 1, 0.5]]))
    assert result.sd_percentage == 0.0
    assert result.alpha is None
    assert result.sem is None
    for item in result.items:
        assert item.sd == 0.0
        assert item.discrimination is item.discriminative_efficiency is None


def test_constant_item_among_varying_items():
    matrix = [[1, 1, 1], [1, 0, 1], [1, 0, 0], [1, 1, 0]]
    result = analyse(attempts_from(matrix))
    assert result.item("q1").discrimination is None
    assert result.item("q2").discrimination == pytest.approx(item_rest_correlation(matrix, 1))
    assert result.alpha == pytest.approx(alpha_by_variances(matrix))


def test_opposed_items_give_constant_totals_and_no_alpha():
    assert cronbach_alpha(attempts_from([[1, 0], [0, 1], [1, 0]])) is None


def test_unscored_items_and_attempts():
    attempts = [
        {"q1": ItemResult(1.0, 1.0), "essay": ItemResult(None, 5.0)},
        {"q1": ItemResult(0.0, 1.0), "essay": ItemResult(None, 5.0)},
        {"essay": ItemResult(None, 5.0)},
        {},
    ]
    result = analyse(attempts)
    assert result.n_attempts == 4
    assert result.mean_percentage == pytest.approx(50.0)  # only the two scored attempts
    essay = result.item("essay")
    assert (essay.n, essay.n_scored) == (3, 0)
    assert essay.facility is essay.sd is essay.discrimination is None
    assert essay.flags == ()
    assert result.alpha is None  # one scored item


@pytest.mark.parametrize(
    ("fraction", "max_score"),
    [(1.5, 1.0), (-0.1, 1.0), (float("nan"), 1.0), (0.5, -1.0), (0.5, float("nan"))],
)
def test_item_result_rejects_impossible_values(fraction, max_score):
    with pytest.raises(ValueError, match="must be"):
        ItemResult(fraction, max_score)


def test_unknown_item_key_raises_key_error():
    with pytest.raises(KeyError):
        analyse(attempts_from(GUTTMAN)).item("nope")
