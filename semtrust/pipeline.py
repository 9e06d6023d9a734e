"""The pipeline: one :class:`~semtrust.config.RunConfig` in, one :class:`~semtrust.results.Study` out.

``semtrust fit`` and ``st.fit`` both call :func:`run`, which takes the stages in order: model
(syntax or instrument) -> io (read, map, code) -> screening -> estimation -> assessment
(reliability, validity, EFA, common-method bias) -> structural (effects, competing models,
groups). Every stage reads the fitted models through :class:`~semtrust.estimation.base.FittedModel`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

from semtrust.assessment.reliability import item_groups, loadings_table, measurement_model
from semtrust.assessment.validity import MeasurementQuality, assess_measurement, bootstrap_intervals
from semtrust.config import RunConfig
from semtrust.errors import InputError, SemtrustError
from semtrust.estimation.base import FittedModel
from semtrust.estimation.ml import SEM
from semtrust.io.mapping import find_column, map_items, read_mapping
from semtrust.io.survey import code_items, input_hash, read_summary_matrix, read_survey
from semtrust.model.instrument import load_instrument
from semtrust.model.partable import build_parameter_table
from semtrust.model.syntax import parse_model
from semtrust.results import Study
from semtrust.screening.careless import ScreeningRules, screen_survey
from semtrust.screening.missing_data import missing_data_report
from semtrust.structural.paths import effects_table, hypothesis_table, model_comparison

MAX_CATEGORIES = 12   # a non-item column with at most this many values is described in the sample table


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


def _normality_warning(quality: MeasurementQuality, fitted: FittedModel) -> list[str]:
    """Recommend robust ML when the items are not normal and the fit is normal-theory ML."""
    checks = quality.normality
    if not checks or not checks["violated"] or getattr(fitted, "estimator", "ML") != "ML":
        return []
    return ["the items are not normally distributed (see the normality section); "
            "robust ML is recommended: rerun with --estimator MLR"]


def run(config: RunConfig, data: pd.DataFrame | None = None, *,
        progress: Callable[[str], None] = lambda message: None,
        progress_bar: Callable[[int, int], None] = lambda done, total: None) -> Study:
    """Run a study as ``config`` says; ``data``, when given, is the survey (or, with
    ``config.summary``, the covariance/correlation matrix) instead of ``config.data``.
    BLAS runs on one thread: the matrices are small, and threaded reductions would make the
    last bits of the results depend on the machine load."""
    from threadpoolctl import threadpool_limits

    from semtrust.estimation.bootstrap import ResamplingPool

    config = config.resolved()
    with threadpool_limits(1), ResamplingPool(config.workers) as pool:
        return _run(config, data, progress, progress_bar, pool)


def _run(config: RunConfig, frame: pd.DataFrame | None, progress, progress_bar, pool) -> Study:
    """The fitting steps, in order: (1) the model, (2) the data (read, map, code, screen,
    missing data), (3) the measurement model and its assessment, (4) EFA and common-method
    bias, (5) the structural model, effects and competing models, (6) groups. Both bootstraps
    go to the worker ``pool`` as soon as their model is fitted, and are collected last."""
    data_source = frame if frame is not None else config.data
    data_path = "<DataFrame>" if frame is not None else config.data
    instrument, model_path, reverse = config.instrument, config.model, config.reverse
    scale_points, missing_codes, seed = config.scale_points, config.na, config.seed
    bootstrap, ci, group, summary_n = config.bootstrap, config.ci, config.group, config.summary
    estimator, missing, markers, mapping = config.estimator, config.missing, config.marker, config.mapping
    rules = screening_rules(config)
    screen = config.screen
    # (1) the model
    if instrument is None and model_path is None:
        instrument = "trust_mechanism"
    inst = load_instrument(instrument) if instrument is not None and model_path is None else None
    if model_path is not None:
        model_text, source = read_model(model_path)
        spec = parse_model(model_text, source)
    else:
        model_text = inst.model_syntax()
        spec = parse_model(model_text, f"instrument {inst.id}")

    # (2) the data
    progress(f"reading {data_path}")
    items = spec.observed
    warnings: list[str] = []
    if summary_n is not None:
        if group:
            raise InputError("--group needs raw data; a summary matrix holds one group")
        cov, info = read_summary_matrix(data_source, items, summary_n)
        input_info = {**_data_file(config, frame), "sha256": input_hash(data_source),
                      **info, "rows": summary_n, "complete_rows": summary_n, "dropped_incomplete": 0,
                      "reversed_items": []}
        complete, table_frame, screening, missing_data = None, None, None, None
        warnings.append("summary-data input: Cronbach's alpha and the bootstrap need raw data; "
                        "effect CIs are Monte Carlo")
        ci = "mc"
        missing = "listwise" if missing == "auto" else missing
    else:
        table = read_survey(data_source, config.format if config.format != "auto" else None)
        item_map = _map_columns(table, items, inst, mapping)
        if isinstance(mapping, str):
            item_map.source = config.relative(mapping)
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
        screen = screen and (rules is None or rules.enabled)
        if screen and points is None:   # e.g. a --model run on continuous indicators
            warnings.append("careless-responding screening skipped: the items have no response scale "
                            "(give --scale-points K to screen Likert items)")
        elif screen:
            progress("screening for careless responding")
            screening = screen_survey(table, coded.frame, rules=rules, groups=item_groups(spec),
                                      reversed_items=coded.reversed, points=points, instrument=inst,
                                      id_column=config.id, duration_column=config.duration)
            screened = coded.frame.loc[screening.kept]
            if screened.empty:
                raise InputError(f"{data_path}: screening excluded all {len(coded.frame)} responses; see the "
                                 "rules with --screen-flag/--screen-skip, or skip screening with --no-screen")
        if missing == "auto":
            missing, note = missing_treatment(screened, spec)
            warnings += note
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
        input_info = {**_data_file(config, frame), "sha256": input_hash(data_source),
                      "format": table.format, "encoding": table.encoding, "rows": len(coded.frame),
                      "complete_rows": len(complete), "analysed_rows": len(analysed), "dropped_incomplete": dropped,
                      "reversed_items": list(coded.reversed), "labels_decoded": coded.labels_decoded,
                      "scale_points": points, "missing_codes": list(missing_codes),
                      **_export_info(table, item_map, config)}
        table_frame = table.frame.loc[analysed.index]
        cov = None

    def fit(syntax):
        try:
            if cov is not None:
                return SEM(syntax).fit(cov=cov, n=summary_n, estimator=estimator, missing=missing)
            return SEM(syntax).fit(analysed, estimator=estimator, missing=missing)
        except InputError as error:   # the data's problems name the data file
            raise InputError(f"{data_path}: {error}" if str(data_path) not in str(error) else str(error)) from None

    if cov is None and len(analysed) <= len(items) and screening is not None and len(screening.exclusions):
        removed = [f"{s.rule} {s.excluded}" for s in screening.steps.itertuples() if s.excluded]
        raise InputError(f"{data_path}: screening excluded {len(screening.exclusions)} of {screening.n_screened} "
                         f"responses ({', '.join(removed)}), leaving {len(analysed)} for {len(items)} items; check "
                         "those rules (e.g. --id names a column whose values repeat) or switch one off with "
                         "--screen-skip RULE")

    groups = item_groups(spec)
    n = summary_n or len(analysed)
    progress(f"fitting the measurement model ({len(groups)} factors, {len(items)} indicators, n = {n})")
    cfa_spec = measurement_model(spec)
    measurement = None if cfa_spec is None else fit(cfa_spec)
    measurement_draws = None
    if config.measurement_bootstrap > 0 and measurement is not None and measurement.data is not None:
        measurement_draws = pool.submit(measurement, config.measurement_bootstrap, seed)
    if markers and complete is None:
        raise InputError("--marker needs raw data: the EFA and common-method-bias tests are skipped for a summary matrix")
    progress("fitting the structural model")
    structural = fit(spec)
    fiml_effects = missing == "fiml" and ci != "mc" and bootstrap > 0
    if fiml_effects:
        ci = "mc"
    effect_draws = _start_effects(pool, structural, bootstrap, ci, seed)
    progress("assessing the measurement model (reliability, validity, normality)")
    quality = assess_measurement(complete, groups, measurement, progress=progress)
    warnings += _normality_warning(quality, measurement)
    loadings = loadings_table(measurement, groups) if measurement is not None else pd.DataFrame()
    efa_result = cmb_result = None
    if complete is not None and measurement is not None:
        # the CMB models are ML fits to the complete responses: compare them with the same CFA
        same_cfa = measurement if (estimator, missing) == ("ML", "listwise") else None
        efa_result, cmb_result, extra_warnings = _efa_and_method_bias(
            complete, groups, cfa_spec, same_cfa, seed, (config.efa_extraction, config.efa_rotation), progress,
            _marker_scores(table, list(markers) or list(getattr(inst, "marker_items", ())), complete,
                           points, labels, missing_codes))
        warnings += extra_warnings
        if same_cfa is None:
            warnings.append(f"the EFA and common-method-bias tests use ML on the {len(complete)} complete responses")
    # (5) the structural model (fitted above), its effects and the competing models
    hypotheses = hypothesis_table(structural, inst) if inst is not None and model_path is None else None
    if fiml_effects:
        warnings.append("FIML: the effect CIs are Monte Carlo (the bootstrap refits complete data only)")
    progress("comparing alternative models")
    comparison = model_comparison(spec, structural, measurement, inst if model_path is None else None, fit)
    # (6) groups
    invariance_result = group_paths = None
    if group:
        if (estimator, missing) != ("ML", "listwise"):
            warnings.append(f"the invariance ladder and group path tests use ML on the {len(complete)} complete "
                            "responses (multi-group MLR and FIML are not available yet)")
        warnings += _check_group_sizes(table_frame.loc[complete.index], group, len(items),
                                       (measurement or structural).fit_measures.npar + len(items), data_path)
        invariance_result, group_paths = _groups(spec, cfa_spec, complete, table_frame.loc[complete.index],
                                                 group, progress)
    # the resampling, last: the workers refitted while the stages above ran
    if measurement_draws is not None:
        progress(f"bootstrapping CR, AVE and HTMT ({config.measurement_bootstrap} resamples)")
        quality.intervals = bootstrap_intervals(measurement, groups, config.measurement_bootstrap, seed,
                                                sample=measurement_draws.result(progress_bar))
    effects, resampling = _effects(structural, effect_draws, bootstrap, ci, seed, progress, progress_bar)
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
    return Study(seed=seed, input=input_info, instrument=inst, model_syntax=model_text, items=items,
                       data=complete, sample=sample, measurement=measurement, structural=structural,
                       quality=quality, loadings=loadings, hypothesis_tests=hypotheses,
                       effects=effects,
                       resampling=resampling, comparison=comparison, invariance=invariance_result,
                       group_paths=group_paths, efa=efa_result, cmb=cmb_result, warnings=warnings,
                       estimator=estimator, missing=missing,
                       screening=screening, cleaned=None if screening is None else table.frame.loc[screening.kept],
                       missing_data=missing_data, config=config.echo(), input_files=config.input_files())


def _data_file(config: RunConfig, frame: pd.DataFrame | None) -> dict:
    """results.json ``input``: the data file's name and its path relative to the study file
    (to the working folder without one), never an absolute path."""
    if frame is not None:
        return {"data": "<DataFrame>", "path": None}
    return {"data": Path(config.data).name, "path": config.relative(config.data)}


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
    from semtrust.assessment.efa import METHODS, ROTATIONS, exploratory_factor_analysis
    from semtrust.assessment.method_bias import method_bias

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


def _export_info(table, item_map, config: RunConfig) -> dict:
    """What the reader and the item mapping did, for results.json ``input`` (naming the data
    file by its relative path, as ``input.path`` does)."""
    shown = config.relative(table.path) if config.data is not None else table.path
    return {"platform": table.platform, "download": table.download, "id_column": table.id_column,
            "duration_column": table.duration_column, "mapping": item_map.to_dict(),
            "missing_reasons": {item: table.missing_reasons[column] for item, column in item_map.columns.items()
                                if column in table.missing_reasons},
            "reader_log": [line.replace(table.path, shown) for line in table.log]}


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
    from semtrust.structural.multigroup import (
        fit_multigroup,
        group_path_tests,
        invariance,
    )

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


def _start_effects(pool, structural: FittedModel, draws: int, ci: str, seed: int):
    """Start the resampling of the effects: None when there is none (no effects, no draws),
    else the function ``(progress, progress_bar) -> Draws`` that collects it (the bootstrap
    goes to the workers now; Monte Carlo draws are made when collected)."""
    from semtrust.estimation import bootstrap as resampling
    from semtrust.structural.effects import enumerate_effects

    if ci not in resampling.CI_METHODS + ("mc",):
        raise InputError(f"--ci {ci}: use percentile, bc, bca or mc")
    if not (enumerate_effects(structural, contrasts=False) or structural.partable.definitions) or draws <= 0:
        return None
    if ci == "mc":
        def monte_carlo(progress, progress_bar):
            progress(f"Monte Carlo CIs of the effects ({draws} draws)")
            return resampling.monte_carlo(structural, draws, seed)
        return monte_carlo
    pending = pool.submit(structural, draws, seed, jackknife=ci == "bca")

    def bootstrapped(progress, progress_bar):
        progress(f"bootstrapping the effects ({draws} resamples{', with jackknife for BCa' if ci == 'bca' else ''})")
        return pending.result(progress_bar)
    return bootstrapped


def _effects(structural: FittedModel, collect, draws: int, ci: str, seed: int,
             progress, progress_bar) -> tuple[pd.DataFrame, dict | None]:
    """Indirect and total effects with the bootstrap (or Monte Carlo) intervals that
    ``collect`` (from :func:`_start_effects`) returns, or delta-method ones without it."""
    if collect is None:
        return effects_table(structural), None
    sample = collect(progress, progress_bar)
    info = {"method": sample.method, "draws": draws, "successful": len(sample.theta), "failed": sample.failed,
            "seed": seed, "ci": "percentile" if ci == "mc" else ci, "level": 0.95}
    return effects_table(structural, sample, "percentile" if ci == "mc" else ci), info


def read_model(model: str) -> tuple[str, str]:
    """(syntax, source) of a model given as a lavaan-syntax file or, from the Python API, as
    the syntax itself (text with an operator such as ``=~`` or ``~`` that names no file)."""
    path = Path(model)
    looks_like_syntax = "~" in model and ("\n" in model or not path.suffix)
    if looks_like_syntax and not path.is_file():
        return model, "model"
    if not path.is_file():
        raise InputError(f"{model}: no such model file")
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the model file as UTF-8") from None


def missing_treatment(responses: pd.DataFrame, spec) -> tuple[str, list[str]]:
    """``--missing auto``: full-information ML when any analysed answer is missing (what Mplus and
    AMOS users expect), listwise deletion when none is; a model with observed exogenous
    covariates, which FIML does not fit yet, keeps listwise deletion and says so."""
    if not responses.isna().to_numpy().any():
        return "listwise", []
    covariates = build_parameter_table(spec).covariates
    if covariates:
        return "listwise", [f"answers are missing, but FIML does not yet fit models with observed exogenous "
                            f"predictors ({', '.join(covariates)}): incomplete responses are dropped (listwise)"]
    return "fiml", []


def screening_rules(config: RunConfig) -> ScreeningRules | None:
    """The screening settings of a study file or ``--screen-set`` (the screening stage owns its keys)."""
    if config.screening is None:
        return None
    where = f"{config.study or 'command line'}: screening"
    try:
        return ScreeningRules.from_dict(config.screening, where)
    except (TypeError, ValueError) as error:
        raise InputError(f"{where}: {error}") from None
