"""Structural stage, categorical moderator: the same paths estimated in each group (a platform,
say) and compared pair by pair.

Each equation (M on X, Y on X and M, or Y on X alone, covariates in all) is an OLS regression
within each group, giving per-group b, SE, t, p and β (b times the predictor's over the
outcome's within-group SD). Two groups' slopes differ by ``b_g - b_h`` with SE
``sqrt(se_g² + se_h²)`` (independent samples; Clogg, Petkova & Haritou 1995), a z test, and the
p values of each path's pairwise contrasts are Holm-adjusted.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(5)
>>> platform = np.repeat(["Douyin", "Kuaishou", "Taobao"], 100)
>>> x = rng.normal(size=300)
>>> y = np.select([platform == "Douyin"], [0.8], 0.2) * x + rng.normal(size=300)
>>> result = compare_groups(pd.DataFrame({"platform": platform, "x": x, "y": y}), "platform", x="x", y="y")
>>> result.paths[["group", "b", "beta"]].round(2).to_dict("list")
{'group': ['Douyin', 'Kuaishou', 'Taobao'], 'b': [0.81, 0.18, 0.25], 'beta': [0.59, 0.2, 0.22]}
>>> result.contrasts[["group_1", "group_2", "p_holm"]].round(3).to_dict("list")
{'group_1': ['Douyin', 'Douyin', 'Kuaishou'], 'group_2': ['Kuaishou', 'Taobao', 'Taobao'], 'p_holm': [0.0, 0.001, 0.663]}
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.multitest import multipletests

from semtrust.errors import InputError
from semtrust.structural.moderation import HC_TYPES, ols_vcov

__all__ = ["compare_groups", "GroupComparison"]


@dataclass
class GroupComparison:
    """Per-group path estimates and pairwise group contrasts of each path.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"platform": np.repeat(["Douyin", "Kuaishou"], 100), "trust": rng.normal(size=200)})
    >>> data["buy"] = np.where(data.platform == "Douyin", 0.6, 0.2) * data.trust + rng.normal(size=200)
    >>> result = compare_groups(data, "platform", x="trust", y="buy")
    >>> result.group, result.paths.shape[0], result.contrasts.shape[0]
    ('platform', 2, 1)
    """

    group: str
    paths: pd.DataFrame
    contrasts: pd.DataFrame

    def to_dict(self) -> dict:
        """The group part of results.json's ``moderation`` block."""
        return {"group": self.group, "paths": self.paths.to_dict("records"),
                "contrasts": self.contrasts.to_dict("records")}

    def summary(self) -> str:
        """The two tables as text."""
        def table(frame: pd.DataFrame) -> str:
            return frame.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return (f"Paths by {self.group}:\n{table(self.paths.drop(columns=['outcome', 'predictor']))}\n\n"
                f"Pairwise group contrasts (Holm-adjusted p):\n{table(self.contrasts)}")


def _equations(x: str, y: str, mediators: list[str]) -> list[tuple[str, list[str]]]:
    """(outcome, predictors) of each equation, covariates not yet added."""
    return [(m, [x]) for m in mediators] + [(y, [x, *mediators])]


def compare_groups(data: pd.DataFrame, group: str, x: str, y: str, m=None, covariates=(), *,
                   hc: str | None = None, min_group_size: int = 10) -> GroupComparison:
    """Per-group OLS paths of X (through the mediators ``m``) to Y and their pairwise contrasts.

    Groups are the distinct non-missing values of ``group`` in sorted order; a group with fewer
    than ``min_group_size`` complete rows is an input error (merge or drop it).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"platform": np.repeat(["Douyin", "Kuaishou"], 100), "trust": rng.normal(size=200)})
    >>> data["buy"] = np.where(data.platform == "Douyin", 0.6, 0.2) * data.trust + rng.normal(size=200)
    >>> result = compare_groups(data, "platform", x="trust", y="buy")
    >>> result.paths[["path", "group", "n", "b", "se", "p", "beta"]].round(3)
              path     group    n      b     se      p  beta
    0  buy ~ trust    Douyin  100  0.742  0.117  0.000  0.54
    1  buy ~ trust  Kuaishou  100  0.100  0.101  0.325  0.10
    >>> result.contrasts.round(3)
              path group_1   group_2  difference     se      z    p  p_holm
    0  buy ~ trust  Douyin  Kuaishou       0.642  0.155  4.154  0.0     0.0
    """
    mediators = [m] if isinstance(m, str) else list(m or [])
    covariates = list(covariates)
    if hc is not None and hc.upper() not in HC_TYPES:
        raise InputError(f"unknown hc {hc!r}; use one of {', '.join(HC_TYPES)}")
    hc = hc.upper() if hc else None
    columns = [group, x, *mediators, y, *covariates]
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise InputError(f"column {missing[0]!r} is not in the data")
    frame = data[columns].dropna()
    numeric = frame[columns[1:]].apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        bad = numeric.columns[numeric.isna().any()][0]
        raise InputError(f"column {bad!r} has non-numeric values; paths need numeric columns")
    frame[columns[1:]] = numeric
    levels = sorted(frame[group].unique(), key=str)
    if len(levels) < 2:
        raise InputError(f"column {group!r} has {len(levels)} group(s); a group comparison needs two or more")
    sizes = frame[group].value_counts()
    small = [g for g in levels if sizes[g] < min_group_size]
    if small:
        raise InputError(f"group {small[0]!r} of {group!r} has {sizes[small[0]]} complete rows "
                         f"(fewer than {min_group_size}); merge it with another group or drop it")
    rows = []
    for level in levels:
        part = frame[frame[group] == level]
        for outcome, predictors in _equations(x, y, mediators):
            design = np.column_stack([np.ones(len(part)), part[predictors + covariates].to_numpy()])
            fitted = OLS(part[outcome].to_numpy(), design).fit()
            vcov = ols_vcov(fitted, design, hc)
            for position, predictor in enumerate(predictors, start=1):
                b, se = fitted.params[position], math.sqrt(vcov[position, position])
                t = b / se
                rows.append(dict(path=f"{outcome} ~ {predictor}", outcome=outcome, predictor=predictor,
                                 group=level, n=len(part), b=b, se=se, t=t,
                                 p=2 * stats.t.sf(abs(t), fitted.df_resid),
                                 beta=b * part[predictor].std() / part[outcome].std()))
    paths = pd.DataFrame(rows)
    return GroupComparison(group, paths, _contrasts(paths))


def _contrasts(paths: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for path, per_group in paths.groupby("path", sort=False):
        estimates = per_group.set_index("group")
        tests = []
        for first, second in combinations(estimates.index, 2):
            difference = estimates.b[first] - estimates.b[second]
            se = math.hypot(estimates.se[first], estimates.se[second])
            z = difference / se
            tests.append(dict(path=path, group_1=first, group_2=second, difference=difference, se=se,
                              z=z, p=2 * stats.norm.sf(abs(z))))
        adjusted = multipletests([t["p"] for t in tests], method="holm")[1]
        rows += [{**t, "p_holm": float(p)} for t, p in zip(tests, adjusted)]
    return pd.DataFrame(rows)
