"""Monte Carlo power analysis: how many respondents a study needs to detect its paths and indirect effects.

Stages: :mod:`~semtrust.power.population` (the standardized population model),
:mod:`~semtrust.power.replicate` (one replication: sample, fit, tests),
:mod:`~semtrust.power.execute` (batches on Dask), :mod:`~semtrust.power.results` (power,
bias, coverage, required n, power.json; the report and the power curves come from
:mod:`semtrust.report.power_report`),
:mod:`~semtrust.power.analytic` (closed-form RMSEA power), and :func:`~semtrust.power.api.power`,
the entry point. ``st.power(...)`` calls it: importing this sub-package makes ``semtrust.power``
the module, so the module itself is callable.

>>> import semtrust as st
>>> result = st.power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[50, 100], reps=20, seed=2, scheduler="synchronous")
>>> result.required_n_all
100
"""
import sys
import types

from semtrust.power.api import power
from semtrust.power.results import PowerResult

__all__ = ["PowerResult", "power"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs) -> PowerResult:
        return power(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
