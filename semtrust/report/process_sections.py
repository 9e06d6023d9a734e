"""Report stage: the report of a PROCESS run (``semtrust process``) as a
:class:`~semtrust.report.document.Document`, built from its results.json alone.

The sections follow PROCESS's output: the verdict lines and the model's variables first; then,
for each outcome model, the model summary, the coefficients and the test of the highest-order
interaction; then the conditional direct and indirect effects, the indices of moderated
mediation, the Johnson–Neyman points and the simple-slopes and Johnson–Neyman plots; the paths
by group with their Holm-adjusted contrasts when a categorical moderator was given; the settings
in the appendix. Every word comes from the ``process`` block of the message catalogue, so the
HTML, LaTeX and Word reports come out in English or Chinese.

>>> import numpy as np, pandas as pd
>>> from semtrust.structural.moderation import process
>>> rng = np.random.default_rng(4)
>>> data = pd.DataFrame(rng.normal(size=(150, 2)), columns=["x", "w"])
>>> data["y"] = 0.4 * data.x * data.w + rng.normal(size=150)
>>> results = {"semtrust_version": "0", "method": "process", "n": 150, "input": {}, "config": {},
...            "moderation": process(data, 1, x="x", w="w", y="y").to_dict()}
>>> doc = build_process_document(results, "en")
>>> [s.id for s in doc.sections]
['summary', 'outcome-1', 'effects', 'settings']
>>> doc.sections[0].blocks[0].text[:42]
'The x:w interaction on y is significant: b'
"""
from __future__ import annotations

import json
from itertools import pairwise

from semtrust.report.document import Cell, Column, Document, Paragraph, Section, Table, ci, integer, num, pval
from semtrust.report.format import apa, apa_p, arrows
from semtrust.report.sections import Builder, moderation_figures

__all__ = ["build_process_document", "verdict_lines"]

ALPHA = 0.05
ROLES = ("y", "x", "m", "w", "z", "moderators", "covariates")


def _p(p) -> str:
    text = apa_p(p)
    return text if text.startswith("<") else f"= {text}"


def _conf(block: dict) -> str:
    return apa(block["options"]["conf"], 0)


def verdict_lines(b: Builder, block: dict) -> list[str]:
    """The run's conclusions, one sentence each: every highest-order interaction, the
    Johnson–Neyman region, each index of moderated mediation (or, unmoderated, each indirect
    effect) and the group contrasts.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = st.process(data, 1, x="x", w="w", y="y")
    >>> from semtrust.report.sections import Builder
    >>> from semtrust.process_run import process_results
    >>> print(verdict_lines(Builder(process_results(fit), "en"), process_results(fit)["moderation"])[0])
    The x:w interaction on y is significant: b = 0.466, t(146) = 5.24, p < .001, ΔR² = .113.
    """
    m, v = b.m, "process.verdicts"
    lines = []
    summaries = {row["outcome"]: row for row in block["model_summary"]}
    coefficients = {(r["outcome"], r["term"]): r for r in block["coefficients"]}
    for row in block["interactions"]:
        coefficient = coefficients.get((row["outcome"], row["term"]))
        if coefficient is None:      # the joint test of two products: each has its own line
            continue
        lines.append(m(f"{v}.interaction", term=row["term"], outcome=row["outcome"],
                       result=m(f"{v}.{'significant' if row['p'] < ALPHA else 'not_significant'}"),
                       b=apa(coefficient["b"], 3), df=summaries[row["outcome"]]["df2"], t=apa(coefficient["t"], 2),
                       p=_p(row["p"]), r2=apa(row["r2_change"], 3, True)))
    jn = (block.get("plots") or {}).get("johnson_neyman")
    if jn:
        lines.append(_jn_line(b, jn))
    conf = _conf(block)
    indices = [r for r in block["index_of_moderated_mediation"] if r["index"] != "conditional moderated mediation"]
    for row in indices:
        tested = row["boot_llci"] is not None
        result = ("index_supported" if row["boot_llci"] > 0 or row["boot_ulci"] < 0 else "index_not") \
            if tested else "index_untested"
        lines.append(m(f"{v}.index", kind=m(f"process.index_kinds.{row['index'].replace(' ', '_')}"),
                       mediator=row["mediator"], moderator=row["moderator"], est=apa(row["effect"], 3), conf=conf,
                       low=apa(row["boot_llci"], 3), high=apa(row["boot_ulci"], 3), result=m(f"{v}.{result}")))
    for row in block["indirect_effects"]:
        if row.get("probe") is None and row["boot_llci"] is not None:     # an unmoderated indirect effect
            excludes = row["boot_llci"] > 0 or row["boot_ulci"] < 0
            key = "total_indirect" if row["mediator"] == "TOTAL" else "indirect"
            lines.append(m(f"{v}.{key}", x=block["variables"]["x"], y=block["variables"]["y"],
                           mediator=arrows(row["mediator"]), est=apa(row["effect"], 3), conf=conf,
                           low=apa(row["boot_llci"], 3), high=apa(row["boot_ulci"], 3),
                           result=m(f"{v}.{'indirect_yes' if excludes else 'indirect_no'}")))
    groups = block.get("groups")
    if groups:
        differing = [c for c in groups["contrasts"] if c["p_holm"] < ALPHA]
        which = "".join(f"; {c['path']}: {c['group_1']} − {c['group_2']} = {apa(c['difference'], 3)}"
                        for c in differing)
        lines.append(m(f"{v}.groups", count=len(differing), total=len(groups["contrasts"]), which=which))
    return lines


def _jn_line(b: Builder, jn: dict) -> str:
    """Where the probed effect is significant: the stretches of the moderator's observed range
    between its Johnson–Neyman points whose middle is significant."""
    m, curve = b.m, jn["curve"]
    alpha = apa(1 - jn["conf"] / 100, 2, True)
    edges = [curve[0]["value"], *jn["points"], curve[-1]["value"]]
    regions = []
    for low, high in pairwise(edges):
        middle = min(curve, key=lambda row: abs(row["value"] - (low + high) / 2))
        if middle["llci"] > 0 or middle["ulci"] < 0:
            regions.append(m("process.verdicts.from_to", low=apa(low, 3), high=apa(high, 3)))
    if not jn["points"]:
        significant = bool(regions)
        return m("process.verdicts.jn_none", label=jn["label"], moderator=jn["moderator"],
                 result=m(f"process.verdicts.{'significant' if significant else 'not_significant'}"))
    return m("process.verdicts.jn_region", label=jn["label"], moderator=jn["moderator"], alpha=alpha,
             region=m("process.verdicts.joiner").join(regions))


def _summary(b: Builder, block: dict) -> Section:
    m = b.m
    rows = []
    for role in ROLES:
        value = block["variables"].get(role)
        if value:
            rows.append([Cell(m(f"process.roles.{role}")), Cell(value if isinstance(value, str) else ", ".join(value))])
    rows.append([Cell(m("process.sample")), integer(block["n"])])
    table = Table("tab-process-variables", m("process.variables"),
                  [Column(m("process.role"), "l"), Column(m("process.variable"), "l", True)], rows)
    return Section("summary", m("process.summary"), [Paragraph(line, "lead") for line in verdict_lines(b, block)]
                   + [table])


def _se_note(b: Builder, block: dict) -> list[str]:
    options = block["options"]
    se = b.m("process.se_hc", hc=options["hc"]) if options["hc"] else b.m("process.se_classical")
    return [b.m("process.note_coefficients", se=se)] + ([b.m("process.note_centred")] if options["center"] else [])


def _outcome(b: Builder, block: dict, outcome: str, number: int) -> Section:
    """One outcome model as PROCESS prints it: model summary, coefficients, interaction test."""
    m, conf = b.m, _conf(block)
    summary = next(r for r in block["model_summary"] if r["outcome"] == outcome)
    blocks = [Table(f"tab-process-summary-{number}", m("process.model_summary", outcome=outcome),
                    [Column("R²"), Column("MSE"), Column("F"), Column("df1"), Column("df2"), Column("p")],
                    [[num(summary["r2"], 3, True), num(summary["mse"], 3), num(summary["F"], 2),
                      integer(summary["df1"]), integer(summary["df2"]), pval(summary["p"])]])]
    rows = [[Cell(r["term"]), num(r["b"], 3), num(r["se"], 3), num(r["t"], 2), pval(r["p"]),
             ci(r["llci"], r["ulci"])] for r in block["coefficients"] if r["outcome"] == outcome]
    blocks.append(Table(f"tab-process-coefficients-{number}", m("process.coefficients", outcome=outcome),
                        [Column(m("process.term"), "l"), Column("b"), Column("SE"), Column("t"), Column("p"),
                         Column(m("process.ci", conf=conf))], rows, _se_note(b, block), inference="wald"))
    tests = [r for r in block["interactions"] if r["outcome"] == outcome]
    if tests:
        blocks.append(Table(f"tab-process-interactions-{number}", m("process.interaction_tests", outcome=outcome),
                            [Column(m("process.term"), "l"), Column(m("process.r2_change")), Column("F"),
                             Column("df1"), Column("df2"), Column("p")],
                            [[Cell(r["term"]), num(r["r2_change"], 3, True), num(r["F"], 2), integer(r["df1"]),
                              integer(r["df2"]), pval(r["p"])] for r in tests]))
    return Section(f"outcome-{number}", m("process.outcome", outcome=outcome), blocks)


def _moderator_columns(rows: list[dict], moderators: list[str]) -> list[str]:
    return [v for v in moderators if any(v in r for r in rows)]


def _probes(b: Builder, rows: list[dict]) -> list[Cell]:
    """The probing rule of each row, printed on the first row of each run of the same rule."""
    cells, previous = [], object()
    for row in rows:
        key = (row.get("mediator"), row["probe"])
        cells.append(Cell("" if key == previous else b.m(f"process.probes.{row['probe'] or 'none'}")))
        previous = key
    return cells


def _effects(b: Builder, block: dict) -> Section | None:
    """Conditional direct and indirect effects, indices, conditional interactions, J–N points, plots."""
    m, conf, variables = b.m, _conf(block), block["variables"]
    x, y = variables["x"], variables["y"]
    moderators = [variables[r] for r in ("w", "z") if variables.get(r)] + list(variables.get("moderators") or [])
    blocks = []
    direct = block["direct_effects"]
    mods = _moderator_columns(direct, moderators)
    blocks.append(Table("tab-process-direct", m("process.conditional_direct" if mods else "process.direct", x=x, y=y),
                        ([Column(m("process.probe"), "l")] if mods else []) + [Column(v) for v in mods]
                        + [Column(m("process.effect")), Column("SE"), Column("t"), Column("p"),
                           Column(m("process.ci", conf=conf))],
                        [([probe] if mods else []) + [num(r[v], 3) for v in mods]
                         + [num(r["effect"], 3), num(r["se"], 3), num(r["t"], 2), pval(r["p"]), ci(r["llci"], r["ulci"])]
                         for r, probe in zip(direct, _probes(b, direct))], _se_note(b, block) + ([m("process.note_probes")] if mods else []),
                        inference="wald"))
    indirect = block["indirect_effects"]
    if indirect:
        options = block["options"]
        failed = m("process.note_failed", failed=block["bootstrap_failed"]) if block["bootstrap_failed"] else ""
        boot_note = [m("process.note_boot", draws=options["bootstrap"], seed=options["seed"], failed=failed)]
        mods = _moderator_columns(indirect, moderators)
        blocks.append(Table("tab-process-indirect",
                            m("process.conditional_indirect" if mods else "process.indirect", x=x, y=y),
                            [Column(m("process.mediator"), "l")] + ([Column(m("process.probe"), "l")] if mods else [])
                            + [Column(v) for v in mods] + [Column(m("process.effect")), Column(m("process.boot_se")),
                                                           Column(m("process.boot_ci", conf=conf))],
                            [[Cell(arrows(r["mediator"]))] + ([probe] if mods else [])
                             + [num(r.get(v), 3) for v in mods]
                             + [num(r["effect"], 3), num(r["boot_se"], 3), ci(r["boot_llci"], r["boot_ulci"])]
                             for r, probe in zip(indirect, _probes(b, indirect))], boot_note, inference="bootstrap"))
        if block["index_of_moderated_mediation"]:
            blocks.append(Table("tab-process-index", m("process.index"),
                                [Column(m("process.mediator"), "l"), Column(m("process.index_kind"), "l", True),
                                 Column(m("process.moderator"), "l"), Column(m("process.at"), "l"),
                                 Column(m("process.effect")), Column(m("process.boot_se")),
                                 Column(m("process.boot_ci", conf=conf))],
                                [[Cell(r["mediator"]), Cell(m(f"process.index_kinds.{r['index'].replace(' ', '_')}")),
                                  Cell(r["moderator"]),
                                  Cell("—" if r["other_moderator"] is None else
                                       f"{r['other_moderator']} = {apa(r['other_value'], 3)}"),
                                  num(r["effect"], 3), num(r["boot_se"], 3), ci(r["boot_llci"], r["boot_ulci"])]
                                 for r in block["index_of_moderated_mediation"]], boot_note, inference="bootstrap"))
    conditional = block["conditional_interactions"]
    if conditional:
        along = _moderator_columns(conditional, moderators)[0]
        blocks.append(Table("tab-process-conditional-interaction",
                            m("process.conditional_interactions", interaction=conditional[0]["interaction"],
                              moderator=along),
                            [Column(m("process.probe"), "l"), Column(along), Column(m("process.effect")), Column("SE"),
                             Column("t"), Column("p"), Column(m("process.ci", conf=conf))],
                            [[probe, num(r[along], 3), num(r["effect"], 3), num(r["se"], 3),
                              num(r["t"], 2), pval(r["p"]), ci(r["llci"], r["ulci"])]
                             for r, probe in zip(conditional, _probes(b, conditional))],
                            _se_note(b, block), inference="wald"))
    if block["johnson_neyman"]:
        blocks.append(Table("tab-process-jn", m("process.jn"),
                            [Column(m("process.moderator"), "l"), Column(m("process.value")),
                             Column(m("process.percent_below")), Column(m("process.effect")), Column("SE"),
                             Column("p")],
                            [[Cell(r["moderator"]), num(r["value"], 3), num(r["percent_below"], 1),
                              num(r["effect"], 3), num(r["se"], 3), pval(r["p"])] for r in block["johnson_neyman"]],
                            _se_note(b, block), inference="wald"))
    blocks += moderation_figures(b, block["plots"], "")
    return Section("effects", m("process.effects"), blocks)


def _groups(b: Builder, groups: dict | None) -> Section | None:
    if not groups:
        return None
    m = b.m
    paths = Table("tab-process-group-paths", m("process.group_paths", group=groups["group"]),
                  [Column(m("process.path"), "l"), Column(m("process.group"), "l"), Column("n"), Column("b"),
                   Column("SE"), Column("t"), Column("p"), Column("β")],
                  [[Cell(r["path"]), Cell(str(r["group"])), integer(r["n"]), num(r["b"], 3), num(r["se"], 3),
                    num(r["t"], 2), pval(r["p"]), num(r["beta"], 3, True)] for r in groups["paths"]],
                  [m("process.note_groups")], inference="wald")
    contrasts = Table("tab-process-contrasts", m("process.contrasts"),
                      [Column(m("process.path"), "l"), Column(m("process.group"), "l"),
                       Column(m("process.difference")), Column("SE"), Column("z"), Column("p"),
                       Column(m("process.p_holm"))],
                      [[Cell(r["path"]), Cell(f"{r['group_1']} − {r['group_2']}"), num(r["difference"], 3),
                        num(r["se"], 3), num(r["z"], 2), pval(r["p"]), pval(r["p_holm"])]
                       for r in groups["contrasts"]], [m("process.note_groups")], inference="wald")
    return Section("groups", m("process.groups", group=groups["group"]), [paths, contrasts])


def _settings(b: Builder, results: dict) -> Section:
    m, block = b.m, results["moderation"]
    config = results.get("config") or {}
    rows = [[Cell(k), Cell("—" if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False),
                           kind="code")] for k, v in config.items()]
    blocks = [Table("tab-process-settings", m("process.settings"),
                    [Column(m("process.setting"), "l"), Column(m("columns.value"), "l", True)], rows)]
    software = ", ".join(f"{k} {v}" for k, v in (results.get("software") or {}).items())
    blocks.append(Paragraph(m("process.reproducibility", software=software,
                              sha=(results["input"].get("sha256") or "")[:16], seed=block["options"]["seed"])))
    if results.get("command"):
        blocks.append(Paragraph(m("process.command", command=results["command"]), "code"))
    return Section("settings", m("sections.reproducibility"), blocks, appendix=True)


def build_process_document(results: dict, lang: str = "en") -> Document:
    """The report of a PROCESS run's ``results`` in ``lang``.

    >>> import numpy as np, pandas as pd, semtrust as st
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = st.process(data, 1, x="x", w="w", y="y")
    >>> from semtrust.process_run import process_results
    >>> doc = build_process_document(process_results(fit), "en")
    >>> [section.title for section in doc.sections][:3]
    ['Summary', 'Outcome model: y', 'Conditional effects']
    """
    b = Builder(results, lang)
    block = results["moderation"]
    title = b.m("process.title", model=block["model"]) if block["model"] else b.m("process.title_syntax")
    doc = Document(title=title, lang=lang, labels={k: b.m.raw(f"label.{k}") for k in ("table", "figure", "section")},
                   subtitle=b.m("subtitle", version=results["semtrust_version"], n=block["n"]),
                   appendix_title=b.m("sections.appendix"), note=b.m("notes.general"))
    doc.add(_summary(b, block))
    outcomes = [row["outcome"] for row in block["model_summary"]]
    for number, outcome in enumerate(outcomes, start=1):
        doc.add(_outcome(b, block, outcome, number))
    doc.add(_effects(b, block))
    doc.add(_groups(b, block.get("groups")))
    doc.add(_settings(b, results))
    doc.number()
    return doc
