"""The pipeline: one :class:`~semtrust.config.RunConfig` in, one :class:`~semtrust.results.Study` out.

``semtrust fit`` and ``st.fit`` both call :func:`run`, which takes the stages in order: model
(syntax or instrument) -> io (read, map, code) -> screening -> estimation -> assessment
(reliability, validity, EFA, common-method bias) -> structural (effects, competing models,
groups). Every stage reads the fitted models through :class:`~semtrust.estimation.base.FittedModel`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from pathlib import Path
from typing import Callable

import pandas as pd

from semtrust.assessment.reliability import item_groups, loadings_table, measurement_model
from semtrust.assessment.validity import MeasurementQuality, assess_measurement, bootstrap_intervals
from semtrust.config import CATEGORICAL_ESTIMATORS, RunConfig
from semtrust.errors import DataError, EstimationError, InputError, SemtrustError
from semtrust.estimation.base import FittedModel
from semtrust.estimation.ordinal import likert_note
from semtrust.estimation.select import fit_model, refuse_summary_data
from semtrust.io.mapping import find_column, map_items, read_mapping
from semtrust.io.survey import code_items, input_hash, read_summary_matrix, read_survey
from semtrust.model.instrument import load_instrument
from semtrust.model.partable import group_specific, observed_covariates, pooled_model
from semtrust.model.syntax import parse_model
from semtrust.results import Study, score_tests
from semtrust.screening.careless import ScreeningResult, ScreeningRules, screen_survey
from semtrust.screening.missing_data import missing_data_report
from semtrust.structural.paths import effects_table, hypothesis_table, model_comparison

__all__ = ["run", "missing_treatment", "screening_rules"]

MAX_CATEGORIES = 12   # a non-item column with at most this many values is described in the sample table
MISSING_LABELS = {"fiml": "full-information ML (FIML)", "listwise": "listwise deletion",
                  "mean": "mean replacement (PLS)", "pairwise": "pairwise deletion (polychoric correlations)"}


def _describe_sample(frame: pd.DataFrame, exclude: set[str], demographics=()) -> dict:
    """Counts and percentages of the instrument's declared demographics, in its order and with
    its labels; without declarations, of every categorical non-item column (platform, gender, ...)."""
    if demographics:
        return {d.column: _declared_levels(frame[d.column], d, len(frame)) for d in demographics
                if d.column in frame.columns}
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


def _declared_levels(column: pd.Series, declared, total: int) -> list[dict]:
    """The declared categories in their order (zero counts included), then any undeclared value."""
    values = column.astype(str).str.strip()
    counts = values[(values != "") & (values.str.casefold() != "nan")].value_counts()
    known = [value for value, _ in declared.categories]
    rows = [{"category": value, "n": int(counts.get(value, 0)), "percent": 100.0 * counts.get(value, 0) / total,
             "label": declared.label, "category_label": label} for value, label in declared.categories]
    rows += [{"category": value, "n": int(counts[value]), "percent": 100.0 * counts[value] / total,
              "label": declared.label, "category_label": {"zh": value, "en": value}}
             for value in sorted(counts.index) if value not in known]
    return rows


def _normality_warning(quality: MeasurementQuality, fitted: FittedModel) -> list[str]:
    """Recommend robust ML when the items are not normal and the fit is normal-theory ML."""
    checks = quality.normality
    if not checks or not checks["violated"] or fitted.estimator != "ML":
        return []
    return ["the items are not normally distributed (see the normality section); "
            "robust ML is recommended: rerun with --estimator MLR"]


def run(config: RunConfig, data: pd.DataFrame | None = None, *,
        progress: Callable[[str], None] = lambda message: None,
        progress_bar: Callable[[int, int], None] = lambda done, total: None) -> Study:
    """Run a study as ``config`` says; ``data``, when given, is the survey (or, with
    ``config.summary``, the covariance/correlation matrix) instead of ``config.data``.
    BLAS runs on one thread: the matrices are small, and threaded reductions would make the
    last bits of the results depend on the machine load.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.config import RunConfig
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> df = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> config = RunConfig.from_options({"model": "F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6\\nF2 ~ F1", "bootstrap": 0, "measurement_bootstrap": 0, "screen": False})
    >>> run(config, df)
    <Study: 6 indicators, n = 300, ML; chi2(8) = 3.865, CFI = 1.000, RMSEA = 0.000>
    """
    from threadpoolctl import threadpool_limits

    from semtrust.estimation.bootstrap import ResamplingPool

    config = config.resolved()
    if config.method == "pls":
        _refuse_cb_options(config)
    elif config.global_items:
        raise InputError("--global-item: the redundancy analysis of formative constructs is part of PLS-SEM; add "
                         "--method pls")
    with threadpool_limits(1), ResamplingPool(config.workers, config.scheduler) as pool:
        return _run(config, data, progress, progress_bar, pool)


def _run(config: RunConfig, frame: pd.DataFrame | None, progress, progress_bar, pool) -> Study:
    """The shared steps (the model and the data, :func:`_prepare`), then the method's fit:
    :func:`_fit_cb` (CB-SEM) or :func:`_fit_pls` (PLS-SEM)."""
    prepared = _prepare(config, frame, progress)
    if config.method == "pls":
        return _fit_pls(config, prepared, progress)   # the PLS bootstrap runs as stacked matrices, no bar
    return _fit_cb(config, prepared, progress, progress_bar, pool)


@dataclass
class Prepared:
    """What the shared steps hand to either method: the model, the analysed data and what was
    done to them (reading, mapping, screening, missing data), and the warnings so far."""

    inst: object                 # the Instrument, or None for a --model run
    model_text: str
    spec: object                 # the parsed model (ModelSpec)
    items: list
    warnings: list
    input_info: dict
    data_path: str
    missing: str
    ci: str
    cov: pd.DataFrame | None = None            # summary-matrix input
    complete: pd.DataFrame | None = None       # complete responses
    analysed: pd.DataFrame | None = None       # the rows the models use
    table: object = None                       # the SurveyTable read
    table_frame: pd.DataFrame | None = None    # its rows of the analysed responses
    item_map: object = None
    screening: ScreeningResult | None = None
    missing_data: dict | None = None
    group: str | None = None
    points: int | None = None
    labels: dict = field(default_factory=dict)
    ordered: list = field(default_factory=list)   # the ordinal items (WLSMV, ULSMV, DWLS)
    moderators: list = field(default_factory=list)   # moderator constructs of --moderator


def _prepare(config: RunConfig, frame: pd.DataFrame | None, progress) -> Prepared:
    """The steps both methods share: (1) the model, (2) the data (read, map, code, screen,
    missing data: FIML or listwise for CB-SEM, mean replacement or listwise for PLS)."""
    data_source = frame if frame is not None else config.data
    data_path = "<DataFrame>" if frame is not None else config.data
    instrument, model_path, reverse = config.instrument, config.model, config.reverse
    scale_points, missing_codes = config.scale_points, config.na
    ci, group, summary_n = config.ci, config.group, config.summary
    missing, mapping = config.missing, config.mapping
    rules = screening_rules(config)
    screen = config.screen
    # (1) the model
    if instrument is None and model_path is None:
        instrument = "trust_mechanism"
    inst = load_instrument(instrument) if instrument is not None and model_path is None else None
    if model_path is not None:
        model_text, source = _read_model(model_path)
        # PLS's formative blocks (<~) name their items as reflective ones do; the PLS parser reads the rest
        spec = parse_model(model_text.replace("<~", "=~") if config.method == "pls" else model_text, source)
    else:
        model_text = inst.model_syntax()
        spec = parse_model(model_text, f"instrument {inst.id}")
    if any(s.efa for s in spec.statements):
        raise InputError(f"{spec.source}: efa() blocks (exploratory SEM) are fitted with lavaan's geomin rotation by "
                         "st.sem(data, model); the report pipeline does not take them yet (write the loadings out "
                         "with =~)")
    moderated = _moderation_plan(config, inst if model_path is None else None)

    # (2) the data
    progress(f"reading {data_path}")
    items = spec.observed
    ordered = _ordered_items(config, items, inst)
    if ordered and group and set(ordered) != set(items):
        raise InputError(f"--group {group}: the ordinal invariance ladder needs every indicator ordered; give "
                         "--ordered all, or run --estimator MLR")
    if ordered and summary_n is not None:
        refuse_summary_data(config.estimator)
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
        _check_moderator_columns(table, moderated)
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
        if config.method == "pls":
            missing = _pls_missing_treatment(missing)
        elif missing == "auto" and ordered:
            missing = "listwise"   # lavaan's default for ordinal items
        elif missing == "auto":
            missing, note = missing_treatment(screened, spec)
            warnings += note
        if ordered and missing == "fiml":
            raise InputError(f"--missing fiml is for ML and MLR; {config.estimator} takes --missing listwise or pairwise")
        if not ordered and missing == "pairwise":
            raise InputError(f"--missing pairwise is for WLSMV, ULSMV and DWLS; {config.estimator} takes --missing "
                             "listwise or fiml")
        missing_data = missing_data_report(screened, MISSING_LABELS[missing])
        complete = screened.dropna()
        dropped = len(screened) - len(complete)
        if missing in ("fiml", "mean", "pairwise"):
            # every response with at least one answer enters the likelihood (the PLS model, the pairwise polychorics)
            analysed = screened[screened.notna().any(axis=1)]
            dropped = len(screened) - len(analysed)
            if len(analysed) > len(complete):
                how = ("FIML), alpha the complete responses" if missing == "fiml"
                       else "pairwise polychoric correlations), alpha the complete responses" if missing == "pairwise"
                       else "PLS replaces each missing answer by the item's mean)")
                warnings.append(f"{len(analysed) - len(complete)} of {len(analysed)} responses have missing item "
                                f"answers; the models use all their answers ({how}")
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
    prepared = Prepared(inst=inst, model_text=model_text, spec=spec, items=items, warnings=warnings,
                        input_info=input_info, data_path=data_path, missing=missing, ci=ci, cov=cov,
                        complete=complete, table_frame=table_frame, screening=screening, missing_data=missing_data,
                        ordered=ordered)
    if cov is None:
        prepared.analysed, prepared.table, prepared.item_map = analysed, table, item_map
        prepared.group, prepared.points, prepared.labels = group, points, labels
        prepared.moderators = moderated
    if cov is None and len(analysed) <= len(items) and screening is not None and len(screening.exclusions):
        removed = [f"{s.rule} {s.excluded}" for s in screening.steps.itertuples() if s.excluded]
        raise InputError(f"{data_path}: screening excluded {len(screening.exclusions)} of {screening.n_screened} "
                         f"responses ({', '.join(removed)}), leaving {len(analysed)} for {len(items)} items; check "
                         "those rules (e.g. --id names a column whose values repeat) or switch one off with "
                         "--screen-skip RULE")

    return prepared


def _fit_cb(config: RunConfig, prepared: Prepared, progress, progress_bar, pool) -> Study:
    """CB-SEM, in order: (3) the measurement model and its assessment, (4) EFA and common-method
    bias, (5) the structural model, effects and competing models, (6) groups. Both bootstraps
    go to the worker ``pool`` as soon as their model is fitted, and are collected last."""
    p = prepared
    inst, model_text, spec, items, warnings, input_info = p.inst, p.model_text, p.spec, p.items, p.warnings, p.input_info
    data_path, missing, ci, cov, complete, analysed = p.data_path, p.missing, p.ci, p.cov, p.complete, p.analysed
    table, table_frame, screening, missing_data = p.table, p.table_frame, p.screening, p.missing_data
    group, points, labels, ordered = p.group, p.points, p.labels, p.ordered
    model_path, missing_codes, seed, bootstrap = config.model, config.na, config.seed, config.bootstrap
    summary_n, estimator, markers = config.summary, config.estimator, config.marker

    # a model with c(...) modifiers is one multi-group model (lavaan's sem(model, group = )); its
    # measurement model for reliability and validity is the CFA of the pooled sample
    grouped = bool(group) and group_specific(spec)
    if grouped and ordered:
        raise InputError(f"--group {group}: a model with group-specific c(...) modifiers is fitted as one multi-group "
                         f"model by ML or MLR, not {estimator}; rerun with --estimator MLR")
    grouped_rows = _with_group_column(analysed, table_frame, group) if grouped else None

    def fit(syntax, pooled=False):
        try:
            if grouped and not pooled:
                from semtrust.structural.multigroup import fit_grouped
                return fit_grouped(syntax, grouped_rows, group, estimator, missing)
            return fit_model(pooled_model(syntax) if grouped else syntax, analysed if cov is None else None,
                             estimator=estimator, missing=missing, ordered=ordered, cov=cov, n=summary_n)
        except DataError as error:   # the data's problems name the data file
            raise DataError(f"{data_path}: {error}") from None

    groups = item_groups(spec)
    n = summary_n or len(analysed)
    progress(f"fitting the measurement model ({len(groups)} factors, {len(items)} indicators, n = {n})")
    cfa_spec = measurement_model(spec)
    measurement = None if cfa_spec is None else fit(cfa_spec, pooled=True)
    measurement_draws = None
    if config.measurement_bootstrap > 0 and measurement is not None and (ordered or measurement.data is not None):
        measurement_draws = pool.submit(measurement, config.measurement_bootstrap, seed)
    if markers and complete is None:
        raise InputError("--marker needs raw data: the EFA and common-method-bias tests are skipped for a summary matrix")
    progress(f"fitting the structural model{f' across the groups of {group}' if grouped else ''}")
    structural = fit(spec)
    fiml_effects = missing == "fiml" and ci != "mc" and bootstrap > 0
    if fiml_effects:
        ci = "mc"
    effect_draws = _start_effects(pool, structural, bootstrap, ci, seed)
    progress("assessing the measurement model (reliability, validity, normality)")
    quality = assess_measurement(complete, groups, measurement, progress=progress)
    warnings += _normality_warning(quality, measurement)
    if complete is not None and (points or 0) <= 5:
        warnings += likert_note(complete[items], estimator)
    loadings = loadings_table(measurement, groups) if measurement is not None else pd.DataFrame()
    efa_result = cmb_result = None
    if complete is not None and measurement is not None:
        # the CMB models are fitted as the run's CFA (ML or MLR, complete data or FIML), so that their
        # rows read like its fit; with ordinal items they are ML fits to the complete responses
        cmb_fit = None if ordered else (lambda syntax: fit(syntax, pooled=True))
        efa_result, cmb_result, extra_warnings = _efa_and_method_bias(
            complete, groups, cfa_spec, None if ordered else measurement, seed,
            (config.efa_extraction, config.efa_rotation), progress,
            _marker_scores(table, list(markers) or list(getattr(inst, "marker_items", ())), complete,
                           points, labels, missing_codes), cmb_fit)
        warnings += extra_warnings
        if ordered:
            warnings.append(f"the EFA and common-method-bias tests use ML on the {len(complete)} complete responses")
        elif len(complete) < len(analysed):
            warnings.append(f"the EFA and Harman's test use the {len(complete)} complete responses")
    # (5) the structural model (fitted above), its effects and the competing models
    hypotheses = hypothesis_table(structural, inst) if inst is not None and model_path is None else None
    if fiml_effects:
        warnings.append("FIML: the effect CIs are Monte Carlo (the bootstrap refits complete data only)")
    progress("comparing alternative models")
    comparison = model_comparison(spec, structural, measurement, inst if model_path is None else None, fit)
    # (6) groups
    invariance_result = group_paths = None
    if group:
        # the multi-group models use the run's estimator and missing-data treatment
        warnings += _check_group_sizes(table_frame, group, len(items),
                                       (measurement or structural).fit_measures.npar + len(items), data_path)
        invariance_result, group_paths = _groups(spec, cfa_spec, analysed, table_frame, group, progress, estimator,
                                                 missing, bool(ordered))
        if ordered and _observed_predictors(spec):
            warnings.append(f"the structural paths are not compared across {group} under {estimator}: the "
                            f"multi-group ordinal model takes factors as predictors, not "
                            f"{', '.join(_observed_predictors(spec))}; the invariance ladder is")
    tests = None
    if pool.refitting and (estimator, missing) == ("ML", "listwise"):
        try:   # results.json's modification indices, while the workers refit
            tests = score_tests(measurement or structural) if measurement or not grouped else None
        except EstimationError:
            pass   # Study.to_dict tries again and says why they are missing
    moderation = []
    if p.moderators:
        moderation = _moderation(config, inst, p.moderators, p.table, complete, (points, labels, missing_codes),
                                 progress)
        if config.moderation == "latent" and (estimator, missing) != ("ML", "listwise"):
            warnings.append(f"the latent interactions of the moderation hypotheses are ML fits on the complete "
                            f"rows, not {estimator} with missing = {missing} as the main model")
    # the resampling, last: the workers refitted while the stages above ran
    if measurement_draws is not None:
        progress(f"bootstrapping CR, AVE and HTMT ({config.measurement_bootstrap} resamples)")
        quality.intervals = bootstrap_intervals(measurement, groups, config.measurement_bootstrap, seed,
                                                progress=progress_bar, pending=measurement_draws)
    effects, resampling = _effects(structural, effect_draws, bootstrap, ci, seed, progress, progress_bar)
    for fitted in (measurement, structural):
        if fitted is not None:
            warnings += [w for w in fitted.warnings if w not in warnings]
    sample = _sample(prepared)
    return Study(seed=seed, input=input_info, instrument=inst, model_syntax=model_text, items=items,
                       data=complete, sample=sample, measurement=measurement, structural=structural,
                       quality=quality, loadings=loadings, hypothesis_tests=hypotheses,
                       effects=effects,
                       resampling=resampling, comparison=comparison, invariance=invariance_result,
                       group_paths=group_paths, efa=efa_result, cmb=cmb_result, warnings=warnings,
                       estimator=estimator, missing=missing,
                       screening=screening, cleaned=None if screening is None else table.frame.loc[screening.kept],
                       missing_data=missing_data, input_files=config.input_files(), score_tests=tests,
                       moderation=moderation,
                       config=replace(config, lang=config.lang or (inst and inst.report_language) or "en").echo())


def _fit_pls(config: RunConfig, prepared: Prepared, progress) -> Study:
    """PLS-SEM (Hair et al. 2019): the model with the run's bootstrap (``--bootstrap``, ``--ci``
    percentile or bca), PLSpredict (10 folds × 10 repetitions) and CVPAT of the endogenous
    constructs, Q² by blindfolding (D = 7), IPMA of the final outcome(s), MICOM + MGA with ``--group``, and the
    instrument's hypotheses tested on the bootstrapped paths."""
    from semtrust.estimation.pls import PLSAnalysis, check_global_items, estimate_pls, parse_pls_model
    from semtrust.structural.paths import pls_hypothesis_table

    p = prepared
    model_text = p.model_text
    if config.global_items:   # checked before the estimation, so a misspelt declaration stops the run at once
        check_global_items(parse_pls_model(model_text), config.global_items)
        global_scores = _global_item_scores(config, p)
    progress(f"estimating the PLS path model ({config.pls_weighting} weighting"
             f"{', PLSc' if config.pls_consistent else ''}, n = {len(p.analysed)}"
             + (f", {config.bootstrap} bootstrap resamples)" if config.bootstrap else ")"))
    try:
        results = estimate_pls(p.analysed, model_text, weighting=config.pls_weighting,
                               consistent=config.pls_consistent, missing=p.missing, bootstrap=config.bootstrap,
                               seed=config.seed, ci=p.ci, workers=config.workers, higher_order=config.higher_order)
    except InputError as error:   # the data's problems name the data file
        raise InputError(f"{p.data_path}: {error}" if str(p.data_path) not in str(error) else str(error)) from None
    analysis = PLSAnalysis(results, scale=_answer_scale(p.points))
    warnings = list(p.warnings)
    if config.plspredict:
        progress("PLSpredict (10 folds x 10 repetitions) and CVPAT")
        warnings += analysis.predict(seed=config.seed)
    warnings += analysis.blindfold()
    if config.compare_models:
        progress(f"BIC and GM against {len(config.compare_models)} competing model(s)")
        competing = {Path(source).stem if source != "model" else f"model {k + 2}": text
                     for k, (text, source) in enumerate(map(_read_model, config.compare_models))}
        warnings += analysis.select(competing)
    warnings += analysis.importance()
    if config.global_items:
        progress(f"redundancy analysis of {', '.join(config.global_items)} against their global items")
        analysis.check_redundancy(p.analysed.join(global_scores), config.global_items, bootstrap=config.bootstrap,
                                  seed=config.seed, workers=config.workers)
    if p.group:
        progress(f"MICOM and PLS-MGA across {p.group}")
        warnings += analysis.compare(_group_labels(p.table_frame, p.group), draws=config.bootstrap or 1000,
                                     seed=config.seed, workers=config.workers)
    hypotheses = (pls_hypothesis_table(results, p.inst) if p.inst is not None and config.model is None
                  and results.draws is not None else None)
    # the effects read the PLS fit as any FittedModel, with the parameter draws of its bootstrap (PLS has
    # no SEs without one: then the direct, indirect and total effects are only in the pls block)
    effects, resampling = pd.DataFrame(), None
    if results.draws is not None:
        effects, resampling = _effects(results, lambda progress, progress_bar: results.parameter_draws(),
                                       config.bootstrap, p.ci, config.seed, progress, lambda *_: None)
    return Study(seed=config.seed, input=p.input_info, instrument=p.inst, model_syntax=model_text, items=p.items,
                 data=p.complete, sample=_sample(p), measurement=None, structural=results, quality=None,
                 loadings=pd.DataFrame(), hypothesis_tests=hypotheses, effects=effects, resampling=resampling,
                 warnings=warnings, estimator=results.estimator, missing=p.missing,
                 screening=p.screening, cleaned=None if p.screening is None else p.table.frame.loc[p.screening.kept],
                 missing_data=p.missing_data, input_files=config.input_files(), pls=analysis,
                 config=replace(config, lang=config.lang or (p.inst and p.inst.report_language) or "en").echo())


def _refuse_cb_options(config: RunConfig) -> None:
    """CB-SEM settings that PLS cannot honour stop the run (one line, before reading the data)
    rather than being ignored."""
    if config.estimator != "ML":
        raise InputError(f"--estimator {config.estimator} is a CB-SEM estimator; PLS-SEM has none: drop "
                         "--estimator, or use --method cb")
    if config.ci not in ("percentile", "bca"):
        raise InputError(f"--ci {config.ci}: PLS-SEM bootstrap intervals are percentile or bca")
    if config.missing == "fiml":
        raise InputError("--missing fiml is a CB-SEM (likelihood) treatment; PLS-SEM uses auto (mean "
                         "replacement) or listwise")
    if config.marker:
        raise InputError("--marker: the marker-variable test is part of the CB-SEM report; use --method cb")
    if config.moderator:
        raise InputError("--moderator: the moderation hypotheses run with CB-SEM runs; use --method cb")
    if config.summary is not None:
        raise InputError("--summary: PLS-SEM needs raw data (a summary matrix has no construct scores); "
                         "use --method cb")
    if config.scheduler is not None:
        raise InputError("--scheduler: the PLS-SEM bootstrap runs on local processes (--workers); drop "
                         "--scheduler, or use --method cb")


def _global_item_scores(config: RunConfig, p: Prepared) -> pd.DataFrame:
    """The declared global items (``global_items``: construct → column) of the analysed
    responses that the model does not already use, coded as the model's items are (answer
    labels, missing-value codes)."""
    columns = {}
    for construct, item in config.global_items.items():
        column = find_column(p.table, item)
        if column is None:
            raise InputError(f"{p.data_path}: the global item '{item}' of {construct} is not a column of the data; "
                             "check its spelling (global_items / --global-item CONSTRUCT=COLUMN)")
        if item not in p.analysed.columns:
            columns[column] = item
    coded = code_items(p.table, list(columns), points=p.points, labels=p.labels, missing_codes=list(config.na))
    return coded.frame.rename(columns=columns).loc[p.analysed.index]


def _pls_missing_treatment(missing: str) -> str:
    """``--missing`` for PLS: auto replaces each missing answer by its item's mean (SmartPLS's and
    seminr's default), listwise drops incomplete responses."""
    return "listwise" if missing == "listwise" else "mean"


def _answer_scale(points: int | None) -> tuple[int, int] | None:
    """The answer scale's ends (1..K) for IPMA's 0–100 rescaling; None: the observed range."""
    return None if points is None else (1, points)


def _with_group_column(analysed: pd.DataFrame, table_frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """The analysed responses with the grouping column, those without a group label left out."""
    data = analysed.assign(**{group: _group_labels(table_frame, group)})
    return data[data[group].notna()]


def _group_labels(table_frame: pd.DataFrame, group: str) -> pd.Series:
    """The grouping column's labels (text, stripped) for the analysed rows; empty labels dropped."""
    column = next((c for c in table_frame.columns if str(c).strip() == group), None)
    if column is None:
        raise InputError(f"--group {group}: the data have no such column")
    labels = table_frame[column].astype(str).str.strip().rename(group)
    return labels[(labels != "") & (labels.str.casefold() != "nan")]


def _sample(prepared: Prepared) -> dict:
    """The sample table of the analysed responses: every categorical column the model does not use."""
    p = prepared
    if p.table_frame is None:
        return {}
    named = set(p.items) | set(p.screening.columns.get("attention", []) if p.screening else [])
    named |= {i.id for c in getattr(p.inst, "moderators", ()) for i in c.items}   # items, not demographics
    used_columns = named | {c for c in p.table_frame.columns if str(c).strip().casefold() in
                            {i.casefold() for i in named}}
    used_columns |= set(p.item_map.columns.values()) | set(p.table.metadata) | {p.table.id_column,
                                                                                 p.table.duration_column}
    return _describe_sample(p.table_frame, used_columns, p.inst.demographics if p.inst is not None else ())


def _moderation_plan(config: RunConfig, inst) -> list:
    """The moderator constructs ``config.moderator`` names (checked before any fitting)."""
    if not config.moderator:
        return []
    # imported only for moderation runs: statsmodels costs a third of a second at start-up
    from semtrust.structural.moderation_hypotheses import selected_hypotheses

    if inst is None:
        raise InputError(f"--moderator {' '.join(config.moderator)}: moderation hypotheses come from an "
                         "instrument; drop --model (or use semtrust process for a model of your own)")
    if config.summary is not None:
        raise InputError("--moderator needs raw data: a summary matrix has no scale scores")
    chosen = selected_hypotheses(inst, list(config.moderator))
    return [inst.construct(m) for m in dict.fromkeys(h.moderator for h in chosen)]


def _check_moderator_columns(table, moderators: list) -> None:
    present = {str(c).strip().casefold() for c in table.frame.columns}
    absent = [i.id for c in moderators for i in c.items if i.id.casefold() not in present]
    if absent:
        raise InputError(f"{table.path}: no column for the moderator item(s) {', '.join(absent)}; the data need "
                         f"the items of {', '.join(c.id for c in moderators)} (see semtrust instrument show)")


def _moderation(config: RunConfig, inst, moderators: list, table, complete: pd.DataFrame, coding: tuple,
                progress) -> list:
    """The instrument's moderation hypotheses of ``config.moderator`` on the analysed responses:
    the model's constructs from their coded items, the ``moderators``' items coded like them
    (``coding`` = points, labels, missing codes); as latent interactions (``moderation: latent``)
    or PROCESS models on scale scores (``scores``)."""
    from semtrust.structural.moderation_hypotheses import (
        run_latent_moderation_hypotheses,
        run_moderation_hypotheses,
        scale_scores,
    )

    points, labels, missing_codes = coding
    items = [i.id for c in moderators for i in c.items]
    coded = code_items(table, items, points=points, labels=labels, missing_codes=list(missing_codes),
                       reverse=[i.id for c in moderators for i in c.items if i.reverse]).frame.loc[complete.index]
    if config.moderation == "latent":
        progress(f"testing the moderation hypotheses of {', '.join(config.moderator)} as latent interactions "
                 "(double-mean-centred product indicators, ML)")
        return run_latent_moderation_hypotheses(inst, complete.join(coded), list(config.moderator))
    scores = scale_scores(complete.join(coded), {c.id: [i.id for i in c.items] for c in inst.constructs + tuple(moderators)})
    progress(f"testing the moderation hypotheses of {', '.join(config.moderator)} on scale scores (PROCESS, "
             f"{config.bootstrap} resamples)")
    return run_moderation_hypotheses(inst, scores, list(config.moderator), bootstrap=config.bootstrap,
                                     seed=config.seed)


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


def _efa_and_method_bias(complete, groups, cfa_spec, measurement, seed, efa_options, progress, marker_scores,
                         cmb_fit=None):
    """EFA (as many factors as constructs; ``efa_options`` = (extraction, rotation)) and the
    CMB tests of the CFA (its models fitted by ``cmb_fit``, else by ML to ``complete``)."""
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
    cmb_result = method_bias(complete, cfa_spec, measurement, markers=markers, marker_data=marker_scores,
                             fit=cmb_fit)
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


def _observed_predictors(spec) -> list[str]:
    """The observed variables a regression of ``spec`` takes as predictors (a multi-group
    ordinal model regresses on factors only)."""
    factors = {s.lhs for s in spec.statements if s.op == "=~"}
    return list(dict.fromkeys(s.rhs for s in spec.statements if s.op == "~" and s.rhs not in factors))


def _groups(spec, cfa_spec, complete, table_frame, group, progress, estimator="ML", missing="listwise",
            ordinal=False):
    """Invariance ladder of the measurement model, then each structural path compared across
    groups on the (partially) metric-invariant structural model. Ordinal items climb Wu &
    Estabrook's ladder (configural, thresholds, loadings, intercepts) by multi-group WLSMV."""
    from semtrust.structural.multigroup import (
        fit_multigroup,
        group_path_tests,
        invariance,
        ordinal_group_path_tests,
        ordinal_invariance,
    )

    data = _with_group_column(complete, table_frame, group)
    if ordinal:
        progress(f"testing measurement invariance across {group} by {estimator} (configural, thresholds, "
                 "loadings, intercepts; Wu & Estabrook 2016)")
        ladder = ordinal_invariance(cfa_spec or spec, data, group, estimator, missing)
        if not any(s.op == "~" for s in spec.statements) or _observed_predictors(spec):
            return ladder, pd.DataFrame()
        progress(f"comparing each structural path across {group} (equal thresholds and loadings)")
        return ladder, ordinal_group_path_tests(spec, data, group, estimator, missing)
    progress(f"testing measurement invariance across {group} (configural, metric, scalar, strict)")
    ladder = invariance(cfa_spec or spec, data, group, estimator=estimator, missing=missing)
    metric = [s for s in ladder["steps"] if s["model"].endswith("metric")][-1]   # partial metric when it was needed
    released = tuple(tuple(r.split(" ", 2)) for r in metric["released"])
    result = {k: v for k, v in ladder.items() if k != "fits"}
    if not any(s.op == "~" for s in spec.statements):
        return result, pd.DataFrame()
    progress(f"comparing each structural path across {group}")
    base = fit_multigroup(spec, data, group, ("loadings",), group_partial=released, estimator=estimator,
                          missing=missing)
    return result, group_path_tests(spec, data, group, base, estimator, missing)


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


def _read_model(model: str) -> tuple[str, str]:
    """(syntax, source) of a model given as a lavaan-syntax file or, from the Python API, as
    the syntax itself (text with an operator such as ``=~`` or ``~`` that names no file)."""
    path = Path(model)
    looks_like_syntax = "~" in model and ("\n" in model or not path.suffix)
    if looks_like_syntax and ("\n" in model or not path.is_file()):   # long text is no file name (is_file raises)
        return model, "model"
    if not path.is_file():
        raise InputError(f"{model}: no such model file")
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the model file as UTF-8") from None


def _ordered_items(config: RunConfig, items: list[str], instrument) -> list[str]:
    """The ordinal items of a run (lavaan's ``ordered =``): none under ML/MLR; under WLSMV, ULSMV
    or DWLS the items ``ordered`` names ("all": every observed variable of the model), by default
    all of them when an instrument declares their (Likert) response scale."""
    if config.estimator not in CATEGORICAL_ESTIMATORS:
        if config.ordered:
            raise InputError(f"--ordered needs a categorical estimator; add --estimator WLSMV (not {config.estimator})")
        return []
    if config.ordered is None and instrument is None:
        raise InputError(f"--estimator {config.estimator}: name the ordinal items with --ordered all (or "
                         "--ordered ITEM ...); the model declares no response scale")
    if config.ordered is None or config.ordered == "all":
        return list(items)
    unknown = [i for i in config.ordered if i not in items]
    if unknown:
        raise InputError(f"--ordered {' '.join(unknown)}: not an observed variable of the model; "
                         f"the model's are {', '.join(items)}")
    return list(config.ordered)


def missing_treatment(responses: pd.DataFrame, spec) -> tuple[str, list[str]]:
    """``--missing auto``: full-information ML when any analysed answer is missing (what Mplus and
    AMOS users expect), listwise deletion when none is. With observed exogenous covariates FIML
    conditions on them (fixed.x), so a respondent without a covariate value is left out, as lavaan
    does, and the note says how many.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.model.syntax import parse_model
    >>> answers = pd.DataFrame({"x1": [1.0, 2, np.nan, 4], "x2": [2.0, 1, 3, 4], "x3": [1.0, 1, 2, 3]})
    >>> missing_treatment(answers, parse_model("F =~ x1 + x2 + x3"))
    ('fiml', [])
    >>> missing_treatment(answers.fillna(3), parse_model("F =~ x1 + x2 + x3"))
    ('listwise', [])
    """
    if not responses.isna().to_numpy().any():
        return "listwise", []
    covariates = [v for v in observed_covariates(spec) if v in responses.columns]
    lacking = int(responses[covariates].isna().any(axis=1).sum()) if covariates else 0
    if lacking:
        return "fiml", [f"{lacking} respondents lack a value of an observed exogenous predictor "
                        f"({', '.join(covariates)}) and are left out, as lavaan does with fixed.x"]
    return "fiml", []


def screening_rules(config: RunConfig) -> ScreeningRules | None:
    """The screening settings of a study file or ``--screen-set`` (the screening stage owns its keys).

    >>> from semtrust.config import RunConfig
    >>> screening_rules(RunConfig.from_options({"data": "survey.csv", "screening": {"irv_min": 0.3}})).irv_min
    0.3
    >>> screening_rules(RunConfig.from_options({"data": "survey.csv", "screen": False})) is None
    True
    """
    if config.screening is None:
        return None
    where = f"{config.study or 'command line'}: screening"
    try:
        return ScreeningRules.from_dict(config.screening, where)
    except (TypeError, ValueError) as error:
        raise InputError(f"{where}: {error}") from None
