"""Importance–performance map analysis (IPMA; Ringle & Sarstedt 2016) of a fitted PLS model.

Stage: structural-model assessment (managerial implications). Indicators are rescaled to 0–100
over their scale range, ``(x − min) / (max − min) · 100`` (the answer scale's ends when given,
else the observed minimum and maximum); each construct's weights are unstandardized for the
rescaled indicators (w / SD) and normalised to sum to 1, so a construct's rescaled score is a
weighted mean of its rescaled items, again on 0–100. Performance is the mean rescaled score;
importance is the unstandardized total effect on the target construct (the standardized total
effects rescaled by the scores' SDs). Items get the same: performance the mean rescaled item,
importance its normalised weight times its construct's importance. IPMA assumes weights with the
expected (positive) sign; ``negative_weight`` flags constructs where that fails.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.pls import estimate_pls
>>> answers = np.random.default_rng(6).integers(1, 8, size=(200, 3)).astype(float)
>>> answers[:, 2] = np.clip(np.round((answers[:, 0] + answers[:, 1]) / 2), 1, 7)
>>> survey = pd.DataFrame(answers, columns=["q1", "q2", "buy"])
>>> results = estimate_pls(survey, "Q =~ q1 + q2\\nB =~ buy\\nB ~ Q")
>>> table = ipma(results, "B", scale=(1, 7))
>>> table.round(1).values.tolist()
[['Q', 1.0, 50.9, False]]
"""
from __future__ import annotations

import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.pls.estimate import PLSResults
from semtrust.estimation.pls.statistics import reachability, total_effects

__all__ = ["ipma", "ipma_items"]


def _rescaled(results: PLSResults, scale) -> pd.DataFrame:
    items = results.items
    if scale is None:
        low, high = items.min(), items.max()
    elif isinstance(scale, dict):
        missing = [i for i in items.columns if i not in scale]
        if missing:
            raise InputError(f"IPMA scale ranges: no (min, max) for {', '.join(missing)}")
        low = pd.Series({i: scale[i][0] for i in items.columns})
        high = pd.Series({i: scale[i][1] for i in items.columns})
    else:
        low, high = pd.Series(scale[0], index=items.columns), pd.Series(scale[1], index=items.columns)
    if ((items < low) | (items > high)).any().any() or not (high > low).all():
        raise InputError("IPMA scale ranges: answers fall outside the given (min, max); give the answer scale's ends")
    return (items - low) / (high - low) * 100


def _ipma_parts(results: PLSResults, target: str, scale):
    model = results.model
    if target not in model.endogenous:
        raise InputError(f"IPMA target '{target}' is not an endogenous construct of the model "
                         f"({', '.join(model.endogenous)})")
    rescaled = _rescaled(results, scale)
    slot_items = [item for _, item in model.slots]
    unstandardized = results.fit.weights[0] / rescaled[slot_items].std().to_numpy()[:, None]
    normalised = unstandardized / unstandardized.sum(axis=0)
    scores = rescaled[slot_items].to_numpy() @ normalised
    sd = scores.std(axis=0, ddof=1)
    paths = results.fit.paths[0] * sd[None, :] / sd[:, None]   # [source, target] in rescaled units
    importance = total_effects(paths[None])[0][:, model.constructs.index(target)]
    return normalised, scores, importance, rescaled


def ipma(results: PLSResults, target: str, *, scale=None) -> pd.DataFrame:
    """Importance and performance (0–100) of every construct with a total effect on ``target``;
    ``scale`` is (min, max) of the answer scale, a dict item → (min, max), or None (observed).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> ipma(res, "B").round(3)
      construct  importance  performance  negative_weight
    0         A       0.592       57.372            False
    """
    normalised, scores, importance, _ = _ipma_parts(results, target, scale)
    model = results.model
    reach = reachability(model.path_matrix)[0][:, model.constructs.index(target)]
    rows = [(c, importance[k], scores[:, k].mean(), bool((normalised[:, k] < 0).any()))
            for k, c in enumerate(model.constructs) if reach[k]]
    return pd.DataFrame(rows, columns=["construct", "importance", "performance", "negative_weight"])


def ipma_items(results: PLSResults, target: str, *, scale=None) -> pd.DataFrame:
    """Indicator-level IPMA: each predictor item's importance (normalised weight × its construct's
    importance) and performance (mean rescaled answer).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> ipma_items(res, "B").round(3)
      construct item  importance  performance
    0         A   a1       0.253       52.922
    1         A   a2       0.339       60.688
    """
    normalised, _, importance, rescaled = _ipma_parts(results, target, scale)
    model = results.model
    reach = reachability(model.path_matrix)[0][:, model.constructs.index(target)]
    rows = []
    for row, (construct, item) in enumerate(model.slots):
        k = model.constructs.index(construct)
        if reach[k]:
            rows.append((construct, item, normalised[row, k] * importance[k], rescaled[item].mean()))
    return pd.DataFrame(rows, columns=["construct", "item", "importance", "performance"])
