"""Two-group PLS analysis: MICOM (measurement invariance of composites) and PLS-MGA.

Stage: group comparison (e.g. by ``platform``). Follows Henseler, Ringle & Sarstedt (2016) for
MICOM and Henseler, Ringle & Sinkovics (2009) / Sarstedt, Henseler & Ringle (2011) for MGA:

- MICOM step 2 (compositional invariance): c = correlation, over the pooled data, of the scores
  built with group 1's and with group 2's weights; invariance holds when c is not below the 5 %
  quantile of its permutation distribution.
- MICOM step 3 (composite means and variances): scores from the pooled weights; the group
  difference of means and of log variances must lie inside the 95 % permutation interval.
- Permutation p values, (1 + #{as extreme}) / (1 + permutations), ties within 1e-10 counted as
  extreme: ``c_pvalue`` counts permuted c at or below the observed c; ``mean_pvalue``, ``variance_pvalue`` and, per path,
  ``p_permutation`` count permuted differences at least as large in absolute value.
- Path differences:
  ``p_henseler`` = 1 − share of bootstrap pairs with 2θ̄₁ − θ₁ⱼ − 2θ̄₂ + θ₂ₖ > 0 (seminr's
  ``pls_mga_p``: small when group 1's path is larger, large when it is smaller);
  ``p_parametric`` (pooled SE, df = n₁ + n₂ − 2) and ``p_welch`` (Welch–Satterthwaite df),
  two-sided, from the groups' bootstrap SEs.

Permutation ``p`` relabels the cases with its own generator seeded ``(seed, p)``; group ``g``'s
bootstrap resample ``b`` draws rows with :func:`resample_rows` ``(seed, b, n_g)`` within the group.
Both run on stacks of correlation matrices in fixed chunks, so results do not depend on workers.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.pls import estimate_pls
>>> noise = np.random.default_rng(4).normal(size=(5, 300))
>>> survey = pd.DataFrame({"a1": noise[0] + noise[4], "a2": noise[1] + noise[4],
...                        "b1": noise[2] + noise[4] / 2, "b2": noise[3] + noise[4] / 2,
...                        "platform": np.repeat(["Douyin", "Kuaishou"], 150)})
>>> results = estimate_pls(survey, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> comparison = compare_groups(results, survey["platform"], bootstrap=200, permutations=200, seed=1, workers=1)
>>> bool(comparison.micom["compositional_invariance"].all()), list(comparison.mga.columns[:5])
(True, ['source', 'target', 'group_1', 'group_2', 'difference'])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.errors import InputError
from semtrust.estimation.bootstrap import default_workers
from semtrust.estimation.pls.algorithm import solve_stack
from semtrust.estimation.pls.bootstrap import (Problem, bootstrap_statistics, correlation_stack, map_chunks,
                                               worker_problem)
from semtrust.estimation.pls.estimate import PLSResults

__all__ = ["compare_groups", "GroupComparison", "parametric_tests"]

# statistics this close count as ties (as extreme as the observed one): a single-item construct has
# c = 1 in every permutation, and its mean difference recurs exactly when an item is discrete
ROUNDING = 1e-10


@dataclass
class GroupComparison:
    """``micom`` (one row per construct) and ``mga`` (one row per path) tables.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> group = pd.Series(np.where(np.arange(200) < 100, "Douyin", "Kuaishou"), index=df.index)
    >>> mga = compare_groups(res, group, bootstrap=100, permutations=100, seed=1, workers=1)
    >>> type(mga).__name__, mga.groups
    ('GroupComparison', ('Douyin', 'Kuaishou'))
    """

    groups: tuple
    sizes: tuple[int, int]
    micom: pd.DataFrame
    mga: pd.DataFrame


def _group_statistics(problem: Problem, membership: np.ndarray, pooled_weights: np.ndarray):
    """Paths of both groups, MICOM's c, and the score mean and log-variance differences, for each
    labelling in ``membership`` (stack × n, True = group 1)."""
    counts = np.concatenate([membership, ~membership]).astype(float)
    cor = correlation_stack(problem.data, counts)
    fit = solve_stack(cor, problem.layout, weighting=problem.weighting, consistent=problem.consistent)
    stack = len(membership)
    pooled = np.corrcoef(problem.data, rowvar=False)
    first, second = fit.weights[:stack], fit.weights[stack:]
    cross = np.einsum("bpk,pq,bqk->bk", first, pooled, second)
    c = cross / np.sqrt(np.einsum("bpk,pq,bqk->bk", first, pooled, first)
                        * np.einsum("bpk,pq,bqk->bk", second, pooled, second))
    scores = problem.data @ pooled_weights
    share_1 = membership / membership.sum(axis=1, keepdims=True)
    share_2 = ~membership / (~membership).sum(axis=1, keepdims=True)
    mean_1, mean_2 = share_1 @ scores, share_2 @ scores
    var_1 = (share_1 @ scores ** 2 - mean_1 ** 2) * (membership.sum(1) / (membership.sum(1) - 1))[:, None]
    var_2 = (share_2 @ scores ** 2 - mean_2 ** 2) * ((~membership).sum(1) / ((~membership).sum(1) - 1))[:, None]
    sources, targets = _path_index_of(problem)
    return (fit.paths[:stack, sources, targets], fit.paths[stack:, sources, targets], c,
            mean_1 - mean_2, np.log(var_1) - np.log(var_2))


def _path_index_of(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    names = problem.model.constructs
    return (np.array([names.index(s) for s, _ in problem.model.paths]),
            np.array([names.index(t) for _, t in problem.model.paths]))


def _permutation_chunk(seed: int, first_size: int, pooled_weights: np.ndarray, first: int, count: int):
    problem = worker_problem()
    n = len(problem.data)
    membership = np.zeros((count, n), bool)
    for row, p in enumerate(range(first, first + count)):
        membership[row, np.random.default_rng([seed, p]).permutation(n)[:first_size]] = True
    return _group_statistics(problem, membership, pooled_weights)


def compare_groups(results: PLSResults, group: pd.Series, *, bootstrap: int = 5000, permutations: int = 5000,
                   seed: int = 2024, workers: int | None = None, level: float = 0.95) -> GroupComparison:
    """MICOM and PLS-MGA between the two groups named by ``group`` (aligned to the data's index).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> group = pd.Series(np.where(np.arange(200) < 100, "Douyin", "Kuaishou"), index=df.index)
    >>> mga = compare_groups(res, group, bootstrap=100, permutations=100, seed=1, workers=1)
    >>> mga.mga.round(3).iloc[0].to_dict()
    {'source': 'A', 'target': 'B', 'group_1': 0.622, 'group_2': 0.607, 'difference': 0.016, 'p_permutation': 0.871, 'p_henseler': 0.415, 'p_parametric': 0.858, 'p_welch': 0.858}
    """
    if results.first_stage is not None:
        raise InputError("MICOM and MGA of a two-stage higher-order model are not supported; compare the groups "
                         "with the repeated-indicators model (higher_order='repeated')")
    if not isinstance(group, pd.Series):
        if len(group) != results.n:
            raise InputError(f"group labels: {len(group)} given for {results.n} cases; pass the data's column "
                             "(a Series) so the cases line up")
        group = pd.Series(np.asarray(group), index=results.items.index, name="group")
    labels = group.reindex(results.items.index)
    levels = list(pd.unique(labels.dropna()))
    if len(levels) != 2:
        raise InputError(f"group column '{group.name}': MICOM and MGA compare exactly two groups, found "
                         f"{len(levels)} ({', '.join(map(str, levels[:5]))}); select two groups first")
    if labels.isna().any():
        raise InputError(f"group column '{group.name}': {int(labels.isna().sum())} cases have no group; "
                         "drop them or give them one")
    member = (labels == levels[0]).to_numpy()
    sizes = (int(member.sum()), int((~member).sum()))
    workers = default_workers() if workers is None else workers
    problem = results.problem
    pooled_weights = results.fit.weights[0]
    observed = _group_statistics(problem, member[None], pooled_weights)
    parts = map_chunks(_permutation_chunk, problem, permutations, workers, seed, sizes[0], pooled_weights)
    perm = [np.concatenate([p[i] for p in parts]) for i in range(5)]

    names = list(results.model.constructs)
    alpha = 1 - level
    micom = pd.DataFrame({
        "construct": names,
        "c": observed[2][0],
        "c_quantile_5": np.quantile(perm[2], 0.05, axis=0),
        "mean_difference": observed[3][0],
        "mean_lower": np.quantile(perm[3], alpha / 2, axis=0),
        "mean_upper": np.quantile(perm[3], 1 - alpha / 2, axis=0),
        "log_variance_difference": observed[4][0],
        "variance_lower": np.quantile(perm[4], alpha / 2, axis=0),
        "variance_upper": np.quantile(perm[4], 1 - alpha / 2, axis=0),
    })
    micom["c_pvalue"] = permutation_p(perm[2] <= observed[2] + ROUNDING)
    micom["mean_pvalue"] = permutation_p(np.abs(perm[3]) >= np.abs(observed[3]) - ROUNDING)
    micom["variance_pvalue"] = permutation_p(np.abs(perm[4]) >= np.abs(observed[4]) - ROUNDING)
    micom["compositional_invariance"] = micom["c"] >= micom["c_quantile_5"] - ROUNDING
    micom["equal_means"] = micom["mean_difference"].between(micom["mean_lower"], micom["mean_upper"])
    micom["equal_variances"] = micom["log_variance_difference"].between(micom["variance_lower"],
                                                                        micom["variance_upper"])

    difference = observed[0][0] - observed[1][0]
    mga = pd.DataFrame({
        "source": [s for s, _ in results.model.paths], "target": [t for _, t in results.model.paths],
        "group_1": observed[0][0], "group_2": observed[1][0], "difference": difference,
        "p_permutation": permutation_p(np.abs(perm[0] - perm[1]) >= np.abs(difference) - ROUNDING),
    })
    mga["p_henseler"] = mga["p_parametric"] = mga["p_welch"] = np.nan
    if bootstrap:   # bootstrap=0 runs MICOM and the permutation test only
        boot = [_group_paths(results, problem, member if g == 0 else ~member, bootstrap, seed, workers)
                for g in (0, 1)]
        mga["p_henseler"] = [henseler_p(boot[0][:, j], boot[1][:, j]) for j in range(len(difference))]
        se_1, se_2 = boot[0].std(axis=0, ddof=1), boot[1].std(axis=0, ddof=1)
        mga["p_parametric"], mga["p_welch"] = parametric_tests(difference, se_1, se_2, *sizes)
    return GroupComparison(tuple(levels), sizes, micom, mga)


def permutation_p(as_extreme: np.ndarray) -> np.ndarray:
    """Permutation p per column of a permutations × statistics array that flags the permutations at
    least as extreme as the observed value: (1 + count) / (1 + permutations), so never 0.

    >>> permutation_p(np.array([[True, False], [False, False], [True, False]])).tolist()
    [0.75, 0.25]
    """
    return (1 + as_extreme.sum(axis=0)) / (1 + len(as_extreme))


def _group_paths(results: PLSResults, problem: Problem, rows: np.ndarray, draws: int, seed: int, workers: int):
    """Bootstrap draws of the paths within one group (draws × paths)."""
    sub = Problem(problem.data[rows], problem.model, problem.layout, problem.weighting, problem.consistent)
    values = bootstrap_statistics(sub, draws, seed, workers=workers).values
    columns = [k[0] == "path" for k in results.keys]
    return values[:, columns]


def henseler_p(first: np.ndarray, second: np.ndarray) -> float:
    """Henseler's PLS-MGA p: 1 − share of draw pairs (j, k) with 2θ̄₁ − θ₁ⱼ − 2θ̄₂ + θ₂ₖ > 0."""
    size = min(len(first), len(second))
    first, second = first[:size], second[:size]
    left = 2 * first.mean() - first - 2 * second.mean()
    favourable = np.searchsorted(np.sort(-second), left, side="left").sum()   # #{k: θ₂ₖ > −left_j}
    return float(1 - favourable / size ** 2)


def parametric_tests(difference, se_1, se_2, n_1: int, n_2: int):
    """Two-sided p of the parametric (pooled SE, df n₁ + n₂ − 2) and Welch–Satterthwaite tests of
    a path difference from the groups' bootstrap SEs (Sarstedt, Henseler & Ringle 2011).

    >>> [round(float(p[0]), 4) for p in parametric_tests(np.array([0.2]), np.array([0.08]), np.array([0.08]), 150, 150)]
    [0.0771, 0.0771]
    """
    pooled = np.sqrt((n_1 - 1) ** 2 / (n_1 + n_2 - 2) * se_1 ** 2 + (n_2 - 1) ** 2 / (n_1 + n_2 - 2) * se_2 ** 2) \
        * np.sqrt(1 / n_1 + 1 / n_2)
    p_parametric = 2 * stats.t.sf(np.abs(difference / pooled), n_1 + n_2 - 2)
    spread = (n_1 - 1) / n_1 * se_1 ** 2 + (n_2 - 1) / n_2 * se_2 ** 2
    df = spread ** 2 / ((n_1 - 1) / n_1 ** 2 * se_1 ** 4 + (n_2 - 1) / n_2 ** 2 * se_2 ** 4) - 2
    p_welch = 2 * stats.t.sf(np.abs(difference / np.sqrt(spread)), df)
    return p_parametric, p_welch
