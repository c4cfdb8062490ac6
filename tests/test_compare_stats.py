"""The statistics of the compare view (leaderboard.compare), against hand arithmetic: normal
p-values for known z, exact binomial sums with math.comb, a bootstrap whose answers are
known, and the radar figure's traces with hostile labels."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest

from leaderboard.compare import (
    ALPHA,
    MAX_LISTED_IDS,
    Difference,
    McNemar,
    PairedBootstrap,
    PairedMethod,
    mcnemar,
    pair,
    paired_bootstrap,
    paired_test,
    plotly_text,
    radar_figure,
    score_difference,
)
from leaderboard.suites import CI_Z


def exact_mcnemar_p(b: int, c: int) -> float:
    """2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1, as exact fractions."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def outcomes(both: int, only_a: int, only_b: int, neither: int) -> tuple[list[bool], list[bool]]:
    """Paired 0/1 outcomes with the given 2x2 cells, interleaved so order cannot matter."""
    cells = [(True, True)] * both + [(True, False)] * only_a
    cells += [(False, True)] * only_b + [(False, False)] * neither
    order = np.random.default_rng(1).permutation(len(cells))
    return [cells[i][0] for i in order], [cells[i][1] for i in order]


# -- score_difference -------------------------------------------------------------------------

# (a, se_a, b, se_b, difference, half_width, significant, p), worked by hand.
DIFFERENCES = [
    pytest.param(
        60.0,
        3.0,
        50.0,
        4.0,
        10.0,
        CI_Z * 5.0,
        True,
        math.erfc(2.0 / math.sqrt(2)),
        id="3-4-5: z = 10/5 = 2",
    ),
    pytest.param(
        50.0,
        4.0,
        60.0,
        3.0,
        -10.0,
        CI_Z * 5.0,
        True,
        math.erfc(2.0 / math.sqrt(2)),
        id="the sign does not matter",
    ),
    pytest.param(
        51.0,
        1.0,
        50.0,
        1.0,
        1.0,
        CI_Z * math.sqrt(2),
        False,
        math.erfc(1 / math.sqrt(2) / math.sqrt(2)),
        id="z = 1/sqrt(2): within the noise",
    ),
    pytest.param(
        55.0,
        0.0,
        50.0,
        0.0,
        5.0,
        0.0,
        True,
        0.0,
        id="exact scores that differ",
    ),
    pytest.param(50.0, 0.0, 50.0, 0.0, 0.0, 0.0, False, 1.0, id="exact scores that agree"),
    pytest.param(50.0, None, 40.0, 1.0, 10.0, None, None, None, id="a's se unknown"),
    pytest.param(50.0, 1.0, 40.0, None, 10.0, None, None, None, id="b's se unknown"),
    pytest.param(50.0, math.nan, 40.0, 1.0, 10.0, None, None, None, id="a NaN se is unknown"),
    pytest.param(math.nan, 1.0, 40.0, 1.0, None, None, None, None, id="a is NaN"),
    pytest.param(50.0, 1.0, math.nan, 1.0, None, None, None, None, id="b is NaN"),
    pytest.param(math.nan, None, math.nan, None, None, None, None, None, id="all unknown"),
]


@pytest.mark.parametrize(
    ("a", "se_a", "b", "se_b", "difference", "half_width", "significant", "p"), DIFFERENCES
)
def test_score_difference(a, se_a, b, se_b, difference, half_width, significant, p):
    result = score_difference(a, se_a, b, se_b)
    assert isinstance(result, Difference)
    assert result.difference == pytest.approx(difference)
    assert result.half_width == pytest.approx(half_width)
    assert result.significant is significant
    assert result.p_value == pytest.approx(p, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("z", "p"),
    [(CI_Z, 0.05), (1.0, 0.3173105078629141), (2.575829, 0.01), (3.290527, 0.001), (0.0, 1.0)],
)
def test_score_difference_normal_p_values_for_known_z(z, p):
    """se 0.6 and 0.8 combine to 1.0, so the difference is z itself."""
    result = score_difference(50.0 + z, 0.6, 50.0, 0.8)
    assert result.p_value == pytest.approx(p, rel=1e-5)
    assert result.half_width == pytest.approx(CI_Z)


def test_score_difference_significance_follows_the_interval():
    just_inside = score_difference(50.0 + 0.999 * CI_Z, 0.6, 50.0, 0.8)
    just_outside = score_difference(50.0 + 1.001 * CI_Z, 0.6, 50.0, 0.8)
    assert just_inside.significant is False and just_inside.p_value > ALPHA
    assert just_outside.significant is True and just_outside.p_value < ALPHA


def test_score_difference_refuses_a_negative_se():
    with pytest.raises(ValueError, match="standard error of b is negative"):
        score_difference(50.0, 1.0, 40.0, -1.0)


# -- mcnemar ----------------------------------------------------------------------------------

# (both, only_a, only_b, neither)
TABLES = [
    pytest.param(30, 10, 2, 8, id="b=10, c=2: p = 2 * (1 + 12 + 66) / 4096"),
    pytest.param(5, 2, 10, 3, id="mirrored"),
    pytest.param(0, 1, 0, 0, id="one discordant pair: p = 1"),
    pytest.param(0, 6, 0, 0, id="6 to 0: p = 2 / 64"),
    pytest.param(10, 5, 5, 10, id="balanced: p capped at 1"),
    pytest.param(7, 0, 0, 3, id="no discordant pairs"),
    pytest.param(0, 0, 0, 4, id="all wrong, both"),
    pytest.param(100, 60, 35, 5, id="a large table"),
    pytest.param(0, 900, 1000, 0, id="thousands of discordant pairs"),
]


@pytest.mark.parametrize(("both", "only_a", "only_b", "neither"), TABLES)
def test_mcnemar_against_exact_binomial_sums(both, only_a, only_b, neither):
    a, b = outcomes(both, only_a, only_b, neither)
    result = mcnemar(a, b)
    assert isinstance(result, McNemar)
    n = both + only_a + only_b + neither
    assert (result.n, result.both, result.only_a, result.only_b, result.neither) == (
        n,
        both,
        only_a,
        only_b,
        neither,
    )
    assert result.agreement == pytest.approx((both + neither) / n)
    expected = exact_mcnemar_p(only_a, only_b)
    assert result.p_value == pytest.approx(expected, rel=1e-9)
    assert result.significant is (expected < ALPHA)


def test_mcnemar_worked_example():
    a, b = outcomes(30, 10, 2, 8)
    assert mcnemar(a, b).p_value == pytest.approx(2 * 79 / 4096)  # 0.03857...
    assert mcnemar(a, b).significant is True
    assert mcnemar(b, a).p_value == pytest.approx(2 * 79 / 4096)
    assert mcnemar(b, a).only_a == 2


def test_mcnemar_accepts_arrays_of_bools_ints_and_floats():
    a, b = [1, 1, 0, 1], [0, 1, 0, 0]
    expected = mcnemar(a, b)
    assert mcnemar(np.array(a, dtype=bool), np.array(b, dtype=bool)) == expected
    assert mcnemar(np.array(a, dtype=float), np.array(b, dtype=float)) == expected
    assert (expected.both, expected.only_a, expected.only_b, expected.neither) == (1, 2, 0, 1)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([], [], "a is empty"),
        ([1, 0], [1], "a has 2 items and b has 1"),
        ([1, 0.5], [1, 0], "a holds values other than 0 and 1"),
        ([1, 0], [1, math.nan], "b holds values other than 0 and 1"),
        ([1, 0], [1, 2], "b holds values other than 0 and 1"),
        ([[1, 0]], [[1, 0]], "1-D"),
    ],
)
def test_mcnemar_refuses(a, b, message):
    with pytest.raises(ValueError, match=message):
        mcnemar(a, b)


# -- paired_bootstrap -------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed():
    rng = np.random.default_rng(7)
    a, b = rng.normal(0.5, 0.2, 300), rng.normal(0.45, 0.2, 300)
    first = paired_bootstrap(a, b, iterations=2_000, seed=3)
    assert paired_bootstrap(a, b, iterations=2_000, seed=3) == first
    other = paired_bootstrap(a, b, iterations=2_000, seed=4)
    assert (other.ci_low, other.ci_high) != (first.ci_low, first.ci_high)
    assert other.mean_difference == first.mean_difference  # the data's, not the resamples'


def test_bootstrap_interval_holds_the_true_difference_and_excludes_zero():
    rng = np.random.default_rng(11)
    a = rng.uniform(0.0, 1.0, 2_000)
    b = np.clip(a - 0.1 + rng.normal(0.0, 0.05, a.size), -1.0, 2.0)  # b is 0.1 lower, noisily
    result = paired_bootstrap(a, b, iterations=4_000, seed=0)
    assert isinstance(result, PairedBootstrap)
    assert result.mean_difference == pytest.approx(float(np.mean(a - b)))
    assert result.ci_low < 0.1 < result.ci_high
    assert result.ci_low > 0  # far from 0
    # the standard error of the mean difference is ~0.05 / sqrt(2000): the interval is ~±2 of it
    assert result.ci_high - result.ci_low == pytest.approx(2 * CI_Z * 0.05 / math.sqrt(2_000), 0.1)
    assert result.p_value == 0.0 and result.significant is True
    assert (result.n, result.iterations, result.seed) == (2_000, 4_000, 0)


def test_bootstrap_negative_difference_is_mirrored():
    rng = np.random.default_rng(11)
    a = rng.uniform(0.0, 1.0, 500)
    b = a + 0.2 + rng.normal(0.0, 0.05, a.size)
    result = paired_bootstrap(a, b, iterations=1_000)
    assert result.ci_high < 0 and result.significant is True and result.p_value == 0.0


def test_bootstrap_of_identical_arrays():
    a = np.random.default_rng(5).uniform(size=1_000)
    result = paired_bootstrap(a, a.copy(), iterations=500)
    assert (result.mean_difference, result.ci_low, result.ci_high) == (0.0, 0.0, 0.0)
    assert result.p_value == 1.0 and result.significant is False


def test_bootstrap_interval_includes_zero_for_pure_noise():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=400), rng.normal(size=400)
    result = paired_bootstrap(a, b, iterations=2_000)
    assert result.ci_low < 0 < result.ci_high
    assert result.p_value > ALPHA and result.significant is False


def test_bootstrap_p_value_is_the_doubled_share_beyond_zero():
    """One item of +1 among 9 of 0: a resample's mean is <= 0 exactly when it misses the +1
    item, which happens with probability (9/10)^10 = 0.3487, so p ≈ 0.697."""
    a = np.array([1.0] + [0.0] * 9)
    result = paired_bootstrap(a, np.zeros(10), iterations=20_000, seed=1)
    assert result.mean_difference == pytest.approx(0.1)
    assert result.p_value == pytest.approx(2 * 0.9**10, abs=0.02)
    assert result.ci_low == 0.0 and result.significant is False


@pytest.mark.parametrize("seed", range(12))
def test_bootstrap_significance_is_the_interval_excluding_zero(seed):
    """Small samples with differences near the edge of significance, either sign."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, 1.0, 30)
    b = a - rng.normal(rng.choice([-0.4, 0.4]), 1.0, 30)
    result = paired_bootstrap(a, b, iterations=int(rng.integers(1, 400)), seed=seed)
    assert result.ci_low <= result.ci_high
    assert result.significant is (not result.ci_low <= 0.0 <= result.ci_high)
    assert result.significant is (result.p_value < ALPHA)


def test_bootstrap_of_one_item_and_one_iteration():
    result = paired_bootstrap(np.array([0.7]), np.array([0.2]), iterations=1)
    assert result.mean_difference == pytest.approx(0.5)
    assert result.ci_low == result.ci_high == pytest.approx(0.5)


def test_bootstrap_at_scale_stays_within_memory():
    """100,000 items x 10,000 iterations: a billion resampled values, ~32 MiB at a time."""
    rng = np.random.default_rng(0)
    a, b = rng.uniform(size=100_000), rng.uniform(size=100_000)
    tracemalloc.start()
    try:
        result = paired_bootstrap(a, b, iterations=10_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20
    assert result.ci_low < result.mean_difference < result.ci_high
    # uniform - uniform has sd 1/sqrt(6): the interval is about ±CI_Z of sd / sqrt(n)
    expected = 2 * CI_Z / math.sqrt(6) / math.sqrt(100_000)
    assert result.ci_high - result.ci_low == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        ([], [], {}, "a is empty"),
        ([0.1, 0.2], [0.3], {}, "a has 2 items and b has 1"),
        ([0.1], [math.nan], {}, "b holds 1 NaN or infinite"),
        ([0.1], [math.inf], {}, "b holds 1 NaN or infinite"),
        (["x"], [0.1], {}, "a holds values that are not numbers"),
        ([0.1], [0.2], {"iterations": 0}, "between 1 and 100,000, not 0"),
        ([0.1], [0.2], {"iterations": 100_001}, "between 1 and 100,000, not 100,001"),
        ([0.1], [0.2], {"iterations": 10.0}, "must be an integer"),
        ([0.1], [0.2], {"iterations": True}, "must be an integer"),
    ],
)
def test_bootstrap_refuses(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(np.asarray(a), np.asarray(b), **kwargs)


# -- pair and paired_test ---------------------------------------------------------------------


def test_pair_aligns_on_common_ids_in_order():
    # 100, 3 and 17 in a set iterate as 17, 3, 100: the order has to be made, not inherited
    paired = pair({100: 1.0, 3: 0.0, 9: 1.0, 17: 0.5}, {17: 0.25, 100: 0.0, 3: 1.0, 7: 1.0, 8: 0.0})
    assert paired.doc_ids == (3, 17, 100)
    assert paired.a.tolist() == [0.0, 0.5, 1.0]
    assert paired.b.tolist() == [1.0, 0.25, 0.0]
    assert (paired.unmatched_a, paired.unmatched_b, paired.n) == (1, 2, 3)
    assert paired.a.dtype == np.float64
    with pytest.raises(ValueError):
        paired.a[0] = 2.0  # read-only: the record is frozen through and through


def test_pair_with_nothing_in_common():
    paired = pair({1: 1.0}, {2: 1.0})
    assert (paired.n, paired.unmatched_a, paired.unmatched_b) == (0, 1, 1)
    assert paired.a.size == paired.b.size == 0


def test_pair_refuses_a_value_that_is_not_a_number():
    with pytest.raises(ValueError, match="b's value for doc_id 2 is nan"):
        pair({1: 1.0, 2: 0.0}, {1: 1.0, 2: math.nan})
    with pytest.raises(ValueError, match="a's value for doc_id 1 is 'x'"):
        pair({1: "x"}, {1: 1.0})


def test_paired_test_picks_mcnemar_for_correctness():
    # ids 0-29 both right, 30-39 only a, 40-41 only b, 42-49 neither; b also has 100-104.
    a = {i: 1.0 if i < 40 else 0.0 for i in range(50)}
    b = {i: 1.0 if i < 30 or i in (40, 41) else 0.0 for i in range(50)}
    b.update({i: 1.0 for i in range(100, 105)})
    result = paired_test(a, b)
    assert result.method is PairedMethod.MCNEMAR
    assert str(result.method) == "McNemar (exact)"
    assert isinstance(result.detail, McNemar)
    assert result.n == 50 and (result.unmatched_a, result.unmatched_b) == (0, 5)
    assert result.p_value == pytest.approx(exact_mcnemar_p(10, 2)) and result.significant
    assert result.agreement == pytest.approx(38 / 50)
    assert (result.mean_a, result.mean_b) == (pytest.approx(40 / 50), pytest.approx(32 / 50))
    assert result.difference == pytest.approx(8 / 50)
    assert result.only_a == tuple(range(30, 40)) and result.only_b == (40, 41)
    assert (result.only_a_count, result.only_b_count) == (10, 2)


def test_paired_test_takes_bools_and_ints_as_correctness():
    result = paired_test({1: True, 2: False, 3: True}, {1: 1, 2: 1, 3: 0})
    assert result.method is PairedMethod.MCNEMAR
    assert result.only_a == (3,) and result.only_b == (2,)


def test_paired_test_bootstraps_a_continuous_metric():
    a = {i: 0.5 + 0.001 * (i % 7) for i in range(200)}
    b = {i: (0.5 if i % 4 == 0 else 0.45) for i in range(200)}
    result = paired_test(a, b, iterations=1_000, seed=2)
    assert result.method is PairedMethod.BOOTSTRAP
    assert str(result.method) == "paired bootstrap"
    assert isinstance(result.detail, PairedBootstrap)
    assert result.detail.iterations == 1_000 and result.detail.seed == 2
    assert (
        result.p_value == result.detail.p_value and result.significant is result.detail.significant
    )
    equal = [i for i in range(200) if a[i] == b[i]]  # i % 28 == 0: 0.5 against 0.5
    assert equal == list(range(0, 200, 28))
    assert result.agreement == pytest.approx(len(equal) / 200)
    assert result.only_b == () and result.only_a_count == 200 - len(equal)
    assert result.mean_a == pytest.approx(np.mean(list(a.values())))
    assert result.significant is True


def test_paired_test_one_non_binary_value_means_bootstrap():
    a = {i: float(i % 2) for i in range(20)}
    b = {**{i: float(i % 3 == 0) for i in range(20)}, 7: 0.5}
    assert paired_test(a, b, iterations=10).method is PairedMethod.BOOTSTRAP


def test_paired_test_lists_at_most_the_first_thousand_ids():
    n = 5_000
    a = {i: 1.0 for i in range(n)}
    b = {i: 0.0 if i % 2 else 1.0 for i in range(n)}  # odd ids: only a is right
    result = paired_test(a, b)
    assert len(result.only_a) == MAX_LISTED_IDS
    assert result.only_a == tuple(range(1, 2 * MAX_LISTED_IDS, 2))
    assert result.only_a_count == n // 2 and result.only_b_count == 0


def test_paired_test_all_equal():
    values = {i: 1.0 for i in range(10)}
    result = paired_test(values, dict(values))
    assert result.method is PairedMethod.MCNEMAR
    assert (result.p_value, result.significant, result.agreement) == (1.0, False, 1.0)
    assert result.only_a == result.only_b == ()


def test_paired_test_needs_common_ids():
    with pytest.raises(ValueError, match="share no doc_id"):
        paired_test({1: 1.0, 2: 0.0}, {3: 1.0})


# -- radar_figure -----------------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>"


def test_radar_figure_draws_one_closed_trace_per_model():
    figure = radar_figure(
        [
            ("org/model-a", [("IFEval", 70.0), ("BBH", 40.5), ("MATH", None)]),
            ("org/model-b", [("IFEval", 65.25), ("BBH", math.nan), ("MATH", 12.0)]),
            ("org/model-c", [("BBH", 30.0), ("GPQA", 8.0)]),
        ]
    )
    assert [trace.type for trace in figure.data] == ["scatterpolar"] * 3
    assert [trace.name for trace in figure.data] == ["org/model-a", "org/model-b", "org/model-c"]
    axes = ("IFEval", "BBH", "MATH", "GPQA")  # in the order first seen, closed on the first
    for trace in figure.data:
        assert trace.theta == (*axes, "IFEval")
        assert trace.r[0] == trace.r[-1]
        assert len(trace.r) == len(axes) + 1
    assert figure.data[0].r == (70.0, 40.5, None, None, 70.0)
    assert figure.data[1].r == (65.25, None, 12.0, None, 65.25)
    assert figure.data[2].r == (None, 30.0, None, 8.0, None)
    assert tuple(figure.layout.polar.radialaxis.range) == (0, 100)
    assert figure.layout.polar.angularaxis.type == "category"
    template = figure.data[0].hovertemplate
    assert "%{fullData.name}" in template and "%{theta}" in template and "%{r:.2f}" in template


def test_radar_figure_shows_hostile_labels_as_text():
    figure = radar_figure(
        [
            (HOSTILE, [("<b>bold</b>", 50.0), ("A & B $x$", 60.0)]),
            ('<a href="javascript:alert(1)">x</a>', [("<b>bold</b>", 40.0)]),
        ]
    )
    assert figure.data[0].name == "&lt;img src=x onerror=alert(1)&gt;"
    assert figure.data[0].theta[:2] == ("&lt;b&gt;bold&lt;/b&gt;", "A &amp; B &#36;x&#36;")
    document = json.loads(figure.to_json())
    labels = [trace["name"] for trace in document["data"]]
    labels += [label for trace in document["data"] for label in trace["theta"]]
    assert len(labels) == 2 + 2 * 3
    assert not any(char in label for label in labels for char in "<>$")
    raw = figure.to_json()
    assert "<img" not in raw and "<b>" not in raw and "<a " not in raw


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain/model-7b", "plain/model-7b"),
        ("<br>", "&lt;br&gt;"),
        ("&lt;", "&amp;lt;"),  # shown as the five characters typed, not as "<"
        ("$\\href{x}{y}$", "&#36;\\href{x}{y}&#36;"),
        ("50%{r}", "50%{r}"),  # safe: the name reaches the hover through fullData.name
    ],
)
def test_plotly_text(text, shown):
    assert plotly_text(text) == shown


@pytest.mark.parametrize("count", [0, 1, 5])
def test_radar_figure_refuses_other_than_two_to_four_models(count):
    series = [(f"m{i}", [("IFEval", 50.0)]) for i in range(count)]
    with pytest.raises(ValueError, match=f"2 to 4 models, not {count}"):
        radar_figure(series)


def test_radar_figure_refuses_a_benchmark_twice_or_none_at_all():
    with pytest.raises(ValueError, match="two scores for benchmark 'BBH'"):
        radar_figure([("a", [("BBH", 1.0), ("BBH", 2.0)]), ("b", [])])
    with pytest.raises(ValueError, match="no benchmark scores"):
        radar_figure([("a", []), ("b", [])])
