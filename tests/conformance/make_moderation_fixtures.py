"""Fixtures for the PROCESS models of semtrust.structural.moderation (tests/test_moderation.py reads the JSON).

Reference tools, needed only to run this script (not runtime dependencies of semtrust):
- pyprocessmacro 2.2 (PyPI), the Python port of Hayes's PROCESS: coefficients, SEs (classical and
  HC0-HC3), conditional direct and indirect effects at the 16th/50th/84th percentiles and at the
  mean and one SD either side, percentile bootstrap CIs (5,000 resamples), the indices of
  moderated mediation and the Johnson-Neyman points of the direct effect (its floodlight analysis);
- R with the sandwich package (apt r-cran-sandwich) for HC4, which pyprocessmacro lacks;
- numpy by hand where pyprocessmacro has no output: the R² change of the highest-order
  interactions (full minus reduced OLS R², Wald F from pyprocessmacro's coefficient covariance)
  and the Johnson-Neyman points of model 3's X*W interaction along Z (roots of t(z)^2 = t_crit^2
  found by bracketing with scipy's brentq, not by the closed-form quadratic semtrust uses);
- R lm per group and p.adjust(method = "holm") for the categorical-moderator contrasts.

pyprocessmacro uses PROCESS 2.16's letters; this script maps PROCESS 3 names onto them (models 1-3:
W is its m, Z its w; models 14 and 15: W is its v; model 21: Z is its v).

Run from the repository root: python tests/conformance/make_moderation_fixtures.py
It writes tests/conformance/data/moderation_sim.csv (seeded simulation, n = 300) and
tests/conformance/fixtures/moderation.json.
"""
from __future__ import annotations

import io
import json
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "moderation_sim.csv"
FIXTURE = HERE / "fixtures" / "moderation.json"
BOOT = 5000

# PROCESS 3 role -> pyprocessmacro keyword, by model
LETTERS = {1: {"w": "m"}, 2: {"w": "m", "z": "w"}, 3: {"w": "m", "z": "w"}, 14: {"w": "v"},
           15: {"w": "v"}, 21: {"w": "w", "z": "v"}}

CASES = [
    dict(name="model1", model=1, x="x", w="w", y="y", covariates=["c1"]),
    dict(name="model1_hc3_center", model=1, x="x", w="w", y="y", hc="HC3", center=True),
    dict(name="model1_hc4", model=1, x="x", w="w", y="y", covariates=["c1"], hc="HC4"),
    dict(name="model1_dichotomous", model=1, x="x", w="d", y="y"),
    dict(name="model1_conf90", model=1, x="x", w="w", y="y", conf=90),
    dict(name="model2", model=2, x="x", w="w", z="z", y="y"),
    dict(name="model3", model=3, x="x", w="w", z="z", y="y", covariates=["c1"]),
    dict(name="model4", model=4, x="x", m=["m1", "m2"], y="y", covariates=["c1"]),
    dict(name="model5", model=5, x="x", m=["m1"], w="w", y="y"),
    dict(name="model7", model=7, x="x", m=["m1", "m2"], w="w", y="y", covariates=["c1"]),
    dict(name="model7_hc0", model=7, x="x", m=["m1"], w="w", y="y", hc="HC0"),
    dict(name="model7_conf90", model=7, x="x", m=["m1"], w="w", y="y", conf=90),
    dict(name="model8", model=8, x="x", m=["m1"], w="w", y="y"),
    dict(name="model14", model=14, x="x", m=["m1"], w="w", y="y", covariates=["c1"]),
    dict(name="model14_hc1_center", model=14, x="x", m=["m1"], w="w", y="y", hc="HC1", center=True),
    dict(name="model15", model=15, x="x", m=["m1"], w="w", y="y", hc="HC2"),
    dict(name="model21", model=21, x="x", m=["m1"], w="w", z="z", y="y"),
    dict(name="model58", model=58, x="x", m=["m1"], w="w", y="y"),
    dict(name="model59", model=59, x="x", m=["m1"], w="w", y="y", covariates=["c1"]),
]


def simulate(seed: int = 20251205, n: int = 300) -> pd.DataFrame:
    """Moderated mediation data: W moderates X->M1 and M1->Y, Z moderates M1->Y and X->Y,
    heteroskedastic errors so the HC options differ, a dichotomous D and a platform group."""
    rng = np.random.default_rng(seed)
    x = rng.normal(4, 1.2, n)
    w = rng.normal(3.5, 1.0, n)
    z = rng.normal(0, 1.0, n)
    c1 = rng.normal(0, 1, n)
    d = rng.integers(0, 2, n).astype(float)
    platform = rng.choice(["Douyin", "Kuaishou", "Taobao Live"], n)
    slope = np.select([platform == "Douyin", platform == "Kuaishou"], [0.6, 0.3], 0.1)
    m1 = 0.4 * x + 0.3 * w + 0.25 * (x - 4) * (w - 3.5) + 0.2 * c1 + rng.normal(0, 1, n) * (0.7 + 0.15 * np.abs(x - 4))
    m2 = 0.3 * x + slope * x + 0.1 * c1 + rng.normal(0, 1, n)
    y = (0.35 * m1 + 0.2 * m2 + 0.15 * x + 0.2 * (m1 - m1.mean()) * (w - 3.5) + 0.15 * (x - 4) * z
         + 0.1 * (x - 4) * (w - 3.5) * z + 0.3 * d * (x - 4) + 0.1 * c1 + rng.normal(0, 1, n) * (0.8 + 0.1 * np.abs(w - 3.5)))
    return pd.DataFrame({"x": x, "w": w, "z": z, "d": d, "m1": m1, "m2": m2, "y": y, "c1": c1,
                         "platform": platform}).round(6)


def factors(term: str, case: dict) -> list[str]:
    return sorted("const" if f == "Cons" else f for f in term.split("*"))


def _fit(data: pd.DataFrame, case: dict, spotlight: str, boot: int):
    # the reference is imported here only, so pytest can collect this module without it
    from pyprocessmacro import Process

    roles = {LETTERS.get(case["model"], {}).get(r, r): case[r] for r in ("w", "z") if r in case}
    if "m" in case:
        roles["m"] = case["m"] if len(case["m"]) > 1 else case["m"][0]
    hc = case.get("hc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Process(data, model=case["model"], x=case["x"], y=case["y"], controls=case.get("covariates") or None,
                       boot=boot, seed=12345, percent=True, conf=case.get("conf", 95), spotlight=spotlight, center=case.get("center", False),
                       cov_type=hc if hc in ("HC0", "HC1", "HC2", "HC3") else "standard", suppr_init=True,
                       total=case["model"] == 4, **roles)


def stat_row(row) -> dict:
    return {k: float(row[c]) for k, c in (("effect", "estimate"), ("se", "std_error"), ("t", "statistic"),
                                          ("p", "p_value"), ("llci", "conf_low"), ("ulci", "conf_high"))
            if pd.notna(row[c])}


def _moderator_values(row, moderators: list[str]) -> dict:
    return {m: float(row[m]) for m in moderators if m in row and pd.notna(row[m])}


def _interactions(fit, case: dict) -> list[dict]:
    """R² change and Wald F of each highest-order product, by hand from pyprocessmacro's design."""
    out = []
    for outcome, model in fit.outcome_models.items():
        names = list(model._exogvars)
        products = [t for t in names if "*" in t]
        if not products:
            continue
        top = max(t.count("*") for t in products)
        highest = [t for t in products if t.count("*") == top]
        tests = [[t] for t in highest] + ([highest] if len(highest) > 1 else [])
        exog, endog = model._exog, model._endog
        res = model.estimation_results
        total = np.sum((endog - endog.mean()) ** 2)
        for dropped in tests:
            idx = [names.index(t) for t in dropped]
            keep = [i for i in range(len(names)) if i not in idx]
            beta = np.linalg.lstsq(exog[:, keep], endog, rcond=None)[0]
            r2_reduced = 1 - np.sum((endog - exog[:, keep] @ beta) ** 2) / total
            b = np.asarray(res["betas"])[idx]
            f = float(b @ np.linalg.solve(np.asarray(res["vcv"])[np.ix_(idx, idx)], b)) / len(idx)
            term = "both" if len(dropped) > 1 else [fit._symb_to_var.get(s, s) for s in dropped[0].split("*")]
            out.append(dict(outcome=fit._symb_to_var.get(outcome, outcome) if outcome in fit._symb_to_var else outcome,
                            term=term if term == "both" else sorted(term), r2_change=float(res["R2"] - r2_reduced),
                            F=f, df1=len(idx), df2=int(res["df_e"]), p=float(stats.f.sf(f, len(idx), res["df_e"]))))
    return out


def _jn(fit, case: dict) -> list[float]:
    model = case["model"]
    w = case.get("w")
    if model in (1, 5, 8, 15, 59) and len(np.unique(fit._data[LETTERS.get(model, {}).get("w", "w")])) > 2:
        analysis = fit.floodlight_direct_effect(w, atol=1e-12, rtol=1e-12)
        low, high = analysis.modval_range
        bounds = [b for region in analysis.sig_regions for b in region]
        return sorted(float(b) for b in bounds if not (np.isclose(b, low) or np.isclose(b, high)))
    if model == 3:   # X*W interaction along Z
        y_model = fit.outcome_models["y"]
        names = list(y_model._exogvars)
        b, v = np.asarray(y_model.estimation_results["betas"]), np.asarray(y_model.estimation_results["vcv"])
        i, j = names.index("x*m"), names.index("x*m*w")
        df = y_model.estimation_results["df_e"]
        crit = stats.t.ppf(0.975, df)
        zs = fit._data["w"]

        def excess(value):
            g = np.zeros(len(b))
            g[i], g[j] = 1.0, value
            return (g @ b) ** 2 / (g @ v @ g) - crit ** 2

        grid = np.linspace(zs.min(), zs.max(), 2001)
        signs = np.sign([excess(g) for g in grid])
        return [float(optimize.brentq(excess, grid[k], grid[k + 1], xtol=1e-12))
                for k in np.flatnonzero(np.diff(signs) != 0)]
    return []


def _conditional_interactions(fits: dict, case: dict) -> list[dict]:
    """Model 3's X*W interaction at the probed values of Z, by hand from pyprocessmacro's
    coefficients and covariance (t test on the residual df, as PROCESS prints it)."""
    rows = []
    for probe, fit in fits.items():
        y_model = fit.outcome_models["y"]
        names = list(y_model._exogvars)
        b, v = np.asarray(y_model.estimation_results["betas"]), np.asarray(y_model.estimation_results["vcv"])
        df = y_model.estimation_results["df_e"]
        for value in sorted(set(fit.tidy().query("component == 'direct'")[case["z"]])):
            g = np.zeros(len(b))
            g[names.index("x*m")], g[names.index("x*m*w")] = 1.0, value
            est, se = float(g @ b), float(np.sqrt(g @ v @ g))
            crit = stats.t.ppf(0.975, df)
            rows.append({"probe": probe, "at": {case["z"]: float(value)}, "effect": est, "se": se, "t": est / se,
                         "p": float(2 * stats.t.sf(abs(est / se), df)), "llci": est - crit * se,
                         "ulci": est + crit * se})
    return rows


def _hc4(data: pd.DataFrame, case: dict) -> dict:
    """HC4 standard errors of the model-1 equation from R's sandwich::vcovHC."""
    columns = [case["x"], case["w"], case["y"], *case.get("covariates", [])]
    formula = f"{case['y']} ~ {case['x']} * {case['w']}" + "".join(f" + {c}" for c in case.get("covariates", []))
    script = (f"d <- read.csv(file('stdin')); fit <- lm({formula}, data = d); "
              "s <- sqrt(diag(sandwich::vcovHC(fit, type = 'HC4'))); "
              "write.csv(data.frame(term = names(coef(fit)), b = coef(fit), se = s), stdout(), row.names = FALSE)")
    out = subprocess.run(["Rscript", "-e", script], input=data[columns].to_csv(index=False), text=True,
                         capture_output=True, check=True).stdout
    table = pd.read_csv(io.StringIO(out))
    return {":".join(sorted("const" if f == "(Intercept)" else f for f in t.split(":"))): float(s)
            for t, s in zip(table.term, table.se)}


GROUP_SCRIPT = r"""
d <- read.csv(file("stdin"))
hc <- commandArgs(trailingOnly = TRUE)[1]
paths <- list()
for (g in sort(unique(d$platform))) {
  part <- d[d$platform == g, ]
  for (eq in list(c("m1", "x"), c("y", "x", "m1"))) {
    fit <- lm(reformulate(c(eq[-1], "c1"), eq[1]), data = part)
    v <- if (hc == "none") vcov(fit) else sandwich::vcovHC(fit, type = hc)
    for (pred in eq[-1]) {
      b <- coef(fit)[[pred]]; se <- sqrt(v[pred, pred]); t <- b / se
      paths[[length(paths) + 1]] <- data.frame(
        path = paste(eq[1], "~", pred), group = g, n = nrow(part), b = b, se = se, t = t,
        p = 2 * pt(-abs(t), df.residual(fit)), beta = b * sd(part[[pred]]) / sd(part[[eq[1]]]))
    }
  }
}
paths <- do.call(rbind, paths)
contrasts <- list()
for (path in unique(paths$path)) {
  p <- paths[paths$path == path, ]
  pairs <- combn(nrow(p), 2)
  diff <- p$b[pairs[1, ]] - p$b[pairs[2, ]]
  se <- sqrt(p$se[pairs[1, ]]^2 + p$se[pairs[2, ]]^2)
  pz <- 2 * pnorm(-abs(diff / se))
  contrasts[[path]] <- data.frame(path = path, group_1 = p$group[pairs[1, ]], group_2 = p$group[pairs[2, ]],
                                  difference = diff, se = se, z = diff / se, p = pz,
                                  p_holm = p.adjust(pz, method = "holm"))
}
write.csv(paths, stdout(), row.names = FALSE)
cat("--\n")
write.csv(do.call(rbind, contrasts), stdout(), row.names = FALSE)
"""


def group_fixture(data: pd.DataFrame, hc: str) -> dict:
    """Per-platform paths of x -> m1 -> y (covariate c1) and their Holm-adjusted contrasts, from R lm."""
    out = subprocess.run(["Rscript", "-e", GROUP_SCRIPT, hc], input=data.to_csv(index=False), text=True,
                         capture_output=True, check=True).stdout
    paths, contrasts = out.split("--\n")
    return {"hc": None if hc == "none" else hc,
            "paths": pd.read_csv(io.StringIO(paths)).to_dict("records"),
            "contrasts": pd.read_csv(io.StringIO(contrasts)).to_dict("records")}


def case_fixture(data: pd.DataFrame, case: dict) -> dict:
    moderators = [case[r] for r in ("w", "z") if r in case]
    fixture = {"case": {k: v for k, v in case.items() if k != "name"}, "coefficients": [], "direct": [],
               "indirect": [], "index": [], "jn": [], "interactions": []}
    fit_by_probe = {}
    for spotlight, probe in (("percentiles", "percentiles"), ("moments", "moments")):
        fit = fit_by_probe[probe] = _fit(data, case, spotlight, BOOT if "m" in case else 0)
        tidy = fit.tidy()
        if probe == "percentiles":
            for _, row in tidy[tidy.component == "outcome"].iterrows():
                fixture["coefficients"].append({"outcome": row.outcome, "term": factors(row.term, case),
                                                **stat_row(row)})
            fixture["interactions"] = _interactions(fit, case)
            fixture["jn"] = _jn(fit, case)
            fixture["n"] = int(fit._n_obs) if hasattr(fit, "_n_obs") else len(data)
        for _, row in tidy[tidy.component == "direct"].iterrows():
            fixture["direct"].append({"probe": probe, "at": _moderator_values(row, moderators), **stat_row(row)})
        for _, row in tidy[tidy.component.isin(["indirect", "total"])].iterrows():
            fixture["indirect"].append({"probe": probe, "mediator": "TOTAL" if row.component == "total" else row.term,
                                        "at": _moderator_values(row, moderators), **stat_row(row)})
        kinds = {"index_mm": "moderated mediation", "index_mmm": "moderated moderated mediation",
                 "index_cmm": "conditional moderated mediation"}
        for _, row in tidy[tidy.component.isin(kinds)].iterrows():
            if row.component == "index_mm" and probe == "moments":
                continue
            fixture["index"].append({"probe": probe, "index": kinds[row.component], "mediator": row.term,
                                     "moderator": row.moderator if isinstance(row.moderator, str) else None, "at": _moderator_values(row, moderators),
                                     **stat_row(row)})
    if case["model"] == 3:
        fixture["conditional_interactions"] = _conditional_interactions(fit_by_probe, case)
    if case.get("hc") == "HC4":
        se = _hc4(data, case)
        for row in fixture["coefficients"]:
            row["se"] = se[":".join(row["term"])]
            for key in ("t", "p", "llci", "ulci"):
                row.pop(key, None)
        fixture["direct"], fixture["jn"], fixture["interactions"] = [], [], []
    return fixture


def main() -> None:
    data = simulate()
    DATA.parent.mkdir(exist_ok=True)
    data.to_csv(DATA, index=False)
    fixtures = {"bootstrap": BOOT, "cases": {}, "groups": [group_fixture(data, hc) for hc in ("none", "HC3")]}
    for case in CASES:
        print("·", case["name"], flush=True)
        fixture = case_fixture(data, case)
        for key in ("direct", "indirect", "index"):   # pyprocessmacro's row order varies between runs
            fixture[key].sort(key=lambda row: json.dumps([row["probe"], row.get("mediator"), row.get("index"),
                                                          row.get("moderator"), sorted(row["at"].items())]))
        fixtures["cases"][case["name"]] = fixture
    FIXTURE.write_text(json.dumps(fixtures, indent=1) + "\n")
    print("wrote", FIXTURE)


if __name__ == "__main__":
    main()
