"""Estimation stage: what every estimator returns, so later stages never ask which one ran.

A fitted model (ML, MLR, FIML, ordinal WLSMV and PLS) is

- ``parameters``: lavaan's ``parameterEstimates()`` table (``lhs op rhs label est se z pvalue
  ci_lower ci_upper std_all``), the one tidy table the effects, hypotheses and reports read;
- ``fit_measures``: a :class:`pandas.Series` with lavaan's ``fitMeasures()`` names (``.`` as ``_``);
- ``partable``: the parameter table the estimates belong to (which rows are free, and where in
  the parameter vector ``theta`` each free one sits), with ``vcov`` the covariance of ``theta``;
- ``variables`` and :meth:`FittedModel.total_sd`: the variables' model-implied SDs at any
  parameter vector, which turn unstandardized effects into ``std.all`` ones, draw by draw;
- :meth:`FittedModel.resampler`: a picklable object that refits the model to a resample of the
  cases, which is all the bootstrap needs.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.ml import SEM
>>> rng = np.random.default_rng(3)
>>> x = rng.normal(size=300); y = 0.5 * x + rng.normal(size=300)
>>> fit = SEM("y ~ x").fit(pd.DataFrame({"x": x, "y": y}))
>>> isinstance(fit, FittedModel), list(fit.fit_measures.index[:4])
(True, ['npar', 'ntotal', 'chisq', 'df'])
>>> refit = fit.resampler().refit(np.arange(300))
>>> bool(np.allclose(refit, fit.theta, atol=1e-6))
True
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import pandas as pd

from semtrust.model.partable import ParameterTable

__all__ = ["FittedModel", "Resampler"]


class Resampler(ABC):
    """Refits one fitted model to resamples of its cases (rows of the analysed data).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
    >>> resampler = fit.resampler()
    >>> theta = resampler.refit(np.arange(150))    # the first 150 cases
    >>> resampler.n, theta.shape == fit.theta.shape
    (300, True)
    """

    n: int   # cases a resample draws from
    strata: tuple | None = None   # group sizes, the cases stacked group after group: resample within each

    @abstractmethod
    def refit(self, rows: np.ndarray) -> np.ndarray | None:
        """The parameter vector fitted to the cases ``rows`` (indices, repeats allowed), or
        None when that resample cannot be fitted.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
        >>> np.allclose(fit.resampler().refit(np.arange(300)), fit.theta, atol=1e-6)
        True
        """

    def refit_many(self, rows: np.ndarray) -> list[np.ndarray | None]:
        """:meth:`refit` of each row set of the stack ``rows`` (resamples × cases); an estimator
        that can refit a stack at once (PLS) overrides it."""
        return [self.refit(r) for r in rows]

    @abstractmethod
    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied SDs of :attr:`FittedModel.variables` at ``theta``.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
        >>> resampler = fit.resampler()
        >>> resampler.total_sd(resampler.refit(np.arange(300))).round(3)
        array([1.395, 1.222, 1.395, 1.013])
        """


class FittedModel(ABC):
    """The interface every estimator's result implements (see the module docstring).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.select import fit_model
    >>> fit = fit_model("F =~ x1 + x2 + x3\\ny ~ F", data)
    >>> isinstance(fit, FittedModel), fit.estimator, fit.n, fit.variables
    (True, 'ML', 300, ['x1', 'x2', 'x3', 'y', 'F'])
    >>> fit.parameters.loc[fit.parameters.op == "~", ["lhs", "op", "rhs", "est", "se", "std_all"]].round(3)
      lhs op rhs   est     se  std_all
    3   y  ~   F  0.49  0.082    0.444
    """

    estimator: str
    missing: str
    n: int
    parameters: pd.DataFrame
    fit_measures: pd.Series
    partable: ParameterTable
    theta: np.ndarray
    vcov: np.ndarray
    variables: list[str]
    warnings: list[str]
    source: str          # where the model came from (a file, an instrument), for messages
    groups: tuple = ()   # a multi-group model's group labels (lavaan's group.label); () for one group

    def __repr__(self) -> str:
        """One line: the estimator, n and the headline fit, as a notebook shows the object.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.select import fit_model
        >>> fit_model("F =~ x1 + x2 + x3\\ny ~ F", data)
        <SEMResults ML, n = 300, 8 free parameters: chisq(2) = 4.825, p = 0.090, CFI = 0.985, RMSEA = 0.069, SRMR = 0.027>
        """
        fit = self.fit_measures
        head = (f"<{type(self).__name__} {self.estimator}{' + FIML' if self.missing == 'fiml' else ''}, n = {self.n}"
                f"{', groups ' + ', '.join(self.groups) if self.groups else ''}")
        if "chisq" not in fit:   # no likelihood (PLS): the approximate fit it has
            shown = ", ".join(f"{k} = {float(v):.3f}" for k, v in fit.items() if k in ("SRMR", "d_ULS", "d_G"))
            return f"{head}: {shown}>"
        return (f"{head}, {int(fit['npar'])} free parameters: chisq({int(fit['df'])}) = {float(fit['chisq']):.3f}, "
                f"p = {float(fit['pvalue']):.3f}, CFI = {float(fit['cfi']):.3f}, RMSEA = {float(fit['rmsea']):.3f}, "
                f"SRMR = {float(fit['srmr']):.3f}>")

    def variable_index(self, name: str, group: int = 0) -> int:
        """Position of variable ``name`` (in group ``group`` of a multi-group model) in
        :attr:`variables` and in the SDs :meth:`total_sd` returns.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data)
        >>> fit.variable_index("F"), round(float(fit.total_sd(fit.theta)[fit.variable_index("F")]), 3)
        (4, 1.038)
        """
        return self.variables.index(name)

    @abstractmethod
    def total_sd(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied SDs of :attr:`variables` at ``theta`` (latent variables included).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data)
        >>> dict(zip(fit.variables, fit.total_sd(fit.theta).round(3).tolist()))
        {'x1': 1.395, 'x2': 1.222, 'x3': 1.395, 'y': 1.146, 'F': 1.038}
        """

    @abstractmethod
    def resampler(self) -> Resampler:
        """A picklable refitter over the analysed cases; raises EstimationError when the
        fit has no raw cases to resample (summary data, FIML).

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3").fit(data)
        >>> fit.resampler().n
        300
        """

    @abstractmethod
    def r_squared(self) -> dict[str, float]:
        """R² of every variable the model regresses or measures.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
        >>> from semtrust.estimation.ml import SEM
        >>> fit = SEM("F =~ x1 + x2 + x3\\ny ~ F").fit(data)
        >>> {k: round(v, 3) for k, v in fit.r_squared().items()}
        {'x1': 0.553, 'x2': 0.355, 'x3': 0.36, 'y': 0.197}
        """
