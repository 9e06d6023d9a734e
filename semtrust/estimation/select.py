"""Estimation stage: the one place a run's estimator is chosen.

The pipeline (and the competing models it fits) calls :func:`fit_model`; what comes back is a
:class:`~semtrust.estimation.base.FittedModel`, so no later stage asks which estimator ran.
ML and MLR (complete data or FIML, raw data or a summary matrix) go to
:class:`~semtrust.estimation.ml.SEM`; WLSMV, ULSMV and DWLS, with the ordinal items
``ordered``, to :func:`~semtrust.estimation.ordinal.fit_ordinal`.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> factor = rng.normal(size=(600, 1))
>>> latent = 0.7 * factor + np.sqrt(1 - 0.49) * rng.normal(size=(600, 3))
>>> items = pd.DataFrame(np.digitize(latent, [-1.2, -0.4, 0.4, 1.2]) + 1, columns=["q1", "q2", "q3"])
>>> fit_model("F =~ q1 + q2 + q3", items, estimator="WLSMV", ordered=["q1", "q2", "q3"]).estimator
'WLSMV'
>>> fit_model("F =~ q1 + q2 + q3", items).estimator
'ML'
"""
from __future__ import annotations

import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.base import FittedModel
from semtrust.estimation.ml import SEM
from semtrust.estimation.ordinal import ESTIMATORS as CATEGORICAL
from semtrust.estimation.ordinal import fit_ordinal
from semtrust.model.syntax import ModelSyntax

__all__ = ["fit_model", "refuse_summary_data"]


def fit_model(model: str | ModelSyntax, data: pd.DataFrame | None = None, *, estimator: str = "ML",
              missing: str = "listwise", ordered: list[str] | None = None, cov: pd.DataFrame | None = None,
              n: int | None = None) -> FittedModel:
    """Fit ``model`` by ``estimator``: ML/MLR to ``data`` (or to the summary matrix ``cov`` of
    ``n`` cases), WLSMV/ULSMV/DWLS to ``data`` with the items ``ordered`` ordinal (the model's
    other observed variables continuous).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> fit = fit_model("F =~ x1 + x2 + x3\\ny ~ F", data, estimator="MLR")
    >>> type(fit).__name__, round(float(fit.fit_measures["chisq_scaled"]), 3)
    ('SEMResults', 4.566)
    >>> ordinal = (data.rank(pct=True) * 4).apply(np.ceil)          # four ordered categories
    >>> wlsmv = fit_model("F =~ x1 + x2 + x3 + y", ordinal, estimator="WLSMV")
    >>> type(wlsmv).__name__, wlsmv.estimator, round(float(wlsmv.fit_measures["cfi_scaled"]), 3)
    ('OrdinalResults', 'WLSMV', 1.0)
    """
    if estimator not in CATEGORICAL:
        if cov is not None:
            return SEM(model).fit(cov=cov, n=n, estimator=estimator, missing=missing)
        return SEM(model).fit(data, estimator=estimator, missing=missing)
    if cov is not None:
        refuse_summary_data(estimator)
    source = model.source if isinstance(model, ModelSyntax) else "<model>"
    return fit_ordinal(data, model, ordered=ordered, estimator=estimator, source=source, missing=missing)


def refuse_summary_data(estimator: str) -> None:
    """The one-line refusal of an ordinal estimator on a covariance or correlation matrix.

    >>> refuse_summary_data("WLSMV")
    Traceback (most recent call last):
    semtrust.errors.InputError: --estimator WLSMV needs the raw answers (thresholds and polychoric correlations); a summary matrix takes --estimator ML or MLR
    """
    raise InputError(f"--estimator {estimator} needs the raw answers (thresholds and polychoric correlations); "
                     "a summary matrix takes --estimator ML or MLR")
