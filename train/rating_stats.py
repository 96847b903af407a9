"""Statistics for blind pairwise ratings, small enough to check by hand.

A rating between systems ``a`` and ``b`` scores 1 (a better), 0 (b better)
or 0.5 (tie, or both bad: no preference). Three tools answer the questions
a writer asks of such ratings:

- :func:`wilson_interval`: how sure are we of a win rate? The Wilson score
  interval stays inside [0, 1] and behaves with few ratings or none won,
  where the textbook "p +- 1.96 se" interval collapses to a point.
- :func:`sign_test`: could the wins and losses be a coin flip? An exact
  two-sided binomial test with ties left out (they say nothing about which
  is better), so it is valid for any number of ratings.
- :func:`bradley_terry` and :func:`bootstrap_intervals`: with more than two
  systems, one ranking from all pairwise ratings, P(i beats j) =
  1 / (1 + exp(-(s_i - s_j))), ties counted as half a win each. A weak
  Gaussian prior on the strengths keeps them finite when a system never
  wins; intervals come from a seeded bootstrap over ratings.

Pure Python: a few systems and a few hundred ratings take milliseconds.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Iterable, Sequence

DEFAULT_PRIOR = 0.1        # precision of the prior on strengths: sd ~ 3.2 on the log-odds scale
DEFAULT_BOOTSTRAP = 1000


def z_for(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for ``successes`` out of ``n``; None when n is 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    if successes in (0, n):      # the closed form gives these ends exactly, up to rounding
        low_end, high_end = successes == 0, successes == n
    else:
        low_end = high_end = False
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if low_end else max(0.0, center - half)
    high = 1.0 if high_end else min(1.0, center + half)
    return low, high


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided p-value of ``wins`` against ``losses`` under a fair coin.

    The binomial(n, 1/2) distribution is symmetric, so the two-sided p-value
    is twice the smaller tail, capped at 1; with no decisive ratings it is 1.
    """
    if wins < 0 or losses < 0:
        raise ValueError("wins and losses must be >= 0")
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2 ** n)


# --- Bradley-Terry -------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One rating: ``score`` 1 means ``a`` was better, 0 ``b``, 0.5 no preference."""
    a: str
    b: str
    score: float


def _pair_totals(outcomes: Iterable[Outcome], index: dict[str, int]):
    """Per ordered pair (i < j): games played and points won by i."""
    games: dict[tuple[int, int], float] = {}
    points: dict[tuple[int, int], float] = {}
    for o in outcomes:
        i, j, s = index[o.a], index[o.b], o.score
        if i > j:
            i, j, s = j, i, 1 - s
        games[(i, j)] = games.get((i, j), 0) + 1
        points[(i, j)] = points.get((i, j), 0) + s
    return games, points


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the systems here are tiny)."""
    n = len(vector)
    m = [row[:] + [vector[r]] for r, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-300:
            raise ZeroDivisionError("singular system")
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def bradley_terry(outcomes: Sequence[Outcome], systems: Sequence[str] | None = None,
                  prior: float = DEFAULT_PRIOR) -> dict[str, float]:
    """Strengths (log-odds scale, mean 0) maximising the penalised likelihood.

    ``prior`` is the precision of a N(0, 1/prior) prior on each strength; 0
    gives the plain maximum-likelihood fit, which is finite only when every
    split of the systems has wins both ways. Newton's method with step
    halving; the likelihood does not change when all strengths shift, so a
    (sum s)^2 term, zero at the centred optimum, makes the Hessian invertible.
    """
    names = list(systems) if systems is not None else sorted({o.a for o in outcomes}
                                                              | {o.b for o in outcomes})
    k = len(names)
    if k == 0:
        return {}
    index = {name: i for i, name in enumerate(names)}
    games, points = _pair_totals(outcomes, index)

    def objective(s: list[float]) -> float:
        value = -prior / 2 * sum(x * x for x in s) - sum(s) ** 2 / (2 * k)
        for (i, j), n in games.items():
            w = points[(i, j)]
            value += w * _log_sigmoid(s[i] - s[j]) + (n - w) * _log_sigmoid(s[j] - s[i])
        return value

    s = [0.0] * k
    current = objective(s)
    for _ in range(200):
        total = sum(s)
        grad = [-prior * x - total / k for x in s]
        hess = [[-1 / k - (prior if r == c else 0.0) for c in range(k)] for r in range(k)]
        for (i, j), n in games.items():
            p = _sigmoid(s[i] - s[j])
            g = points[(i, j)] - n * p
            grad[i] += g
            grad[j] -= g
            h = n * p * (1 - p)
            hess[i][i] -= h
            hess[j][j] -= h
            hess[i][j] += h
            hess[j][i] += h
        try:
            step = _solve(hess, [-g for g in grad])
        except ZeroDivisionError:
            break
        t = 1.0
        while t > 1e-8:
            trial = [x + t * d for x, d in zip(s, step)]
            value = objective(trial)
            if value >= current - 1e-12:
                break
            t /= 2
        s, current = trial, value
        if max(abs(t * d) for d in step) < 1e-10:
            break
    mean = sum(s) / k
    return {name: s[index[name]] - mean for name in names}


def bootstrap_intervals(outcomes: Sequence[Outcome], systems: Sequence[str] | None = None,
                        resamples: int = DEFAULT_BOOTSTRAP, seed: int = 0,
                        confidence: float = 0.95, prior: float = DEFAULT_PRIOR
                        ) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the Bradley-Terry strengths over ``resamples``
    fits to ratings drawn with replacement; the same seed gives the same
    intervals."""
    names = list(systems) if systems is not None else sorted({o.a for o in outcomes}
                                                              | {o.b for o in outcomes})
    if not outcomes or resamples < 1:
        return {name: (math.nan, math.nan) for name in names}
    rng = random.Random(seed)
    draws: dict[str, list[float]] = {name: [] for name in names}
    n = len(outcomes)
    for _ in range(resamples):
        sample = [outcomes[rng.randrange(n)] for _ in range(n)]
        for name, value in bradley_terry(sample, names, prior).items():
            draws[name].append(value)
    alpha = (1 - confidence) / 2
    return {name: (_quantile(values, alpha), _quantile(values, 1 - alpha))
            for name, values in draws.items()}


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default method)."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def connected_groups(outcomes: Iterable[Outcome], systems: Sequence[str]) -> list[list[str]]:
    """Systems linked by comparisons, directly or through others. Strengths
    are only comparable within one group."""
    parent = {name: name for name in systems}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for o in outcomes:
        parent[root(o.a)] = root(o.b)
    groups: dict[str, list[str]] = {}
    for name in systems:
        groups.setdefault(root(name), []).append(name)
    return list(groups.values())


# --- summaries of many ratings --------------------------------------------------------

VERDICTS = ("a", "b", "tie", "both_bad", "skip")


@dataclass(frozen=True)
class Rating:
    """A rating by system names: ``verdict`` is "a" or "b" (that one was
    better), "tie", "both_bad" or "skip" (not rated; left out of everything)."""
    a: str
    b: str
    verdict: str

    def outcome(self) -> Outcome | None:
        if self.verdict == "skip":
            return None
        return Outcome(self.a, self.b, {"a": 1.0, "b": 0.0}.get(self.verdict, 0.5))


@dataclass
class PairResult:
    """Counts for one pair of systems, in the orientation first seen."""
    a: str
    b: str
    a_wins: int = 0
    b_wins: int = 0
    ties: int = 0
    both_bad: int = 0
    skipped: int = 0

    def add(self, rating: Rating) -> None:
        verdict = rating.verdict
        if (rating.a, rating.b) != (self.a, self.b):
            verdict = {"a": "b", "b": "a"}.get(verdict, verdict)
        field = {"a": "a_wins", "b": "b_wins", "tie": "ties", "both_bad": "both_bad",
                 "skip": "skipped"}[verdict]
        setattr(self, field, getattr(self, field) + 1)

    @property
    def rated(self) -> int:
        return self.a_wins + self.b_wins + self.ties + self.both_bad

    @property
    def decisive(self) -> int:
        return self.a_wins + self.b_wins

    def to_dict(self, confidence: float = 0.95) -> dict:
        def share(count: int, n: int) -> dict:
            ci = wilson_interval(count, n, confidence)
            return {"count": count, "share": count / n if n else None,
                    "ci": list(ci) if ci else None}

        ci = wilson_interval(self.a_wins, self.decisive, confidence)
        return {
            "a": self.a, "b": self.b, "rated": self.rated, "skipped": self.skipped,
            "a_wins": self.a_wins, "b_wins": self.b_wins, "ties": self.ties,
            "both_bad": self.both_bad,
            # of the ratings that preferred one side: how often it was a
            "a_win_rate": self.a_wins / self.decisive if self.decisive else None,
            "a_win_rate_ci": list(ci) if ci else None,
            "sign_test_p": sign_test(self.a_wins, self.b_wins),
            # of all ratings (skips aside): each outcome's share
            "shares": {"a_wins": share(self.a_wins, self.rated),
                       "no_preference": share(self.ties + self.both_bad, self.rated),
                       "b_wins": share(self.b_wins, self.rated)},
        }


def summarize(ratings: Sequence[Rating], confidence: float = 0.95,
              resamples: int = DEFAULT_BOOTSTRAP, seed: int = 0,
              prior: float = DEFAULT_PRIOR) -> dict:
    """Everything a report shows, as plain data: per-pair counts, win rates
    with Wilson intervals and sign tests, and with more than two systems a
    Bradley-Terry ranking with bootstrap intervals."""
    pairs: dict[frozenset, PairResult] = {}
    for rating in ratings:
        if rating.verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {rating.verdict!r}")
        key = frozenset((rating.a, rating.b))
        pairs.setdefault(key, PairResult(rating.a, rating.b)).add(rating)
    systems = list(dict.fromkeys(name for r in ratings for name in (r.a, r.b)))  # as first seen
    outcomes = [o for o in (r.outcome() for r in ratings) if o is not None]
    notes = []
    ranking = None
    if len(systems) > 2:
        strengths = bradley_terry(outcomes, systems, prior)
        intervals = bootstrap_intervals(outcomes, systems, resamples, seed, confidence, prior)
        counts = {name: sum(1 for o in outcomes if name in (o.a, o.b)) for name in systems}
        ordered = sorted(systems, key=lambda name: (-strengths[name], name))
        ranking = [{"rank": i + 1, "system": name, "strength": strengths[name],
                    "ci": None if math.isnan(intervals[name][0]) else list(intervals[name]),
                    "ratings": counts[name]}
                   for i, name in enumerate(ordered)]
        groups = connected_groups(outcomes, systems)
        if len(groups) > 1:
            notes.append("some systems were never compared, directly or through others "
                         f"({' | '.join(', '.join(g) for g in groups)}): their strengths "
                         "are only comparable within each group")
    small = [p for p in pairs.values() if 0 < p.decisive < 6]
    for p in small:
        notes.append(f"{p.a} vs {p.b}: only {p.decisive} rating(s) preferred one side; below 6 "
                     "the sign test cannot reach p < 0.05 whatever they say")
    if len(pairs) > 1:
        notes.append(f"p-values are per pair and not corrected for comparing {len(pairs)} pairs "
                     f"(Bonferroni: multiply them by {len(pairs)})")
    return {
        "ratings": len(ratings),
        "rated": len(outcomes),
        "skipped": len(ratings) - len(outcomes),
        "systems": systems,
        "pairs": [p.to_dict(confidence) for p in pairs.values()],
        "ranking": ranking,
        "confidence": confidence,
        "bootstrap": {"resamples": resamples, "seed": seed, "prior": prior} if ranking else None,
        "notes": notes,
    }
