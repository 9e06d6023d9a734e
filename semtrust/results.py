"""The result of a study: every stage's output, the results.json contract, and the reports.

:class:`Study` is what ``st.fit`` returns and what ``semtrust fit`` writes. ``to_dict()`` is
results.json and the only thing the report templates read, so the console, the JSON, the
reports and the DataFrame accessors (``study.parameters``, ``study.reliability``, ...) always
show the same numbers under the same names.
"""
from __future__ import annotations

import math
import platform as _platform
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from semtrust.assessment.reliability import NORMALITY, THRESHOLDS
from semtrust.assessment.validity import HTMT_THRESHOLDS, MeasurementQuality
from semtrust.errors import EstimationError
from semtrust.estimation.base import FittedModel
from semtrust.model.instrument import Instrument
from semtrust.screening.careless import ScreeningResult
from semtrust.structural.paths import path_table
from semtrust.version import __version__

if TYPE_CHECKING:   # imported lazily where they run
    from semtrust.assessment.efa import EFAResult
    from semtrust.assessment.method_bias import MethodBiasResult
    from semtrust.estimation.pls import PLSAnalysis

__all__ = ["Study", "score_tests", "software_versions"]

# the packages whose code computes a run's numbers and reports (results.json "software")
# the measurement stage's results.json keys, null in a run without a CFA (PLS-SEM)
MEASUREMENT_KEYS = ("reliability", "item_statistics", "latent_correlations", "fornell_larcker", "htmt", "htmt_ci",
                    "htmt2", "htmt2_ci", "normality", "measurement_bootstrap")
SOFTWARE = ("numpy", "scipy", "pandas", "pingouin", "factor_analyzer", "jinja2")


@dataclass
class Study:
    """A fitted study: the analysed data, the fitted models and every assessment.

    The tables are DataFrames whose columns are exactly results.json's (``study.parameters``,
    ``study.fit_measures``, ``study.reliability``, ``study.htmt``, ``study.indirect_effects``,
    ...); ``summary()`` prints a lavaan-like text summary and ``to_json()``, ``to_html()``,
    ``to_latex()`` write the outputs. In a PLS-SEM run (``method="pls"``) ``structural`` is the PLS
    fit (a FittedModel like any other) and ``pls`` holds its Hair et al. analyses; it has no
    ``measurement`` CFA and no ``quality``.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
    >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> study
    <Study: 9 indicators, n = 300, ML; chi2(24) = 17.046, CFI = 1.000, RMSEA = 0.000>
    >>> study.parameters.query("op == '~'")[["lhs", "op", "rhs", "est", "se", "pvalue", "std_all"]].round(3)
       lhs op rhs    est     se  pvalue  std_all
    9    M  ~   X  0.561  0.069   0.000    0.580
    10   Y  ~   M  0.321  0.087   0.000    0.336
    11   Y  ~   X  0.115  0.079   0.149    0.124
    """

    seed: int
    input: dict
    instrument: Instrument | None
    model_syntax: str
    items: list[str]
    data: pd.DataFrame                       # analysed item scores (complete cases)
    sample: dict                             # column -> [{category, n, percent}]
    measurement: FittedModel | None
    structural: FittedModel
    quality: MeasurementQuality | None       # reliability, discriminant validity, normality (CB-SEM)
    loadings: pd.DataFrame
    hypothesis_tests: pd.DataFrame | None
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    resampling: dict | None = None           # how the effect CIs were obtained
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    invariance: dict | None = None
    group_paths: pd.DataFrame | None = None
    efa: "EFAResult | None" = None                   # exploratory factor analysis (raw data only)
    cmb: "MethodBiasResult | None" = None            # common-method bias tests (raw data only)
    warnings: list[str] = field(default_factory=list)
    config: dict | None = None               # the resolved run configuration (study file + flags)
    estimator: str = "ML"
    missing: str = "listwise"
    screening: ScreeningResult | None = None   # None with --no-screen or summary data
    cleaned: pd.DataFrame | None = None        # the input rows that passed screening, cells as read
    missing_data: dict | None = None
    score_tests: pd.DataFrame | None = None    # modification_indices() of the CFA, when the run computed them
    input_files: dict = field(default_factory=dict)   # the run's input files, which no output may replace
    pls: "PLSAnalysis | None" = None         # a PLS-SEM run (--method pls): the Hair et al. analyses
    moderation: list = field(default_factory=list)    # ModerationTest per moderation hypothesis (--moderator)

    @property
    def n(self) -> int:
        """The number of analysed respondents.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.n
        300
        """
        return self.structural.n

    def __repr__(self) -> str:
        fit = self.structural.fit_measures
        if "chisq" not in fit:   # PLS-SEM: no likelihood, so no χ² test
            r2 = ", ".join(f"R²({c}) = {v:.3f}" for c, v in self.structural.r_squared().items())
            return f"<Study: {len(self.items)} indicators, n = {self.n}, {self.estimator}; {r2}>"
        return (f"<Study: {len(self.items)} indicators, n = {self.n}, {self.estimator}"
                f"{' + FIML' if self.missing == 'fiml' else ''}; chi2({fit['df']}) = {fit['chisq']:.3f}, "
                f"CFI = {fit['cfi']:.3f}, RMSEA = {fit['rmsea']:.3f}>")

    # -- the tables, as DataFrames with results.json's names ----------------
    @cached_property
    def results(self) -> dict:
        """results.json as a dictionary (computed once).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> sorted(study.results)[:6]
        ['bootstrap', 'cmb', 'config', 'constructs', 'efa', 'estimator']
        """
        return self.to_dict()

    @property
    def parameters(self) -> pd.DataFrame:
        """The structural model's ``parameterEstimates(standardized = TRUE)`` (a PLS run: its
        loadings, weights and paths with the bootstrap columns).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.parameters.loc[study.parameters.op == "~", ["lhs", "rhs", "est", "ci_lower", "ci_upper"]].round(3)
           lhs rhs    est  ci_lower  ci_upper
        9    M   X  0.561     0.427     0.696
        10   Y   M  0.321     0.151     0.491
        11   Y   X  0.115    -0.041     0.270
        """
        return self.structural.parameters.copy()

    @property
    def measurement_parameters(self) -> pd.DataFrame | None:
        """The CFA's ``parameterEstimates(standardized = TRUE)`` (None in a PLS run).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.measurement_parameters.query("op == '~~' and lhs != rhs")[["lhs", "rhs", "est", "std_all"]].round(3)
           lhs rhs    est  std_all
        21   X   M  0.478    0.580
        22   X   Y  0.251    0.319
        23   M   Y  0.311    0.408
        """
        return None if self.measurement is None else self.measurement.parameters.copy()

    @property
    def fit_measures(self) -> pd.DataFrame:
        """lavaan's ``fitMeasures()`` of the CFA and the structural model, one column each.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.fit_measures.loc[["chisq", "df", "cfi", "tli", "rmsea", "srmr"]].astype(float).round(3)
               measurement  structural
        chisq       17.046      17.046
        df          24.000      24.000
        cfi          1.000       1.000
        tli          1.009       1.009
        rmsea        0.000       0.000
        srmr         0.025       0.025
        """
        fits = self.results["fit"]
        return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in fits.items() if v is not None})

    @property
    def reliability(self) -> pd.DataFrame:
        """One row per construct: α, ω, CR, AVE, their CIs, MSV, ASV and the verdicts.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.reliability[["alpha", "omega", "cr", "ave"]].astype(float).round(3)
           alpha  omega     cr    ave
        X  0.859  0.860  0.860  0.672
        M  0.812  0.813  0.813  0.591
        Y  0.818  0.820  0.819  0.601
        """
        return pd.DataFrame.from_dict(self.results.get("reliability") or {}, orient="index")

    @property
    def item_statistics(self) -> pd.DataFrame:
        """One row per item: standardized loading with its CI and verdict, mean, SD, skewness, kurtosis,

        corrected item-total correlation and alpha if deleted.
        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.item_statistics[["item", "std_loading", "mean", "sd"]].head(3).round(3)
          item  std_loading   mean     sd
        0   x1        0.789 -0.145  1.171
        1   x2        0.844 -0.131  1.173
        2   x3        0.825 -0.100  1.198
        """
        return pd.DataFrame(self.results.get("item_statistics") or [])

    @property
    def htmt(self) -> pd.DataFrame:
        """HTMT matrix (constructs × constructs; the diagonal is empty).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.htmt.astype(float).round(3)
               X      M      Y
        X    NaN  0.581  0.321
        M  0.581    NaN  0.415
        Y  0.321  0.415    NaN
        """
        return _matrix(self.results.get("htmt"))

    @property
    def fornell_larcker(self) -> pd.DataFrame:
        """√AVE on the diagonal, the factor correlations off it (Fornell & Larcker 1981).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.fornell_larcker.astype(float).round(3).to_dict("index")
        {'X': {'X': 0.82, 'M': 0.58, 'Y': 0.319}, 'M': {'X': 0.58, 'M': 0.769, 'Y': 0.408}, 'Y': {'X': 0.319, 'M': 0.408, 'Y': 0.776}}
        """
        return _matrix(self.results.get("fornell_larcker"))

    @property
    def latent_correlations(self) -> pd.DataFrame:
        """The CFA's factor correlations with their SEs, CIs and Rönkkö & Cho band.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.latent_correlations[["lhs", "rhs", "est", "band"]].round(3)
          lhs rhs    est        band
        0   X   M  0.580  no problem
        1   X   Y  0.319  no problem
        2   M   Y  0.408  no problem
        """
        return pd.DataFrame(self.results.get("latent_correlations") or [])

    @property
    def hypotheses(self) -> pd.DataFrame | None:
        """The instrument's hypotheses with their path estimates and verdicts (None for a model given as syntax).

        >>> import semtrust as st
        >>> from semtrust.model.instrument import load_instrument
        >>> from semtrust.model.simulate import simulate
        >>> data, truth = simulate(load_instrument("sor_live_commerce"), n=300, seed=1)
        >>> study = st.fit(data, instrument="sor_live_commerce", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.hypotheses[["id", "path", "est", "pvalue", "result"]].head(3).round(3)
           id      path    est  pvalue     result
        0  H1  IA -> TR  0.519   0.000  supported
        1  H2  IA -> PE  0.543   0.000  supported
        2  H3  IA -> IM  0.198   0.002  supported
        """
        rows = self.results.get("hypotheses")
        return None if rows is None else pd.DataFrame(rows)

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Specific and total indirect effects with their SEs and CIs (results.json ``effects``).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.indirect_effects[["path", "est", "se", "ci_lower", "ci_upper"]].round(3)
                              path   est     se  ci_lower  ci_upper
        0              X -> M -> Y  0.18  0.052     0.078     0.282
        1  X => Y (total indirect)  0.18  0.052     0.078     0.282
        """
        return pd.DataFrame(self.results["indirect_effects"])

    @property
    def total_effects(self) -> pd.DataFrame:
        """Total effects of each predictor on each outcome, with their SEs and CIs.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.total_effects.set_index("path")[["est", "se"]].round(3).to_dict("index")
        {'X => Y (direct)': {'est': 0.115, 'se': 0.079}, 'X => Y (total)': {'est': 0.295, 'se': 0.064}}
        """
        return pd.DataFrame(self.results["total_effects"])

    @property
    def model_comparison(self) -> pd.DataFrame:
        """The competing models (partial mediation, second-order trust) with their fit and tests.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.model_comparison.round(3).loc[0, ["model", "chisq", "df", "cfi", "aic"]].tolist()
        ['hypothesised model', np.float64(17.046), np.int64(24), np.float64(1.0), np.float64(7245.284)]
        """
        return pd.DataFrame(self.results["model_comparison"])

    @property
    def r2(self) -> pd.Series:
        """R² of every endogenous construct.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.r2.round(3)
        M    0.336
        Y    0.177
        Name: r2, dtype: float64
        """
        return pd.Series(self.results["r2"], name="r2", dtype=float)

    # -- outputs --------------------------------------------------------------
    def summary(self) -> "SummaryText":
        """A lavaan-like text summary: the fit, then the parameter estimates by operator (a
        string that a notebook shows as text).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> print(study.summary())  # doctest: +ELLIPSIS
        semtrust ... ended normally
        <BLANKLINE>
          Estimator                                       ML
          Missing data                              listwise
          Number of observations                         300
        ...
        Regressions:
                          Estimate  Std.Err  z-value  P(>|z|)   Std.all
          M ~
            X                0.561    0.069     8.17    0.000     0.580
          Y ~
            M                0.321    0.087     3.70    0.000     0.336
            X                0.115    0.079     1.44    0.149     0.124
        <BLANKLINE>
        ...
        """
        from semtrust.report.text import summary_text
        return SummaryText(summary_text(self.results))

    def to_json(self, path: str | Path | None = None) -> str:
        """results.json as text; written to ``path`` when one is given.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> import json
        >>> json.loads(study.to_json())["fit"]["structural"]["df"]
        24
        """
        from semtrust.report.render import results_text

        text = results_text(self.results)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_html(self, path: str | Path | None = None) -> str:
        """The self-contained HTML report; written to ``path`` when one is given.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.to_html().lstrip()[:15]
        '<!DOCTYPE html>'
        """
        from semtrust.report.render import render_report
        return _written(render_report(self.results, "html"), path)

    def to_latex(self, path: str | Path | None = None) -> str:
        """The XeLaTeX report; written to ``path`` when one is given.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> "\\\\begin{document}" in study.to_latex()
        True
        """
        from semtrust.report.render import render_report
        return _written(render_report(self.results, "tex"), path)

    def to_docx(self, path: str | Path) -> Path:
        """The Word report (report.docx), written to ``path``.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> import tempfile, pathlib
        >>> path = study.to_docx(pathlib.Path(tempfile.mkdtemp()) / "report.docx")
        >>> path.name, path.read_bytes()[:2]
        ('report.docx', b'PK')
        """
        from semtrust.report.docx import docx_bytes
        from semtrust.report.render import report_document

        Path(path).write_bytes(docx_bytes(report_document(self.results)))
        return Path(path)

    def output_files(self) -> dict[str, bytes]:
        """The run's output files, rendered in memory: results.json, report.html, report.tex,
        report.docx, tables.xlsx and the moderation figures (SVG, and PDF for the LaTeX report),
        with the screening files (cleaned_data.csv, exclusions.csv) and the column mapping
        (column_mapping.csv) when the run has them.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> sorted(study.output_files())
        ['column_mapping.csv', 'report.docx', 'report.html', 'report.tex', 'results.json', 'tables.xlsx']
        """
        from semtrust.io.mapping import mapping_report
        from semtrust.report.render import report_files, screening_files

        files = report_files(self.results)
        if self.screening is not None:
            files.update(screening_files(self.screening, self.cleaned))
        if self.results["input"].get("mapping"):
            files["column_mapping.csv"] = mapping_report(self.results["input"]["mapping"])
        return files

    def save(self, out_dir: str | Path) -> dict[str, Path]:
        """Write :meth:`output_files` into ``out_dir``, all of them or none (see
        :mod:`semtrust.io.output_folder`); returns ``{file name: path}``. No output replaces one
        of the run's input files or a file semtrust did not write.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> import tempfile
        >>> sorted(study.save(tempfile.mkdtemp()))
        ['column_mapping.csv', 'report.docx', 'report.html', 'report.tex', 'results.json', 'tables.xlsx']
        """
        from semtrust.io.output_folder import OutputFolder

        files = self.output_files()
        with OutputFolder(out_dir, self.input_files) as folder:
            return folder.commit(files)

    def constructs(self) -> dict:
        """Per construct: its name and role (results.json ``constructs``).

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> study.constructs()
        {'X': {'name': {'zh': 'X', 'en': 'X'}, 'role': None}, 'M': {'name': {'zh': 'M', 'en': 'M'}, 'role': None}, 'Y': {'name': {'zh': 'Y', 'en': 'Y'}, 'role': None}}
        """
        if self.instrument is not None:
            return {c.id: {"name": c.name, "role": c.role} for c in self.instrument.constructs}
        return {lv: {"name": {"zh": lv, "en": lv}, "role": None} for lv in self.structural.partable.latent}

    def _modification_indices(self, top: int = 10) -> list[dict]:
        """The largest score tests of the CFA (or of the model when it has no factors); they are
        checked against lavaan for ML with complete data only."""
        if (self.estimator, self.missing) != ("ML", "listwise") or (self.measurement is None and self.structural.groups):
            return []   # checked for ML with complete data, one group
        try:
            table = self.score_tests if self.score_tests is not None else score_tests(self.measurement or
                                                                                         self.structural)
        except EstimationError as error:   # too large to score every candidate: the rest of the run stands
            note = f"modification indices skipped: {error}"
            self.warnings += [note] if note not in self.warnings else []
            return []
        # an MI lavaan reports as NA (not identified when freed) suggests no modification
        return _records(table.dropna(subset=["mi"]).sort_values("mi", ascending=False, kind="stable").head(top))

    def _effects(self, *kinds: str) -> list[dict]:
        if self.effects.empty:
            return []
        return _records(self.effects[self.effects.kind.isin(kinds)])

    def to_dict(self) -> dict:
        """The results.json contract (documented in README.md); a PLS-SEM run adds ``method`` and
        the ``pls`` block of its Hair et al. analyses.

        >>> import numpy as np, pandas as pd, semtrust as st
        >>> rng = np.random.default_rng(7); x = rng.normal(size=(300, 1)); m = 0.5 * x + rng.normal(scale=0.8, size=(300, 1)); y = 0.4 * m + 0.2 * x + rng.normal(scale=0.8, size=(300, 1))
        >>> df = pd.DataFrame(np.repeat(np.hstack([x, m, y]), 3, axis=1) + rng.normal(scale=0.7, size=(300, 9)), columns=[f"{v}{i}" for v in "xmy" for i in (1, 2, 3)])
        >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X", bootstrap=0, measurement_bootstrap=0, screen=False)
        >>> results = study.to_dict()
        >>> results["n"], sorted(results["fit"])
        (300, ['measurement', 'structural'])
        """
        block = {} if self.pls is None else {"method": "pls", "pls": self.pls.block()}
        return _clean({
            "semtrust_version": __version__,
            "software": software_versions(),
            "seed": self.seed,
            "estimator": self.estimator,
            "missing": self.missing,
            "input": self.input,
            "instrument": self._instrument_dict(),
            "model": {"syntax": self.model_syntax},
            "constructs": self.constructs(),
            "n": self.n,
            "sample": self.sample,
            "fit": {"measurement": None if self.measurement is None else self.measurement.fit_measures.to_dict(),
                    "structural": self.structural.fit_measures.to_dict()},
            "parameters": _records(self.structural.parameters),
            "measurement_parameters": [] if self.measurement is None else _records(self.measurement.parameters),
            **(self.quality.to_dict() if self.quality is not None else dict.fromkeys(MEASUREMENT_KEYS)),
            "item_loadings": _records(self.loadings),
            "thresholds": {**THRESHOLDS, "htmt": HTMT_THRESHOLDS, "normality": NORMALITY},
            "paths": _records(path_table(self.structural)),
            "hypotheses": None if self.hypothesis_tests is None else _records(self.hypothesis_tests),
            "bootstrap": self.resampling,
            "indirect_effects": self._effects("indirect", "total_indirect", "contrast", "defined"),
            "total_effects": self._effects("direct", "total"),
            "model_comparison": _records(self.comparison),
            "modification_indices": self._modification_indices(),
            "invariance": self.invariance,
            "group_paths": None if self.group_paths is None else _records(self.group_paths),
            "efa": None if self.efa is None else self.efa.to_dict(),
            "cmb": None if self.cmb is None else self.cmb.to_dict(),
            "r2": _regression_r2(self.structural),
            "moderation": [test.to_dict() for test in self.moderation] or None,
            "screening": None if self.screening is None else self.screening.to_dict(),
            "missing_data": self.missing_data,
            "warnings": self.warnings,
            "config": self.config,
            **block,
        })

    def _instrument_dict(self) -> dict | None:
        if self.instrument is None:
            return None
        return {"id": self.instrument.id, "version": self.instrument.version, "title": self.instrument.title,
                "reference": self.instrument.reference,
                "items": {i.id: {"text": i.text, "reverse": i.reverse, "source": i.source}
                          for i in self.instrument.items}}


def _regression_r2(fitted: FittedModel) -> dict[str, float]:
    """R² of the variables the model regresses (a multi-group model's keyed "variable (group)")."""
    regressed = {r.lhs for r in fitted.partable.rows if r.op == "~"}
    keys = {f"{v} ({g})" for v in regressed for g in fitted.groups} if fitted.groups else regressed
    return {v: r2 for v, r2 in fitted.r_squared().items() if v in keys}


def score_tests(fitted: FittedModel) -> pd.DataFrame:
    """:func:`~semtrust.estimation.modindices.modification_indices` on one BLAS thread, as the
    run computes everything else: threaded sums would make their last bits depend on the
    number of cores.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.estimation.ml import SEM
    >>> rng = np.random.default_rng(1); f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1.0, 0.8, 0.9, 0.7]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "x4"])
    >>> score_tests(SEM("F =~ x1 + x2 + x3 + x4").fit(data))[["lhs", "op", "rhs", "mi"]].head(2).round(3)
      lhs  op rhs     mi
    0  x1  ~~  x2  3.332
    1  x1  ~~  x3  1.646
    """
    from threadpoolctl import threadpool_limits

    from semtrust.estimation.modindices import modification_indices

    with threadpool_limits(1):
        return modification_indices(fitted)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _scalar(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _scalar(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return _scalar(obj)


def software_versions(packages: tuple[str, ...] = SOFTWARE) -> dict:
    """The versions of Python, semtrust and the ``packages`` that computed the results (results.json
    ``software``).

    >>> sorted(software_versions())[:3]
    ['factor_analyzer', 'jinja2', 'numpy']
    """
    versions = {"python": _platform.python_version(), "semtrust": __version__}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class SummaryText(str):
    """Text that displays as itself, as statsmodels' summaries do in a notebook."""

    def __repr__(self) -> str:
        return str(self)


def _matrix(nested: dict | None) -> pd.DataFrame:
    """``{a: {b: value}}`` as a square DataFrame in the constructs' order."""
    if not nested:
        return pd.DataFrame()
    names = list(nested)
    return pd.DataFrame([[nested[a].get(b) for b in names] for a in names], index=names, columns=names, dtype=float)


def _written(text: str, path: str | Path | None) -> str:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
