"""Measurement stage: the CFA of every construct and its reliability and convergent validity.

Per construct: Cronbach's alpha with Feldt's CI, McDonald's omega, composite reliability (CR),
average variance extracted (AVE); per item: standardized loading with delta-method SE and CI,
corrected item-total correlation, alpha if the item is deleted, and the item's distribution
(skewness, kurtosis) with Mardia's multivariate tests. Discriminant validity and the bootstrap
CIs of CR, AVE and HTMT are in :mod:`semtrust.validity`.

>>> import numpy as np
>>> lam = np.array([0.8, 0.8, 0.8])
>>> round(composite_reliability(lam), 4), round(average_variance_extracted(lam), 4)
(0.8421, 0.64)
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from semtrust.estimation.constraints import numerical_jacobian
from semtrust.estimation.ml import SEM, SEMResults, Z975
from semtrust.estimation.ordinal import OrdinalResults
from semtrust.model.syntax import ModelSyntax

__all__ = ["measurement_model", "fit_measurement", "item_groups", "loadings_table", "reliability_table",
           "item_statistics", "cronbach_alpha", "coefficient_alpha", "composite_reliability",
           "average_variance_extracted", "standardized_solution", "mardia", "normality", "verdict"]

# Hair et al. (2019); Fornell & Larcker (1981); Nunnally (1978); McDonald (1999)
THRESHOLDS = {"loading": 0.70, "alpha": 0.70, "cr": 0.70, "omega": 0.70, "ave": 0.50, "upper": 0.95}
# Curran, West & Finch (1996) per item; Mardia's kurtosis critical ratio (Bentler 2006; Byrne 2010)
NORMALITY = {"skew": 2.0, "kurtosis": 7.0, "mardia_kurtosis_z": 5.0}


def measurement_model(spec: ModelSyntax) -> ModelSyntax | None:
    """The CFA implied by a full model: its ``=~`` statements and the ``~~`` statements among
    the factors and their indicators (e.g. ``F ~~ 1*F`` that sets a scale, or a residual
    covariance), with all factors free to covary; regressions dropped. None without factors.

    >>> from semtrust.model.syntax import parse_model
    >>> cfa = measurement_model(parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6\\nF2 ~ F1"))
    >>> [(s.lhs, s.op, s.rhs) for s in cfa.statements]
    [('F1', '=~', 'x1'), ('F1', '=~', 'x2'), ('F1', '=~', 'x3'), ('F2', '=~', 'x4'), ('F2', '=~', 'x5'), ('F2', '=~', 'x6')]
    """
    if not spec.latent:
        return None
    measured = {v for s in spec.statements if s.op == "=~" for v in (s.lhs, s.rhs)}
    keep = [s for s in spec.statements
            if s.op == "=~" or (s.op == "~~" and {s.lhs, s.rhs} <= measured)]
    return ModelSyntax(statements=keep, definitions=[], source=spec.source + " (measurement part)")


def fit_measurement(spec: ModelSyntax, data: pd.DataFrame) -> SEMResults | None:
    """The CFA of ``spec``'s measurement part fitted to ``data`` by ML, or None when the model has
    no factors.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.model.syntax import parse_model
    >>> cfa = fit_measurement(parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6\\nF2 ~ F1"), data)
    >>> int(cfa.fit_measures["df"]), round(float(cfa.fit_measures["cfi"]), 3)
    (8, 1.0)
    """
    cfa = measurement_model(spec)
    return None if cfa is None else SEM(cfa).fit(data)


def composite_reliability(std_loadings: np.ndarray) -> float:
    """Composite reliability (rho_C) from standardized loadings, residuals 1 - lambda^2
    (= semTools::compRelSEM(obs.var = FALSE) of the CFA of standardized items).

    >>> import numpy as np
    >>> round(composite_reliability(np.array([0.7, 0.8, 0.75])), 3)
    0.795
    """
    total = std_loadings.sum() ** 2
    return float(total / (total + (1 - std_loadings ** 2).sum()))


def average_variance_extracted(std_loadings: np.ndarray) -> float:
    """Mean squared standardized loading (= semTools::AVE(obs.var = FALSE) of the CFA of
    standardized items).

    >>> import numpy as np
    >>> round(average_variance_extracted(np.array([0.7, 0.8, 0.75])), 3)
    0.564
    """
    return float(np.mean(std_loadings ** 2))


def item_groups(spec: ModelSyntax) -> dict[str, list[str]]:
    """factor -> its observed indicators, in the order of the model.

    >>> from semtrust.model.syntax import parse_model
    >>> item_groups(parse_model("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5\\nF2 ~ F1"))
    {'F1': ['x1', 'x2', 'x3'], 'F2': ['x4', 'x5']}
    """
    latent = set(spec.latent)
    groups: dict[str, list[str]] = {}
    for s in spec.statements:
        if s.op == "=~" and s.rhs not in latent:
            groups.setdefault(s.lhs, []).append(s.rhs)
    return groups


def loadings_table(cfa: SEMResults, groups: dict[str, list[str]]) -> pd.DataFrame:
    """One row per item: construct, item, unstandardized and standardized loading.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> loadings_table(cfa, groups).round(3)
      construct item    est     se       z  pvalue  std_all
    0        F1   x1  1.000  0.000     NaN     NaN    0.766
    1        F1   x2  1.117  0.094  11.928     0.0    0.839
    2        F1   x3  0.897  0.082  10.983     0.0    0.691
    3        F2   x4  1.000  0.000     NaN     NaN    0.793
    4        F2   x5  0.971  0.077  12.660     0.0    0.775
    5        F2   x6  0.949  0.074  12.897     0.0    0.803
    """
    params = cfa.parameters
    rows = params[(params.op == "=~")].set_index(["lhs", "rhs"])
    records = []
    for construct, items in groups.items():
        for item in items:
            r = rows.loc[(construct, item)]
            records.append(dict(construct=construct, item=item, est=r.est, se=r.se, z=r.z,
                                pvalue=r.pvalue, std_all=r.std_all))
    return pd.DataFrame(records)


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95) -> tuple[float, float, float]:
    """Cronbach's alpha (pingouin) with Feldt's CI, unrounded (pingouin rounds it to 3 places).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> [round(x, 3) for x in cronbach_alpha(data[["x1", "x2", "x3"]])]
    [0.808, 0.767, 0.843]
    """
    import pingouin
    from scipy.stats import f

    alpha, _ = pingouin.cronbach_alpha(data=items, nan_policy="listwise")
    n, k = items.dropna().shape
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    lower = 1 - (1 - alpha) * f.ppf(1 - tail, df1, df2)
    upper = 1 - (1 - alpha) * f.ppf(tail, df1, df2)
    return float(alpha), float(lower), float(upper)


def reliability_table(data: pd.DataFrame | None, groups: dict[str, list[str]],
                      cfa: SEMResults | None) -> pd.DataFrame:
    """Per construct: items, mean and SD of the scale score and alpha with CI (raw data only),
    omega (CFA over the observed item variances), CR and AVE (from the CFA's standardized
    loadings).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> reliability_table(data, groups, cfa)[["alpha", "alpha_ci_lower", "omega", "cr", "ave"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
               alpha  alpha_ci_lower  omega     cr    ave
    construct
    F1         0.808           0.767  0.811  0.810  0.589
    F2         0.833           0.797  0.833  0.833  0.625
    """
    loadings = loadings_table(cfa, groups) if cfa is not None else None
    records = []
    for construct, items in groups.items():
        row = dict(construct=construct, n_items=len(items))
        if data is not None:
            score = data[items].mean(axis=1)   # the scale score: mean item response
            row["mean"], row["sd"] = float(score.mean()), float(score.std())
        if len(items) >= 2 and data is not None:
            row["alpha"], row["alpha_ci_lower"], row["alpha_ci_upper"] = cronbach_alpha(data[items])
        if loadings is not None:
            lam = loadings.loc[loadings.construct == construct, "std_all"].to_numpy()
            # an ordinal fit's omega is on the category scale (assessment.ordinal_reliability)
            row["omega"] = _omega_total(cfa, construct, items) if isinstance(cfa, SEMResults) else math.nan
            row["cr"] = composite_reliability(lam)
            row["ave"] = average_variance_extracted(lam)
            row["min_loading"] = float(lam.min())
        records.append(row)
    return pd.DataFrame(records, columns=None if records else ["construct", "n_items"]).set_index("construct")


def coefficient_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha from the items' covariance matrix: k/(k-1) (1 - tr C / 1'C1).

    >>> import numpy as np
    >>> round(coefficient_alpha(np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.5], [0.5, 0.5, 1.0]])), 3)
    0.75
    """
    k = len(cov)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum())) if k >= 2 else math.nan


def _omega_total(cfa: SEMResults, construct: str, items: list[str]) -> float:
    """McDonald's omega of the unit-weighted item sum: (sum lambda)^2 phi / 1'S1, with phi the
    factor's model-implied variance and S the items' sample covariance (divisor n), as
    semTools::compRelSEM(fit) (obs.var = TRUE)."""
    names, observed = cfa.compiled.names, cfa.compiled.observed
    A, _ = cfa.compiled.matrices(cfa.theta)
    f = names.index(construct)
    rows = [names.index(i) for i in items]
    cols = [observed.index(i) for i in items]
    common = A[rows, f].sum() ** 2 * cfa.total_cov[f, f]
    return float(common / cfa.sample_cov[np.ix_(cols, cols)].sum())


def standardized_solution(cfa: SEMResults, factors: list[str] | None = None) -> pd.DataFrame:
    """std.all of every loading and the correlation of every pair of ``factors`` (default: all
    latent variables) with delta-method SE, z, p and Wald 95% CI, as lavaan's
    ``standardizedSolution()`` (rows ``lhs op rhs est se z pvalue ci_lower ci_upper``; a pair
    is ``~~``). Correlations are model-implied, so they exist for factors without a covariance
    parameter too (e.g. under a second-order factor); for the exogenous factors of a CFA they
    are lavaan's std.all of the factor covariance. An ordinal fit's items are latent responses
    of SD 1 under the delta parameterization, at every parameter vector (its thresholds, last in
    ``theta``, do not enter).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> standardized_solution(cfa).round(3).tail(2)
      lhs  op rhs    est     se       z  pvalue  ci_lower  ci_upper
    5  F2  =~  x6  0.803  0.031  26.227     0.0     0.743     0.863
    6  F1  ~~  F2  0.467  0.057   8.125     0.0     0.354     0.580
    """
    from scipy import stats

    compiled = cfa.compiled
    ordinal = isinstance(cfa, OrdinalResults)
    position = {v: k for k, v in enumerate(compiled.names)}
    factors = list(compiled.table.latent) if factors is None else factors
    loadings = [(i, j) for row, (_, i, j) in zip(compiled.table.rows, compiled.row_positions) if row.op == "=~"]
    labels = [(row.lhs, "=~", row.rhs) for row in compiled.table.rows if row.op == "=~"]
    pairs = [(a, b) for k, a in enumerate(factors) for b in factors[k + 1:]]
    labels += [(a, "~~", b) for a, b in pairs]
    li, lj = (np.array(x, dtype=int) for x in zip(*loadings)) if loadings else (np.zeros(0, int),) * 2
    ci, cj = (np.array([position[v] for v in side], dtype=int) for side in zip(*pairs)) if pairs \
        else (np.zeros(0, int),) * 2

    def values(theta):
        A, S = compiled.matrices(theta)
        E = compiled.effects(A)
        total = E @ S @ E.T
        sd = cfa.total_sd(theta) if ordinal else np.sqrt(np.clip(np.diag(total), 0, None))
        return np.concatenate([A[li, lj] * sd[lj] / sd[li], total[ci, cj] / (sd[ci] * sd[cj])])

    theta, vcov = cfa.theta[: compiled.n_free], cfa.vcov[: compiled.n_free, : compiled.n_free]
    est = values(theta)
    jac = numerical_jacobian(values, theta)
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0, None))
    frame = pd.DataFrame(labels, columns=["lhs", "op", "rhs"]).assign(est=est, se=se)
    frame["z"] = np.where(se > 0, est / np.where(se > 0, se, 1), np.nan)
    frame["pvalue"] = np.where(se > 0, 2 * stats.norm.sf(np.abs(frame.z)), np.nan)
    frame["ci_lower"] = est - Z975 * se
    frame["ci_upper"] = est + Z975 * se
    return frame


def _distribution(values: pd.Series) -> dict:
    """Mean, SD (n - 1), skewness G1 and excess kurtosis G2 (SPSS's; psych::describe type 2)."""
    return dict(mean=float(values.mean()), sd=float(values.std()), skew=float(values.skew()),
                kurtosis=float(values.kurt()))


def item_statistics(data: pd.DataFrame | None, groups: dict[str, list[str]],
                    cfa: SEMResults | None) -> pd.DataFrame:
    """One row per item: standardized loading with SE, 95% CI and its verdict against .70 (CFA);
    mean, SD, skewness,
    kurtosis, corrected item-total r and alpha if deleted (raw data, as psych::alpha's
    ``r.drop`` and ``alpha.drop``).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> from semtrust.estimation.ml import SEM
    >>> cfa = SEM("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").fit(data)
    >>> item_statistics(data, groups, cfa)[["item", "std_loading", "mean", "sd", "item_total", "alpha_if_deleted"]].round(3).head(3)
      item  std_loading   mean     sd  item_total  alpha_if_deleted
    0   x1        0.766 -0.085  1.129       0.661             0.732
    1   x2        0.839 -0.066  1.152       0.698             0.693
    2   x3        0.691 -0.057  1.122       0.612             0.783
    """
    solution = standardized_solution(cfa, []).set_index(["lhs", "op", "rhs"]) if cfa is not None else None
    records = []
    for construct, items in groups.items():
        for item in items:
            row = dict(construct=construct, item=item)
            if solution is not None:
                s = solution.loc[(construct, "=~", item)]
                row.update(std_loading=s.est, se=s.se, pvalue=s.pvalue, ci_lower=s.ci_lower, ci_upper=s.ci_upper,
                           loading_verdict=verdict(s.est, THRESHOLDS["loading"]))
            if data is not None:
                row.update(_distribution(data[item]))
                others = [i for i in items if i != item]
                if others:
                    row["item_total"] = float(np.corrcoef(data[item], data[others].sum(axis=1))[0, 1])
                    row["alpha_if_deleted"] = coefficient_alpha(np.atleast_2d(np.cov(data[others].to_numpy().T)))
            records.append(row)
    return pd.DataFrame(records)


def mardia(data: pd.DataFrame) -> dict:
    """Mardia's multivariate skewness and kurtosis tests, as psych::mardia (covariance with
    divisor n - 1): b1p, b2p, skew = n b1p / 6 ~ chi2(p(p+1)(p+2)/6) with its small-sample
    version, kurtosis = (b2p - p(p+2)) / sqrt(8p(p+2)/n) ~ N(0, 1), the critical ratio.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> {k: round(float(v), 3) for k, v in mardia(data).items() if k in ("b1p", "b2p", "kurtosis", "kurtosis_pvalue")}
    {'b1p': 1.117, 'b2p': 46.486, 'kurtosis': -1.338}
    """
    from scipy import stats

    x = data.to_numpy(dtype=float)
    n, p = x.shape
    centered = x - x.mean(axis=0)
    # whitened cases w_i (w_i.w_j = z_i' S^-1 z_j) without the n x n matrix of those products
    white = np.linalg.solve(np.linalg.cholesky(np.cov(x.T)), centered.T).T
    b1p = _sum_of_cubed_products(white) / n ** 2
    b2p = float(((white ** 2).sum(axis=1) ** 2).sum() / n)
    df = p * (p + 1) * (p + 2) / 6
    k = (p + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (p + 1) - 6))
    skew, small = n * b1p / 6, n * k * b1p / 6
    kurtosis = (b2p - p * (p + 2)) * math.sqrt(n / (8 * p * (p + 2)))
    return dict(n=n, p=p, b1p=b1p, b2p=b2p, skew=skew, skew_df=df, p_skew=float(stats.chi2.sf(skew, df)),
                small_skew=small, p_small=float(stats.chi2.sf(small, df)), kurtosis=kurtosis,
                p_kurt=float(2 * stats.norm.sf(abs(kurtosis))))


def _sum_of_cubed_products(white: np.ndarray, chunk_cells: int = 2 ** 22) -> float:
    """sum over all pairs of cases (w_i . w_j)^3 in O(n p^2) memory: blocks of the n x n
    products when n < p^2, else the p x p x p third-moment tensor sum_i w_i (x) w_i (x) w_i,
    whose squared entries sum to the same number."""
    n, p = white.shape
    if n < p * p:
        step = max(1, chunk_cells // n)
        return float(sum(((white[i:i + step] @ white.T) ** 3).sum() for i in range(0, n, step)))
    step = max(1, chunk_cells // (p * p))
    tensor = np.zeros((p * p, p))
    for i in range(0, n, step):
        block = white[i:i + step]
        tensor += (block[:, :, None] * block[:, None, :]).reshape(len(block), p * p).T @ block
    return float((tensor ** 2).sum())


def normality(data: pd.DataFrame, items: list[str]) -> dict:
    """Univariate and multivariate normality of the analysed items, and whether it is violated:
    an item with |skew| >= 2 or |kurtosis| >= 7 (Curran, West & Finch 1996), or a Mardia kurtosis
    critical ratio > 5; then robust ML (``--estimator MLR``) is recommended.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> data = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> groups = {"F1": ["x1", "x2", "x3"], "F2": ["x4", "x5", "x6"]}
    >>> result = normality(data, list(data.columns))
    >>> result["violated"], sorted(result)
    (False, ['criteria', 'items', 'kurtotic_items', 'mardia', 'recommendation', 'skewed_items', 'violated'])
    """
    table = [dict(item=i, **_distribution(data[i])) for i in items]
    skewed = [r["item"] for r in table if abs(r["skew"]) >= NORMALITY["skew"]]
    kurtic = [r["item"] for r in table if abs(r["kurtosis"]) >= NORMALITY["kurtosis"]]
    multivariate = mardia(data[items]) if len(data) > len(items) else None
    mardia_violated = multivariate is not None and multivariate["kurtosis"] > NORMALITY["mardia_kurtosis_z"]
    violated = bool(skewed or kurtic or mardia_violated)
    return dict(items=table, skewed_items=skewed, kurtotic_items=kurtic, mardia=multivariate,
                criteria=NORMALITY, violated=violated, recommendation="MLR" if violated else None)


def verdict(value: float, low: float, high: float | None = None) -> str | None:
    """'ok' within [low, high], 'low' below, 'high' above; None without a value.

    >>> verdict(0.82, 0.70), verdict(0.45, 0.50), verdict(0.95, 0.70, 0.90), verdict(None, 0.7)
    ('ok', 'low', 'high', None)
    """
    if value is None or not np.isfinite(value):
        return None
    return "low" if value < low else "high" if high is not None and value > high else "ok"
