"""``semtrust fit`` as a function: data -> measurement -> structural -> one result object.

:class:`StudyResult` is plain data. ``to_dict()`` is the results.json contract and the only
thing the report templates read, so the console, the JSON and both reports always show the
same numbers.
"""
from __future__ import annotations

import hashlib
import math
import platform as _platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

import semtrust
from semtrust.data import code_items, read_summary_matrix, read_survey
from semtrust.mapping import find_column, map_items, read_mapping
from semtrust.study import DEFAULT_SEED
from semtrust.engine import SEM, SEMResults
from semtrust.errors import InputError, SemtrustError
from semtrust.instrument import Instrument, load_instrument
from semtrust.measurement import NORMALITY, THRESHOLDS, item_groups, loadings_table, measurement_model
from semtrust.missing_report import missing_data_report
from semtrust.screening import ScreeningResult, ScreeningRules, screen_survey
from semtrust.structural import effects_table, hypothesis_table, model_comparison, path_table
from semtrust.syntax import parse_model
from semtrust.validity import HTMT_THRESHOLDS, MeasurementQuality, assess_measurement

if TYPE_CHECKING:   # imported lazily where they run
    from semtrust.efa import EFAResult
    from semtrust.method_bias import MethodBiasResult

SOFTWARE = ("numpy", "scipy", "pandas", "semopy", "pingouin", "statsmodels", "jinja2")
MAX_CATEGORIES = 12   # a non-item column with at most this many values is described in the sample table


@dataclass
class StudyResult:
    seed: int
    input: dict
    instrument: Instrument | None
    model_syntax: str
    items: list[str]
    data: pd.DataFrame                       # analysed item scores (complete cases)
    sample: dict                             # column -> [{category, n, percent}]
    measurement: SEMResults | None
    structural: SEMResults
    reliability: pd.DataFrame
    quality: MeasurementQuality              # reliability, discriminant validity, normality
    loadings: pd.DataFrame
    hypotheses: pd.DataFrame | None
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

    @property
    def n(self) -> int:
        return self.structural.n

    def constructs(self) -> dict:
        if self.instrument is not None:
            return {c.id: {"name": c.name, "role": c.role} for c in self.instrument.constructs}
        return {lv: {"name": {"zh": lv, "en": lv}, "role": None} for lv in self.structural.model.table.latent}

    def _modification_indices(self, top: int = 10) -> list[dict]:
        """The largest score tests of the CFA (or of the model when it has no factors); they are
        checked against lavaan for ML with complete data only."""
        from semtrust.engine import modification_indices

        if (self.estimator, self.missing) != ("ML", "listwise"):
            return []
        table = modification_indices(self.measurement or self.structural)
        return _records(table.sort_values("mi", ascending=False, kind="stable").head(top))

    def _effects(self, *kinds: str) -> list[dict]:
        if self.effects.empty:
            return []
        return _records(self.effects[self.effects.kind.isin(kinds)])

    def to_dict(self) -> dict:
        """The results.json contract (documented in README.md)."""
        return _clean({
            "semtrust_version": semtrust.__version__,
            "software": software_versions(),
            "seed": self.seed,
            "estimator": self.estimator,
            "missing": self.missing,
            "input": self.input,
            "instrument": None if self.instrument is None else {
                "id": self.instrument.id, "version": self.instrument.version,
                "title": self.instrument.title, "reference": self.instrument.reference,
                "items": {i.id: {"text": i.text, "reverse": i.reverse, "source": i.source}
                          for i in self.instrument.items}},
            "model": {"syntax": self.model_syntax},
            "constructs": self.constructs(),
            "n": self.n,
            "sample": self.sample,
            "fit": {"measurement": None if self.measurement is None else self.measurement.fit_measures.to_dict(),
                    "structural": self.structural.fit_measures.to_dict()},
            "parameters": _records(self.structural.parameters),
            "measurement_parameters": [] if self.measurement is None else _records(self.measurement.parameters),
            **self.quality.to_dict(),
            "item_loadings": _records(self.loadings),
            "thresholds": {**THRESHOLDS, "htmt": HTMT_THRESHOLDS, "normality": NORMALITY},
            "paths": _records(path_table(self.structural)),
            "hypotheses": None if self.hypotheses is None else _records(self.hypotheses),
            "bootstrap": self.resampling,
            "indirect_effects": self._effects("indirect", "total_indirect", "contrast", "defined"),
            "total_effects": self._effects("direct", "total"),
            "model_comparison": _records(self.comparison),
            "modification_indices": self._modification_indices(),
            "invariance": self.invariance,
            "group_paths": None if self.group_paths is None else _records(self.group_paths),
            "efa": None if self.efa is None else self.efa.to_dict(),
            "cmb": None if self.cmb is None else self.cmb.to_dict(),
            "r2": {v: r2 for v, r2 in self.structural.r_squared().items()
                   if v in {r.lhs for r in self.structural.model.table.rows if r.op == "~"}},
            "screening": None if self.screening is None else self.screening.to_dict(),
            "missing_data": self.missing_data,
            "warnings": self.warnings,
            "config": self.config,
        })


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


def software_versions() -> dict:
    versions = {"python": _platform.python_version(), "semtrust": semtrust.__version__}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def describe_sample(frame: pd.DataFrame, exclude: set[str]) -> dict:
    """Counts and percentages of every categorical non-item column (platform, gender, ...)."""
    sample = {}
    for column in frame.columns:
        if column in exclude or not str(column).strip():
            continue
        values = frame[column].astype(str).str.strip()
        values = values[(values != "") & (values.str.casefold() != "nan")]
        levels = values.value_counts(sort=False)
        if 2 <= len(levels) <= MAX_CATEGORIES and len(values) > 0:
            order = sorted(levels.index, key=lambda v: (-levels[v], v))
            sample[str(column)] = [{"category": v, "n": int(levels[v]),
                                    "percent": 100.0 * levels[v] / len(frame)} for v in order]
    return sample


def _normality_warning(quality: MeasurementQuality, fitted: SEMResults) -> list[str]:
    """Recommend robust ML when the items are not normal and the fit is normal-theory ML."""
    checks = quality.normality
    if not checks or not checks["violated"] or getattr(fitted, "estimator", "ML") != "ML":
        return []
    return ["the items are not normally distributed (see the normality section); "
            "robust ML is recommended: rerun with --estimator MLR"]


def run_fit(*args, **kwargs) -> StudyResult:
    """Read, code, fit the measurement and structural models, and assemble the result
    (arguments as :func:`_run_fit`). BLAS runs on one thread: the matrices are small, and
    threaded reductions would make the last bits of the results depend on the machine load."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _run_fit(*args, **kwargs)


def _run_fit(data_path: str | Path, *, instrument: str | Instrument | None = None,
            model_path: str | Path | None = None, reverse: list[str] = (),
            scale_points: int | None = None, missing_codes: list[float] = (), seed: int = DEFAULT_SEED,
            measurement_bootstrap: int = 1000,
            bootstrap: int = 5000, ci: str = "percentile", workers: int | None = None,
            group: str | None = None, summary_n: int | None = None, markers: list[str] = (),
            efa_extraction: str = "minres", efa_rotation: str = "oblimin",
            format: str | None = None, mapping: str | Path | dict | None = None, config: dict | None = None,
            estimator: str = "ML", missing: str = "listwise",
            screen: bool = True, screening_rules: ScreeningRules | None = None,
            id_column: str | None = None, duration_column: str | None = None,
            progress: Callable[[str], None] = lambda message: None,
            progress_bar: Callable[[int, int], None] = lambda done, total: None) -> StudyResult:
    """``format`` forces a platform reader (:data:`semtrust.exports.FORMATS`); ``mapping`` is a
    mapping file or a ``{column: item}`` dict; ``config`` is echoed into results.json as the
    run's configuration (by default, these arguments)."""
    if config is None:
        config = {"data": str(data_path), "format": format or "auto",
                  "mapping": mapping if isinstance(mapping, dict) or mapping is None else str(mapping),
                  "instrument": instrument if isinstance(instrument, (str, type(None))) else str(instrument),
                  "model": None if model_path is None else str(model_path), "reverse": list(reverse),
                  "scale_points": scale_points, "na": list(missing_codes), "bootstrap": bootstrap, "ci": ci,
                  "group": group, "summary": summary_n, "estimator": estimator, "missing": missing,
                  "seed": seed}
    if instrument is None and model_path is None:
        instrument = "trust_mechanism"
    inst = load_instrument(instrument) if isinstance(instrument, (str, Path)) else instrument
    if model_path is not None:
        model_path = Path(model_path)
        if not model_path.is_file():
            raise InputError(f"{model_path}: no such model file")
        try:
            model_text = model_path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{model_path}: not UTF-8 text; save the model file as UTF-8") from None
        spec = parse_model(model_text, str(model_path))
    else:
        model_text = inst.model_syntax()
        spec = parse_model(model_text, f"instrument {inst.id}")

    progress(f"reading {data_path}")
    items = spec.observed
    warnings: list[str] = []
    if summary_n is not None:
        if group:
            raise InputError("--group needs raw data; a summary matrix holds one group")
        cov, info = read_summary_matrix(data_path, items, summary_n)
        input_info = {"data": str(data_path), "sha256": hashlib.sha256(Path(data_path).read_bytes()).hexdigest(),
                      **info, "rows": summary_n, "complete_rows": summary_n, "dropped_incomplete": 0,
                      "reversed_items": []}
        complete, table_frame, screening, missing_data = None, None, None, None
        warnings.append("summary-data input: Cronbach's alpha and the bootstrap need raw data; "
                        "effect CIs are Monte Carlo")
        ci = "mc"
    else:
        table = read_survey(data_path, format)
        item_map = _map_columns(table, items, inst, mapping)
        for line in table.log + item_map.log_lines():
            progress(line)
        if group:
            group = find_column(table, group) or group
        if inst is not None:
            points = scale_points or inst.scale.points
            reverse = list(reverse) or [i for i in inst.reverse_items if i in items]
            labels = inst.scale.label_scores()
        else:
            points, labels = scale_points, {}
        coded = code_items(table, items, points=points, labels=labels, reverse=list(reverse),
                           missing_codes=list(missing_codes))
        screening, screened = None, coded.frame
        screen = screen and (screening_rules is None or screening_rules.enabled)
        if screen and points is None:   # e.g. a --model run on continuous indicators
            warnings.append("careless-responding screening skipped: the items have no response scale "
                            "(give --scale-points K to screen Likert items)")
        elif screen:
            progress("screening for careless responding")
            screening = screen_survey(table, coded.frame, rules=screening_rules, groups=item_groups(spec),
                                      reversed_items=coded.reversed, points=points, instrument=inst,
                                      id_column=id_column, duration_column=duration_column)
            screened = coded.frame.loc[screening.kept]
            if screened.empty:
                raise InputError(f"{data_path}: screening excluded all {len(coded.frame)} responses; see the "
                                 "rules with --screen-flag/--screen-skip, or skip screening with --no-screen")
        missing_data = missing_data_report(screened, "full-information ML (FIML)" if missing == "fiml"
                                           else "listwise deletion")
        complete = screened.dropna()
        dropped = len(screened) - len(complete)
        if missing == "fiml":
            # every response with at least one answer enters the likelihood
            analysed = screened[screened.notna().any(axis=1)]
            dropped = len(screened) - len(analysed)
            if len(analysed) > len(complete):
                warnings.append(f"{len(analysed) - len(complete)} of {len(analysed)} responses have missing item "
                                "answers; the models use all their answers (FIML), alpha the complete responses")
        else:
            analysed = complete
            if dropped:
                warnings.append(f"{dropped} of {len(screened)} responses have missing item answers and were "
                                "dropped (listwise deletion)")
        input_info = {"data": str(data_path), "sha256": hashlib.sha256(Path(data_path).read_bytes()).hexdigest(),
                      "format": table.format, "encoding": table.encoding, "rows": len(coded.frame),
                      "complete_rows": len(complete), "analysed_rows": len(analysed), "dropped_incomplete": dropped,
                      "reversed_items": list(coded.reversed), "labels_decoded": coded.labels_decoded,
                      "scale_points": points, "missing_codes": list(missing_codes),
                      **_export_info(table, item_map)}
        table_frame = table.frame.loc[analysed.index]
        cov = None

    def fit(syntax):
        if cov is not None:
            return SEM(syntax).fit(cov=cov, n=summary_n, estimator=estimator, missing=missing)
        return SEM(syntax).fit(analysed, estimator=estimator, missing=missing)

    groups = item_groups(spec)
    n = summary_n or len(analysed)
    progress(f"fitting the measurement model ({len(groups)} factors, {len(items)} indicators, n = {n})")
    cfa_spec = measurement_model(spec)
    measurement = None if cfa_spec is None else fit(cfa_spec)
    progress("assessing the measurement model (reliability, validity, normality)")
    quality = assess_measurement(complete, groups, measurement, draws=measurement_bootstrap, seed=seed,
                                 workers=workers, progress=progress, progress_bar=progress_bar)
    warnings += _normality_warning(quality, measurement)
    loadings = loadings_table(measurement, groups) if measurement is not None else pd.DataFrame()
    efa_result = cmb_result = None
    if markers and complete is None:
        raise InputError("--marker needs raw data: the EFA and common-method-bias tests are skipped for a summary matrix")
    if complete is not None and measurement is not None:
        # the CMB models are ML fits to the complete responses: compare them with the same CFA
        same_cfa = measurement if (estimator, missing) == ("ML", "listwise") else None
        efa_result, cmb_result, extra_warnings = _efa_and_method_bias(
            complete, groups, cfa_spec, same_cfa, seed, (efa_extraction, efa_rotation), progress,
            _marker_scores(table, list(markers) or list(getattr(inst, "marker_items", ())), complete,
                           points, labels, missing_codes))
        warnings += extra_warnings
    progress("fitting the structural model")
    structural = fit(spec)
    hypotheses = hypothesis_table(structural, inst) if inst is not None and model_path is None else None
    if missing == "fiml" and ci != "mc" and bootstrap > 0:
        warnings.append("FIML: the effect CIs are Monte Carlo (the bootstrap refits complete data only)")
        ci = "mc"
    effects, resampling = _effects(structural, bootstrap, ci, seed, workers, progress, progress_bar)
    progress("comparing alternative models")
    comparison = model_comparison(spec, structural, measurement, inst if model_path is None else None, fit)
    invariance_result = group_paths = None
    if group:
        if (estimator, missing) != ("ML", "listwise"):
            warnings.append(f"the invariance ladder and group path tests use ML on the {len(complete)} complete "
                            "responses (multi-group MLR and FIML are not available yet)")
        warnings += _check_group_sizes(table_frame.loc[complete.index], group, len(items),
                                       (measurement or structural).fit_measures.npar + len(items), data_path)
        invariance_result, group_paths = _groups(spec, cfa_spec, complete, table_frame.loc[complete.index],
                                                 group, progress)
    for fitted in (measurement, structural):
        if fitted is not None:
            warnings += [w for w in fitted.warnings if w not in warnings]
    sample = {}
    if table_frame is not None:
        named = set(items) | set(screening.columns.get("attention", []) if screening else [])
        used_columns = named | {c for c in table_frame.columns if str(c).strip().casefold() in
                                {i.casefold() for i in named}}
        used_columns |= set(item_map.columns.values()) | set(table.metadata) | {table.id_column,
                                                                                 table.duration_column}
        sample = describe_sample(table_frame, used_columns)
    return StudyResult(seed=seed, input=input_info, instrument=inst, model_syntax=model_text, items=items,
                       data=complete, sample=sample, measurement=measurement, structural=structural,
                       reliability=quality.reliability, quality=quality, loadings=loadings, hypotheses=hypotheses,
                       effects=effects,
                       resampling=resampling, comparison=comparison, invariance=invariance_result,
                       group_paths=group_paths, efa=efa_result, cmb=cmb_result, warnings=warnings,
                       estimator=estimator, missing=missing,
                       screening=screening, cleaned=None if screening is None else table.frame.loc[screening.kept],
                       missing_data=missing_data, config=config)


def _marker_scores(table, markers: list[str], complete: pd.DataFrame, points, labels,
                   missing_codes) -> pd.DataFrame | None:
    """Scores of the declared marker items (columns outside the model are coded like items;
    rows missing a marker answer are left out of the marker test only)."""
    if not markers:
        return None
    outside = [m for m in markers if m not in complete.columns]
    absent = [m for m in outside if m.strip().casefold() not in {str(c).strip().casefold() for c in table.frame.columns}]
    if absent:
        raise InputError(f"{table.path}: no column for marker item {', '.join(absent)}; name data columns "
                         "in --marker (or the instrument's marker_items)")
    coded = code_items(table, outside, points=points, labels=labels,
                       missing_codes=list(missing_codes)).frame.loc[complete.index] if outside else None
    inside = complete[[m for m in markers if m in complete.columns]]
    return inside if coded is None else inside.join(coded)


def _efa_and_method_bias(complete, groups, cfa_spec, measurement, seed, efa_options, progress, marker_scores):
    """EFA (as many factors as constructs; ``efa_options`` = (extraction, rotation)) and the
    CMB tests of the CFA."""
    from semtrust.efa import METHODS, ROTATIONS, exploratory_factor_analysis
    from semtrust.method_bias import method_bias

    extraction, rotation = efa_options
    if extraction not in METHODS or rotation not in ROTATIONS:
        raise InputError(f"EFA '{extraction}' + '{rotation}': extraction is one of {', '.join(METHODS)}, "
                         f"rotation one of {', '.join(ROTATIONS)}")
    progress(f"exploratory factor analysis (KMO, Bartlett, parallel analysis, {extraction} + {rotation})")
    warnings = []
    try:
        efa_result = exploratory_factor_analysis(complete[list(dict.fromkeys(i for g in groups.values() for i in g))],
                                                 groups, method=extraction, rotation=rotation, seed=seed)
    except SemtrustError as error:   # e.g. as many constructs as items: report the rest of the run
        efa_result = None
        warnings.append(f"EFA skipped: {error}")
    markers = [] if marker_scores is None else list(marker_scores.columns)
    progress("common-method bias (Harman, one-factor CFA, ULMC" + (", marker)" if markers else ")"))
    cmb_result = method_bias(complete, cfa_spec, measurement, markers=markers, marker_data=marker_scores)
    return efa_result, cmb_result, warnings + cmb_result.warnings


def _map_columns(table, items, inst, mapping):
    """Item id -> export column, from a mapping file or dict, ids, or the instrument's wording
    (recorded on the table for every stage that reads item columns). The instrument's
    attention checks are mapped too when the export has them."""
    checks = [a.id for a in getattr(inst, "attention_checks", ())]
    if mapping is None or isinstance(mapping, dict):
        return map_items(table, items, inst, mapping, "study file mapping" if mapping else None, checks)
    return map_items(table, items, inst, read_mapping(mapping), str(mapping), checks)


def _export_info(table, item_map) -> dict:
    """What the reader and the item mapping did, for results.json ``input``."""
    return {"platform": table.platform, "download": table.download, "id_column": table.id_column,
            "duration_column": table.duration_column, "mapping": item_map.to_dict(),
            "missing_reasons": {item: table.missing_reasons[column] for item, column in item_map.columns.items()
                                if column in table.missing_reasons},
            "reader_log": list(table.log)}


def _check_group_sizes(table_frame, group, variables: int, npar: int, data_path) -> list[str]:
    """A group needs more cases than observed variables (else its covariance matrix is
    singular and ML is undefined); fewer cases than parameters is allowed, with a warning."""
    column = next((c for c in table_frame.columns if str(c).strip() == group), None)
    if column is None:
        return []   # _groups names the missing column
    values = table_frame[column].astype(str).str.strip()
    counts = values[(values != "") & (values.str.casefold() != "nan")].value_counts(ascending=True)
    small = counts[counts <= variables]
    if len(small):
        raise InputError(f"{data_path}: column '{column}': group '{small.index[0]}' has {int(small.iloc[0])} "
                         f"complete responses, not more than the {variables} observed variables (too few to estimate "
                         f"the model's {int(npar)} parameters per group); merge it with another group or leave "
                         "these responses out of the group comparison")
    return [f"group '{g}' of {column} has {int(n)} complete responses for {int(npar)} parameters per group; "
            "its estimates are imprecise" for g, n in counts.items() if n < npar]


def _groups(spec, cfa_spec, complete, table_frame, group, progress):
    """Invariance ladder of the measurement model, then each structural path compared across
    groups on the (partially) metric-invariant structural model."""
    from semtrust.multigroup import fit_multigroup, group_path_tests, invariance

    column = next((c for c in table_frame.columns if str(c).strip() == group), None)
    if column is None:
        raise InputError(f"--group {group}: the data have no such column")
    data = complete.assign(**{group: table_frame[column].astype(str).str.strip()})
    data = data[(data[group] != "") & (data[group].str.casefold() != "nan")]
    progress(f"testing measurement invariance across {group} (configural, metric, scalar, strict)")
    ladder = invariance(cfa_spec or spec, data, group)
    metric = next(s for s in ladder["steps"] if s["model"].endswith("metric"))
    released = tuple(tuple(r.split(" ", 2)) for r in metric["released"])
    result = {k: v for k, v in ladder.items() if k != "fits"}
    if not any(s.op == "~" for s in spec.statements):
        return result, pd.DataFrame()
    progress(f"comparing each structural path across {group}")
    base = fit_multigroup(spec, data, group, ("loadings",), group_partial=released)
    return result, group_path_tests(spec, data, group, base)


def _effects(structural: SEMResults, draws: int, ci: str, seed: int, workers: int | None,
             progress, progress_bar) -> tuple[pd.DataFrame, dict | None]:
    """Indirect and total effects with bootstrap (or Monte Carlo) intervals."""
    from semtrust import bootstrap as resampling
    from semtrust.effects import enumerate_effects

    if ci not in resampling.CI_METHODS + ("mc",):
        raise InputError(f"--ci {ci}: use percentile, bc, bca or mc")
    if not (enumerate_effects(structural, contrasts=False) or structural.model.table.definitions) or draws <= 0:
        return effects_table(structural), None
    if ci == "mc":
        progress(f"Monte Carlo CIs of the effects ({draws} draws)")
        sample = resampling.monte_carlo(structural, draws, seed)
    else:
        progress(f"bootstrapping the effects ({draws} resamples{', with jackknife for BCa' if ci == 'bca' else ''})")
        sample = resampling.bootstrap(structural, draws, seed, workers=workers, jackknife=ci == "bca",
                                      progress=progress_bar)
    info = {"method": sample.method, "draws": draws, "successful": len(sample.theta), "failed": sample.failed,
            "seed": seed, "ci": "percentile" if ci == "mc" else ci, "level": 0.95}
    return effects_table(structural, sample, "percentile" if ci == "mc" else ci), info
