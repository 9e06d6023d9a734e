"""Missing-data report: percent missing per item and per respondent, the missing-data
patterns, and Little's (1988) MCAR test.

Little's statistic compares each missing-data pattern's observed means with the EM (ML)
estimates of the means under missingness (:func:`semtrust.missing.em_moments`),

    d² = Σ_j n_j (ȳ_j − μ_j)ᵀ Σ_jj⁻¹ (ȳ_j − μ_j),   df = Σ_j p_j − p,

where pattern j has n_j respondents and p_j observed items; rows with nothing observed are
left out. This is ``naniar::mcar_test`` (tests/conformance/make_missing_fixtures.R checks it
against lavaan's EM estimates).

>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"a": [1.0, 2, 3, 4, np.nan, 2], "b": [2.0, 1, 4, np.nan, 5, 3]})
>>> little_mcar(frame)["df"]
2
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.missing import em_estimates, missing_patterns

__all__ = ["little_mcar", "missing_data_report"]


def little_mcar(frame: pd.DataFrame) -> dict:
    """Little's MCAR test: ``{chisq, df, pvalue, n, n_patterns}`` (chisq/pvalue None when the
    data have a single pattern, i.e. nothing or everything missing alike).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(4)
    >>> frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    >>> frame.loc[rng.random(200) < 0.2, "b"] = np.nan
    >>> test = little_mcar(frame)
    >>> test["df"], test["n_patterns"], round(test["pvalue"], 3)
    (2, 2, 0.892)
    """
    from scipy import stats

    values = frame.to_numpy(dtype=float)
    values = values[~np.isnan(values).all(axis=1)]
    patterns = missing_patterns(values)
    result = {"chisq": None, "df": 0, "pvalue": None, "n": len(values), "n_patterns": len(patterns)}
    if len(patterns) < 2:
        return result
    mean, cov = em_estimates(patterns, ", ".join(map(str, frame.columns)))
    chisq, df = 0.0, -values.shape[1]
    for pattern in patterns:
        o = pattern.observed
        deviation = pattern.values.mean(axis=0) - mean[o]
        chisq += len(pattern.values) * float(deviation @ np.linalg.solve(cov[np.ix_(o, o)], deviation))
        df += len(o)
    result.update(chisq=chisq, df=df, pvalue=float(stats.chi2.sf(chisq, df)) if df > 0 else None)
    return result


def missing_data_report(frame: pd.DataFrame, treatment: str) -> dict:
    """Percent missing per item, respondents by number of missing items, and Little's test on
    the item scores ``frame`` (NaN = missing); ``treatment`` names how the analysis handles
    the missing answers (e.g. "listwise deletion").

    >>> import numpy as np, pandas as pd
    >>> frame = pd.DataFrame({"a": [1, 2, np.nan, 4, 5, 3], "b": [2, np.nan, np.nan, 1, 3, 2]})
    >>> report = missing_data_report(frame, "FIML")
    >>> sorted(report)
    ['cells_percent_missing', 'complete_respondents', 'items', 'little_mcar', 'n', 'note', 'per_item', 'per_respondent', 'treatment']
    """
    n, p = frame.shape
    missing = frame.isna()
    per_item = missing.sum(axis=0)
    per_row = missing.sum(axis=1)
    counts = per_row.value_counts().sort_index()
    report = {
        "n": n, "items": p, "treatment": treatment,
        "cells_percent_missing": 100.0 * float(missing.to_numpy().mean()) if n and p else 0.0,
        "complete_respondents": int((per_row == 0).sum()),
        "per_item": [{"item": str(item), "n_missing": int(per_item[item]),
                      "percent": 100.0 * per_item[item] / n if n else 0.0} for item in frame.columns],
        "per_respondent": [{"missing_items": int(k), "percent_of_items": 100.0 * k / p, "respondents": int(v),
                            "percent": 100.0 * v / n} for k, v in counts.items()],
        "little_mcar": None, "note": None,
    }
    if not missing.to_numpy().any():
        report["note"] = "No missing item answers: Little's MCAR test does not apply"
        return report
    try:
        report["little_mcar"] = little_mcar(frame)
    except InputError as error:   # e.g. an item answered once: EM has nothing to estimate
        report["note"] = f"Little's MCAR test not computed: {error}"
        return report
    except np.linalg.LinAlgError:   # a handful of responses: the EM covariance matrix is singular
        report["note"] = "Little's MCAR test not computed: the EM covariance matrix is singular (too few responses)"
        return report
    if report["little_mcar"]["chisq"] is None:
        report["note"] = "A single missing-data pattern: Little's MCAR test does not apply"
    return report
