"""Report stage for PROCESS models: a plain-text summary laid out as PROCESS prints its output
(model and variables, one coefficient table per outcome model, the interaction tests, the
conditional direct and indirect effects, the indices and the Johnson–Neyman points)."""
from __future__ import annotations

import pandas as pd

__all__ = ["summary_text"]

RULE = "*" * 72


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    shown = frame[[c for c in columns if c in frame.columns]]
    return shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def summary_text(result) -> str:
    """The text of :meth:`ProcessResult.summary`.

    >>> import numpy as np, pandas as pd
    >>> from semtrust.structural.moderation import process
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame(rng.normal(size=(80, 3)), columns=["x", "w", "y"])
    >>> print(summary_text(process(data, 1, x="x", w="w", y="y")).splitlines()[1])
    Model  : 1
    """
    v = result.variables
    lines = [RULE, f"Model  : {result.model or v['syntax']}"]
    for role in ("y", "x", "m", "w", "z", "covariates"):
        if v.get(role):
            value = v[role] if isinstance(v[role], str) else " ".join(v[role])
            lines.append(f"{role.upper() if role != 'covariates' else 'Covariates':<7}: {value}")
    lines.append(f"Sample size: {result.n}")
    options = result.options
    if options["hc"]:
        lines.append(f"Standard errors: {options['hc']}")
    if options["center"]:
        lines.append("Variables in products were mean-centred.")
    for outcome, summary in result.model_summary.groupby("outcome", sort=False):
        lines += [RULE, f"OUTCOME VARIABLE: {outcome}", "", "Model summary",
                  _table(summary, ["r2", "mse", "F", "df1", "df2", "p"]), "", "Model",
                  _table(result.coefficients[result.coefficients.outcome == outcome],
                         ["term", "b", "se", "t", "p", "llci", "ulci"])]
        tests = result.interactions[result.interactions.outcome == outcome]
        if len(tests):
            lines += ["", "Test(s) of highest order unconditional interaction(s):",
                      _table(tests, ["term", "r2_change", "F", "df1", "df2", "p"])]
    moderators = list(result.paths.moderators)
    lines += [RULE, "DIRECT AND INDIRECT EFFECTS" if v.get("m") else "CONDITIONAL EFFECTS",
              "", f"{'Conditional direct' if len(result.direct_effects) > 1 else 'Direct'} effect of {v['x']} on {v['y']}:",
              _table(result.direct_effects, ["probe", *moderators, "effect", "se", "t", "p", "llci", "ulci"])]
    if len(result.indirect_effects):
        kind = "Conditional indirect" if result.indirect_effects.probe.notna().any() else "Indirect"
        lines += ["", f"{kind} effect(s) of {v['x']} on {v['y']}:",
                  _table(result.indirect_effects, ["mediator", "probe", *moderators, "effect", "boot_se",
                                                   "boot_llci", "boot_ulci"])]
    if len(result.index_of_moderated_mediation):
        lines += ["", "Index of moderated mediation:",
                  _table(result.index_of_moderated_mediation,
                         ["mediator", "index", "moderator", "other_moderator", "other_value", "effect", "boot_se",
                          "boot_llci", "boot_ulci"])]
    if len(result.conditional_interactions):
        w, z = result.paths.three_way
        lines += ["", f"Test of conditional {v['x']}*{w} interaction at value(s) of {z}:",
                  _table(result.conditional_interactions, ["probe", z, "effect", "se", "t", "p", "llci", "ulci"])]
    if len(result.jn):
        lines += ["", "Johnson-Neyman point(s) of significance:",
                  _table(result.jn, ["moderator", "value", "percent_below", "effect", "se", "p"])]
    if options["bootstrap"]:
        lines += ["", f"Level of confidence for all confidence intervals: {options['conf']}",
                  f"Number of bootstrap samples for percentile bootstrap CIs: {options['bootstrap']}"
                  + (f" ({result.bootstrap_failed} singular resamples dropped)" if result.bootstrap_failed else "")]
    lines.append(RULE)
    return "\n".join(lines)
