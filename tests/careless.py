"""Seeded survey data with injected careless responders, built on semtrust's simulator.

Genuine respondents come from :func:`semtrust.simulate.simulate` (their answers follow the
instrument's population model), answer the attention items correctly (save for a small lapse
rate) and take a log-normal completion time. Careless respondents are appended in four kinds:

- ``random``: every item (and attention item) drawn uniformly from the scale;
- ``straightline``: one answer repeated on every item, jittered on a few items;
- ``speeder``: a genuine-looking answer pattern finished in under a quarter of the median time;
- ``duplicate``: a second submission of a genuine respondent (same id and answers).

Rows are shuffled; the ``kind`` column (genuine / one of the four) is the truth.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from semtrust.model.instrument import Instrument
from semtrust.model.simulate import simulate

MEDIAN_SECONDS = 420.0
KINDS = ("random", "straightline", "speeder", "duplicate")


def careless_survey(instrument: Instrument, n_genuine: int, n_per_kind: int, seed: int,
                    lapse: float = 0.005) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = instrument.item_ids
    points = instrument.scale.points
    total = n_genuine + n_per_kind * 3   # duplicates copy genuine rows
    data, _ = simulate(instrument, total, seed)
    data["duration"] = np.round(MEDIAN_SECONDS * np.exp(0.35 * rng.standard_normal(total)), 1)
    data["kind"] = "genuine"
    for check in instrument.attention_checks:
        wrong = [s for s in range(1, points + 1) if s not in check.correct]
        answers = np.full(total, check.correct[0])
        lapses = rng.random(total) < lapse
        answers[lapses] = rng.choice(wrong, size=lapses.sum())
        data[check.id] = answers
    checks = [c.id for c in instrument.attention_checks]

    start = n_genuine
    block = slice(start, start + n_per_kind)
    data.loc[data.index[block], items + checks] = rng.integers(1, points + 1, size=(n_per_kind, len(items) + len(checks)))
    data.loc[data.index[block], "kind"] = "random"

    start += n_per_kind
    rows = data.index[start:start + n_per_kind]
    level = rng.integers(3, points + 1, size=n_per_kind)
    lines = np.repeat(level[:, None], len(items), axis=1)
    jitter = rng.random(lines.shape) < 0.05
    lines[jitter] = np.clip(lines[jitter] + rng.choice([-1, 1], size=jitter.sum()), 1, points)
    data.loc[rows, items] = lines
    data.loc[rows, checks] = np.repeat(level[:, None], len(checks), axis=1)
    data.loc[rows, "kind"] = "straightline"

    start += n_per_kind
    rows = data.index[start:start + n_per_kind]
    data.loc[rows, "duration"] = np.round(MEDIAN_SECONDS * rng.uniform(0.08, 0.25, n_per_kind), 1)
    data.loc[rows, "kind"] = "speeder"

    originals = data.iloc[rng.choice(n_genuine, size=n_per_kind, replace=False)].copy()
    originals["kind"] = "duplicate"
    originals["duration"] = np.round(MEDIAN_SECONDS * np.exp(0.35 * rng.standard_normal(n_per_kind)), 1)
    data = pd.concat([data, originals], ignore_index=True)
    order = rng.permutation(len(data))
    data = data.iloc[order].reset_index(drop=True)
    # a duplicate is the later of the two submissions
    first = ~data.duplicated("respondent_id", keep="first")
    data.loc[first & (data.kind == "duplicate"), "kind"] = "genuine"
    data.loc[~first & data.respondent_id.isin(originals.respondent_id), "kind"] = "duplicate"
    return data
