"""Fixtures for semtrust.structural.latent_interaction (tests/test_latent_interaction.py reads them).

Reference: R with lavaan and semTools (apt r-cran-lavaan r-cran-semtools r-cran-jsonlite):
``indProd(..., match, meanC = TRUE, doubleMC = TRUE)`` builds the product indicators,
``sem()`` fits Y ~ X + W + XW (for all pairs with the residual covariances of products sharing an
indicator), ``probe2WayMC()`` gives the simple slopes of X at W = -1, 0, 1; the latent first-stage
moderated mediation (M ~ X + W + XW, O ~ M + X) gives the conditional indirect effects at W = -1,
0, 1 and the index of moderated mediation as ``:=`` parameters (delta method); so does the latent
second-stage moderated mediation (M ~ X, O ~ M + W + MW + X, products of M's and W's indicators).

Run from the repository root: python tests/conformance/make_latent_interaction_fixtures.py
It writes tests/conformance/data/latent_interaction_sim.csv (seeded, n = 400) and
tests/conformance/fixtures/latent_interaction.json.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "latent_interaction_sim.csv"
FIXTURE = HERE / "fixtures" / "latent_interaction.json"

R_SCRIPT = r"""
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
out <- list()
for (match in c(TRUE, FALSE)) {
  dd <- indProd(d, var1 = c("x1", "x2", "x3"), var2 = c("w1", "w2", "w3"), match = match,
                meanC = TRUE, residualC = FALSE, doubleMC = TRUE)
  prods <- setdiff(names(dd), names(d))
  model <- paste0("X =~ x1 + x2 + x3\nW =~ w1 + w2 + w3\nXW =~ ", paste(prods, collapse = " + "),
                  "\nY =~ y1 + y2 + y3\nY ~ X + W + XW\n")
  if (!match) {
    pairs <- strsplit(prods, ".", fixed = TRUE)
    for (i in seq_along(pairs)) for (j in seq_along(pairs)) if (i < j &&
        (pairs[[i]][1] == pairs[[j]][1] || pairs[[i]][2] == pairs[[j]][2]))
      model <- paste0(model, prods[i], " ~~ ", prods[j], "\n")
  }
  fit <- sem(model, data = dd)
  pe <- parameterEstimates(fit)
  probe <- probe2WayMC(fit, nameX = c("X", "W", "XW"), nameY = "Y", modVar = "W", valProbe = c(-1, 0, 1))
  out[[if (match) "matched" else "all_pairs"]] <- list(
    products = prods, first_rows = dd[1:5, prods],
    paths = pe[pe$op == "~", c("lhs", "rhs", "est", "se", "z", "pvalue")],
    w_variance = pe$est[pe$lhs == "W" & pe$op == "~~" & pe$rhs == "W"],
    chisq = fitMeasures(fit, "chisq"), df = fitMeasures(fit, "df"),
    simple_slopes = probe$SimpleSlope)
}
dd <- indProd(d, var1 = c("x1", "x2", "x3"), var2 = c("w1", "w2", "w3"))
model <- "X =~ x1 + x2 + x3\nW =~ w1 + w2 + w3\nXW =~ x1.w1 + x2.w2 + x3.w3\nM =~ m1 + m2 + m3\nO =~ o1 + o2 + o3
M ~ a1*X + W + a3*XW\nO ~ b*M + X
ind_minus := (a1 - a3) * b\nind_zero := a1 * b\nind_plus := (a1 + a3) * b\nimm := a3 * b\n"
fit <- sem(model, data = dd)
pe <- parameterEstimates(fit)
probe <- probe2WayMC(fit, nameX = c("X", "W", "XW"), nameY = "M", modVar = "W", valProbe = c(-1, 0, 1))
out[["mediated"]] <- list(
  paths = pe[pe$op == "~", c("lhs", "rhs", "est", "se", "z", "pvalue")],
  defined = pe[pe$op == ":=", c("lhs", "est", "se", "z", "pvalue")],
  chisq = fitMeasures(fit, "chisq"), df = fitMeasures(fit, "df"), simple_slopes = probe$SimpleSlope)
dd <- indProd(d, var1 = c("m1", "m2", "m3"), var2 = c("w1", "w2", "w3"))
model <- "X =~ x1 + x2 + x3\nW =~ w1 + w2 + w3\nMW =~ m1.w1 + m2.w2 + m3.w3\nM =~ m1 + m2 + m3\nO =~ o1 + o2 + o3
M ~ a*X\nO ~ b1*M + W + b3*MW + X
ind_minus := a * (b1 - b3)\nind_zero := a * b1\nind_plus := a * (b1 + b3)\nimm := a * b3\n"
fit <- sem(model, data = dd)
pe <- parameterEstimates(fit)
probe <- probe2WayMC(fit, nameX = c("M", "W", "MW"), nameY = "O", modVar = "W", valProbe = c(-1, 0, 1))
out[["second_stage"]] <- list(
  paths = pe[pe$op == "~", c("lhs", "rhs", "est", "se", "z", "pvalue")],
  defined = pe[pe$op == ":=", c("lhs", "est", "se", "z", "pvalue", "ci.lower", "ci.upper")],
  chisq = fitMeasures(fit, "chisq"), df = fitMeasures(fit, "df"), simple_slopes = probe$SimpleSlope)
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def simulate(seed: int = 20251206, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    w = 0.3 * x + rng.normal(scale=0.95, size=n)
    y = 0.4 * x + 0.25 * w + 0.3 * x * w + rng.normal(scale=0.8, size=n)
    m = 0.45 * x + 0.2 * w + 0.25 * x * w + rng.normal(scale=0.8, size=n)
    o = 0.4 * m + 0.15 * x + rng.normal(scale=0.8, size=n)
    columns = {}
    for name, factor, loadings in (("x", x, (1.0, 0.8, 0.9)), ("w", w, (1.0, 0.7, 1.1)), ("y", y, (1.0, 0.9, 0.8)),
                                   ("m", m, (1.0, 0.85, 0.95)), ("o", o, (1.0, 0.8, 0.9))):
        for i, loading in enumerate(loadings, start=1):
            columns[f"{name}{i}"] = 4 + loading * factor + rng.normal(scale=0.55, size=n)
    return pd.DataFrame(columns).round(5)


def main() -> None:
    data = simulate()
    data.to_csv(DATA, index=False)
    out = subprocess.run(["Rscript", "-e", R_SCRIPT, str(DATA)], capture_output=True, text=True, check=True).stdout
    FIXTURE.write_text(json.dumps(json.loads(out), indent=1) + "\n")
    print("wrote", FIXTURE)


if __name__ == "__main__":
    main()
