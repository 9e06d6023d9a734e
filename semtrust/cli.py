"""The ``semtrust`` command. Thin: it parses arguments and calls the Python API.

The statistics stack is imported inside the subcommands, so ``semtrust --help`` stays fast.
Every :class:`~semtrust.errors.SemtrustError` becomes one line on stderr and its exit code;
SIGINT (Ctrl-C) and SIGTERM end a run with one line and exit 130/143, after stopping the bootstrap
workers. ``fit`` and ``power`` check and lock the output folder before fitting (:mod:`semtrust.io.output_folder`).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from semtrust.version import __version__
from semtrust.errors import InputError, SemtrustError
from semtrust.config import ESTIMATORS, MISSING
from semtrust.io.formats import FORMATS

__all__ = ["main", "console"]

INTRO = {
    "zh": "请根据您最近一次在短视频或直播间购物的经历，判断您对以下说法的同意程度。答案无对错之分，所有回答仅用于学术研究并严格保密。",
    "en": "Thinking of your most recent purchase in a short video or live stream, please indicate how "
          "much you agree with each statement. There are no right or wrong answers; responses are "
          "anonymous and used for research only.",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semtrust",
        description="Survey SEM for trust in short-video and live-streaming commerce: "
                    "reliability, CFA and SEM that match lavaan, with HTML/LaTeX/JSON reports.")
    parser.add_argument("--version", action="version", version=f"semtrust {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = sub.add_parser("fit", help="fit the measurement and structural models and write the reports")
    fit.add_argument("data", help="survey data (.csv, .xlsx, .sav export of any supported platform) or a "
                     "study file (.yaml) declaring the whole run; flags override the study file")
    fit.add_argument("--format", choices=FORMATS, help="force a platform reader (default: auto-detect)")
    fit.add_argument("--mapping", metavar="FILE", help="CSV (column,item) or YAML (column: item) mapping export "
                     "columns to item ids, for exports without the item wording")
    fit.add_argument("--instrument", help="bundled instrument id or a YAML file (default: trust_mechanism "
                     "when no --model is given)")
    fit.add_argument("--model", help="lavaan-syntax model file (.lav); its observed variables name data columns")
    fit.add_argument("--out", help="output directory (default: semtrust_output)")
    fit.add_argument("--seed", type=int, help="random seed recorded in the results (default: 20261123)")
    fit.add_argument("--reverse", nargs="+", metavar="ITEM",
                     help="reverse-key these items (points + 1 - x); instruments declare their own")
    fit.add_argument("--scale-points", type=int, metavar="K",
                     help="number of response categories, to check ranges and reverse-key in --model runs")
    fit.add_argument("--na", nargs="+", type=float, metavar="CODE",
                     help="numeric missing-value codes in the data, e.g. --na -99 999")
    fit.add_argument("--bootstrap", type=int, metavar="B",
                     help="bootstrap resamples for indirect-effect CIs (default 5000; 0 = delta method)")
    fit.add_argument("--ci", choices=("percentile", "bc", "bca", "mc"),
                     help="CI type: percentile (default), bias-corrected, BCa, or mc = Monte Carlo "
                          "(B draws from the estimates' sampling distribution; fast)")
    fit.add_argument("--workers", type=int, help="processes for the bootstrap (default: all cores); "
                     "results do not depend on it")
    fit.add_argument("--scheduler", metavar="tcp://HOST:8786",
                     help="run the bootstrap refits on this Dask cluster (as semtrust power does) instead of "
                          "local processes; results do not depend on it")
    fit.add_argument("--measurement-bootstrap", type=int, metavar="B",
                     help="bootstrap resamples for the CIs of CR, AVE, HTMT and HTMT2 (default 1000; 0 = off)")
    fit.add_argument("--group", metavar="COLUMN",
                     help="compare groups (e.g. platform): invariance ladder and per-path differences")
    fit.add_argument("--moderator", nargs="+", metavar="ID",
                     help="run the instrument's moderation hypotheses of these moderators (e.g. INV), "
                          "as --moderation says")
    fit.add_argument("--moderation", choices=("latent", "scores"),
                     help="how --moderator tests its hypotheses: latent (default) = latent interactions with "
                          "double-mean-centred product indicators, as lavaan + semTools indProd/probe2WayMC; "
                          "scores = PROCESS models on scale scores (bootstrap B and seed from the run)")
    fit.add_argument("--summary", type=int, metavar="N",
                     help="DATA is a published correlation/covariance matrix (optional 'sd' row) from N cases")
    fit.add_argument("--estimator", choices=ESTIMATORS,
                     help="ML (default); MLR: robust (Huber-White) SEs, Yuan-Bentler scaled chi-square "
                          "and robust CFI/TLI/RMSEA, as lavaan's estimator = \"MLR\"; WLSMV (ULSMV, DWLS): "
                          "the items as ordinal (thresholds, polychoric correlations), as lavaan's ordered =")
    fit.add_argument("--ordered", nargs="+", metavar="ITEM",
                     help="with --estimator WLSMV/ULSMV/DWLS: 'all' or the ordinal items (default: all, when "
                          "an instrument declares the response scale)")
    fit.add_argument("--missing", choices=MISSING,
                     help="auto (default): full-information ML when any analysed answer is missing, else "
                          "listwise (WLSMV: listwise); listwise: drop incomplete responses; fiml: every answer, "
                          "as lavaan's missing = \"ml\"; pairwise (WLSMV): polychorics from each pair's answers")
    fit.add_argument("--method", choices=("cb", "pls"),
                     help="cb (default): covariance-based SEM; pls: PLS-SEM with the Hair et al. (2019) report "
                          "(the run's --bootstrap and --ci percentile|bca; SmartPLS recommends --bootstrap 10000)")
    fit.add_argument("--weighting", dest="pls_weighting", choices=("path", "factorial", "centroid"),
                     help="PLS inner weighting scheme (default path, as SmartPLS)")
    fit.add_argument("--consistent", dest="pls_consistent", action="store_const", const=True,
                     help="PLS: consistent PLS (PLSc) for the reflective constructs")
    fit.add_argument("--higher-order", choices=("repeated", "two_stage"),
                     help="PLS: estimate constructs measured by constructs with repeated indicators (default) "
                          "or the two-stage approach")
    fit.add_argument("--compare-model", dest="compare_models", action="append", metavar="FILE",
                     help="PLS: a competing model (lavaan syntax file; repeat for more) compared with the fitted "
                          "one by BIC and GM for each construct endogenous in both (Sharma et al. 2019)")
    fit.add_argument("--no-plspredict", dest="plspredict", action="store_const", const=False,
                     help="PLS: skip PLSpredict (10 folds x 10 repetitions) and CVPAT")
    fit.add_argument("--global-item", dest="global_items", nargs="+", metavar="CONSTRUCT=COLUMN",
                     help="PLS: a formative construct's global single item (e.g. CSOR=csor_global), for the "
                          "redundancy analysis of its convergent validity (Hair et al.: path >= .70)")
    fit.add_argument("--efa-extraction", choices=("minres", "ml"),
                     help="EFA extraction: minimum residuals (default, as SPSS/JASP/psych) or maximum likelihood")
    fit.add_argument("--efa-rotation", choices=("oblimin", "promax", "varimax", "none"),
                     help="EFA rotation (default oblimin)")
    fit.add_argument("--marker", nargs="+", metavar="ITEM",
                     help="marker item(s) for the CFA marker technique of the common-method-bias tests: "
                          "data columns theoretically unrelated to the constructs (instruments may declare "
                          "marker_items)")
    fit.add_argument("--no-screen", action="store_true",
                     help="skip the careless-responding screening (on by default)")
    fit.add_argument("--id", metavar="COLUMN", help="respondent-id column, for the duplicate check")
    fit.add_argument("--duration", metavar="COLUMN",
                     help="completion-time column in seconds, for the speeder check")
    fit.add_argument("--screen-skip", nargs="+", default=[], metavar="RULE",
                     help="switch screening rules off: duplicates attention speed longstring irv evenodd mahalanobis")
    fit.add_argument("--screen-flag", nargs="+", metavar="RULE",
                     help="rules that only flag (logged, not excluded); default: evenodd")
    fit.add_argument("--screen-set", nargs="+", default=[], metavar="KEY=VALUE",
                     help="screening thresholds, e.g. speed_fraction=0.5 mahalanobis_alpha=0.001 (see README)")
    fit.add_argument("--lang", choices=("en", "zh"),
                     help="language of the reports (default: the instrument's report_language, else en)")
    fit.add_argument("--sections", nargs="+", metavar="SECTION",
                     help="write only these report sections: summary sample measurement fit structural mediation "
                          "cmb invariance screening missing items correlations contrasts models mi efa warnings "
                          "reproducibility (default: all)")
    fit.add_argument("--quiet", action="store_true", help="print only the summary")

    inst = sub.add_parser("instrument", help="list or show the bundled instruments")
    inst_sub = inst.add_subparsers(dest="action", required=True, metavar="ACTION")
    inst_sub.add_parser("list", help="list bundled instruments")
    show = inst_sub.add_parser("show", help="show an instrument or render it as a questionnaire")
    show.add_argument("id", help="instrument id or YAML path")
    show.add_argument("--lang", choices=("zh", "en"), default="zh")
    show.add_argument("--format", choices=("text", "json", "md", "html", "docx", "wjx"), default="text",
                      help="md/html: item codes shown (for piloting and export mapping); docx/wjx: the questionnaire "
                           "respondents see (consent, screening question, demographics, no codes); wjx is the text "
                           "Wenjuanxing's batch question import reads")
    show.add_argument("--out", metavar="FILE", help="file to write (required for --format docx)")

    sim = sub.add_parser("simulate", help="simulate Likert data from an instrument's hypotheses")
    sim.add_argument("--instrument", required=True, help="instrument id or YAML path")
    sim.add_argument("--n", type=int, required=True, help="number of respondents")
    sim.add_argument("--seed", type=int, required=True)
    sim.add_argument("--moderators", action="store_true",
                     help="also draw the instrument's moderator items, with a true interaction per moderation "
                          "hypothesis (columns appended after the items)")
    sim.add_argument("--out", required=True, help="CSV file to write; the truth goes to FILE.truth.json")

    pw = sub.add_parser("power", help="Monte Carlo power of every path and indirect effect per sample size")
    pw.add_argument("--instrument", help="bundled instrument id or YAML: population drawn from its hypotheses "
                    "(seeded), analysed with its model, responses on its Likert scale")
    pw.add_argument("--model", metavar="FILE.lav", help="analysis model (lavaan syntax); without --population "
                    "its fixed values are the standardized population")
    pw.add_argument("--population", metavar="FILE", help="standardized population model (.lav) or a pilot "
                    "study's results.json")
    pw.add_argument("--n", required=True, metavar="FROM:TO:STEP", help="sample sizes, e.g. 200:1000:100 or 150,300,600")
    pw.add_argument("--reps", type=int, default=1000, help="replications per sample size (default 1000)")
    pw.add_argument("--ci", choices=("mc", "bootstrap"), default="mc",
                    help="indirect-effect CI: mc = Monte Carlo (default) or percentile bootstrap")
    pw.add_argument("--bootstrap", type=int, default=0, metavar="B", help="bootstrap resamples per replication")
    pw.add_argument("--mc-draws", type=int, default=1000, metavar="D", help="Monte Carlo draws per replication")
    pw.add_argument("--response", choices=("likert", "continuous"),
                    help="simulated responses (default: likert for --instrument, else continuous)")
    pw.add_argument("--alpha", type=float, default=0.05, help="significance level (default .05)")
    pw.add_argument("--target", type=float, default=0.80, help="wanted power (default .80)")
    pw.add_argument("--seed", type=int, default=20261123)
    pw.add_argument("--scheduler", metavar="tcp://HOST:8786",
                    help="run on this Dask cluster (default: an embedded local cluster on all cores; "
                         "'synchronous': in this process)")
    pw.add_argument("--workers", type=int, help="local worker processes (default: all cores); results do not depend on it")
    pw.add_argument("--out", default="semtrust_power", help="output folder for power.json, the report "
                    "(power_report.html/.tex/.docx, power_tables.xlsx) and the power curves (power_curves.svg/.png)")
    pw.add_argument("--lang", choices=("en", "zh"),
                    help="language of the report (default: the instrument's report_language, else en)")

    proc = sub.add_parser("process", help="a PROCESS conditional process model (Hayes) on observed columns")
    proc.add_argument("data", help="data file (.csv, .xlsx, .sav) with the model's columns")
    proc.add_argument("--model", type=int, required=True, help="PROCESS model: 1 2 3 4 5 6 7 8 14 15 21 58 59")
    proc.add_argument("--x", required=True, help="the focal predictor X")
    proc.add_argument("--m", nargs="+", metavar="M", help="mediator(s): in parallel, or in causal order for "
                      "model 6 (serial mediation)")
    proc.add_argument("--w", help="the first moderator W")
    proc.add_argument("--z", help="the second moderator Z (models 2, 3, 21)")
    proc.add_argument("--y", required=True, help="the outcome Y")
    proc.add_argument("--cov", nargs="+", default=[], metavar="C", help="covariates (in every equation)")
    proc.add_argument("--bootstrap", type=int, default=5000, metavar="B", help="resamples (default 5000)")
    proc.add_argument("--seed", type=int, default=20240101)
    proc.add_argument("--hc", choices=("HC0", "HC1", "HC2", "HC3", "HC4"), help="heteroskedasticity-consistent SEs")
    proc.add_argument("--center", action="store_true", help="mean-centre the variables that form products")
    proc.add_argument("--conf", type=float, default=95, help="confidence level in percent (default 95)")
    proc.add_argument("--group", metavar="COLUMN", help="a categorical moderator (e.g. platform): the X (-> M) -> Y "
                      "paths by group with pairwise contrasts, Holm-adjusted")
    proc.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reports (default en)")
    proc.add_argument("--out", default="semtrust_output",
                      help="folder for results.json, the reports (HTML, LaTeX, Word) and the plots")
    return parser


def _process(args) -> int:
    from semtrust.io.output_folder import OutputFolder
    from semtrust.io.survey import read_survey
    from semtrust.process_run import commit_process
    from semtrust.structural.group_paths import compare_groups
    from semtrust.structural.moderation import process

    with OutputFolder(args.out, {"data": args.data}) as folder:   # checked and locked before the fit
        table = read_survey(args.data)
        result = process(table.frame, args.model, x=args.x, y=args.y, m=args.m, w=args.w, z=args.z,
                         covariates=args.cov, center=args.center, hc=args.hc, bootstrap=args.bootstrap,
                         seed=args.seed, conf=args.conf)
        groups = None
        if args.group:
            groups = compare_groups(table.frame, args.group, x=args.x, y=args.y, m=args.m, covariates=args.cov,
                                    hc=args.hc)
        paths = commit_process(folder, result, groups, data=args.data, lang=args.lang)
    print(result.summary())
    if groups is not None:
        print(groups.summary())
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _fit(args) -> int:
    from dataclasses import replace

    from semtrust import pipeline
    from semtrust.estimation.bootstrap import console_progress
    from semtrust.io.output_folder import OutputFolder
    from semtrust.io.study import is_study_file, resolve_config

    study_path = args.data if is_study_file(args.data) else None
    flags = dict(vars(args), data=None if study_path else args.data, screen=False if args.no_screen else None,
                 screening=None, ordered="all" if args.ordered == ["all"] else args.ordered,
                 global_items=_global_items(args.global_items))
    config = resolve_config(study_path, flags)
    if settings := _screening_settings(args):
        config = replace(config, screening={**(config.screening or {}), **settings})
    out = Path(config.out)
    _refuse_input_in_default_folder(out, config)
    say = (lambda m: None) if args.quiet else (lambda m: print(f"· {m}", file=sys.stderr))
    if study_path:
        say(f"study file {study_path}")
    with OutputFolder(out, config.input_files()) as folder:   # checked and locked before the fit
        study = pipeline.run(config, progress=say,
                             progress_bar=(lambda d, t: None) if args.quiet else console_progress("bootstrap"))
        files = study.output_files()
        say(f"writing {', '.join(files)}")
        paths = folder.commit(files)
    _summary(study.results, paths)
    return 0


def _global_items(pairs: list[str] | None) -> dict | None:
    """--global-item CONSTRUCT=COLUMN ... as {construct: column}; None when not given (the study
    file's ``global_items`` then stand).

    >>> _global_items(["CSOR=csor_global", "ATTR = attr_global"])
    {'CSOR': 'csor_global', 'ATTR': 'attr_global'}
    """
    if pairs is None:
        return None
    declared = {}
    for pair in pairs:
        construct, sep, column = (part.strip() for part in pair.partition("="))
        if not (sep and construct and column):
            raise InputError(f"--global-item {pair[:60]}: write CONSTRUCT=COLUMN, e.g. CSOR=csor_global")
        declared[construct] = column
    return declared


def _screening_settings(args) -> dict:
    """Screening settings from --screen-skip, --screen-flag and --screen-set KEY=VALUE; they
    override the study file's ``screening:`` block key by key."""
    from semtrust.model.instrument import parse_yaml

    settings = {}
    for pair in args.screen_set:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InputError(f"--screen-set {pair[:60]}: write KEY=VALUE, e.g. speed_fraction=0.5")
        settings[key.strip()] = parse_yaml(value, f"--screen-set {key.strip()[:60]}", "value",
                                           "write KEY=VALUE with a plain number, word or list")
    if args.screen_skip:
        settings["skip"] = args.screen_skip
    if args.screen_flag is not None:
        settings["flag_only"] = args.screen_flag
    return settings


def _refuse_input_in_default_folder(out: Path, config) -> None:
    """The default output folder is rewritten by every run, so it may not hold the run's input
    (refitting semtrust_output/cleaned_data.csv would otherwise replace the file being read)."""
    from semtrust.config import RunConfig

    if config.out != RunConfig.out:
        return
    for key, path in config.input_files().items():
        if out.resolve() in Path(path).resolve().parents:
            raise InputError(f"{path}: the {key} file is inside the default output folder {out}, which this run "
                             "rewrites; give --out another folder (or move the file out first)")


def _summary(results: dict, paths: dict) -> None:
    from semtrust.report.format import apa

    def line(label, fit):
        kind = "robust" if "cfi_robust" in fit else "scaled"   # WLSMV with continuous variables: scaled only
        return (f"{label}: χ²({fit['df']}) = {fit['chisq']:.2f}, CFI = {apa(fit['cfi'], 3, True)}, "
                f"TLI = {apa(fit['tli'], 3, True)}, RMSEA = {apa(fit['rmsea'], 3, True)} "
                f"[{apa(fit['rmsea_ci_lower'], 3, True)}, {apa(fit['rmsea_ci_upper'], 3, True)}], "
                f"SRMR = {apa(fit['srmr'], 3, True)}"
                + (f"; {results['estimator']}: scaled χ² = {fit['chisq_scaled']:.2f}, {kind} CFI = "
                   f"{apa(fit[f'cfi_{kind}'], 3, True)}, {kind} RMSEA = {apa(fit[f'rmsea_{kind}'], 3, True)}"
                   if "chisq_scaled" in fit else ""))

    print(f"n = {results['n']} (of {results['input']['rows']} responses)")
    if results.get("screening"):
        screening = results["screening"]
        excluded = [f"{s['rule']} {s['excluded']}" for s in screening["steps"] if s["excluded"]]
        print(f"Screening: {screening['n_excluded']} of {screening['n_screened']} responses excluded"
              + (f" ({', '.join(excluded)})" if excluded else "")
              + (f", {len(screening['flagged'])} flagged" if screening["flagged"] else ""))
    if results.get("method") == "pls":
        _pls_summary(results)
    else:
        if results["fit"]["measurement"]:
            print(line("Measurement model", results["fit"]["measurement"]))
        print(line("Structural model ", results["fit"]["structural"]))
        _measurement_summary(results)
    if results["hypotheses"]:
        supported = [h["id"] for h in results["hypotheses"] if h["result"] == "supported"]
        print(f"Hypotheses supported: {len(supported)} of {len(results['hypotheses'])}"
              + (f" (not: {', '.join(h['id'] for h in results['hypotheses'] if h['result'] != 'supported')})"
                 if len(supported) < len(results["hypotheses"]) else ""))
    specific = [e for e in results["indirect_effects"] if e["kind"] == "indirect"]
    if specific:
        significant = [e for e in specific if e["ci_lower"] > 0 or e["ci_upper"] < 0]
        how = results["bootstrap"]
        method = f"{how['ci']} {how['method']} CI, {how['successful']} draws" if how else "delta-method CI"
        print(f"Specific indirect effects: {len(significant)} of {len(specific)} significant ({method})")
    for test in results.get("moderation") or []:
        print(f"Moderation {test['line']}")
    if results.get("cmb"):
        print(f"Common-method bias: {results['cmb']['decision']}")
    if results["invariance"]:
        steps = ", ".join(f"{s['model']}: {s['decision']}" for s in results["invariance"]["steps"][1:])
        print(f"Invariance across {results['invariance']['group']}: {steps}")
    for warning in results["warnings"]:
        print(f"warning: {warning}")
    print("Wrote " + ", ".join(str(p) for p in paths.values()))


def _pls_summary(results: dict) -> None:
    """PLS-SEM in three lines: the estimator and bootstrap, reliability and validity, R²; and the
    redundancy analysis when global items were declared."""
    from semtrust.report.format import apa

    pls = results["pls"]
    how = results["bootstrap"]
    print(f"PLS-SEM ({results['estimator']}, {pls['settings']['weighting']} weighting"
          + (f", {how['successful']} {how['ci']} bootstrap resamples)" if how else ", no bootstrap)"))
    weak = [r["construct"] for r in pls["reliability"] if r["rho_c"] < 0.7 or r["ave"] < 0.5]
    htmt = max((r for r in pls["htmt"] if r["htmt"] is not None), key=lambda r: r["htmt"], default=None)
    print(f"Reliability (ρ_C ≥ .70) and convergent validity (AVE ≥ .50) met by {len(pls['reliability']) - len(weak)} "
          f"of {len(pls['reliability'])} constructs" + (f" (not: {', '.join(weak)})" if weak else "")
          + (f"; largest HTMT {htmt['construct_2']}–{htmt['construct_1']} = {apa(htmt['htmt'], 3, True)}" if htmt else ""))
    print("R²: " + ", ".join(f"{r['construct']} {apa(r['r2'], 3, True)}" for r in pls["r2"]))
    if pls.get("redundancy"):
        print("Redundancy analysis (path to the global item ≥ .70): "
              + ", ".join(f"{r['construct']} {apa(r['path'], 3, True)}{'' if r['convergent'] else ' (not met)'}"
                          for r in pls["redundancy"]))


def _measurement_summary(results: dict) -> None:
    """One line: constructs meeting the reliability and convergent-validity criteria (loadings
    of .40-.70 flagged for review, as the report does), and the largest HTMT."""
    from semtrust.report.format import apa
    from semtrust.report.verdicts import construct_verdicts

    verdicts = construct_verdicts(results)
    if not verdicts:
        return
    missed = [c for c, v in verdicts.items() if not (v["reliable"] and v["convergent"] and v["fornell_larcker"])]
    review = sorted(i for v in verdicts.values() for i in v["review_items"])
    text = f"Reliability and validity criteria met by {len(verdicts) - len(missed)} of {len(verdicts)} constructs"
    if missed:
        text += f" (not: {', '.join(missed)})"
    if review:
        text += f"; loadings .40-.70 to review: {', '.join(review)}"
    pairs = [(value, a, b) for a, row in (results.get("htmt") or {}).items() for b, value in row.items()
             if value is not None and a < b]
    if pairs:
        value, a, b = max(pairs)
        interval = ((results.get("htmt_ci") or {}).get(a) or {}).get(b)
        text += f"; largest HTMT {a}–{b} = {apa(value, 3, True)}"
        if interval:
            text += f" [{apa(interval[0], 3, True)}, {apa(interval[1], 3, True)}]"
    print(text)


def _instrument(args) -> int:
    from semtrust.model.instrument import bundled_instruments, load_instrument

    if args.action == "list":
        for instrument_id in bundled_instruments():
            inst = load_instrument(instrument_id)
            print(f"{inst.id:22s} {len(inst.constructs):2d} constructs, {len(inst.items):2d} items, "
                  f"{len(inst.hypotheses):2d} hypotheses"
                  + (f", moderators {', '.join(c.id for c in inst.moderators)}" if inst.moderators else "")
                  + f"  {inst.title['en']} / {inst.title['zh']}")
        return 0
    inst = load_instrument(args.id)
    if args.format == "json":
        print(json.dumps(inst.to_dict(), ensure_ascii=False, indent=2))
    elif args.format in ("docx", "wjx"):
        from semtrust.report.questionnaire import to_docx, to_wjx
        if args.format == "docx":
            if not args.out:
                raise InputError("instrument show --format docx: give the Word file to write with --out FILE.docx")
            Path(args.out).write_bytes(to_docx(inst, args.lang))
            print(f"Wrote {args.out}")
        else:
            text = to_wjx(inst, args.lang)
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
            else:
                print(text, end="")
    elif args.format in ("md", "html"):
        from semtrust.report.render import render
        data = inst.to_dict()
        items = inst.questionnaire_items()
        print(render(f"questionnaire.{args.format}.j2",
                     {"inst": data, "items": items, "lang": args.lang, "intro": INTRO[args.lang]}), end="")
    else:
        lang = args.lang
        print(f"{inst.title[lang]} [{inst.id} v{inst.version}]")
        print("Response scale: " + "; ".join(f"{k} = {v[lang]}" for k, v in inst.scale.anchors.items()))
        for c in inst.constructs:
            print(f"\n{c.id}  {c.name[lang]} ({c.role})")
            for item in c.items:
                flag = " (R)" if item.reverse else ""
                print(f"  {item.id}{flag}  {item.text[lang]}\n        source: {item.source}")
        print("\nHypotheses:")
        for h in inst.hypotheses:
            print(f"  {h.id}: {h.source} -> {h.target} ({h.sign})")
        if inst.moderators:
            print("\nModerators (outside the model; semtrust fit --moderator ID):")
            for c in inst.moderators:
                print(f"\n{c.id}  {c.name[lang]} ({c.role})")
                for item in c.items:
                    print(f"  {item.id}  {item.text[lang]}\n        source: {item.source}")
            print("\nModeration hypotheses (sign of the interaction):")
            for h in inst.moderation_hypotheses:
                print(f"  {h.id}: {h.describe()} ({h.sign}), PROCESS model {h.process_model}")
        if inst.attention_checks:
            print("\nAttention checks:")
            for a in inst.attention_checks:
                print(f"  {a.id} (after {a.after}; correct: {', '.join(map(str, a.correct))})  {a.text[lang]}")
    return 0


def _simulate(args) -> int:
    from semtrust.model.instrument import load_instrument
    from semtrust.model.simulate import write_simulation

    if args.n < 10:
        raise InputError(f"--n {args.n}: simulate at least 10 respondents")
    instrument = load_instrument(args.instrument)
    if args.moderators and not instrument.moderators:
        raise InputError(f"--moderators: the instrument {instrument.id} declares no moderators (add a "
                         "moderators: block to its YAML)")
    csv_path, truth_path = write_simulation(instrument, args.n, args.seed, args.out, args.moderators)
    print(f"Wrote {csv_path} and {truth_path}")
    return 0


def _power(args) -> int:
    from semtrust.estimation.bootstrap import console_progress
    from semtrust.io.output_folder import OutputFolder
    from semtrust.power import power

    try:
        if ":" in args.n:
            first, last, step = (int(v) for v in args.n.split(":"))
            sizes = list(range(first, last + 1, step))
        else:
            sizes = [int(v) for v in args.n.split(",")]
    except ValueError:
        raise InputError(f"--n {args.n}: write FROM:TO:STEP (e.g. 200:1000:100) or a list (150,300,600)") from None
    inputs = {role: path for role, path in (("model", args.model), ("population", args.population),
                                            ("instrument", args.instrument)) if path and os.path.isfile(path)}
    with OutputFolder(args.out, inputs, family="power") as folder:   # checked and locked before the replications
        result = power(instrument=args.instrument, model=Path(args.model) if args.model else None,
                       population=Path(args.population) if args.population else None, n=sizes, reps=args.reps,
                       ci=args.ci, bootstrap=args.bootstrap, mc_draws=args.mc_draws, alpha=args.alpha,
                       target=args.target, seed=args.seed, scheduler=args.scheduler, workers=args.workers,
                       response=args.response, progress=console_progress("power"))
        print(result.console_summary())
        paths = folder.commit(result.output_files(args.lang))
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived: unwinds the run, which stops the bootstrap workers and leaves
    the output folder as it was (a BaseException, so no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop(signum, frame):
    for each in STOP_SIGNALS:   # a second Ctrl-C does not interrupt the clean-up
        signal.signal(each, signal.SIG_IGN)
    raise Stopped(signum)


def main(argv: list[str] | None = None) -> int:
    """Run the ``semtrust`` command with ``argv`` (default: the process's arguments); returns the
    exit code (0, 2 for bad input, 3 for estimation problems).

    >>> main(["instrument", "list"])  # doctest: +ELLIPSIS
    sor_live_commerce  ...
    trust_mechanism  ...
    0
    """
    args = _parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {each: signal.signal(each, _stop) for each in STOP_SIGNALS} if in_main_thread else {}
    try:
        return _run(args)
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


def _run(args) -> int:
    handlers = {"fit": _fit, "instrument": _instrument, "simulate": _simulate, "process": _process,
                "power": _power}
    try:
        return handlers[args.command](args)
    except SemtrustError as error:
        print(f"semtrust: error: {error}", file=sys.stderr)
        return error.exit_code
    except (Stopped, KeyboardInterrupt) as stop:
        signum = getattr(stop, "signum", signal.SIGINT)
        print(f"semtrust: stopped by {signal.Signals(signum).name}; outputs are written only when a run "
              "completes", file=sys.stderr)
        return 128 + signum
    except (OSError, MemoryError) as error:
        print(f"semtrust: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a bug: one line for the user, the traceback on request
        if os.environ.get("SEMTRUST_DEBUG"):
            raise
        print(f"semtrust: internal error: {type(error).__name__}: {error} "
              "(rerun with SEMTRUST_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        return 1


def console() -> None:
    """The ``semtrust`` executable: :func:`main`, then exit with its code. A run stopped by a
    signal exits at once: the worker pool's threads may still wait on workers that were just
    terminated (a result half written), and the interpreter would join them forever.

    >>> import subprocess, sys
    >>> done = subprocess.run([sys.executable, "-c", "from semtrust.cli import console; console()", "--version"], capture_output=True, text=True)
    >>> done.returncode, done.stdout.startswith("semtrust")
    (0, True)
    """
    code = main()
    if code in (128 + signal.SIGINT, 128 + signal.SIGTERM):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
