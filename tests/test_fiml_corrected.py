"""The FIML-corrected robust statistic (robust.fiml_corrected) evaluates Savalei's traces through
cached data-only pieces and thin model terms; here it must equal the dense textbook formula
tr(U Wm^-1 Wc Wm^-1 U Gamma) / df (scaled) and tr(Wc Wm^-1 U Wm^-1) / df (unscaled), with
U = Wm - Wm D' (D Wm D')^-1 D Wm, for one group and for two groups as weighted blocks."""
import numpy as np
import pandas as pd
import pytest
from scipy.linalg import block_diag

from semtrust.estimation import robust
from semtrust.estimation.missing import missing_patterns
from semtrust.estimation.ml import SEM


def _dense(parts, df, scaled):
    total = sum(part.n for part in parts)
    shares = [part.n / total for part in parts]
    Wm = block_diag(*(s * part.h1[0] for s, part in zip(shares, parts)))
    # the complete-data information at the EM moments: the saturated information of one complete case
    Wc = block_diag(*(s * robust.h1_information(missing_patterns(np.zeros((1, len(part.mean)))), 1, part.mean,
                                                part.cov, True, True)[0]
                      for s, part in zip(shares, parts)))
    Wm_inv = np.linalg.inv(Wm)
    gamma = block_diag(*(np.linalg.inv(part.h1[0]) @ part.h1[1] @ np.linalg.inv(part.h1[0]) / s
                         for s, part in zip(shares, parts)))
    delta = np.hstack([part.delta for part in parts])
    weighted = Wm @ delta.T
    U = Wm - weighted @ np.linalg.inv(delta @ weighted) @ weighted.T
    trace = np.trace(U @ Wm_inv @ Wc @ Wm_inv @ U @ gamma) if scaled else np.trace(Wc @ Wm_inv @ U @ Wm_inv)
    return trace / df


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(3)
    frames = []
    for _ in range(2):
        f = rng.normal(size=(250, 1))
        frame = pd.DataFrame(f @ [[1, 0.8, 0.9, 0.7]] + rng.normal(size=(250, 4)), columns=["x1", "x2", "x3", "x4"])
        frame.iloc[::7, 1] = np.nan
        frame.iloc[3::11, 3] = np.nan
        frames.append(frame)
    return [SEM("F =~ x1 + x2 + x3 + x4").fit(frame, missing="fiml", estimator="MLR") for frame in frames]


@pytest.mark.parametrize("scaled", [True, False])
@pytest.mark.parametrize("groups", [1, 2])
def test_corrected_trace_equals_dense_formula(fits, scaled, groups):
    parts = [robust.fiml_part(fit.compiled, fit.theta, fit.n, fit.cases.mean, fit.cases.cov,
                              fit.cases.h1_information(True)) for fit in fits[:groups]]
    df = 2 * groups
    statistic, factor = robust.fiml_corrected(parts, df, scaled=scaled)
    expected = _dense(parts, df, scaled)
    assert factor == pytest.approx(expected, rel=1e-10)
    assert factor > 0.5
    assert statistic == pytest.approx(sum(part.statistic for part in parts), rel=1e-12)
