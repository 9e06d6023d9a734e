"""Screening stage: careless-responding rules applied in a fixed, documented order.

Each rule flags respondents on an index computed from the item answers (or the duration and
attention-check columns) of the respondents still in the sample; a rule set to exclude removes
them before the next rule runs ("multiple hurdles", Curran 2016). The order is

1. duplicates (repeated respondent id, or an identical non-constant answer vector; the first
   submission is kept),
2. instructed-response (attention) items declared in the instrument,
3. speeders (completion time below a fraction of the median),
4. long-string (the longest run of identical consecutive answers, in display order),
5. intra-individual response variability (IRV, the within-person SD of the answers),
6. even-odd consistency (Spearman-Brown corrected within-person correlation of the
   even- and odd-numbered item halves of the constructs),
7. Mahalanobis D² (p below a threshold, on the coded items).

Every rule excludes by default except even-odd, which only flags (see ``ScreeningRules``).

Long-string and IRV read the answers as given (reverse-keyed items un-recoded), even-odd and
D² the coded scores, as survey-exports.md §11 prescribes. All indices are vectorised over
respondents, so 10,000 respondents take well under a second.

>>> import numpy as np
>>> longstring(np.array([[1, 1, 2, 2, 2, 3], [4, 4, 4, 4, 4, 4.]])).tolist()
[3, 6]
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from semtrust.errors import InputError

__all__ = ["screen", "screen_survey", "ScreeningRules", "ScreeningResult", "longstring", "irv", "evenodd",
           "mahalanobis"]

RULE_ORDER = ("duplicates", "attention", "speed", "longstring", "irv", "evenodd", "mahalanobis")
RULE_LABELS = {
    "duplicates": "Duplicate submissions",
    "attention": "Instructed-response (attention) items",
    "speed": "Speeders",
    "longstring": "Long-string responding",
    "irv": "Low intra-individual response variability",
    "evenodd": "Even-odd inconsistency",
    "mahalanobis": "Multivariate outliers (Mahalanobis D²)",
}
MIN_EVENODD_PAIRS = 3       # constructs with both halves answered, before the correlation is trusted


@dataclass
class ScreeningRules:
    """Settings of every screening rule (study.yaml ``screening:`` maps onto these fields).

    Defaults follow the published recommendations collected in survey-exports.md §11.

    >>> rules = ScreeningRules.from_dict({"irv_min": 0.3, "skip": ["mahalanobis"]}, "study.yaml")
    >>> rules.irv_min, rules.skip, rules.flag_only
    (0.3, ('mahalanobis',), ('evenodd',))
    """

    enabled: bool = True
    # 1. duplicates: same respondent id, or identical answers to every item (non-constant
    # answer vectors only: identical straight-lines are left to the long-string rule); the
    # answer rule needs enough items for chance identity to be negligible.
    duplicate_ids: bool = True
    duplicate_answers: bool = True
    duplicate_min_items: int = 10
    # 2. attention items: exclude on this many failures; None = Meade & Craig (2012): one
    # failure when the instrument has one or two such items, two when it has three or more.
    attention_max_failures: int | None = None
    # 3. speeders: completion time below this fraction of the median (industry convention;
    # Leiner 2019 discusses alternatives). Never a fixed fastest quantile.
    speed_fraction: float = 1 / 3
    # 4. long-string (Johnson 2005; Curran 2016): a run of identical consecutive answers covering
    # at least this share of the items, in display order.
    longstring_fraction: float = 0.5
    # 5. IRV (Dunn et al. 2018): within-person SD of the answers below this value (scale points).
    irv_min: float = 0.5
    # 6. even-odd consistency (Johnson 2005; Curran 2016): Spearman-Brown corrected within-person
    # even-odd correlation below this value.
    evenodd_min: float = 0.30
    # 7. Mahalanobis D² (Meade & Craig 2012): p below this level on chi-square(df = items answered).
    mahalanobis_alpha: float = 0.001
    # rules that only flag (reported and logged, not excluded). Even-odd by default: at r < .30 it
    # flags about 3 % of simulated genuine respondents, whose constructs correlate highly, so their
    # profile across constructs is nearly flat and its even-odd correlation unstable.
    flag_only: tuple[str, ...] = ("evenodd",)
    # rules switched off
    skip: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("flag_only", "skip"):
            value = tuple(getattr(self, name))
            unknown = [r for r in value if r not in RULE_ORDER]
            if unknown:
                raise InputError(f"screening: unknown rule {', '.join(unknown)} in {name}; "
                                 f"the rules are {', '.join(RULE_ORDER)}")
            setattr(self, name, value)
        checks = {"speed_fraction": (0, 1), "longstring_fraction": (0, 1), "mahalanobis_alpha": (0, 1),
                  "evenodd_min": (-1, 1)}
        for name, (low, high) in checks.items():
            value = getattr(self, name)
            if not low < value <= high:
                raise InputError(f"screening: {name} = {value} must lie in ({low}, {high}]")
        if self.irv_min < 0:
            raise InputError(f"screening: irv_min = {self.irv_min} must not be negative")
        if self.attention_max_failures is not None and self.attention_max_failures < 1:
            raise InputError("screening: attention_max_failures must be at least 1")

    @classmethod
    def from_dict(cls, settings: dict, where: str = "screening") -> "ScreeningRules":
        """Rules from a mapping such as study.yaml's ``screening:`` block; unknown keys are refused."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - names)
        if unknown:
            raise InputError(f"{where}: unknown setting {', '.join(str(u)[:40] for u in unknown)}; "
                             f"use {', '.join(sorted(names))}")
        return cls(**{key: _checked_setting(key, value, getattr(cls, key), where) for key, value in settings.items()})

    def to_dict(self) -> dict:
        settings = asdict(self)
        settings["flag_only"], settings["skip"] = list(self.flag_only), list(self.skip)
        return settings


def _checked_setting(key: str, value, default, where: str):
    """A screening setting of the type its default has: YAML's true/false for switches (the
    string 'no' is not false), whole numbers for counts, finite numbers for thresholds, rule
    names for lists; anything else is one line naming the setting.

    >>> _checked_setting("duplicate_ids", "no", True, "study.yaml: screening")
    Traceback (most recent call last):
    semtrust.errors.InputError: study.yaml: screening: duplicate_ids = 'no' must be true or false (unquoted)
    """
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise InputError(f"{where}: {key} = {shown} must be true or false (unquoted)")
    elif isinstance(default, int) or key == "attention_max_failures":
        if not (isinstance(value, int) and not isinstance(value, bool)) and not (value is None and default is None):
            raise InputError(f"{where}: {key} = {shown} must be a whole number")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{where}: {key} = {shown} must be a number")
    elif isinstance(default, tuple):
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where}: {key} = {shown} must be a list of rule names, e.g. [evenodd]")
    return value


@dataclass
class ScreeningResult:
    """The CONSORT-style flow and everything the report layer writes from it.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> scores = pd.DataFrame(rng.integers(1, 6, size=(20, 6)).astype(float), columns=list("abcdef"))
    >>> scores.loc[4] = 3.0
    >>> result = screen(scores, points=5)
    >>> result.n_screened, len(result.kept), result.exclusions[["row", "rule"]].to_dict("records")
    (20, 19, [{'row': 4, 'rule': 'longstring'}])
    """

    rules: ScreeningRules
    steps: pd.DataFrame        # step rule label criterion n_before flagged excluded n_after applied note
    exclusions: pd.DataFrame   # row respondent_id rule reason (one line per excluded respondent)
    flags: pd.DataFrame        # flagged-only respondents: row respondent_id rule reason
    indices: pd.DataFrame      # per respondent: longstring irv evenodd d2 d2_pvalue duration_ratio attention_failures
    kept: pd.Index             # index labels of the respondents who passed
    n_screened: int
    columns: dict = field(default_factory=dict)   # the id, duration and attention columns read

    def to_dict(self) -> dict:
        return {"rules": self.rules.to_dict(), "order": list(RULE_ORDER), "columns": self.columns,
                "n_screened": self.n_screened,
                "n_kept": len(self.kept), "n_excluded": len(self.exclusions),
                "steps": self.steps.to_dict(orient="records"),
                "excluded": self.exclusions.to_dict(orient="records"),
                "flagged": self.flags.to_dict(orient="records")}

    def log(self) -> pd.DataFrame:
        """One line per excluded or flagged respondent (``row respondent_id step rule action
        reason``, by row): exclusions.csv and ``st.screen``'s log."""
        log = pd.concat([self.exclusions.assign(action="excluded"), self.flags.assign(action="flagged")],
                        ignore_index=True)
        return log[["row", "respondent_id", "step", "rule", "action", "reason"]].sort_values(
            ["row", "step"], kind="stable")


# --------------------------------------------------------------------------- indices

def longstring(answers: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive answers per row (``careless::longstring``); a
    missing answer ends a run.

    >>> import numpy as np
    >>> longstring(np.array([[1, 1, 2, 2, 2, 3], [4, 4, 4, np.nan, 4, 4]])).tolist()
    [3, 3]
    """
    answers = np.asarray(answers, dtype=float)
    n, p = answers.shape
    if p == 0:
        return np.zeros(n, dtype=int)
    run = np.where(np.isnan(answers[:, 0]), 0, 1)
    longest = run.copy()
    for j in range(1, p):
        same = answers[:, j] == answers[:, j - 1]          # False when either is NaN
        run = np.where(same, run + 1, np.where(np.isnan(answers[:, j]), 0, 1))
        np.maximum(longest, run, out=longest)
    return longest


def irv(answers: np.ndarray) -> np.ndarray:
    """Intra-individual response variability: the SD (n − 1) of each row's answered items
    (``careless::irv``; Dunn et al. 2018); NaN with fewer than two answers.

    >>> import numpy as np
    >>> irv(np.array([[1, 2, 3, 4, 5], [3, 3, 3, 3, np.nan]])).round(3).tolist()
    [1.581, 0.0]
    """
    answers = np.asarray(answers, dtype=float)
    counts = (~np.isnan(answers)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(answers, axis=1) / counts
        squares = np.nansum((answers - mean[:, None]) ** 2, axis=1)
        return np.where(counts >= 2, np.sqrt(squares / (counts - 1)), np.nan)


def evenodd(scores: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Even-odd consistency (Johnson 2005; ``careless::evenodd`` before its sign flip): per row,
    the correlation across constructs of the mean of the odd-numbered items (1st, 3rd, ...) with
    the mean of the even-numbered ones, Spearman-Brown corrected (2r / (1 + r)). NaN when fewer
    than three constructs have both halves answered or a half does not vary.

    >>> import numpy as np
    >>> scores = np.array([[1, 2, 4, 4, 6, 7], [4, 4, 4, 4, 4, 4.]])   # the second does not vary
    >>> groups = [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])]
    >>> evenodd(scores, groups).round(3).tolist()
    [0.987, nan]
    """
    scores = np.asarray(scores, dtype=float)
    usable = [g for g in groups if len(g) >= 2]
    odd = np.column_stack([_row_means(scores[:, g[0::2]]) for g in usable] or [np.empty((len(scores), 0))])
    even = np.column_stack([_row_means(scores[:, g[1::2]]) for g in usable] or [np.empty((len(scores), 0))])
    both = ~(np.isnan(odd) | np.isnan(even))
    pairs = both.sum(axis=1)
    odd, even = np.where(both, odd, 0.0), np.where(both, even, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        odd_c = np.where(both, odd - odd.sum(axis=1, keepdims=True) / pairs[:, None], 0.0)
        even_c = np.where(both, even - even.sum(axis=1, keepdims=True) / pairs[:, None], 0.0)
        r = (odd_c * even_c).sum(axis=1) / np.sqrt((odd_c ** 2).sum(axis=1) * (even_c ** 2).sum(axis=1))
        corrected = 2 * r / (1 + r)
    return np.where(pairs >= MIN_EVENODD_PAIRS, corrected, np.nan)


def _row_means(block: np.ndarray) -> np.ndarray:
    """Mean of each row's answered cells; NaN when none is answered."""
    counts = (~np.isnan(block)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.nansum(block, axis=1) / counts, np.nan)


def mahalanobis(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared Mahalanobis distance of each row from the sample centroid, and its p value on
    chi-square with df = the items the row answered. Mean and covariance (n − 1) come from the
    complete rows, as ``careless::mahad`` on complete data; a row with missing answers is
    measured on the items it answered.

    >>> import numpy as np
    >>> scores = np.random.default_rng(0).normal(size=(50, 3))
    >>> scores[0] = [4, -4, 4]
    >>> d2, p = mahalanobis(scores)
    >>> round(float(d2[0]), 2), bool(p[0] < 0.001), int(np.argmax(d2))
    (24.78, True, 0)
    """
    from scipy import stats

    from semtrust.estimation.missing import missing_patterns

    scores = np.asarray(scores, dtype=float)
    complete = scores[~np.isnan(scores).any(axis=1)]
    d2 = np.full(len(scores), np.nan)
    df = np.zeros(len(scores))
    if len(complete) <= scores.shape[1]:
        return d2, np.full(len(scores), np.nan)
    mean = complete.mean(axis=0)
    cov = np.cov(complete, rowvar=False)
    for pattern in missing_patterns(scores):
        o = pattern.observed
        deviations = pattern.values - mean[o]
        # pseudo-inverse: an item nobody varies on must not stop the screening
        d2[pattern.rows] = ((deviations @ np.linalg.pinv(cov[np.ix_(o, o)], hermitian=True)) * deviations).sum(axis=1)
        df[pattern.rows] = len(o)
    with np.errstate(invalid="ignore"):
        return d2, np.where(df > 0, stats.chi2.sf(d2, np.maximum(df, 1)), np.nan)


# --------------------------------------------------------------------------- the stage

def screen(scores: pd.DataFrame, rules: ScreeningRules | None = None, *,
           groups: dict[str, list[str]] | None = None, reversed_items: list[str] = (),
           points: int | None = None, ids: pd.Series | None = None, durations: pd.Series | None = None,
           attention: pd.DataFrame | None = None, attention_correct: dict[str, tuple] | None = None,
           rows: pd.Series | None = None) -> ScreeningResult:
    """Apply the screening rules in :data:`RULE_ORDER` to coded item ``scores``.

    ``scores`` holds one column per item in display order (reverse-keyed items recoded as
    ``points + 1 − x``; ``reversed_items`` names them so long-string and IRV see the answers
    as given). ``groups`` maps constructs to their items (even-odd), ``ids``, ``durations``
    (seconds) and ``attention`` (scores of the attention items, with ``attention_correct``
    their accepted scores) share the index of ``scores``; ``rows`` gives the file row
    numbers used in the log (default: the index). A rule whose input is absent is reported as
    not applied.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> scores = pd.DataFrame(rng.integers(1, 8, size=(40, 8)).astype(float), columns=[f"Q{i}" for i in range(1, 9)])
    >>> scores.loc[7] = 7.0
    >>> result = screen(scores, ScreeningRules(skip=("mahalanobis",)), points=7)
    >>> result.steps[["rule", "excluded", "n_after"]]
              rule  excluded  n_after
    0   duplicates         0       40
    1    attention         0       40
    2        speed         0       40
    3   longstring         1       39
    4          irv         0       39
    5      evenodd         0       39
    6  mahalanobis         0       39
    """
    rules = rules or ScreeningRules()
    rows = pd.Series(scores.index, index=scores.index) if rows is None else rows
    coded = scores.to_numpy(dtype=float)
    answers = coded.copy()
    for item in reversed_items:
        j = scores.columns.get_loc(item)
        answers[:, j] = points + 1 - answers[:, j]
    column = {name: j for j, name in enumerate(scores.columns)}
    group_positions = [np.array([column[i] for i in members if i in column]) for members in (groups or {}).values()]
    ids = None if ids is None else ids.astype("string").str.strip().replace("", pd.NA)
    durations = None if durations is None else pd.to_numeric(durations, errors="coerce")

    keep = np.ones(len(scores), dtype=bool)
    indices = pd.DataFrame({"row": rows.to_numpy()}, index=scores.index)
    if ids is not None:
        indices["respondent_id"] = ids.to_numpy(dtype=object)
    steps, excluded, flagged = [], [], []
    for number, rule in enumerate(RULE_ORDER, start=1):
        n_before = int(keep.sum())
        step = {"step": number, "rule": rule, "label": RULE_LABELS[rule], "criterion": "", "n_before": n_before,
                "flagged": 0, "excluded": 0, "n_after": n_before, "action": "off", "note": ""}
        steps.append(step)
        if not rules.enabled or rule in rules.skip:
            step["note"] = "switched off"
            continue
        where = np.flatnonzero(keep)
        outcome = _RULES[rule](rules, where=where, scores=scores, coded=coded, answers=answers,
                               groups=group_positions, ids=ids, durations=durations, attention=attention,
                               attention_correct=attention_correct or {}, indices=indices, rows=rows)
        if isinstance(outcome, str):
            step["action"], step["note"] = "not applied", outcome
            continue
        criterion, hits, reasons = outcome
        step["criterion"] = criterion
        step["flagged"] = len(hits)
        log = flagged if rule in rules.flag_only else excluded
        log += [{"row": int(rows.iloc[h]), "respondent_id": None if ids is None or pd.isna(ids.iloc[h]) else str(ids.iloc[h]),
                 "step": number, "rule": rule, "reason": reason} for h, reason in zip(hits, reasons)]
        if rule in rules.flag_only:
            step["action"] = "flag"
        else:
            step["action"] = "exclude"
            keep[hits] = False
            step["excluded"] = len(hits)
            step["n_after"] = int(keep.sum())
    columns = ["row", "respondent_id", "step", "rule", "reason"]
    return ScreeningResult(rules=rules, steps=pd.DataFrame(steps), exclusions=pd.DataFrame(excluded, columns=columns),
                           flags=pd.DataFrame(flagged, columns=columns), indices=indices,
                           kept=scores.index[keep], n_screened=len(scores))


def _duplicates(rules: ScreeningRules, *, where, scores, ids, rows, **_):
    reasons, criteria = {}, []
    if rules.duplicate_ids and ids is not None:
        criteria.append("a respondent id seen before")
        present = ids.iloc[where].dropna()
        repeated = present.duplicated(keep="first")
        first = present[~repeated]
        first_row = pd.Series(rows.loc[first.index].to_numpy(), index=first.to_numpy())
        for label in present.index[repeated]:
            position = scores.index.get_loc(label)
            reasons[position] = f"respondent id {ids.loc[label]} already submitted in row {first_row[ids.loc[label]]}"
    if rules.duplicate_answers and scores.shape[1] >= rules.duplicate_min_items:
        criteria.append("the same non-constant answers as an earlier response")
        block = scores.iloc[where]
        values = block.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            varied = np.nanmax(values, axis=1, initial=-np.inf, where=~np.isnan(values)) > \
                np.nanmin(values, axis=1, initial=np.inf, where=~np.isnan(values))
        block = block[varied]
        hashes = pd.util.hash_pandas_object(block, index=False)
        repeated = hashes.duplicated(keep="first")
        first_row = pd.Series(rows.loc[hashes.index[~repeated]].to_numpy(), index=hashes[~repeated].to_numpy())
        for label in hashes.index[repeated]:
            position = scores.index.get_loc(label)
            reasons.setdefault(position, f"same answers to all {scores.shape[1]} items as row {first_row[hashes[label]]}")
    if not criteria:
        return (f"no respondent id column (name it with --id) and fewer than {rules.duplicate_min_items} items"
                if ids is None else "both duplicate checks are switched off")
    hits = sorted(reasons)
    return " or ".join(criteria), hits, [reasons[h] for h in hits]


def _attention(rules: ScreeningRules, *, where, attention, attention_correct, indices, **_):
    if not attention_correct:
        return "the instrument declares no attention items"
    present = [c for c in attention_correct if attention is not None and c in attention.columns]
    absent = [c for c in attention_correct if c not in present]
    if not present:
        return f"no column for the attention item(s) {', '.join(absent)}"
    limit = rules.attention_max_failures or (1 if len(present) <= 2 else 2)
    failed = pd.DataFrame({c: ~attention[c].isin(attention_correct[c]) for c in present})
    counts = failed.sum(axis=1).to_numpy()
    indices["attention_failures"] = counts
    hits = where[counts[where] >= limit]
    reasons = [f"failed {', '.join(c for c in present if failed[c].iloc[h])} "
               f"(answered {', '.join(_shown(attention[c].iloc[h]) for c in present if failed[c].iloc[h])})"
               for h in hits]
    note = f"; {', '.join(absent)} not in the data" if absent else ""
    return f"at least {limit} of {len(present)} attention items answered wrongly{note}", hits, reasons


def _shown(value) -> str:
    return "nothing" if pd.isna(value) else f"{value:g}"


def _speed(rules: ScreeningRules, *, where, durations, indices, **_):
    if durations is None:
        return "no completion-time column (name it with --duration)"
    seconds = durations.to_numpy(dtype=float)
    median = float(np.nanmedian(seconds[where])) if np.isfinite(seconds[where]).any() else math.nan
    if not median > 0:
        return "no usable completion times"
    cutoff = rules.speed_fraction * median
    indices["duration_ratio"] = seconds / median
    hits = where[seconds[where] < cutoff]
    fraction = _fraction(rules.speed_fraction)
    reasons = [f"{seconds[h]:g} s < {cutoff:.1f} s ({fraction} of the median {median:g} s)" for h in hits]
    return f"completion time < {fraction} of the median ({median:g} s): < {cutoff:.1f} s", hits, reasons


def _fraction(value: float) -> str:
    for denominator in (2, 3, 4, 5):
        if abs(value * denominator - round(value * denominator)) < 1e-9 and round(value * denominator) == 1:
            return f"1/{denominator}"
    return f"{value:g}"


def _decimal(value: float, spec: str) -> str:
    """APA style for values bounded by 1: no leading zero (.30, −.006)."""
    return format(value, spec).replace("0.", ".", 1).replace("-", "−")


def _longstring(rules: ScreeningRules, *, where, answers, indices, **_):
    p = answers.shape[1]
    runs = longstring(answers)
    indices["longstring"] = runs
    cutoff = math.ceil(rules.longstring_fraction * p)
    hits = where[runs[where] >= cutoff]
    return (f"a run of ≥ {cutoff} identical consecutive answers ({_fraction(rules.longstring_fraction)} of {p} items)",
            hits, [f"{runs[h]} identical consecutive answers (≥ {cutoff})" for h in hits])


def _irv(rules: ScreeningRules, *, where, answers, indices, **_):
    values = irv(answers)
    indices["irv"] = values
    hits = where[values[where] < rules.irv_min]
    return (f"within-person SD of the answers < {rules.irv_min:g}", hits,
            [f"IRV {values[h]:.3f} < {rules.irv_min:g}" for h in hits])


def _evenodd(rules: ScreeningRules, *, where, coded, groups, indices, **_):
    if sum(len(g) >= 2 for g in groups) < MIN_EVENODD_PAIRS:
        return f"needs at least {MIN_EVENODD_PAIRS} constructs with two or more items"
    values = evenodd(coded, groups)
    indices["evenodd"] = values
    hits = where[values[where] < rules.evenodd_min]
    return (f"Spearman-Brown corrected even-odd r < {_decimal(rules.evenodd_min, '.2f')}", hits,
            [f"even-odd r = {_decimal(values[h], '.3f')} < {_decimal(rules.evenodd_min, '.2f')}" for h in hits])


def _mahalanobis(rules: ScreeningRules, *, where, coded, indices, **_):
    d2 = np.full(len(coded), np.nan)
    pvalue = np.full(len(coded), np.nan)
    d2[where], pvalue[where] = mahalanobis(coded[where])
    if np.isnan(d2[where]).all():
        return "too few complete responses for a covariance matrix"
    indices["d2"], indices["d2_pvalue"] = d2, pvalue
    hits = where[pvalue[where] < rules.mahalanobis_alpha]
    return (f"D² with p < {_decimal(rules.mahalanobis_alpha, 'g')} (chi-square, df = items answered)", hits,
            [f"D² = {d2[h]:.1f}, p = {pvalue[h]:.2g}" for h in hits])


_RULES = {"duplicates": _duplicates, "attention": _attention, "speed": _speed, "longstring": _longstring,
          "irv": _irv, "evenodd": _evenodd, "mahalanobis": _mahalanobis}


# --------------------------------------------------------------------------- from a survey file

ID_COLUMNS = ("respondent_id",)        # recognised without --id (readers of platform exports set their own)
DURATION_COLUMNS = ("duration",)       # recognised without --duration, in seconds


def _find_column(table, name: str | None, option: str | None, required: bool) -> str | None:
    """The column called ``name`` (as the item mapping assigned it, exactly, else ignoring case
    and surrounding spaces)."""
    if name is None:
        return None
    if table.item_columns.get(name) in table.frame.columns:   # e.g. an attention check mapped by wording
        return table.item_columns[name]
    if name in table.frame.columns:
        return name
    folded = [c for c in table.frame.columns if str(c).strip().casefold() == name.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    if required:
        raise InputError(f"{table.path}: no column '{name}' ({option}); give the exact header of that column")
    return None


def _durations(table, column: str) -> pd.Series:
    values = pd.to_numeric(table.frame[column], errors="coerce")
    text = table.frame[column].astype(str).str.strip()
    bad = values.isna() & ~(table.frame[column].isna() | text.isin(["", "nan", "None"]))
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{table.path}: row {table.row_number(position)}, column '{column}': "
                         f"'{table.frame[column].iloc[position]}' is not a number of seconds; give the "
                         "completion time in seconds or leave the cell empty")
    return values


def screen_survey(table, scores: pd.DataFrame, *, rules: ScreeningRules | None = None,
                  groups: dict[str, list[str]] | None = None, reversed_items: list[str] = (),
                  points: int | None = None, instrument=None, id_column: str | None = None,
                  duration_column: str | None = None) -> ScreeningResult:
    """Screen the coded item ``scores`` of a :class:`~semtrust.data.SurveyTable`.

    The respondent-id and duration columns are, in this order, the ones named here (``--id``,
    ``--duration``), the ones the export reader found (``table.id_column``,
    ``table.duration_column``), or a column called ``respondent_id`` / ``duration``. The
    instrument's attention items are read from the columns carrying their ids, scored like items.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.io.survey import code_items, read_survey
    >>> rng = np.random.default_rng(2)
    >>> frame = pd.DataFrame(rng.integers(1, 6, size=(30, 12)), columns=[f"A{i}" for i in range(1, 13)])
    >>> frame.insert(0, "duration", [20] + [300] * 29)
    >>> table = read_survey(frame)
    >>> coded = code_items(table, [f"A{i}" for i in range(1, 13)], points=5)
    >>> result = screen_survey(table, coded.frame, points=5)
    >>> result.columns, result.exclusions[["row", "rule"]].to_dict("records")
    ({'respondent_id': None, 'duration': 'duration', 'attention': []}, [{'row': 2, 'rule': 'speed'}])
    """
    from semtrust.io.survey import match_columns, score_answer

    ids_at = (_find_column(table, id_column, "--id", True) or _find_column(table, table.id_column, "id", True)
              or next(filter(None, (_find_column(table, c, None, False) for c in ID_COLUMNS)), None))
    time_at = (_find_column(table, duration_column, "--duration", True)
               or _find_column(table, table.duration_column, "duration", True)
               or next(filter(None, (_find_column(table, c, None, False) for c in DURATION_COLUMNS)), None))
    checks = {} if instrument is None else {a.id: a.correct for a in instrument.attention_checks}
    labels = {} if instrument is None else {k.strip().casefold(): v for k, v in instrument.scale.label_scores().items()}
    attention = {}
    for check in checks:
        column = _find_column(table, check, None, False)
        if column is not None:
            decoded = [score_answer(value, labels) for value in table.frame[column]]
            attention[check] = [np.nan if d is None else d[0] for d in decoded]
    mapping = match_columns(table, list(scores.columns), "item columns")
    position = {c: i for i, c in enumerate(table.frame.columns)}
    display = sorted(scores.columns, key=lambda item: position[mapping[item]])
    frame = table.frame.reset_index(drop=True)
    index = scores.index
    result = screen(scores[display], rules, groups=groups, reversed_items=list(reversed_items), points=points,
                  ids=None if ids_at is None else frame[ids_at].set_axis(index),
                  durations=None if time_at is None else _durations(table, time_at).reset_index(drop=True).set_axis(index),
                  attention=pd.DataFrame(attention, index=index) if attention else None,
                  attention_correct=checks,
                  rows=pd.Series([table.row_number(k) for k in range(len(index))], index=index))
    result.columns = {"respondent_id": ids_at, "duration": time_at, "attention": list(attention)}
    return result
