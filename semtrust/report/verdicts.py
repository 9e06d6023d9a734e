"""Report stage: the verdicts of the summary, as the literature states the criteria.

Reliability: Cronbach's α and CR at least .70 (Nunnally 1978; Hair et al. 2019). Convergent
validity: AVE at least .50 (Fornell & Larcker 1981) with every loading at least .40; loadings
from .40 to .70 are flagged for review but do not fail a construct whose CR and AVE hold
(Hair et al. 2019). Discriminant validity: √AVE above the construct's correlations
(Fornell & Larcker 1981) and HTMT below .85 (.90 for conceptually similar constructs),
judged on the upper limit of its bootstrap CI when there is one (Henseler et al. 2015;
Franke & Sarstedt 2019). Model fit: Hu & Bentler (1999).

>>> rel = {"A": {"alpha": .86, "cr": .87, "ave": .56, "min_loading": .62,
...              "verdicts": {"alpha": "ok", "cr": "ok", "ave": "ok", "fornell_larcker": "ok"}}}
>>> v = construct_verdicts({"reliability": rel, "item_statistics": [
...     {"construct": "A", "item": "A1", "std_loading": .62}], "thresholds": {"loading": .7}})
>>> v["A"]["reliable"], v["A"]["convergent"], v["A"]["review_items"]
(True, True, ['A1'])
>>> fit_level({"cfi": .96, "tli": .95, "rmsea": .05, "srmr": .04}), fit_level({"cfi": .91, "tli": .9, "rmsea": .07, "srmr": .06})
('good', 'acceptable')
"""
from __future__ import annotations

__all__ = ["construct_verdicts", "htmt_pairs", "fit_level", "robust_fit"]

MIN_LOADING = 0.40          # below it an item fails (Hair et al. 2019)
FIT_CUTOFFS = {"good": {"cfi": 0.95, "tli": 0.95, "rmsea": 0.06, "srmr": 0.08},
               "acceptable": {"cfi": 0.90, "tli": 0.90, "rmsea": 0.08, "srmr": 0.10}}


def construct_verdicts(results: dict) -> dict[str, dict]:
    """Per construct: reliable, convergent, Fornell–Larcker, the items to review (.40–.70)
    and the items that fail (< .40).

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> construct_verdicts(study.to_dict())["X"]
    {'reliable': True, 'redundant': False, 'convergent': True, 'fornell_larcker': True, 'review_items': [], 'failing_items': []}
    """
    out = {}
    cutoff = results["thresholds"]["loading"]
    for cid, rel in (results.get("reliability") or {}).items():
        verdicts = rel.get("verdicts", {})
        loadings = [(it["item"], it.get("std_loading")) for it in results.get("item_statistics", [])
                    if it["construct"] == cid and it.get("std_loading") is not None]
        failing = [item for item, lam in loadings if abs(lam) < MIN_LOADING]
        out[cid] = {
            "reliable": verdicts.get("alpha", "ok") == "ok" and verdicts.get("cr", "ok") == "ok",
            "redundant": "high" in (verdicts.get("alpha"), verdicts.get("cr")),
            "convergent": verdicts.get("ave", "ok") == "ok" and not failing,
            "fornell_larcker": verdicts.get("fornell_larcker", "ok") == "ok",
            "review_items": [item for item, lam in loadings if MIN_LOADING <= abs(lam) < cutoff],
            "failing_items": failing}
    return out


def htmt_pairs(results: dict) -> list[dict]:
    """Each construct pair once: HTMT, its CI and the verdict against .85 and .90 on the CI's
    upper limit (or the estimate without a CI): ``distinct`` (< .85), ``similar`` (< .90), ``fail``.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in pair.items()} for pair in htmt_pairs(study.to_dict())]
    [{'a': 'Y', 'b': 'X', 'htmt': 0.49, 'ci': None, 'bound': 0.49, 'level': 'distinct'}]
    """
    htmt, intervals = results.get("htmt") or {}, results.get("htmt_ci") or {}
    cuts = results["thresholds"]["htmt"]
    names, pairs = list(htmt), []
    for i, a in enumerate(names):
        for b in names[:i]:
            value = htmt[a].get(b)
            if value is None:
                continue
            interval = (intervals.get(a) or {}).get(b)
            bound = interval[1] if interval else value
            level = "distinct" if bound < cuts["distinct"] else "similar" if bound < cuts["similar"] else "fail"
            pairs.append({"a": a, "b": b, "htmt": value, "ci": interval, "bound": bound, "level": level})
    return pairs


def fit_level(fit: dict) -> str:
    """good, acceptable or poor by CFI, TLI, RMSEA and SRMR (Hu & Bentler 1999).

    >>> fit_level({"cfi": 0.97, "tli": 0.96, "rmsea": 0.04, "srmr": 0.03}), fit_level({"cfi": 0.85, "tli": 0.8, "rmsea": 0.12, "srmr": 0.1})
    ('good', 'poor')
    """
    for level, cut in FIT_CUTOFFS.items():
        if (fit["cfi"] >= cut["cfi"] and fit["tli"] >= cut["tli"] and fit["rmsea"] <= cut["rmsea"]
                and fit["srmr"] <= cut["srmr"]):
            return level
    return "poor"


def robust_fit(fit: dict) -> dict:
    """The indices a verdict reads: the robust ones under MLR and WLSMV (the scaled ones when
    WLSMV has no robust indices: continuous variables or constrained thresholds).

    >>> robust_fit({"cfi": 0.95, "cfi_robust": 0.96, "tli": 0.94, "tli_robust": 0.95, "rmsea": 0.05, "rmsea_robust": 0.04, "srmr": 0.03})
    {'cfi': 0.96, 'cfi_robust': 0.96, 'tli': 0.95, 'tli_robust': 0.95, 'rmsea': 0.04, 'rmsea_robust': 0.04, 'srmr': 0.03}
    """
    if "cfi_robust" in fit:
        return {**fit, **{k: fit[f"{k}_robust"] for k in ("cfi", "tli", "rmsea")}}
    if "cfi_scaled" in fit and "chisq_shift_parameter" in fit:
        return {**fit, **{k: fit[f"{k}_scaled"] for k in ("cfi", "tli", "rmsea")}}
    return fit
