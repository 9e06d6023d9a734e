"""Report stage: render a result dictionary (results.json) into HTML and LaTeX.

Templates live in ``templates/`` beside this module and only read the dictionary that
``Study.to_dict()`` returns (numbers in APA style, :mod:`semtrust.report.format`).
"""
from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from semtrust.io.output_folder import OutputFolder
from semtrust.report.diagram import layout, to_svg, to_tikz
from semtrust.report.format import apa, apa_p, arrows, stars, tex_escape, tex_path

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      comment_start_string="{##", comment_end_string="##}")  # LaTeX writes {#1}
    env.filters.update(apa=apa, apa_p=apa_p, stars=stars, tex=tex_escape, arrows=arrows, texpath=tex_path,
                       tojson_pretty=lambda v: json.dumps(v, ensure_ascii=False, indent=2))
    return env


class Counter:
    """Numbers sections and tables in the order a template renders them: each ``{{ table_no }}``
    prints the next number, so optional sections never leave gaps."""

    def __init__(self):
        self.value = 0

    def __str__(self) -> str:
        self.value += 1
        return str(self.value)

    __html__ = __str__


def render(template: str, context: dict) -> str:
    env = _environment()
    if template.endswith(".html.j2"):
        env.autoescape = True
    return env.get_template(template).render(**context, table_no=Counter(), section_no=Counter())


def report_context(results: dict) -> dict:
    """What the templates need beyond results.json: display names, a fit-table layout and the
    path diagram (SVG for HTML, TikZ for LaTeX; None without structural paths)."""
    constructs = results.get("constructs") or {}

    def name(cid, lang="en"):
        entry = constructs.get(cid)
        return entry["name"][lang] if entry else cid

    fit_rows = []
    for label, key in (("Measurement model (CFA)", "measurement"), ("Structural model", "structural")):
        fit = results["fit"].get(key)
        if fit:
            fit_rows.append({"model": label, **fit,
                             "chisq_df": fit["chisq"] / fit["df"] if fit["df"] else None})
            if "chisq_scaled" in fit:  # MLR: the scaled statistic and the robust indices
                fit_rows.append({**fit, "model": f"{label}, robust (MLR)", "chisq": fit["chisq_scaled"],
                                 "pvalue": fit["pvalue_scaled"],
                                 "chisq_df": fit["chisq_scaled"] / fit["df"] if fit["df"] else None,
                                 **{k: fit[f"{k}_robust"] for k in ("cfi", "tli", "rmsea", "rmsea_ci_lower",
                                                                    "rmsea_ci_upper")}})
    figure = layout(results) if results["paths"] else None
    return {"r": results, "fit_rows": fit_rows, "name": name, "config_rows": config_rows(results.get("config")),
            "figure_svg": to_svg(figure) if figure else None, "figure_tikz": to_tikz(figure) if figure else None}


def config_rows(config: dict | None) -> list[tuple[str, str]]:
    """The run configuration as (key, text) rows; lists and mappings as compact JSON.

    >>> config_rows({"seed": 7, "reverse": ["HT4"], "group": None})
    [('seed', '7'), ('reverse', '["HT4"]'), ('group', '—')]
    """
    def text(value):
        if value is None:
            return "—"
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return [(key, text(value)) for key, value in (config or {}).items()]


def render_report(results: dict, kind: str, context: dict | None = None) -> str:
    """The report of a result dictionary as ``html`` or ``tex`` text."""
    return render(f"report.{kind}.j2", context or report_context(results))


def report_files(results: dict) -> dict[str, bytes]:
    """results.json, report.html and report.tex of a result dictionary, as the bytes to write."""
    context = report_context(results)
    return {"results.json": (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode(),
            "report.html": render_report(results, "html", context).encode(),
            "report.tex": render_report(results, "tex", context).encode()}


def write_reports(results: dict, out_dir: str | Path) -> dict[str, Path]:
    """Write :func:`report_files` into the output folder ``out_dir`` (all or none; see
    :mod:`semtrust.io.output_folder`); returns ``{file name: path}``."""
    files = report_files(results)
    with OutputFolder(out_dir) as folder:
        return folder.commit(files)


def screening_files(screening, cleaned) -> dict[str, bytes]:
    """``cleaned_data.csv`` (the input rows that passed screening, cells as read) and
    ``exclusions.csv`` (one line per excluded or flagged respondent, with the rule and reason),
    UTF-8 with a BOM so spreadsheet programs show Chinese text."""
    import pandas as pd

    log = pd.concat([screening.exclusions.assign(action="excluded"), screening.flags.assign(action="flagged")],
                    ignore_index=True)
    log = log[["row", "respondent_id", "step", "rule", "action", "reason"]].sort_values(["row", "step"], kind="stable")
    return {name: frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
            for name, frame in (("cleaned_data.csv", cleaned), ("exclusions.csv", log))}
