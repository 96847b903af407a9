"""Rating statistics checked against independent computations (scipy, statsmodels)."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from textgen.train.rating_stats import (Outcome, Rating, bootstrap_intervals, bradley_terry,
                                        connected_groups, sign_test, summarize, wilson_interval)

scipy_stats = pytest.importorskip("scipy.stats")
scipy_optimize = pytest.importorskip("scipy.optimize")
sm = pytest.importorskip("statsmodels.api")
proportion = pytest.importorskip("statsmodels.stats.proportion")


# --- Wilson ----------------------------------------------------------------------------

@pytest.mark.parametrize("k, n", [(0, 1), (1, 1), (0, 10), (10, 10), (7, 20), (3, 5),
                                  (1, 2), (50, 100), (1, 1000), (999, 1000)])
@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.99])
def test_wilson_matches_statsmodels(k, n, confidence):
    low, high = wilson_interval(k, n, confidence)
    ref_low, ref_high = proportion.proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_edges_are_exact_and_no_ratings_gives_no_interval():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


# --- sign test -------------------------------------------------------------------------

@pytest.mark.parametrize("wins, losses", [(0, 1), (1, 0), (0, 10), (10, 0), (5, 5), (7, 13),
                                          (14, 4), (1, 2), (0, 3), (60, 40), (130, 70)])
def test_sign_test_matches_scipy_binomtest(wins, losses):
    expected = scipy_stats.binomtest(wins, wins + losses, 0.5, alternative="two-sided").pvalue
    assert sign_test(wins, losses) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_sign_test_without_decisive_ratings_is_one():
    assert sign_test(0, 0) == 1.0


# --- Bradley-Terry ---------------------------------------------------------------------

def synthetic(strengths: dict[str, float], count: int, seed: int, tie_share: float = 0.1):
    rng = random.Random(seed)
    names = list(strengths)
    out = []
    for _ in range(count):
        a, b = rng.sample(names, 2)
        u = rng.random()
        if u < tie_share:
            out.append(Outcome(a, b, 0.5))
        else:
            p = 1 / (1 + math.exp(-(strengths[a] - strengths[b])))
            out.append(Outcome(a, b, 1.0 if rng.random() < p else 0.0))
    return out


def design(outcomes, names):
    """One row per rating: +1 for a, -1 for b; the last system is the reference."""
    x = np.zeros((len(outcomes), len(names)))
    for r, o in enumerate(outcomes):
        x[r, names.index(o.a)] += 1
        x[r, names.index(o.b)] -= 1
    return x[:, :-1], np.array([o.score for o in outcomes])


def centred(values):
    values = np.asarray(values, dtype=float)
    return values - values.mean()


def test_maximum_likelihood_matches_statsmodels_logistic_fit():
    names = ["w", "x", "y", "z"]
    outcomes = synthetic({"w": 0.3, "x": 1.0, "y": 0.0, "z": -0.6}, 400, seed=1)
    x, y = design(outcomes, names)
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    expected = centred(list(fit.params) + [0.0])
    ours = bradley_terry(outcomes, names, prior=0.0)
    assert [ours[n] for n in names] == pytest.approx(list(expected), abs=1e-6)


def penalised_reference(outcomes, names, prior):
    """The penalised fit by a general-purpose optimiser, written independently."""
    x, y = design(outcomes, names)
    x = np.hstack([x, np.zeros((len(y), 1))])
    for r, o in enumerate(outcomes):
        x[r, -1] = (o.a == names[-1]) - (o.b == names[-1])

    def loss(s):
        z = x @ s
        return -(y * -np.logaddexp(0, -z) + (1 - y) * -np.logaddexp(0, z)).sum() \
            + prior / 2 * (s ** 2).sum()

    result = scipy_optimize.minimize(loss, np.zeros(len(names)), method="BFGS",
                                     options={"gtol": 1e-10})
    return centred(result.x)


@pytest.mark.parametrize("case", ["mixed", "one_never_wins", "all_ties", "single_rating"])
def test_penalised_fit_matches_scipy(case):
    names = ["a", "b", "c"]
    if case == "mixed":
        outcomes = synthetic({"a": 0.5, "b": 0.0, "c": -0.5}, 60, seed=3)
    elif case == "one_never_wins":     # plain maximum likelihood would send c to -infinity
        outcomes = ([Outcome("a", "c", 1.0)] * 6 + [Outcome("c", "b", 0.0)] * 5
                    + [Outcome("a", "b", 1.0)] * 3 + [Outcome("b", "a", 1.0)] * 3)
    elif case == "all_ties":
        outcomes = [Outcome("a", "b", 0.5), Outcome("b", "c", 0.5), Outcome("c", "a", 0.5)] * 4
    else:
        outcomes = [Outcome("a", "b", 1.0)]
    ours = bradley_terry(outcomes, names, prior=0.1)
    expected = penalised_reference(outcomes, names, 0.1)
    assert [ours[n] for n in names] == pytest.approx(list(expected), abs=1e-5)
    assert sum(ours.values()) == pytest.approx(0.0, abs=1e-9)
    if case == "one_never_wins":
        assert ours["c"] < ours["b"] and ours["c"] < ours["a"]
        assert math.isfinite(ours["c"])
    if case == "all_ties":
        assert all(v == pytest.approx(0.0, abs=1e-9) for v in ours.values())


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    names = ["a", "b", "c"]
    outcomes = synthetic({"a": 0.8, "b": 0.0, "c": -0.8}, 150, seed=5)
    first = bootstrap_intervals(outcomes, names, resamples=200, seed=7)
    assert first == bootstrap_intervals(outcomes, names, resamples=200, seed=7)
    assert first != bootstrap_intervals(outcomes, names, resamples=200, seed=8)
    estimate = bradley_terry(outcomes, names)
    for n in names:
        low, high = first[n]
        assert low < estimate[n] < high


def test_bootstrap_width_agrees_with_statsmodels_standard_errors():
    """For many ratings the percentile interval approaches estimate +- 1.96 se,
    the se from the logistic fit's covariance (centred strengths)."""
    names = ["a", "b", "c"]
    outcomes = synthetic({"a": 0.6, "b": 0.0, "c": -0.6}, 600, seed=11, tie_share=0.0)
    x, y = design(outcomes, names)
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    k = len(names)
    to_centred = np.vstack([np.eye(k - 1), np.zeros((1, k - 1))]) - np.ones((k, k - 1)) / k
    se = np.sqrt(np.diag(to_centred @ fit.cov_params() @ to_centred.T))
    intervals = bootstrap_intervals(outcomes, names, resamples=400, seed=0, prior=0.0)
    for n, s in zip(names, se):
        low, high = intervals[n]
        assert (high - low) == pytest.approx(2 * 1.959964 * s, rel=0.2)


def test_connected_groups_finds_systems_never_compared():
    outcomes = [Outcome("a", "b", 1.0), Outcome("c", "d", 0.0)]
    groups = connected_groups(outcomes, ["a", "b", "c", "d"])
    assert sorted(sorted(g) for g in groups) == [["a", "b"], ["c", "d"]]


# --- summaries ---------------------------------------------------------------------------

def test_summary_of_a_pair_counts_from_either_orientation():
    ratings = ([Rating("x", "y", "a")] * 9 + [Rating("y", "x", "b")] * 5    # x wins 14
               + [Rating("x", "y", "b")] * 4 + [Rating("x", "y", "tie")] * 2
               + [Rating("y", "x", "both_bad")] + [Rating("x", "y", "skip")] * 3)
    s = summarize(ratings)
    assert s["ratings"] == 24 and s["rated"] == 21 and s["skipped"] == 3
    assert s["ranking"] is None            # two systems: the pair table says it all
    (pair,) = s["pairs"]
    assert (pair["a"], pair["b"]) == ("x", "y")
    assert (pair["a_wins"], pair["b_wins"], pair["ties"], pair["both_bad"]) == (14, 4, 2, 1)
    assert pair["a_win_rate"] == pytest.approx(14 / 18)
    ref = proportion.proportion_confint(14, 18, method="wilson")
    assert pair["a_win_rate_ci"] == pytest.approx(list(ref))
    assert pair["sign_test_p"] == pytest.approx(scipy_stats.binomtest(14, 18).pvalue)
    no_pref = pair["shares"]["no_preference"]
    assert no_pref["count"] == 3 and no_pref["share"] == pytest.approx(3 / 21)
    assert no_pref["ci"] == pytest.approx(list(proportion.proportion_confint(3, 21,
                                                                             method="wilson")))


@pytest.mark.parametrize("ratings, rate, ci, p", [
    ([Rating("x", "y", "tie")] * 5, None, None, 1.0),                       # all ties
    ([Rating("x", "y", "b")] * 6, 0.0, (0.0, 0.390), 0.03125),               # zero wins
    ([Rating("x", "y", "a")], 1.0, (0.2065, 1.0), 1.0),                      # a single rating
    ([Rating("x", "y", "skip")], None, None, 1.0),                           # nothing rated
])
def test_summary_edge_cases(ratings, rate, ci, p):
    summary = summarize(ratings)
    (pair,) = summary["pairs"]
    decisive = pair["a_wins"] + pair["b_wins"]
    # a note says when too few ratings preferred a side for the test to ever be significant
    assert bool(summary["notes"]) == (0 < decisive < 6)
    assert pair["a_win_rate"] == rate
    if ci is None:
        assert pair["a_win_rate_ci"] is None
    else:
        assert pair["a_win_rate_ci"] == pytest.approx(list(ci), abs=1e-3)
    assert pair["sign_test_p"] == pytest.approx(p)


def test_summary_ranks_more_than_two_systems():
    outcomes = synthetic({"good": 1.0, "fair": 0.0, "poor": -1.0}, 120, seed=2)
    ratings = [Rating(o.a, o.b, {1.0: "a", 0.0: "b", 0.5: "tie"}[o.score]) for o in outcomes]
    s = summarize(ratings, resamples=100, seed=3)
    assert [r["system"] for r in s["ranking"]] == ["good", "fair", "poor"]
    assert len(s["pairs"]) == 3
    for r in s["ranking"]:
        assert r["ci"][0] <= r["strength"] <= r["ci"][1]
    assert s["ranking"] == summarize(ratings, resamples=100, seed=3)["ranking"]
    assert s["bootstrap"] == {"resamples": 100, "seed": 3, "prior": 0.1}
    assert s["notes"] == ["p-values are per pair and not corrected for comparing 3 pairs "
                          "(Bonferroni: multiply them by 3)"]


def test_summary_notes_disconnected_systems():
    ratings = [Rating("a", "b", "a"), Rating("c", "d", "b"), Rating("c", "d", "a")]
    s = summarize(ratings, resamples=20)
    assert s["notes"] and "never compared" in s["notes"][0]
