"""Simulate Likert survey data from the population model an instrument's hypotheses imply.

Latent scores follow the hypothesised recursive model with standardized constructs;
each item is a congeneric indicator cut into the instrument's response categories.
Reverse-keyed items are answered the way a respondent reads them (low when the construct
is high), so the data need recoding exactly as real data do. The same instrument, n and
seed give byte-identical files.

With ``moderators=True`` the instrument's moderator constructs are drawn too (standard normal,
independent of the model's constructs, from a random stream of their own, so the other columns'
noise is unchanged) and each moderation hypothesis adds a true interaction, ``INTERACTION`` times
the product of the moderated path's predictor and the moderator, to the latent outcome of that
path (passed on downstream along the model's paths); the moderator items are appended last.

>>> from semtrust.model.instrument import load_instrument
>>> data, truth = simulate(load_instrument("sor_live_commerce"), n=50, seed=7)
>>> data.shape[0], truth["seed"]
(50, 7)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from semtrust.model.instrument import Instrument

__all__ = ["simulate", "write_simulation", "population", "response_cuts"]

GENERATOR_VERSION = 1
INTERACTION = 0.2   # size of each simulated latent interaction (standardized units), signed as hypothesised
# Cut points of the standard-normal item response for a 7-point scale, skewed towards
# agreement as live-commerce surveys are; other scale lengths use evenly spaced quantiles.
SEVEN_POINT_CUTS = (-2.0, -1.4, -0.8, -0.2, 0.45, 1.2)
DEMOGRAPHICS = {
    "platform": (("Douyin", "Kuaishou", "WeChat Channels"), (0.45, 0.35, 0.20)),
    "gender": (("Female", "Male"), (0.58, 0.42)),
    "age_group": (("18-24", "25-30", "31-40", "41+"), (0.34, 0.31, 0.23, 0.12)),
    "education": (("High school or below", "Junior college", "Bachelor", "Postgraduate"),
                  (0.14, 0.27, 0.47, 0.12)),
    "monthly_income": (("<3000", "3000-5999", "6000-9999", ">=10000"), (0.26, 0.33, 0.26, 0.15)),
    "purchase_frequency": (("Less than monthly", "1-3 times a month", "Weekly or more"),
                           (0.38, 0.44, 0.18)),
}


def _topological(instrument: Instrument) -> list[str]:
    order, done = [], set()
    ids = [c.id for c in instrument.constructs]
    while len(order) < len(ids):
        for cid in ids:
            parents = {h.source for h in instrument.hypotheses if h.target == cid}
            if cid not in done and parents <= done:
                order.append(cid)
                done.add(cid)
    return order


def population(instrument: Instrument, rng: np.random.Generator) -> dict:
    """Draw standardized population parameters: paths, exogenous correlations, loadings.

    >>> import numpy as np
    >>> from semtrust.model.instrument import load_instrument
    >>> pop = population(load_instrument("sor_live_commerce"), np.random.default_rng(1))
    >>> sorted(pop)
    ['disturbance', 'exogenous', 'latent_cov', 'loadings', 'order', 'paths']
    """
    order = _topological(instrument)
    targets = {h.target for h in instrument.hypotheses}
    exogenous = [c for c in order if c not in targets]
    index = {c: i for i, c in enumerate(order)}
    m = len(order)
    beta = np.zeros((m, m))
    paths = {}
    for h in instrument.hypotheses:
        value = round(float(rng.uniform(0.25, 0.45)), 2) * (1 if h.sign == "+" else -1)
        beta[index[h.target], index[h.source]] = value
        paths[h.id] = value
    phi = np.eye(m)
    for a in exogenous:
        for b in exogenous:
            if a < b:
                phi[index[a], index[b]] = phi[index[b], index[a]] = round(float(rng.uniform(0.2, 0.4)), 2)
    # Fill the latent covariance in causal order so every construct has variance 1.
    cov = np.zeros((m, m))
    ex = [index[c] for c in exogenous]
    cov[np.ix_(ex, ex)] = phi[np.ix_(ex, ex)]
    predictors = [h.source for h in instrument.hypotheses]
    sinks = [c for c in order if c in targets and c not in predictors]
    disturbance = {}
    for cid in order:
        i = index[cid]
        if cid in exogenous:
            continue
        b = beta[i]
        explained = float(b @ cov @ b)
        if explained > 0.75:  # keep R² realistic: shrink the paths into this construct
            scale = np.sqrt(0.75 / explained)
            beta[i] = np.round(b * scale, 2)
            for h in instrument.hypotheses:
                if h.target == cid:
                    paths[h.id] = float(beta[i, index[h.source]])
            b = beta[i]
            explained = float(b @ cov @ b)
        disturbance[cid] = 1.0 - explained
        cov[i] = cov[:, i] = b @ cov
        cov[i, i] = 1.0
        for other in sinks:
            # lavaan frees the disturbance covariances of pure outcomes; give them one
            if other in disturbance and other != cid and cid in sinks:
                j = index[other]
                extra = 0.3 * np.sqrt(disturbance[cid] * disturbance[other])
                cov[i, j] += extra
                cov[j, i] += extra
    loadings = {item.id: round(float(rng.uniform(0.70, 0.90)), 2) for item in instrument.items}
    return {"order": order, "paths": paths, "latent_cov": cov, "loadings": loadings,
            "disturbance": disturbance, "exogenous": exogenous}


def response_cuts(points: int) -> np.ndarray:
    """Standard-normal cut points of a ``points``-category item (the categories of ``1 + #cuts exceeded``).

    >>> response_cuts(7).tolist(), response_cuts(5).round(3).tolist()
    ([-2.0, -1.4, -0.8, -0.2, 0.45, 1.2], [-1.142, -0.553, -0.047, 0.542])
    """
    if points == 7:
        return np.array(SEVEN_POINT_CUTS)
    from scipy.stats import norm
    return norm.ppf(np.arange(1, points) / points) - 0.3


def _add_interactions(instrument: Instrument, pop: dict, scores: dict, n: int, seed: int) -> dict:
    """Draw the moderators' latent scores and add each moderation hypothesis's interaction to
    ``scores`` (in place, in causal order, so effects reach the constructs downstream); returns
    the truth's ``moderation`` block."""
    rng = np.random.default_rng([seed, 1])   # a stream of its own: the main draws stay as they are
    for construct in instrument.moderators:
        scores[construct.id] = rng.standard_normal(n)
    added = {cid: np.zeros(n) for cid in pop["order"]}
    effects = []
    for h in instrument.moderation_hypotheses:
        predictor, outcome = h.moderated_path
        gamma = INTERACTION if h.sign == "+" else -INTERACTION
        added[outcome] += gamma * scores[predictor] * scores[h.moderator]
        effects.append({"id": h.id, "path": [predictor, outcome], "moderator": h.moderator, "interaction": gamma})
    for cid in pop["order"]:   # causal order: a construct's parents are final before it
        added[cid] += sum(pop["paths"][h.id] * added[h.source] for h in instrument.hypotheses if h.target == cid)
        scores[cid] = scores[cid] + added[cid]
    return {"note": ("Moderators are standard normal and independent of the model's constructs; each "
                     "interaction adds interaction * predictor * moderator to the latent outcome of the "
                     "moderated path (and, through the paths, downstream), so those constructs' variances "
                     "exceed 1 slightly."),
            "interactions": effects}


def simulate(instrument: Instrument, n: int, seed: int, moderators: bool = False) -> tuple[pd.DataFrame, dict]:
    """Return (data, truth): demographic columns then one integer column per item (and, with
    ``moderators``, the moderator items last and a true interaction per moderation hypothesis).

    >>> from semtrust.model.instrument import load_instrument
    >>> data, truth = simulate(load_instrument("trust_mechanism"), n=100, seed=3)
    >>> data.shape, bool(data["CA1"].between(1, 7).all()), sorted(truth)[:4]
    ((100, 58), True, ['cuts', 'demographics', 'disturbance_variances', 'generator'])
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = np.random.default_rng(seed)
    pop = population(instrument, rng)
    order = pop["order"]
    latent = rng.multivariate_normal(np.zeros(len(order)), pop["latent_cov"], size=n, method="cholesky")
    scores = dict(zip(order, latent.T))
    moderation = _add_interactions(instrument, pop, scores, n, seed) if moderators else None
    cuts = response_cuts(instrument.scale.points)
    columns = {"respondent_id": [f"R{i:04d}" for i in range(1, n + 1)]}
    for name, (levels, probs) in DEMOGRAPHICS.items():
        columns[name] = list(np.array(levels)[rng.choice(len(levels), size=n, p=probs)])
    shifts = {}
    for construct in instrument.constructs:
        for item in construct.items:
            lam = pop["loadings"][item.id]
            shift = round(float(rng.uniform(-0.3, 0.3)), 2)
            shifts[item.id] = shift
            response = lam * scores[construct.id] + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
            category = np.searchsorted(cuts + shift, response) + 1
            columns[item.id] = (instrument.scale.points + 1 - category) if item.reverse else category
    if moderators:
        _moderator_items(instrument, scores, cuts, columns, moderation, np.random.default_rng([seed, 2]))
    data = pd.DataFrame(columns)
    cov = pop["latent_cov"]
    truth = {
        "generator": "semtrust.simulate", "generator_version": GENERATOR_VERSION,
        "instrument": instrument.id, "instrument_version": instrument.version,
        "n": n, "seed": seed,
        "note": ("Standardized parameters of the continuous population model. Cutting responses "
                 "into Likert categories attenuates correlations slightly, so ML estimates on the "
                 "item data sit a little below these values. Reverse-keyed items are stored as "
                 "answered; recode them (points + 1 - x) before analysis."),
        "paths": [{"id": h.id, "from": h.source, "to": h.target, "beta": pop["paths"][h.id]}
                  for h in instrument.hypotheses],
        "loadings": pop["loadings"],
        "item_thresholds_shift": shifts,
        "cuts": [float(c) for c in cuts],
        "reverse_items": instrument.reverse_items,
        "latent_correlations": {a: {b: round(float(cov[i, j]), 4) for j, b in enumerate(order)}
                                for i, a in enumerate(order)},
        "disturbance_variances": {k: round(v, 4) for k, v in pop["disturbance"].items()},
        "demographics": {k: dict(zip(levels, probs)) for k, (levels, probs) in DEMOGRAPHICS.items()},
    }
    if moderation is not None:
        truth["moderation"] = moderation
    return data, truth


def _moderator_items(instrument: Instrument, scores: dict, cuts: np.ndarray, columns: dict, moderation: dict,
                     rng: np.random.Generator) -> None:
    """Append the moderator items to ``columns`` (congeneric, as the model's items); their
    loadings and threshold shifts go to ``moderation``."""
    n = len(columns["respondent_id"])
    loadings, shifts = {}, {}
    for construct in instrument.moderators:
        for item in construct.items:
            lam = loadings[item.id] = round(float(rng.uniform(0.70, 0.90)), 2)
            shift = shifts[item.id] = round(float(rng.uniform(-0.3, 0.3)), 2)
            response = lam * scores[construct.id] + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
            category = np.searchsorted(cuts + shift, response) + 1
            columns[item.id] = (instrument.scale.points + 1 - category) if item.reverse else category
    moderation["loadings"], moderation["item_thresholds_shift"] = loadings, shifts


def write_simulation(instrument: Instrument, n: int, seed: int, out: str | Path,
                     moderators: bool = False) -> tuple[Path, Path]:
    """Write ``out`` (CSV, UTF-8) and ``out`` with ``.truth.json`` beside it.

    >>> import tempfile, pathlib
    >>> from semtrust.model.instrument import load_instrument
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> data_path, truth_path = write_simulation(load_instrument("sor_live_commerce"), n=20, seed=1, out=out)
    >>> data_path.name, truth_path.name, len(data_path.read_text(encoding="utf-8").splitlines())
    ('survey.csv', 'survey.truth.json', 21)
    """
    out = Path(out)
    data, truth = simulate(instrument, n, seed, moderators)
    truth["command"] = (f"semtrust simulate --instrument {instrument.id} --n {n} --seed {seed}"
                        f"{' --moderators' if moderators else ''} --out {out.as_posix()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    data.to_csv(out, index=False, lineterminator="\n")
    truth_path = out.with_name(out.stem + ".truth.json")
    truth_path.write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out, truth_path
