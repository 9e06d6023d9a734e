"""PLSpredict (Shmueli et al. 2016, 2019): k-fold cross-validated predictions of the endogenous
indicators, against the linear-model (LM) benchmark.

Stage: structural-model assessment (predictive power). For each repetition the cases are
shuffled with their own generator (seeded with ``(seed, repetition)``) and cut into ``folds``
contiguous blocks; the model is re-estimated on every training set — all training sets of all
repetitions as one stack of correlation matrices, one batched PLS run — and the held-out cases
are predicted: their items standardized with the training means and SDs, scored with the
training weights, endogenous scores predicted through the training paths, items recovered with
the training loadings, SDs and means. ``technique="earliest"`` predicts from the exogenous
constructs only (earliest antecedents, as SmartPLS); ``"direct"`` from each construct's direct
antecedents (seminr's default). The LM benchmark regresses each endogenous item (with an
intercept) on the items of the same predictor constructs.

Per endogenous item: Q²predict = 1 − Σ(y − ŷ)² / Σ(y − ȳ_train)², RMSE and MAE of PLS and of LM,
each computed per repetition and averaged over the repetitions.

>>> import numpy as np, pandas as pd
>>> from semtrust.estimation.pls import estimate_pls
>>> rng = np.random.default_rng(2)
>>> f = rng.normal(size=(250, 1))
>>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(250, 2)), 0.6 * f + rng.normal(size=(250, 2))]),
...                   columns=["a1", "a2", "b1", "b2"])
>>> table = pls_predict(estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A"), seed=3)
>>> table[["construct", "item"]].values.tolist(), bool((table["q2_predict"] > 0).all())
([['B', 'b1'], ['B', 'b2']], True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from semtrust.errors import InputError
from semtrust.estimation.bootstrap import resample_rows
from semtrust.estimation.pls.algorithm import solve_stack
from semtrust.estimation.pls.bootstrap import correlation_stack, moments_stack
from semtrust.estimation.pls.estimate import PLSResults

__all__ = ["pls_predict", "cvpat"]

TECHNIQUES = ("earliest", "direct")


def contiguous_folds(order: np.ndarray, folds: int) -> np.ndarray:
    """Fold id of every case when the cases, taken in ``order``, are cut into equal blocks."""
    ids = np.empty(len(order), int)
    ids[order] = np.arange(len(order)) * folds // len(order)
    return ids


def _predicted_scores(scores: np.ndarray, paths: np.ndarray, order: list[int], technique: str) -> np.ndarray:
    """Endogenous scores from the paths: direct antecedents' actual scores, or propagated from the
    exogenous constructs in causal ``order``."""
    if technique == "direct":
        predicted = scores @ paths
        endogenous = paths.any(axis=0)
        return np.where(endogenous, predicted, scores)
    predicted = scores.copy()
    for k in order:
        if paths[:, k].any():
            predicted[:, k] = predicted @ paths[:, k]
    return predicted


@dataclass
class CrossValidation:
    """Out-of-sample predictions of the endogenous items: repetitions × n × items."""

    targets: list[tuple[str, int]]    # (construct, slot) of each predicted item
    actual: np.ndarray                # n × items
    pls: np.ndarray
    lm: np.ndarray
    naive: np.ndarray                 # training means


def cross_validate(results: PLSResults, *, folds: int = 10, repetitions: int = 10, seed: int = 2024,
                   technique: str = "earliest", fold_ids: np.ndarray | None = None) -> CrossValidation:
    """PLS and LM out-of-sample predictions for every repetition (see the module docstring)."""
    model = results.model
    if model.higher_order or results.first_stage is not None:
        raise InputError("PLSpredict has no published procedure for higher-order constructs; "
                         "predict from the first-order model")
    if technique not in TECHNIQUES:
        raise InputError(f"unknown PLSpredict technique '{technique}'; use one of {', '.join(TECHNIQUES)}")
    n = results.n
    if fold_ids is None:
        if not 2 <= folds <= n:
            raise InputError(f"PLSpredict needs between 2 and {n} folds, got {folds}")
        fold_ids = np.stack([contiguous_folds(np.random.default_rng([seed, r]).permutation(n), folds)
                             for r in range(repetitions)])
    fold_ids = np.asarray(fold_ids)
    raw = results.items[[item for _, item in model.slots]].to_numpy()
    splits = [(r, fold) for r in range(len(fold_ids)) for fold in np.unique(fold_ids[r])]
    training = np.stack([fold_ids[r] != fold for r, fold in splits]).astype(float)
    means, cov = moments_stack(raw, training)
    sizes = training.sum(axis=1)
    sds = np.sqrt(np.einsum("bpp->bp", cov) * (sizes / (sizes - 1))[:, None])
    fits = solve_stack(correlation_stack(raw, training), results.layout, weighting=results.weighting,
                       consistent=results.consistent)

    names = model.constructs
    exogenous = [c for c in names if not model.predecessors(c)]
    targets = [(c, row) for row, (c, _) in enumerate(model.slots) if model.predecessors(c)]
    target_rows = [row for _, row in targets]
    order = list(model.causal_order)
    pls_pred = np.zeros((len(fold_ids), n, len(targets)))
    lm_pred = np.zeros_like(pls_pred)
    naive = np.zeros_like(pls_pred)
    for s, (r, fold) in enumerate(splits):
        test = fold_ids[r] == fold
        z = (raw[test] - means[s]) / sds[s]
        scores = _predicted_scores(z @ fits.weights[s], fits.paths[s], order, technique)
        own = fits.loadings[s][target_rows, [names.index(c) for c, _ in targets]]
        own_scores = scores[:, [names.index(c) for c, _ in targets]]
        pls_pred[r][test] = own_scores * own * sds[s][target_rows] + means[s][target_rows]
        naive[r][test] = means[s][target_rows]
        train = ~test
        for column, (construct, row) in enumerate(targets):
            sources = model.predecessors(construct) if technique == "direct" else exogenous
            predictors = [i for i, (c, _) in enumerate(model.slots) if c in sources]
            design = np.column_stack([np.ones(train.sum()), raw[train][:, predictors]])
            beta = np.linalg.lstsq(design, raw[train, row], rcond=None)[0]
            lm_pred[r][test, column] = np.column_stack([np.ones(test.sum()), raw[test][:, predictors]]) @ beta
    return CrossValidation(targets, raw[:, target_rows], pls_pred, lm_pred, naive)


def pls_predict(results: PLSResults, *, folds: int = 10, repetitions: int = 10, seed: int = 2024,
                technique: str = "earliest", fold_ids: np.ndarray | None = None) -> pd.DataFrame:
    """Q²predict, RMSE and MAE (PLS and LM) per endogenous item; ``fold_ids`` (repetitions × n,
    fold numbers from 0) replaces the seeded partition, e.g. to reproduce another program's folds.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> pls_predict(res, folds=5, repetitions=2, seed=1).round(3)
      construct item  q2_predict  pls_rmse  pls_mae  lm_rmse  lm_mae
    0         B   b1       0.191     1.034    0.786    1.034   0.789
    1         B   b2       0.285     0.964    0.766    0.959   0.758
    """
    cv = cross_validate(results, folds=folds, repetitions=repetitions, seed=seed, technique=technique,
                        fold_ids=fold_ids)
    pls_error, lm_error = cv.actual - cv.pls, cv.actual - cv.lm
    return pd.DataFrame({
        "construct": [c for c, _ in cv.targets],
        "item": [results.model.slots[row][1] for _, row in cv.targets],
        "q2_predict": (1 - (pls_error ** 2).sum(axis=1) / ((cv.actual - cv.naive) ** 2).sum(axis=1)).mean(axis=0),
        "pls_rmse": np.sqrt((pls_error ** 2).mean(axis=1)).mean(axis=0),
        "pls_mae": np.abs(pls_error).mean(axis=1).mean(axis=0),
        "lm_rmse": np.sqrt((lm_error ** 2).mean(axis=1)).mean(axis=0),
        "lm_mae": np.abs(lm_error).mean(axis=1).mean(axis=0),
    })


def cvpat(results: PLSResults, *, folds: int = 10, seed: int = 2024, technique: str = "direct",
          draws: int = 2000, alternative: str = "two-sided", fold_ids: np.ndarray | None = None) -> pd.DataFrame:
    """CVPAT (Liengaard et al. 2021; Sharma et al. 2023, as seminrExtras' ``assess_cvpat``): the
    average loss of PLS against the LM and the indicator-average (IA) benchmark, per endogenous
    construct and overall. A case's loss for a construct is its items' mean squared prediction
    error (one k-fold run); IA predicts every item by its full-sample mean, as seminrExtras does.
    ``t = d̄ / SD*(d̄)`` with d = benchmark loss − PLS loss and SD* the bootstrap SD of the mean of
    the centred d (resample ``b`` = :func:`resample_rows` ``(seed, b, n)``); p from t(n − 1),
    two-sided or ``alternative="greater"`` (PLS predicts better).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(200, 2)), 0.6 * f + rng.normal(size=(200, 2))]), columns=["a1", "a2", "b1", "b2"])
    >>> from semtrust.estimation.pls.estimate import estimate_pls
    >>> res = estimate_pls(df, "A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> cvpat(res, folds=5, seed=1).round(3)
      benchmark construct  pls_loss  benchmark_loss  difference      t  pvalue
    0        LM         B     0.995           0.994      -0.002 -0.145   0.885
    1        LM   overall     0.995           0.994      -0.002 -0.145   0.885
    2        IA         B     0.995           1.300       0.304  4.396   0.000
    3        IA   overall     0.995           1.300       0.304  4.396   0.000
    """
    if alternative not in ("two-sided", "greater"):
        raise InputError(f"unknown CVPAT alternative '{alternative}'; use two-sided or greater")
    cv = cross_validate(results, folds=folds, repetitions=1, seed=seed, technique=technique,
                        fold_ids=None if fold_ids is None else np.asarray(fold_ids)[None])
    constructs = list(dict.fromkeys(c for c, _ in cv.targets))
    member = np.array([[c == k for k in constructs] for c, _ in cv.targets], float)
    member /= member.sum(axis=0)

    def losses(prediction: np.ndarray) -> np.ndarray:
        per_construct = (cv.actual - prediction) ** 2 @ member
        return np.column_stack([per_construct, per_construct.mean(axis=1)])

    pls_loss = losses(cv.pls[0])
    n = len(cv.actual)
    rows = np.stack([resample_rows(seed, b, n) for b in range(draws)])
    out = []
    for name, benchmark in (("LM", cv.lm[0]), ("IA", np.broadcast_to(cv.actual.mean(axis=0), cv.actual.shape))):
        bench_loss = losses(benchmark)
        difference = bench_loss - pls_loss
        centred = difference - difference.mean(axis=0)
        boot_sd = centred[rows].mean(axis=1).std(axis=0, ddof=1)
        t = difference.mean(axis=0) / boot_sd
        p = 2 * stats.t.sf(np.abs(t), n - 1) if alternative == "two-sided" else stats.t.sf(t, n - 1)
        for j, construct in enumerate(constructs + ["overall"]):
            out.append((name, construct, pls_loss[:, j].mean(), bench_loss[:, j].mean(),
                        difference[:, j].mean(), t[j], p[j]))
    return pd.DataFrame(out, columns=["benchmark", "construct", "pls_loss", "benchmark_loss", "difference", "t",
                                      "pvalue"])
