"""Assessment stage: reliability of ordinal (Likert) items from a WLSMV fit.

Sum scores of ordinal items are not linear in the latent responses, so their reliability is
computed on the category scale: omega for categorical indicators (Green & Yang 2009) as semTools
``compRelSEM`` gives on an ordinal fit, and ordinal alpha (Cronbach's alpha of the polychoric
matrix, Zumbo, Gadermann & Zeisser 2007) as ``psych::alpha(polychoric)``.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.ordinal import fit_ordinal
>>> rng = np.random.default_rng(3)
>>> factor = rng.normal(size=(800, 1))
>>> latent = 0.7 * factor + np.sqrt(1 - 0.49) * rng.normal(size=(800, 4))
>>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
>>> fit = fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")
>>> round(ordinal_omega(fit)["trust"], 2), round(ordinal_alpha(fit.statistics.correlation, list(items)), 2)
(0.77, 0.8)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.assessment.reliability import coefficient_alpha
from semtrust.estimation.ordinal import OrdinalResults
from semtrust.estimation.polychoric import bivariate_normal_cdf

__all__ = ["ordinal_omega", "ordinal_alpha"]


def ordinal_omega(results: OrdinalResults) -> dict[str, float]:
    """Reliability of each factor's sum score for categorical indicators (Green & Yang 2009), as
    semTools ``compRelSEM`` on an ordinal fit: the covariance of the items' category scores
    implied by the common factor (lambda_i lambda_j psi), over that implied by the polychoric
    matrix, both through the bivariate normal probabilities on the model's thresholds.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> latent = 0.7 * rng.normal(size=(500, 1)) + np.sqrt(0.51) * rng.normal(size=(500, 4))
    >>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3", "q4"])
    >>> from semtrust.estimation.ordinal import fit_ordinal
    >>> {k: round(v, 3) for k, v in ordinal_omega(fit_ordinal(items, "trust =~ q1 + q2 + q3 + q4")).items()}
    {'trust': 0.785}
    """
    params = results.parameters
    sd = dict(zip(results.compiled.names, results.total_sd(results.theta)))
    # on the latent responses' standard scale (a no-op under delta)
    thresholds = {v: tau / sd[v] for v, tau in results.thresholds.items()}
    correlation = results.statistics.correlation
    names = results.statistics.names
    omega = {}
    for factor in results.compiled.table.latent:
        loads = params[(params.op == "=~") & (params.lhs == factor)
                       & params.rhs.isin(results.statistics.names)]
        if len(loads) < 2:
            continue
        items = loads.rhs.tolist()
        continuous = [v for v in items if v in results.statistics.means]
        if continuous:
            if len(continuous) == len(items):  # semTools: the common over the sample covariance
                lam = loads.est.to_numpy()
                cov = pd.DataFrame(results.statistics.covariance, index=names, columns=names)
                omega[factor] = float(lam.sum() ** 2 * sd[factor] ** 2 / cov.loc[items, items].to_numpy().sum())
            continue  # mixed ordinal and continuous indicators have no omega (semTools)
        lam = loads.est.to_numpy() / np.array([sd[v] for v in items])
        true_part = np.outer(lam, lam) * sd[factor] ** 2
        total = correlation.loc[items, items].to_numpy()
        omega[factor] = _category_covariance(true_part, items, thresholds) / \
            _category_covariance(total, items, thresholds)
    return omega


def _category_covariance(r: np.ndarray, items: list[str], thresholds: dict) -> float:
    """sum_ij sum_cc' [Phi2(t_ic, t_jc', r_ij) - Phi(t_ic) Phi(t_jc')]: the covariance of the
    items' sum score implied by latent correlations ``r``."""
    total = 0.0
    for i, a in enumerate(items):
        for j, b in enumerate(items):
            x, y = np.meshgrid(thresholds[a], thresholds[b], indexing="ij")
            if i == j and r[i, j] >= 1 - 1e-12:
                joint = stats.norm.cdf(np.minimum(x, y))
            else:
                joint = bivariate_normal_cdf(x, y, r[i, j])
            total += float(joint.sum() - stats.norm.cdf(thresholds[a]).sum() * stats.norm.cdf(thresholds[b]).sum())
    return total


def ordinal_alpha(correlation: pd.DataFrame, items: list[str]) -> float:
    """Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): Cronbach's alpha of the polychoric
    matrix, as ``psych::alpha(polychoric)``.

    >>> r = pd.DataFrame([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]], index=list("abc"), columns=list("abc"))
    >>> round(ordinal_alpha(r, ["a", "b", "c"]), 4)
    0.75
    """
    return coefficient_alpha(correlation.loc[items, items].to_numpy())
