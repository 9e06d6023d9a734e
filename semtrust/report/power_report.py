"""Report stage: the report of a power analysis (power.json), built as the fit report is, in the
one document model (:mod:`semtrust.report.document`) and rendered by the same HTML, LaTeX,
Word and workbook renderers.

Verdicts first (the smallest n reaching the target power for each effect and for all of them,
the convergence rate), then power per effect and sample size (APA three-line table), the power
curves, and a Method paragraph a thesis can cite; bias and CI coverage and the settings in the
appendix. Every word comes from the ``power`` block of the language's message catalogue.

>>> rows = [{"effect": "y ~ x", "kind": "path", "hypothesis": None, "n": n, "true": 0.3, "power": p,
...          "power_se": 0.02, "mean_estimate": 0.3, "bias": 0.0, "relative_bias": 0.0, "coverage": 0.95,
...          "converged": 100} for n, p in ((50, 0.6), (100, 0.85))]
>>> data = {"semtrust_version": "0.1", "software": {"python": "3.12"}, "analysis_model": "y ~ x\\n",
...         "settings": {"n": [50, 100], "reps": 100, "ci": "mc", "bootstrap": 0, "mc_draws": 1000, "alpha": 0.05,
...                      "seed": 1, "response": "continuous", "population_from": "model", "target": 0.8},
...         "population": {"source": "<model>", "syntax": "y ~ 0.3*x\\n", "response": "continuous"},
...         "convergence": [{"n": n, "replications": 100, "converged": 100, "convergence_rate": 1.0,
...                          "admissible_rate": 1.0} for n in (50, 100)],
...         "required_n": [{"effect": "y ~ x", "kind": "path", "hypothesis": None, "n": 100}],
...         "required_n_all": 100, "summary": rows}
>>> doc = power_document(data, "en")
>>> [s.id for s in doc.sections], doc.tables()[0].rows[0][4].text
(['power-summary', 'power-grid', 'power-accuracy', 'power-settings'], '100')
"""
from __future__ import annotations

import json

from semtrust.report.catalogue import Messages
from semtrust.report.document import Cell, Column, Document, Figure, Paragraph, Section, Table, integer, num, verdict
from semtrust.report.docx import docx_bytes
from semtrust.report.format import apa, arrows
from semtrust.report.power_figure import ZERO, power_curves_svg
from semtrust.report.render import image_files, render_document, results_text, tables_xlsx

__all__ = ["power_document", "power_files", "effect_name"]

CONVERGENCE_CRITERION = 0.95      # replications that converge, at every n
COVERAGE_RANGE = (0.91, 0.98)     # acceptable 95% CI coverage (Muthén & Muthén, 2002)
RELATIVE_BIAS = 0.10              # acceptable |relative bias| of an estimate (Muthén & Muthén, 2002)
FIGURE = "power_curves"          # power_curves.svg, and power_curves.pdf the LaTeX report includes


def effect_name(effect: str) -> str:
    """A path ``m ~ x`` as ``x → m``; indirect effects with arrows (a total indirect effect's
    ``⇒`` marks it, its kind is in its own column); defined effects as written.

    >>> effect_name("m ~ x"), effect_name("x -> m -> y"), effect_name("x => y (total indirect)")
    ('x → m', 'x → m → y', 'x ⇒ y')
    """
    if " := " in effect:
        return effect
    if " ~ " in effect:
        outcome, predictor = effect.split(" ~ ", 1)
        return f"{predictor} → {outcome}"
    return arrows(effect.removesuffix(" (total indirect)"))


class _Power:
    """What the section builders share: power.json, the catalogue and the effects by kind."""

    def __init__(self, data: dict, lang: str):
        self.d, self.m, self.lang = data, Messages(lang), lang
        self.settings = data["settings"]
        self.target = self.settings["target"]
        self.ns = list(self.settings["n"])
        self.rows = data["summary"]
        self.effects = list(dict.fromkeys(r["effect"] for r in self.rows))
        self.first = {e: next(r for r in self.rows if r["effect"] == e) for e in self.effects}
        self.required = {r["effect"]: r["n"] for r in data["required_n"]}

    def p(self, key: str, **values) -> str:
        return self.m(f"power.{key}", **values)

    def label(self, effect: str) -> str:
        row = self.first[effect]
        if row["kind"] == "fit":
            return self.p("fit_test.exact" if effect.startswith("exact") else "fit_test.close")
        return effect_name(effect)

    def kind(self, effect: str) -> str:
        return self.p(f"kind.{self.first[effect]['kind'].replace(' ', '_')}")

    def targets(self) -> list[str]:
        """The effects the required n is about: paths, indirect and defined effects that are not zero."""
        return [e for e in self.effects if self.first[e]["kind"] != "fit" and abs(self.first[e]["true"]) > ZERO]

    def grid(self) -> str:
        return self.m.join(self.ns)

    def ci_method(self) -> str:
        s = self.settings
        return self.p(f"ci.{s['ci']}", draws=s.get("mc_draws") if s["ci"] == "mc" else s.get("bootstrap"))

    def response(self) -> str:
        population = self.d["population"]["response"]
        if population.startswith("likert-"):
            return self.p("response.likert", points=population.split("-")[1])
        return self.p("response.continuous")


def _summary(b: _Power) -> Section:
    m, rows = b.m, []
    for effect in b.targets():
        needed = b.required.get(effect)
        first = b.first[effect]
        rows.append([Cell(b.label(effect)), Cell(b.kind(effect)), Cell(first.get("hypothesis") or "—"),
                     num(first["true"], 3), integer(needed) if needed else Cell(b.p("not_reached", n=max(b.ns))),
                     verdict(needed is not None, b.p("reached") if needed else m("verdict.not_met"))])
    every = b.d["required_n_all"]
    rows.append([Cell(b.p("all_effects"), bold=True, span=4),
                 integer(every, bold=True) if every else Cell(b.p("not_reached", n=max(b.ns)), bold=True),
                 verdict(every is not None, b.p("reached") if every else m("verdict.not_met"))])
    rates = [c["convergence_rate"] for c in b.d["convergence"]]
    converged = min(rates) >= CONVERGENCE_CRITERION
    rows.append([Cell(b.p("convergence"), span=4),
                 Cell(f"{apa(min(rates), 3, True)}–{apa(max(rates), 3, True)}", min(rates), "number"),
                 verdict(converged, m("verdict.met") if converged else m("verdict.not_met"))])
    table = Table("tab-power-verdicts", b.p("titles.verdicts", target=apa(b.target, 2, True)),
                  [Column(b.p("columns.effect"), "l"), Column(b.p("columns.kind"), "l"), Column("H", "l"),
                   Column(b.p("columns.population")), Column(b.p("columns.required", target=apa(b.target, 2, True))),
                   Column(m("columns.verdict"), "l")], rows,
                  [b.p("notes.verdicts", target=apa(b.target, 2, True), grid=b.grid(),
                       convergence=apa(CONVERGENCE_CRITERION, 2, True))])
    return Section("power-summary", b.p("sections.summary"),
                   [table, Paragraph(_results_paragraph(b), "lead", m("titles.results_draft")),
                    Paragraph(_method_paragraph(b), "lead", m("titles.method_draft"))])


def _results_paragraph(b: _Power) -> str:
    target, every = apa(b.target, 2, True), b.d["required_n_all"]
    if every:
        weakest = min(b.targets(), key=lambda e: next(r["power"] for r in b.rows
                                                     if r["effect"] == e and r["n"] == every))
        text = b.p("draft.reached", target=target, n=every, weakest=b.label(weakest),
                   power=apa(next(r["power"] for r in b.rows if r["effect"] == weakest and r["n"] == every), 2, True))
    else:
        missing = [b.label(e) for e in b.targets() if b.required.get(e) is None]
        text = b.p("draft.not_reached", target=target, n=max(b.ns), effects=b.m.join(missing))
    rates = [c["convergence_rate"] for c in b.d["convergence"]]
    key = "draft.convergence_same" if min(rates) == max(rates) else "draft.convergence"
    text += b.m("sentence_separator") + b.p(key, low=apa(min(rates), 3, True), high=apa(max(rates), 3, True))
    return text


def _method_paragraph(b: _Power) -> str:
    s = b.settings
    origin = s.get("population_from", "population")
    source = b.p(f"origin.{origin}", instrument=s.get("instrument") or "", seed=s["seed"])
    return b.p("draft.method", version=b.d["semtrust_version"], python=(b.d.get("software") or {}).get("python", "3"),
               source=source, reps=s["reps"], grid=b.grid(), response=b.response(), ci=b.ci_method(),
               alpha=apa(s["alpha"], 2, True), seed=s["seed"],
               defined=b.p("draft.defined") if any(b.first[e]["kind"] == "defined" for e in b.effects) else "")


def _grid(b: _Power) -> Section:
    rows = []
    for effect in b.effects:
        cells = [Cell(b.label(effect)), Cell(b.kind(effect))]
        for n in b.ns:
            row = next(r for r in b.rows if r["effect"] == effect and r["n"] == n)
            reached = row["power"] is not None and row["power"] >= b.target and b.first[effect]["kind"] != "fit"
            cells.append(num(row["power"], 2, True, bold=reached))
        rows.append(cells)
    notes = [b.p("notes.power", target=apa(b.target, 2, True), reps=b.settings["reps"], ci=b.ci_method(),
                 alpha=apa(b.settings["alpha"], 2, True))]
    if any(b.first[e]["kind"] == "fit" for e in b.effects):
        notes[0] += b.m("sentence_separator") + b.p("notes.power_fit")
    table = Table("tab-power", b.p("titles.power"),
                  [Column(b.p("columns.effect"), "l"), Column(b.p("columns.kind"), "l")] +
                  [Column(f"n = {n}") for n in b.ns], rows, notes,
                  groups=[("", 2), (b.p("columns.power_at"), len(b.ns))], wide=len(b.ns) + 2 > 9)
    words = {key: b.m.raw(f"power.figure.{key}") for key in ("n", "power", "weakest", "target")}
    words.update({kind: b.p(f"kind.{kind.replace(' ', '_')}") for kind in ("path", "indirect", "total indirect",
                                                                           "defined")})
    svg = power_curves_svg(b.rows, b.target, words)
    if b.lang != "en":
        svg = _with_installed_font(svg, b.lang)
    figure = Figure("fig-power", b.p("titles.figure"), svg, "", [b.p("notes.figure", target=apa(b.target, 2, True))],
                    image=FIGURE)
    convergence = Table("tab-power-convergence", b.p("titles.convergence"),
                        [Column("n"), Column(b.p("columns.replications")), Column(b.p("columns.converged")),
                         Column(b.p("columns.rate")), Column(b.p("columns.admissible"))],
                        [[integer(c["n"]), integer(c["replications"]), integer(c["converged"]),
                          num(c["convergence_rate"], 3, True), num(c["admissible_rate"], 3, True)]
                         for c in b.d["convergence"]], [b.p("notes.convergence")])
    return Section("power-grid", b.p("sections.grid"), [table, figure, convergence])


def _accuracy(b: _Power) -> Section:
    rows = []
    for effect in b.effects:
        if b.first[effect]["kind"] == "fit":
            continue
        for k, n in enumerate(b.ns):
            r = next(r for r in b.rows if r["effect"] == effect and r["n"] == n)
            covered = r["coverage"] is not None and COVERAGE_RANGE[0] <= r["coverage"] <= COVERAGE_RANGE[1]
            biased = r["relative_bias"] is not None and abs(r["relative_bias"]) > RELATIVE_BIAS
            rows.append([Cell(b.label(effect) if k == 0 else ""), integer(n), num(r["true"], 3),
                         num(r["mean_estimate"], 3), num(r["bias"], 3),
                         num(None if r["relative_bias"] is None else 100 * r["relative_bias"], 1,
                             status="bad" if biased else None),
                         num(r["coverage"], 3, True, status=None if covered else "bad")])
    table = Table("tab-power-accuracy", b.p("titles.accuracy"),
                  [Column(b.p("columns.effect"), "l"), Column("n"), Column(b.p("columns.population")),
                   Column(b.p("columns.mean")), Column(b.p("columns.bias")), Column(b.p("columns.relative_bias")),
                   Column(b.p("columns.coverage"))], rows,
                  [b.p("notes.accuracy", low=apa(COVERAGE_RANGE[0], 2, True), high=apa(COVERAGE_RANGE[1], 2, True),
                       bias=int(100 * RELATIVE_BIAS))])
    return Section("power-accuracy", b.p("sections.accuracy"), [table], appendix=True)


def _settings(b: _Power) -> Section:
    rows = [[Cell(k), Cell("—" if v is None else v if isinstance(v, str) else json.dumps(v, ensure_ascii=False),
                           kind="code")] for k, v in b.settings.items()]
    software = ", ".join(f"{k} {v}" for k, v in (b.d.get("software") or {}).items())
    return Section("power-settings", b.p("sections.settings"), [
        Table("tab-power-settings", b.m("titles.config"), [Column(b.m("columns.setting"), "l"),
                                                           Column(b.m("columns.value"), "l", True)], rows,
              [b.p("notes.settings")]),
        Paragraph(b.p("software", software=software)),
        Paragraph(b.d["population"]["syntax"], "code", b.p("population_syntax", source=b.d["population"]["source"])),
        Paragraph(b.d["analysis_model"], "code", b.p("analysis_syntax"))], appendix=True)


def power_document(data: dict, lang: str = "en") -> Document:
    """The power report of power.json's dictionary ``data`` in ``lang``.

    >>> from semtrust.power import power
    >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
    >>> doc = power_document(result.to_dict(), "en")
    >>> [section.id for section in doc.sections]
    ['power-summary', 'power-grid', 'power-accuracy', 'power-settings']
    """
    b = _Power(data, lang)
    doc = Document(title=b.p("title"), lang=lang,
                   labels={k: b.m.raw(f"label.{k}") for k in ("table", "figure", "section")},
                   subtitle=b.p("subtitle", version=data["semtrust_version"], reps=b.settings["reps"], grid=b.grid()),
                   appendix_title=b.m("sections.appendix"), note=b.m("notes.general"))
    for build in (_summary, _grid, _accuracy, _settings):
        doc.add(build(b))
    doc.number()
    return doc


def _with_installed_font(svg: str, lang: str) -> str:
    """The SVG with an installed font of ``lang`` first: Cairo (the PDF and the Word report's PNG)
    draws with the first family of the list only, so Chinese text would otherwise be empty boxes."""
    import shutil
    import subprocess

    if shutil.which("fc-list") is None:
        return svg
    listed = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, check=False).stdout
    families = sorted({line.split(",")[0].strip() for line in listed.splitlines() if line.strip()},
                      key=lambda name: ("Sans" not in name, not name.endswith(" SC"), name))
    if not families:
        return svg
    return svg.replace('font-family="', f'font-family="{families[0]}, ', 1)


def power_files(data: dict, lang: str = "en") -> dict[str, bytes]:
    """power.json, power_report.html/.tex/.docx, power_tables.xlsx and the power curves
    (power_curves.svg, and .pdf where Cairo is installed), the bytes to write.

    >>> from semtrust.power import power
    >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
    >>> sorted(power_files(result.to_dict()))
    ['power.json', 'power_curves.pdf', 'power_curves.svg', 'power_report.docx', 'power_report.html', 'power_report.tex', 'power_tables.xlsx']
    """
    doc = power_document(data, lang)
    return {"power.json": results_text(data).encode(), "power_report.html": render_document(doc, "html").encode(),
            "power_report.tex": render_document(doc, "tex").encode(), "power_report.docx": docx_bytes(doc),
            "power_tables.xlsx": tables_xlsx(doc), **image_files(doc)}
