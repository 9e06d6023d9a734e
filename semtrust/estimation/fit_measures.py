"""Estimation stage: lavaan's ``fitMeasures()`` from the model and baseline statistics.

chi-square, CFI, TLI, RMSEA with its 90 % CI and PCLOSE (lavaan's N convention), SRMR,
log-likelihoods, AIC/BIC, and under MLR the scaled statistics and robust indices. Every
estimator reports its fit through :class:`FitMeasures`.

>>> round(fit_measures(chisq=85.3, df=24, npar=21, n=301, baseline_chisq=918.9, baseline_df=36,
...                    unrestricted_logl=-3421.0, srmr=0.065).cfi, 3)
0.931
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

__all__ = ["fit_measures", "FitMeasures", "srmr", "rmsea_with_interval", "scaled_chisq_difference"]


@dataclass
class FitMeasures:
    """lavaan's ``fitMeasures()`` names with '.' written as '_'.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> data = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.5]] + rng.normal(size=(300, 4)), columns=["x1", "x2", "x3", "y"])
    >>> from semtrust.estimation.ml import SEM
    >>> fit = SEM("F =~ x1 + x2 + x3 + y").fit(data)
    >>> fit.fit_measures[["npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr"]].astype(float).round(3).to_dict()
    {'npar': 8.0, 'chisq': 4.825, 'df': 2.0, 'cfi': 0.985, 'tli': 0.955, 'rmsea': 0.069, 'srmr': 0.027}
    """

    npar: int
    ntotal: int
    chisq: float
    df: int
    pvalue: float
    baseline_chisq: float
    baseline_df: int
    baseline_pvalue: float
    cfi: float
    tli: float
    logl: float
    unrestricted_logl: float
    aic: float
    bic: float
    bic2: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    rmsea_pvalue: float
    srmr: float
    # MLR: the Yuan-Bentler (Mplus) scaled statistics and the robust indices
    chisq_scaled: float | None = None
    pvalue_scaled: float | None = None
    chisq_scaling_factor: float | None = None
    baseline_chisq_scaled: float | None = None
    baseline_chisq_scaling_factor: float | None = None
    cfi_scaled: float | None = None
    tli_scaled: float | None = None
    cfi_robust: float | None = None
    tli_robust: float | None = None
    rmsea_scaled: float | None = None
    rmsea_ci_lower_scaled: float | None = None
    rmsea_ci_upper_scaled: float | None = None
    rmsea_pvalue_scaled: float | None = None
    rmsea_robust: float | None = None
    rmsea_ci_lower_robust: float | None = None
    rmsea_ci_upper_robust: float | None = None
    rmsea_pvalue_robust: float | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def to_series(self) -> pd.Series:
        """The measures this fit has, as lavaan's ``fitMeasures()`` vector (object dtype, so
        counts stay integers)."""
        return pd.Series(self.to_dict(), dtype=object, name="fit_measures")



def robust_fit_measures(measures: FitMeasures, scaling: float, baseline_scaling: float,
                        groups: int = 1) -> FitMeasures:
    """Add lavaan's scaled statistics (the chi-squares divided by their scaling factors) and
    the robust CFI, TLI and RMSEA (Brosseau-Liard & Savalei 2014; Brosseau-Liard, Savalei &
    Li 2012), which correct the noncentrality instead of the statistic."""
    df, base_df, n = measures.df, measures.baseline_df, measures.ntotal
    if df == 0:   # a saturated model has no scaling factor: lavaan's values (scaled χ² = χ², CFI/TLI 1, robust RMSEA 0)
        nan = math.nan
        return replace(measures, chisq_scaled=measures.chisq, pvalue_scaled=nan, chisq_scaling_factor=nan,
                       baseline_chisq_scaled=measures.baseline_chisq / baseline_scaling,
                       baseline_chisq_scaling_factor=baseline_scaling, cfi_scaled=1.0, tli_scaled=1.0,
                       rmsea_scaled=nan, rmsea_ci_lower_scaled=nan, rmsea_ci_upper_scaled=nan,
                       rmsea_pvalue_scaled=nan, cfi_robust=nan, tli_robust=nan, rmsea_robust=0.0,
                       rmsea_ci_lower_robust=0.0, rmsea_ci_upper_robust=0.0, rmsea_pvalue_robust=nan)
    chisq_scaled = measures.chisq / scaling
    base_scaled = measures.baseline_chisq / baseline_scaling
    scaled = fit_measures(chisq=chisq_scaled, df=df, npar=measures.npar, n=n, baseline_chisq=base_scaled,
                          baseline_df=base_df, unrestricted_logl=measures.unrestricted_logl, srmr=measures.srmr,
                          groups=groups)
    # lavaan's scaled RMSEA refers the unscaled statistic to a chi-square with tr(U Gamma) = c df
    # degrees of freedom (the same point estimate as the scaled statistic on df, another interval)
    scaled_rmsea = rmsea_with_interval(measures.chisq, scaling * df, n, groups)
    measures = replace(measures, chisq_scaled=chisq_scaled, pvalue_scaled=scaled.pvalue, chisq_scaling_factor=scaling,
                       baseline_chisq_scaled=base_scaled, baseline_chisq_scaling_factor=baseline_scaling,
                       cfi_scaled=scaled.cfi, tli_scaled=scaled.tli,
                       rmsea_scaled=scaled_rmsea[0], rmsea_ci_lower_scaled=scaled_rmsea[1],
                       rmsea_ci_upper_scaled=scaled_rmsea[2], rmsea_pvalue_scaled=scaled_rmsea[3])
    return robust_indices(measures, measures.chisq, scaling, measures.baseline_chisq, baseline_scaling, groups)


def robust_indices(measures: FitMeasures, chisq: float, scaling: float, baseline_chisq: float,
                   baseline_scaling: float, groups: int = 1) -> FitMeasures:
    """The robust CFI, TLI and RMSEA from a model and baseline statistic with their scaling
    factors: the ML chi-squares with complete data; with incomplete data (FIML) lavaan's
    corrected statistics of Savalei (2018) and Zhang & Savalei (2022)
    (:func:`semtrust.estimation.robust.fiml_corrected`)."""
    df, base_df, n = measures.df, measures.baseline_df, measures.ntotal
    t1 = max(chisq - scaling * df, 0.0)
    t2 = max(t1, baseline_chisq - baseline_scaling * base_df)
    cfi_robust = 1.0 if t2 == 0 else 1.0 - t1 / t2
    tli_robust = 1.0 - ((chisq - scaling * df) * base_df) / ((baseline_chisq - baseline_scaling * base_df) * df)
    rmsea, lower, upper, pclose = rmsea_with_interval(chisq / scaling, df, n, groups, c_hat=scaling)
    return replace(measures, cfi_robust=cfi_robust, tli_robust=tli_robust, rmsea_robust=rmsea,
                   rmsea_ci_lower_robust=lower, rmsea_ci_upper_robust=upper, rmsea_pvalue_robust=pclose)


def reported_fit(measures) -> dict:
    """A model's χ², df, p and indices in the flavour its verdicts read, for tables that set
    models side by side (competing models, common-method bias): the ML χ² and indices; under MLR
    the scaled χ² (with ``chisq_ml`` and ``scaling_factor`` for the scaled difference test) and
    the robust CFI, TLI and RMSEA; under ML + FIML lavaan's missing-data corrected robust indices;
    under WLSMV the scaled-shifted χ² (``chisq_dwls`` the DWLS one) and the robust (else scaled)
    indices. ``measures`` is a fit's ``fit_measures`` (a Series or a mapping).

    >>> reported_fit({"chisq": 10.0, "df": 5, "pvalue": 0.08, "cfi": 0.97, "tli": 0.94, "rmsea": 0.05,
    ...               "srmr": 0.03, "cfi_robust": 0.95, "tli_robust": 0.9, "rmsea_robust": 0.06})["cfi"]
    0.95
    """
    row = {k: measures.get(k) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")}
    if "chisq_shift_parameter" in measures:
        kind = "robust" if "cfi_robust" in measures else "scaled"
        row.update(chisq=measures["chisq_scaled"], pvalue=measures["pvalue_scaled"], chisq_dwls=measures["chisq"],
                   **{k: measures[f"{k}_{kind}"] for k in ("cfi", "tli", "rmsea")})
    elif "chisq_scaling_factor" in measures:
        row.update(chisq=measures["chisq_scaled"], pvalue=measures["pvalue_scaled"], chisq_ml=measures["chisq"],
                   scaling_factor=measures["chisq_scaling_factor"],
                   **{k: measures[f"{k}_robust"] for k in ("cfi", "tli", "rmsea")})
    elif "cfi_robust" in measures:
        row.update({k: measures[f"{k}_robust"] for k in ("cfi", "tli", "rmsea")})
    return row


def nested_chisq_difference(restricted: dict, free: dict) -> float:
    """Δχ² of two nested :func:`reported_fit` rows: Satorra & Bentler's (2001) scaled difference
    when they are MLR fits (lavaan's ``lavTestLRT()`` default), else the difference of the χ²s."""
    if "scaling_factor" in restricted and "scaling_factor" in free:
        return scaled_chisq_difference(restricted["chisq_ml"], restricted["df"], restricted["scaling_factor"],
                                       free["chisq_ml"], free["df"], free["scaling_factor"])
    return restricted["chisq"] - free["chisq"]


def scaled_chisq_difference(chisq_restricted: float, df_restricted: int, scaling_restricted: float,
                            chisq_free: float, df_free: int, scaling_free: float) -> float:
    """Satorra & Bentler's (2001) scaled chi-square difference of two nested models from their
    ML chi-squares and scaling factors (lavaan's ``lavTestLRT()`` default under MLR).

    >>> round(scaled_chisq_difference(120.0, 26, 1.1, 100.0, 24, 1.05), 3)
    11.765
    """
    if df_restricted == df_free:   # not nested in the df sense: nothing to test
        return math.nan
    # a saturated model (df 0) has no scaling factor; its df × c is 0, as lavaan takes it
    scaling = ((df_restricted * scaling_restricted if df_restricted else 0.0)
               - (df_free * scaling_free if df_free else 0.0)) / (df_restricted - df_free)
    return (chisq_restricted - chisq_free) / scaling


def baseline_model(sample: np.ndarray, n: int, covariates: list[int]) -> tuple[float, int]:
    """Chi-square and df of lavaan's independence model: free variances, with
    covariate moments kept at their sample values under fixed.x."""
    p = len(sample)
    baseline = np.diag(np.diag(sample))
    for i in covariates:
        for j in covariates:
            baseline[i, j] = sample[i, j]
    logdet_s = np.linalg.slogdet(sample)[1]
    chisq = n * (np.linalg.slogdet(baseline)[1] + np.trace(sample @ np.linalg.inv(baseline)) - logdet_s - p)
    df = p * (p + 1) // 2 - p - len(covariates) * (len(covariates) - 1) // 2
    return float(chisq), df


def unrestricted_loglik(sample: np.ndarray, n: int, covariates: list[int]) -> float:
    """Saturated-model log-likelihood; conditional on the covariates under fixed.x, as lavaan."""
    p = len(sample)
    value = -n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(sample)[1] + p)
    if covariates:
        value -= covariate_loglik(sample, n, covariates)
    return float(value)


def covariate_loglik(sample: np.ndarray, n: int, covariates: list[int]) -> float:
    """The covariates' own normal log-likelihood at their sample moments (0 without covariates)."""
    if not covariates:
        return 0.0
    q = len(covariates)
    logdet_x = np.linalg.slogdet(sample[np.ix_(covariates, covariates)])[1]
    return -n / 2 * (q * math.log(2 * math.pi) + logdet_x + q)


def srmr(sample: np.ndarray, implied: np.ndarray, sample_mean: np.ndarray | None = None,
         implied_mean: np.ndarray | None = None) -> float:
    """Bentler's SRMR: residuals scaled by the observed SDs, lower triangle with the diagonal
    (and the means when the model has a mean structure).

    >>> import numpy as np
    >>> sample = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> round(srmr(sample, np.array([[1.0, 0.4], [0.4, 1.0]])), 4)
    0.0577
    """
    sd = np.sqrt(np.diag(sample))
    residuals = ((sample - implied) / np.outer(sd, sd))[np.tril_indices(len(sample))]
    if sample_mean is not None:
        residuals = np.concatenate([residuals, (sample_mean - implied_mean) / sd])
    return float(np.sqrt(np.mean(residuals ** 2)))


def fit_measures(*, chisq: float, df: int, npar: int, n: int, baseline_chisq: float, baseline_df: int,
                 unrestricted_logl: float, srmr: float, groups: int = 1) -> FitMeasures:
    """lavaan's fitMeasures() from the model and baseline chi-squares (ML, N convention).

    >>> fm = fit_measures(chisq=12.0, df=8, npar=13, n=300, baseline_chisq=500.0, baseline_df=15,
    ...                   unrestricted_logl=-2000.0, srmr=0.03)
    >>> round(fm.cfi, 3), round(fm.tli, 3), round(fm.rmsea, 3), round(fm.pvalue, 3)
    (0.992, 0.985, 0.041, 0.151)
    """
    from scipy import stats

    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, baseline_chisq - baseline_df, 0.0)
    cfi = 1.0 if t1 == 0 and t2 == 0 else 1.0 - t1 / t2
    if df > 0:
        a, b = baseline_chisq / baseline_df - chisq / df, baseline_chisq / baseline_df - 1.0
        tli = 1.0 if (a < 0 and b < 0) else a / b
    else:
        tli = 1.0
    logl = unrestricted_logl - chisq / 2
    rmsea, lower, upper, pclose = rmsea_with_interval(chisq, df, n, groups)
    return FitMeasures(
        npar=npar, ntotal=n, chisq=chisq, df=df,
        pvalue=float(stats.chi2.sf(chisq, df)) if df > 0 else math.nan,
        baseline_chisq=baseline_chisq, baseline_df=baseline_df,
        baseline_pvalue=float(stats.chi2.sf(baseline_chisq, baseline_df)),
        cfi=cfi, tli=tli, logl=logl, unrestricted_logl=unrestricted_logl,
        aic=-2 * logl + 2 * npar, bic=-2 * logl + npar * math.log(n),
        bic2=-2 * logl + npar * math.log((n + 2) / 24),
        rmsea=rmsea, rmsea_ci_lower=lower, rmsea_ci_upper=upper, rmsea_pvalue=pclose, srmr=srmr)


def rmsea_with_interval(chisq: float, df: float, n: int, groups: int = 1,
                        c_hat: float = 1.0) -> tuple[float, float, float, float]:
    """RMSEA with lavaan's N convention, its 90% CI from the noncentral chi-square, and PCLOSE;
    with several groups lavaan multiplies by sqrt(groups) (Steiger 1998). Given a scaled
    chi-square and its scaling factor ``c_hat``, the robust RMSEA (noncentrality times c_hat).

    >>> [round(float(x), 3) for x in rmsea_with_interval(chisq=30.0, df=8, n=300)]
    [0.096, 0.061, 0.133, 0.018]
    """
    from scipy import stats

    if df <= 0:
        return 0.0, 0.0, 0.0, math.nan

    def cdf(lam):
        return stats.chi2.cdf(chisq, df) if lam <= 0 else stats.ncx2.cdf(chisq, df, lam)

    from scipy.optimize import brentq
    rmsea = math.sqrt(max(chisq - df, 0.0) / (df * n))
    lam_lower = 0.0 if cdf(0.0) < 0.95 else brentq(lambda l: cdf(l) - 0.95, 0.0, chisq)
    top = max(n, chisq * 4)
    if cdf(top) > 0.05 or cdf(0.0) < 0.05:
        lam_upper = 0.0
    else:
        lam_upper = brentq(lambda l: cdf(l) - 0.05, 0.0, top)
    try:
        pclose = float(stats.ncx2.sf(chisq, df, n * df * 0.05 ** 2 / (groups * c_hat)))
    except OverflowError:   # scipy (boost) for a near-zero chi-square with many df: the tail is 1
        pclose = 1.0
    scale = math.sqrt(groups * c_hat)
    return (rmsea * scale, math.sqrt(lam_lower / (n * df)) * scale, math.sqrt(lam_upper / (n * df)) * scale,
            pclose)

