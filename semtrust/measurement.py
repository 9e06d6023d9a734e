"""Measurement stage: the CFA of every construct and its reliability and convergent validity.

>>> import numpy as np
>>> lam = np.array([0.8, 0.8, 0.8])
>>> round(composite_reliability(lam), 4), round(average_variance_extracted(lam), 4)
(0.8421, 0.64)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semtrust.engine import SEM, SEMResults
from semtrust.syntax import ModelSyntax

# Hair et al. (2019); Fornell & Larcker (1981); Nunnally (1978)
THRESHOLDS = {"loading": 0.70, "alpha": 0.70, "cr": 0.70, "ave": 0.50, "upper": 0.95}


def measurement_model(spec: ModelSyntax) -> ModelSyntax | None:
    """The CFA implied by a full model: its ``=~`` statements and the ``~~`` statements among
    the factors and their indicators (e.g. ``F ~~ 1*F`` that sets a scale, or a residual
    covariance), with all factors free to covary; regressions dropped. None without factors."""
    if not spec.latent:
        return None
    measured = {v for s in spec.statements if s.op == "=~" for v in (s.lhs, s.rhs)}
    keep = [s for s in spec.statements
            if s.op == "=~" or (s.op == "~~" and {s.lhs, s.rhs} <= measured)]
    return ModelSyntax(statements=keep, definitions=[], source=spec.source + " (measurement part)")


def fit_measurement(spec: ModelSyntax, data: pd.DataFrame) -> SEMResults | None:
    cfa = measurement_model(spec)
    return None if cfa is None else SEM(cfa).fit(data)


def composite_reliability(std_loadings: np.ndarray) -> float:
    """Composite reliability (rho_C) from standardized loadings, residuals 1 - lambda^2."""
    total = std_loadings.sum() ** 2
    return float(total / (total + (1 - std_loadings ** 2).sum()))


def average_variance_extracted(std_loadings: np.ndarray) -> float:
    return float(np.mean(std_loadings ** 2))


def item_groups(spec: ModelSyntax) -> dict[str, list[str]]:
    """factor -> its observed indicators, in the order of the model."""
    latent = set(spec.latent)
    groups: dict[str, list[str]] = {}
    for s in spec.statements:
        if s.op == "=~" and s.rhs not in latent:
            groups.setdefault(s.lhs, []).append(s.rhs)
    return groups


def loadings_table(cfa: SEMResults, groups: dict[str, list[str]]) -> pd.DataFrame:
    """One row per item: construct, item, unstandardized and standardized loading."""
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
    """Cronbach's alpha (pingouin) with Feldt's CI, unrounded (pingouin rounds it to 3 places)."""
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
    """Per construct: items, alpha with CI (raw data only), CR and AVE (from the CFA's
    standardized loadings)."""
    loadings = loadings_table(cfa, groups) if cfa is not None else None
    records = []
    for construct, items in groups.items():
        row = dict(construct=construct, n_items=len(items))
        if len(items) >= 2 and data is not None:
            row["alpha"], row["alpha_ci_lower"], row["alpha_ci_upper"] = cronbach_alpha(data[items])
        if loadings is not None:
            lam = loadings.loc[loadings.construct == construct, "std_all"].to_numpy()
            row["cr"] = composite_reliability(lam)
            row["ave"] = average_variance_extracted(lam)
            row["min_loading"] = float(lam.min())
        records.append(row)
    return pd.DataFrame(records).set_index("construct")
