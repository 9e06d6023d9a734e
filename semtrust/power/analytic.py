"""Power analysis, closed form: the RMSEA tests of MacCallum, Browne & Sugawara (1996).

Under the null hypothesis RMSEA = e0 the ML chi-square follows a noncentral chi-square with
df degrees of freedom and noncentrality (N - 1) df e0², and under the alternative e_a the
same with e_a. The test of close fit (e0 = .05 against e_a = .08) rejects for large values,
the test of not-close fit (e0 = .05 against e_a = .01) for small ones. These give planning
values for model fit and a check on the Monte Carlo rejection rates of :mod:`semtrust.power`.

>>> round(rmsea_power(200, 40), 3)
0.688
>>> rmsea_sample_size(10)
782
"""
from __future__ import annotations

from scipy import stats

__all__ = ["rmsea_power", "rmsea_sample_size"]


def rmsea_power(n: int, df: int, rmsea0: float = 0.05, rmsea_a: float = 0.08, alpha: float = 0.05) -> float:
    """Power of the RMSEA test of H0: RMSEA = ``rmsea0`` when it is ``rmsea_a`` (close fit when
    ``rmsea_a`` > ``rmsea0``, not-close fit when smaller), with ``n`` cases and ``df`` degrees of freedom.

    >>> round(rmsea_power(200, 40), 3), round(rmsea_power(400, 40, rmsea_a=0.01), 3)
    (0.688, 0.93)
    """
    null = (n - 1) * df * rmsea0 ** 2
    alternative = (n - 1) * df * rmsea_a ** 2
    if rmsea_a > rmsea0:
        return float(stats.ncx2.sf(stats.ncx2.isf(alpha, df, null), df, alternative))
    return float(stats.ncx2.cdf(stats.ncx2.ppf(alpha, df, null), df, alternative))


def rmsea_sample_size(df: int, rmsea0: float = 0.05, rmsea_a: float = 0.08, power: float = 0.80,
                      alpha: float = 0.05) -> int:
    """Smallest N whose :func:`rmsea_power` reaches ``power`` (power rises with N).

    >>> rmsea_sample_size(10), rmsea_sample_size(50)
    (782, 214)
    """
    low, high = 2, 4
    while rmsea_power(high, df, rmsea0, rmsea_a, alpha) < power:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if rmsea_power(middle, df, rmsea0, rmsea_a, alpha) >= power:
            high = middle
        else:
            low = middle
    return high
