"""Stone–Geisser Q² by blindfolding (Chin 1998; Hair et al. 2017, ch. 6; SmartPLS 3).

Stage: structural-model assessment (predictive relevance). For every endogenous construct in
mode A (reflective or single item; Hair et al. skip formative targets) the data points of its
indicators are numbered down the data matrix, indicator by indicator — case i of indicator j is
point j·n + i — and round d = 0 … D − 1 omits the points whose number leaves remainder d when
divided by the omission distance D (default 7), so every point is omitted exactly once, in a
diagonal pattern. That is why n / D must not be a whole number (Hair et al. 2017): it would omit
whole cases. Each omitted point is replaced
by the mean of its indicator's remaining values and the model is re-estimated on that data
(standardized as always). The omitted points are then predicted, on the round's standardized
scale, as loading × construct score:

- cross-validated redundancy (the Q² SmartPLS and the primer report): the score predicted by the
  construct's predecessors, Σ path × predecessor score;
- cross-validated communality: the construct's own score from the round's estimate.

Q² = 1 − ΣSSE / ΣSSO over all rounds and indicators, with SSO the squared standardized values
(their deviations from the remaining values' mean). All D rounds of all targets are one stack of
correlation matrices run through the batched algorithm at once.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.pls import estimate_pls
>>> rng = np.random.default_rng(3)
>>> f = rng.normal(size=(300, 1))
>>> g = 0.7 * f + rng.normal(scale=0.7, size=(300, 1))
>>> survey = pd.DataFrame(np.hstack([f + rng.normal(scale=.5, size=(300, 3)), g + rng.normal(scale=.5, size=(300, 3))]),
...                       columns=["a1", "a2", "a3", "b1", "b2", "b3"])
>>> table = blindfolding(estimate_pls(survey, "A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A"))
>>> table.round(3).values.tolist()
[['B', 0.417, 0.658, 7]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semtrust.errors import InputError
from semtrust.estimation.pls.algorithm import solve_stack
from semtrust.estimation.pls.estimate import PLSResults

__all__ = ["blindfolding"]


def omission_mask(n: int, block_size: int, distance: int, round_: int) -> np.ndarray:
    """n × block_size mask of the points omitted in round ``round_``: point j·n + i ≡ round (mod D).

    >>> omission_mask(3, 2, 4, 1).astype(int).tolist()
    [[0, 0], [1, 0], [0, 1]]
    """
    numbers = np.arange(block_size)[None, :] * n + np.arange(n)[:, None]
    return numbers % distance == round_


def blindfolding(results: PLSResults, omission_distance: int = 7) -> pd.DataFrame:
    """Q² (cross-validated redundancy and communality) of every mode A endogenous construct.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> blindfolding(res).round(3)
      construct  q2_redundancy  q2_communality  omission_distance
    0         B          0.231            0.06                  7
    """
    model = results.model
    if results.first_stage is not None:
        raise InputError("Q² by blindfolding is not defined here for two-stage higher-order models; "
                         "use the repeated-indicators model (higher_order='repeated')")
    if results.consistent:
        raise InputError("Q² by blindfolding is computed for PLS, not PLSc; refit with consistent=False")
    n = results.n
    if not 2 <= omission_distance < n or n % omission_distance == 0:
        raise InputError(f"blindfolding needs an omission distance between 2 and {n - 1} that does not divide the "
                         f"number of cases ({n}), got {omission_distance}; 7 or another prime usually works")
    targets = [c for c in model.endogenous if model.modes[c] == "A"]
    raw = results.items.to_numpy()
    column_of = {item: k for k, item in enumerate(results.items.columns)}
    slot_columns = [column_of[item] for _, item in model.slots]
    rounds, standardized, masks = [], [], []
    for target in targets:
        block = [column_of[item] for item in model.items[target]]
        for d in range(omission_distance):
            omitted = omission_mask(n, len(block), omission_distance, d)
            if not omitted.any():
                continue
            values = raw.copy()
            kept = np.where(omitted, np.nan, raw[:, block])
            values[:, block] = np.where(omitted, np.nanmean(kept, axis=0), raw[:, block])
            centre, scale = values.mean(axis=0), values.std(axis=0, ddof=1)
            rounds.append((target, block, (raw[:, block] - centre[block]) / scale[block]))
            standardized.append((values - centre) / scale)
            masks.append(omitted)
    if not rounds:
        return pd.DataFrame(columns=["construct", "q2_redundancy", "q2_communality", "omission_distance"])
    stack = np.stack([np.corrcoef(z[:, slot_columns], rowvar=False) for z in standardized])
    fits = solve_stack(stack, results.layout, weighting=results.weighting)
    names = model.constructs
    sums = {t: np.zeros(3) for t in targets}     # SSE redundancy, SSE communality, SSO
    for s, ((target, block, actual), z, omitted) in enumerate(zip(rounds, standardized, masks)):
        k = names.index(target)
        scores = z[:, slot_columns] @ fits.weights[s]
        predicted = scores @ fits.paths[s][:, k]
        loadings = fits.loadings[s][model.block(target), k]
        sums[target] += [((actual - np.outer(predicted, loadings))[omitted] ** 2).sum(),
                         ((actual - np.outer(scores[:, k], loadings))[omitted] ** 2).sum(),
                         (actual[omitted] ** 2).sum()]
    table = pd.DataFrame([(t, 1 - sse_r / sso, 1 - sse_c / sso) for t, (sse_r, sse_c, sso) in sums.items()],
                         columns=["construct", "q2_redundancy", "q2_communality"])
    return table.assign(omission_distance=omission_distance)
