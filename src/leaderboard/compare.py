"""The statistics of comparing two to four models side by side: pure, no I/O, no gradio.

Two kinds of evidence reach a compare view. Every benchmark score comes with a standard error,
so two scores can be compared as independent estimates (`score_difference`). Where both models
also have per-sample results for a task, the same items were answered by both, and a paired
test is far more sensitive than the independent one: `mcnemar` for 0/1 correctness,
`paired_bootstrap` for a continuous per-sample metric, and `paired_test` to align two models'
samples by doc_id and pick the right one. `radar_figure` draws the scores of two to four models.

Every result is a frozen record; nothing here reads a file, the network or the environment.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import plotly.graph_objects as go

# scipy arrives with lm-eval (through scikit-learn); `scipy.special` is the light part of it.
from scipy.special import bdtr

from leaderboard.suites import CI_Z

ALPHA = 0.05  # a difference is significant when its two-sided p-value is below this
MAX_LISTED_IDS = 1_000  # doc_ids a PairedTest lists on each side; the full counts are kept
MAX_BOOTSTRAP_ITERATIONS = 100_000
# Resampled values drawn at a time: the indices (int64) and the values they pick (float64) take
# 16 bytes each, so a chunk holds about 32 MiB whatever the number of items or iterations.
_BOOTSTRAP_CHUNK = 1 << 21
# A 95% percentile interval leaves 1/40 of the bootstrap draws in each tail (2/40 = ALPHA).
_TAIL_SHARE_DENOMINATOR = 40
MIN_SERIES, MAX_SERIES = 2, 4
RADIAL_RANGE = (0.0, 100.0)
# `fullData.name` rather than the name written into the template: a name holding `%{...}` is
# then shown as written instead of being substituted.
RADAR_HOVER = "%{fullData.name}<br>%{theta}: %{r:.2f}<extra></extra>"


# -- two scores with standard errors ----------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """`a - b` for two independently estimated scores. Every field is None when it cannot be
    known: `difference` when a score is NaN, the others also when a standard error is."""

    difference: float | None
    half_width: float | None  # of the 95% interval around `difference`: CI_Z * sqrt(se_a²+se_b²)
    significant: bool | None  # |difference| > half_width
    p_value: float | None  # two-sided, normal approximation


def score_difference(a: float, se_a: float | None, b: float, se_b: float | None) -> Difference:
    """How far apart two scores are, and whether that is more than their noise.

    The scores are treated as independent (two models, each evaluated once), so their standard
    errors add in quadrature. When both are exactly 0 the scores are taken as exact: any
    difference is significant (p 0) and none is not (p 1).

    Raises:
        ValueError: a standard error is negative.
    """
    for side, se in (("a", se_a), ("b", se_b)):
        if se is not None and se < 0:
            raise ValueError(f"the standard error of {side} is negative ({se}); it must be >= 0")
    if not (math.isfinite(a) and math.isfinite(b)):
        return Difference(None, None, None, None)
    difference = a - b
    if se_a is None or se_b is None or math.isnan(se_a) or math.isnan(se_b):
        return Difference(difference, None, None, None)
    se = math.hypot(se_a, se_b)
    if se == 0:
        return Difference(difference, 0.0, difference != 0, 0.0 if difference != 0 else 1.0)
    half_width = CI_Z * se
    # P(|Z| >= z) for a standard normal Z is erfc(z / sqrt(2)).
    p_value = math.erfc(abs(difference) / se / math.sqrt(2.0))
    return Difference(difference, half_width, abs(difference) > half_width, p_value)


# -- paired 0/1 outcomes ----------------------------------------------------------------------


@dataclass(frozen=True)
class McNemar:
    """Two models' 0/1 outcomes on the same items: the four cells of their 2x2 table and the
    exact McNemar test, which looks only at the items where exactly one of them is right."""

    n: int
    both: int  # both right
    only_a: int  # a right, b wrong
    only_b: int  # b right, a wrong
    neither: int  # both wrong
    agreement: float  # (both + neither) / n
    p_value: float  # exact, two-sided
    significant: bool  # p_value < ALPHA


def mcnemar(a: Sequence[bool] | np.ndarray, b: Sequence[bool] | np.ndarray) -> McNemar:
    """The exact (binomial) McNemar test of paired 0/1 outcomes, item i of `a` against item i
    of `b`.

    Under "neither model is better", each discordant item is equally likely to favour either
    side, so the smaller discordant count is Binomial(only_a + only_b, 0.5):
    p = min(1, 2 * P(X <= min(only_a, only_b))), and p = 1 with no discordant items. Exact,
    not the chi-squared approximation, because the discordant counts are often small.

    Raises:
        ValueError: the inputs are empty, of different lengths, not one-dimensional, or hold
            a value other than 0/1 (or False/True).
    """
    right_a, right_b = _outcomes(a, "a"), _outcomes(b, "b")
    _check_same_length(right_a, right_b)
    n = len(right_a)
    both = int(np.count_nonzero(right_a & right_b))
    only_a = int(np.count_nonzero(right_a & ~right_b))
    only_b = int(np.count_nonzero(~right_a & right_b))
    neither = n - both - only_a - only_b
    discordant = only_a + only_b
    p_value = (
        1.0
        if discordant == 0
        else min(1.0, 2.0 * float(bdtr(min(only_a, only_b), discordant, 0.5)))
    )
    return McNemar(
        n=n,
        both=both,
        only_a=only_a,
        only_b=only_b,
        neither=neither,
        agreement=(both + neither) / n,
        p_value=p_value,
        significant=p_value < ALPHA,
    )


def _outcomes(values: Sequence[bool] | np.ndarray, side: str) -> np.ndarray:
    array = _one_dimensional(values, side)
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        raise ValueError(
            f"{side} holds values other than 0 and 1; McNemar's test needs right/wrong outcomes "
            "(use paired_bootstrap for a continuous metric)"
        )
    return array.astype(bool)


# -- paired continuous values -----------------------------------------------------------------


@dataclass(frozen=True)
class PairedBootstrap:
    """The mean of the per-item differences a - b, with a paired-bootstrap interval and test."""

    n: int
    mean_difference: float
    ci_low: float  # the 95% percentile interval of the bootstrap means
    ci_high: float
    p_value: float  # two-sided; 0 means below the resolution 2 / iterations
    significant: bool  # p_value < ALPHA, which is exactly when the interval excludes 0
    iterations: int
    seed: int


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, *, iterations: int = 10_000, seed: int = 0
) -> PairedBootstrap:
    """Resample the items (with replacement, the same items for both models) `iterations`
    times and take the mean difference of each resample.

    Interval: the percentile interval, from the ceil(iterations/40)-th smallest to the
    ceil(iterations/40)-th largest bootstrap mean. p-value: the share of bootstrap means on the
    other side of 0 from the observed mean (0 itself counted as the other side), doubled and
    capped at 1; 1 when the observed mean is exactly 0. With these two definitions "p < 0.05"
    and "the interval excludes 0" are the same statement.

    Deterministic for a given seed. Memory stays bounded (about 32 MiB of work arrays, see
    _BOOTSTRAP_CHUNK) however large `iterations * len(a)` is; time grows with it.

    Raises:
        ValueError: the inputs are empty, of different lengths, not one-dimensional or not
            finite numbers, or `iterations` is outside 1..MAX_BOOTSTRAP_ITERATIONS.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int | np.integer):
        raise ValueError(f"iterations must be an integer, not {iterations!r}")
    if not 1 <= iterations <= MAX_BOOTSTRAP_ITERATIONS:
        raise ValueError(
            f"iterations must be between 1 and {MAX_BOOTSTRAP_ITERATIONS:,}, not {iterations:,}"
        )
    iterations = int(iterations)
    values_a, values_b = _numbers(a, "a"), _numbers(b, "b")
    _check_same_length(values_a, values_b)
    differences = values_a - values_b
    n = len(differences)
    mean = float(differences.mean())

    rng = np.random.default_rng(seed)
    means = np.empty(iterations)
    rows = max(1, _BOOTSTRAP_CHUNK // n)
    for start in range(0, iterations, rows):
        stop = min(start + rows, iterations)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = differences[picks].mean(axis=1)
    means.sort()

    tail = -(-iterations // _TAIL_SHARE_DENOMINATOR)  # ceil(iterations / 40), at least 1
    if mean > 0:
        beyond = int(np.count_nonzero(means <= 0))
    elif mean < 0:
        beyond = int(np.count_nonzero(means >= 0))
    else:
        beyond = iterations
    return PairedBootstrap(
        n=n,
        mean_difference=mean,
        ci_low=float(means[tail - 1]),
        ci_high=float(means[iterations - tail]),
        p_value=min(1.0, 2.0 * beyond / iterations),
        # 2 * beyond / iterations < 2 / 40 exactly, in integers: no rounding at the boundary.
        significant=beyond < tail,
        iterations=iterations,
        seed=int(seed),
    )


def _numbers(values: np.ndarray, side: str) -> np.ndarray:
    array = _one_dimensional(values, side)
    try:
        array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{side} holds values that are not numbers: {error}") from None
    if not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"{side} holds {bad:,} NaN or infinite values; drop those items first")
    return array


def _one_dimensional(values: Sequence[bool] | np.ndarray, side: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{side} must be one value per item (1-D), not of shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{side} is empty: a paired test needs at least one item")
    return array


def _check_same_length(a: np.ndarray, b: np.ndarray) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"a has {len(a):,} items and b has {len(b):,}: a paired test needs the same items "
            "on both sides (align them by doc_id with pair())"
        )


# -- two models' per-sample results -----------------------------------------------------------


@dataclass(frozen=True, eq=False)  # eq on numpy arrays is not a bool
class Paired:
    """Two models' per-sample values on the doc_ids both have, in doc_id order."""

    doc_ids: tuple[int, ...]
    a: np.ndarray  # float64, read-only; a[i] is the value of doc_ids[i]
    b: np.ndarray
    unmatched_a: int  # doc_ids a has and b lacks
    unmatched_b: int  # doc_ids b has and a lacks

    @property
    def n(self) -> int:
        return len(self.doc_ids)


def pair(a: Mapping[int, float], b: Mapping[int, float]) -> Paired:
    """Align two models' per-sample values (doc_id -> value) on the doc_ids both have.

    Raises:
        ValueError: a paired value is not a finite number (the message names the doc_id).
    """
    common = sorted(a.keys() & b.keys())
    return Paired(
        doc_ids=tuple(common),
        a=_aligned(a, common, "a"),
        b=_aligned(b, common, "b"),
        unmatched_a=len(a) - len(common),
        unmatched_b=len(b) - len(common),
    )


def _aligned(values: Mapping[int, float], doc_ids: list[int], side: str) -> np.ndarray:
    array = np.empty(len(doc_ids))
    for i, doc_id in enumerate(doc_ids):
        value = values[doc_id]
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"{side}'s value for doc_id {doc_id} is {value!r}, not a number")
        array[i] = number
    array.setflags(write=False)
    return array


class PairedMethod(StrEnum):
    MCNEMAR = "McNemar (exact)"
    BOOTSTRAP = "paired bootstrap"


@dataclass(frozen=True)
class PairedTest:
    """A paired comparison of two models on the samples both have.

    `only_a` lists the doc_ids where a beats b (for 0/1 results: a right, b wrong; for a
    continuous metric: a's value is higher), `only_b` the reverse; each lists at most
    MAX_LISTED_IDS (the smallest doc_ids), and `only_a_count`/`only_b_count` say how many
    there are.
    """

    method: PairedMethod
    n: int
    agreement: float  # share of items where the two values are equal (both right or both wrong)
    p_value: float
    significant: bool
    mean_a: float
    mean_b: float
    only_a: tuple[int, ...]
    only_b: tuple[int, ...]
    only_a_count: int
    only_b_count: int
    unmatched_a: int  # doc_ids only a has: left out of the test
    unmatched_b: int
    detail: McNemar | PairedBootstrap  # the test's own record (cells, or the interval)

    @property
    def difference(self) -> float:
        return self.mean_a - self.mean_b


def paired_test(
    a: Mapping[int, float],
    b: Mapping[int, float],
    *,
    iterations: int = 10_000,
    seed: int = 0,
) -> PairedTest:
    """Compare two models on the samples both have (doc_id -> value): McNemar's exact test
    when every paired value on both sides is exactly 0 or 1, else the paired bootstrap of the
    mean difference (`iterations` and `seed` go to it).

    Raises:
        ValueError: the two share no doc_id, or a paired value is not a number.
    """
    paired = pair(a, b)
    if paired.n == 0:
        raise ValueError(
            f"the two models share no doc_id (a has {len(a):,}, b has {len(b):,}): were they "
            "run on the same task version?"
        )
    ids = np.asarray(paired.doc_ids)
    a_wins, b_wins = paired.a > paired.b, paired.a < paired.b
    detail: McNemar | PairedBootstrap
    if np.isin(paired.a, (0, 1)).all() and np.isin(paired.b, (0, 1)).all():
        method, detail = PairedMethod.MCNEMAR, mcnemar(paired.a, paired.b)
    else:
        method = PairedMethod.BOOTSTRAP
        detail = paired_bootstrap(paired.a, paired.b, iterations=iterations, seed=seed)
    return PairedTest(
        method=method,
        n=paired.n,
        agreement=float(np.count_nonzero(paired.a == paired.b)) / paired.n,
        p_value=detail.p_value,
        significant=detail.significant,
        mean_a=float(paired.a.mean()),
        mean_b=float(paired.b.mean()),
        only_a=tuple(int(i) for i in ids[a_wins][:MAX_LISTED_IDS]),
        only_b=tuple(int(i) for i in ids[b_wins][:MAX_LISTED_IDS]),
        only_a_count=int(np.count_nonzero(a_wins)),
        only_b_count=int(np.count_nonzero(b_wins)),
        unmatched_a=paired.unmatched_a,
        unmatched_b=paired.unmatched_b,
        detail=detail,
    )


# -- the radar chart --------------------------------------------------------------------------


def radar_figure(series: Sequence[tuple[str, Sequence[tuple[str, float | None]]]]) -> go.Figure:
    """One closed line per model over the benchmarks: `series` is (model label, [(benchmark
    label, score 0-100 or None)]) for each of 2-4 models.

    The axes are every benchmark label, in the order first seen; a model without a score for
    one (None, NaN or absent) has a gap there. Labels are shown as text (see `plotly_text`).

    Raises:
        ValueError: fewer than 2 or more than 4 series, a benchmark twice in one series, or no
            benchmark at all.
    """
    if not MIN_SERIES <= len(series) <= MAX_SERIES:
        raise ValueError(f"a radar compares {MIN_SERIES} to {MAX_SERIES} models, not {len(series)}")
    axes: dict[str, None] = {}  # an ordered set
    rows: list[dict[str, float | None]] = []
    for label, points in series:
        row: dict[str, float | None] = {}
        for benchmark, score in points:
            if benchmark in row:
                raise ValueError(f"{label!r} has two scores for benchmark {benchmark!r}")
            row[benchmark] = None if score is None or math.isnan(score) else float(score)
            axes[benchmark] = None
        rows.append(row)
    if not axes:
        raise ValueError("no benchmark scores to draw: every series is empty")

    theta = [plotly_text(benchmark) for benchmark in axes]
    figure = go.Figure()
    for (label, _), row in zip(series, rows, strict=True):
        radii = [row.get(benchmark) for benchmark in axes]
        figure.add_trace(
            go.Scatterpolar(
                r=[*radii, radii[0]],  # back to the first axis: a closed outline
                theta=[*theta, theta[0]],
                name=plotly_text(label),
                mode="lines+markers",
                connectgaps=False,
                hovertemplate=RADAR_HOVER,
            )
        )
    figure.update_layout(
        polar={
            "radialaxis": {"range": list(RADIAL_RANGE)},
            "angularaxis": {"type": "category"},  # a label like "2024" stays a label
        },
        showlegend=True,
        margin={"l": 40, "r": 40, "t": 40, "b": 40},
    )
    return figure


def plotly_text(text: str) -> str:
    """`text` as plotly.js shows it literally in a trace name, tick or hover label.

    plotly.js renders a few HTML tags in those strings (`<b>`, `<br>`, `<a href=...>`), decodes
    entities (`&lt;`, `&#36;`) and hands `$...$` to MathJax when the page has it; a model or
    benchmark label comes from a submitter, so `&`, `<`, `>` and `$` become entities, which
    plotly.js decodes back into the same characters, as text.
    """
    return html.escape(str(text), quote=False).replace("$", "&#36;")
