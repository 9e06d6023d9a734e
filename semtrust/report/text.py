"""Report stage: a plain-text summary in the layout of lavaan's ``summary(fit, standardized = TRUE)``.

>>> results = {"semtrust_version": "0.1.0", "estimator": "ML", "missing": "listwise", "n": 301, "input": {"rows": 301},
...            "fit": {"measurement": None, "structural": {"chisq": 85.306, "df": 24, "pvalue": 0.0,
...                    "cfi": 0.931, "tli": 0.896, "rmsea": 0.092, "rmsea_ci_lower": 0.071,
...                    "rmsea_ci_upper": 0.114, "srmr": 0.065, "aic": 7535.49, "bic": 7646.7}},
...            "parameters": [{"lhs": "visual", "op": "=~", "rhs": "x1", "est": 1.0, "se": 0.0, "z": None,
...                            "pvalue": None, "std_all": 0.772}]}
>>> print(summary_text(results))  # doctest: +NORMALIZE_WHITESPACE
semtrust 0.1.0 ended normally
<BLANKLINE>
  Estimator                                         ML
  Missing data                                listwise
  Number of observations                           301
<BLANKLINE>
Model Test User Model (structural):
  Test statistic                                85.306
  Degrees of freedom                                24
  P-value (Chi-square)                           0.000
  CFI                                            0.931
  TLI                                            0.896
  RMSEA                                          0.092
  90 Percent confidence interval        0.071    0.114
  SRMR                                           0.065
  AIC                                         7535.490
  BIC                                         7646.700
<BLANKLINE>
Latent Variables:
                   Estimate  Std.Err  z-value  P(>|z|)   Std.all
  visual =~
    x1                1.000                                0.772
"""
from __future__ import annotations

import math

__all__ = ["summary_text"]

SECTIONS = (("=~", "Latent Variables"), ("~", "Regressions"), ("~~", "Covariances and variances"),
            ("~1", "Intercepts"), ("|", "Thresholds"), (":=", "Defined Parameters"))


def _number(value, width: int = 9, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return " " * width
    return f"{value:{width}.{digits}f}"


def _line(label: str, value: str) -> str:
    return f"  {label:<40}{value:>10}"


def summary_text(results: dict) -> str:
    """The fit statistics of each model, then its parameters grouped by operator.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(200, 1)); g = 0.5 * f + rng.normal(scale=0.8, size=(200, 1))
    >>> df = pd.DataFrame(np.hstack([f, f, f, g, g, g]) + rng.normal(scale=0.7, size=(200, 6)), columns=["x1", "x2", "x3", "y1", "y2", "y3"])
    >>> study = st.fit(df, model="X =~ x1 + x2 + x3\\nY =~ y1 + y2 + y3\\nY ~ X", bootstrap=0, measurement_bootstrap=0, screen=False)
    >>> print("\\n".join(summary_text(study.to_dict()).splitlines()[2:4]))
      Estimator                                       ML
      Missing data                              listwise
    """
    lines = [f"semtrust {results['semtrust_version']} ended normally", "",
             _line("Estimator", results["estimator"]), _line("Missing data", results["missing"]),
             _line("Number of observations", str(results["n"])), ""]
    for name, fit in results["fit"].items():
        if not fit:
            continue
        if "chisq" not in fit:   # PLS-SEM has no χ² test: the saturated model's fit, SmartPLS's names
            lines += [f"Model Fit ({name}, saturated model):",
                      *[_line(key, _number(fit.get(key), 0)) for key in ("SRMR", "d_ULS", "d_G")], ""]
            continue
        lines += [f"Model Test User Model ({name}):",
                  _line("Test statistic", f"{fit['chisq']:.3f}"), _line("Degrees of freedom", str(fit["df"])),
                  _line("P-value (Chi-square)", _number(fit.get("pvalue"), 0)),   # ULSMV: none
                  *[_line(label, f"{fit[key]:.3f}") for label, key in (("CFI", "cfi"), ("TLI", "tli"), ("RMSEA", "rmsea"))],
                  f"  {'90 Percent confidence interval':<34}{fit['rmsea_ci_lower']:>8.3f} {fit['rmsea_ci_upper']:>8.3f}",
                  *[_line(label, f"{fit[key]:.3f}") for label, key in (("SRMR", "srmr"), ("AIC", "aic"), ("BIC", "bic"))
                    if key in fit],   # no AIC/BIC without a likelihood (WLSMV)
                  ""]
        if "chisq_scaled" in fit:
            kind = "robust" if "cfi_robust" in fit else "scaled"
            lines[-1:-1] = [_line(f"Scaled test statistic ({results['estimator']})", f"{fit['chisq_scaled']:.3f}"),
                            _line("Scaling correction factor", f"{fit['chisq_scaling_factor']:.3f}"),
                            _line(f"{kind.capitalize()} CFI", f"{fit[f'cfi_{kind}']:.3f}"),
                            _line(f"{kind.capitalize()} RMSEA", f"{fit[f'rmsea_{kind}']:.3f}")]
    parameters = results["parameters"]
    # a multi-group model, as lavaan: each group's parameters under its label, the defined ones last
    groups = list(dict.fromkeys(r["group"] for r in parameters if r.get("group")))
    for k, group in enumerate(groups):
        lines += [f"Group {k + 1} [{group}]:", ""]
        lines += _parameter_lines([r for r in parameters if r.get("group") == group])
    lines += _parameter_lines([r for r in parameters if not r.get("group")])
    return "\n".join(lines).rstrip() + "\n"


def _parameter_lines(parameters: list[dict]) -> list[str]:
    """The parameters grouped by operator, lavaan's columns."""
    lines = []
    for op, title in SECTIONS:
        rows = [r for r in parameters if r["op"] == op]
        if not rows:
            continue
        lines += [f"{title}:", f"{'':17}{'Estimate':>9}{'Std.Err':>9}{'z-value':>9}{'P(>|z|)':>9}{'Std.all':>10}"]
        current = None
        for r in rows:
            if op in ("=~", "~") and r["lhs"] != current:
                current = r["lhs"]
                lines.append(f"  {current} {op}")
            name = (r["rhs"] if op in ("=~", "~") else r["lhs"] if op in ("~1", ":=")
                    else f"{r['lhs']}|{r['rhs']}" if op == "|" else f"{r['lhs']} ~~ {r['rhs']}")
            se = r["se"] if r["se"] else None
            lines.append(f"    {name:<13}{_number(r['est'])}{_number(se)}{_number(r['z'], 9, 2)}"
                         f"{_number(r['pvalue'])} {_number(r['std_all'])}")
        lines.append("")
    return lines
