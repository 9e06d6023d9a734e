"""Run stage for PROCESS models (``semtrust process``, :meth:`ProcessResult.save
<semtrust.structural.moderation.ProcessResult.save>`): a fitted PROCESS model, with its group
comparison when a categorical moderator was given, as results.json (``method: process`` and the
``moderation`` block) and the reports rendered from it (HTML, LaTeX, Word, tables.xlsx and the
plots), written through the atomic :class:`~semtrust.io.output_folder.OutputFolder`.

>>> import tempfile
>>> import numpy as np, pandas as pd
>>> from semtrust.structural.moderation import process
>>> rng = np.random.default_rng(6)
>>> data = pd.DataFrame(rng.normal(size=(120, 2)), columns=["x", "w"])
>>> data["y"] = 0.5 * data.x * data.w + rng.normal(size=120)
>>> with tempfile.TemporaryDirectory() as tmp:
...     paths = save_process(process(data, 1, x="x", w="w", y="y"), f"{tmp}/out")
...     sorted(paths)[:4]
['johnson_neyman.pdf', 'johnson_neyman.svg', 'report.docx', 'report.html']
"""
from __future__ import annotations

import shlex
from pathlib import Path

from semtrust.io.output_folder import OutputFolder
from semtrust.report.render import report_files
from semtrust.results import software_versions
from semtrust.version import __version__

__all__ = ["process_results", "save_process", "commit_process", "process_command"]

SOFTWARE = ("numpy", "scipy", "pandas", "statsmodels", "jinja2")   # what computes and reports a PROCESS model
OPTIONS = ("model", "x", "m", "w", "z", "y", "cov", "group", "bootstrap", "seed", "hc", "center", "conf", "lang")


def process_command(data: str, config: dict) -> str:
    """The ``semtrust process`` command line that repeats a run.

    >>> process_command("d.csv", {"model": 7, "x": "x", "m": ["m1"], "w": "w", "y": "y", "center": True})
    'semtrust process d.csv --model 7 --x x --m m1 --w w --y y --center'
    """
    words = ["semtrust", "process", data]
    for key in OPTIONS:
        value = config.get(key)
        if value is None or value is False or value == []:
            continue
        words.append(f"--{key}")
        if value is not True:
            words += [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    return shlex.join(words)


def process_results(result, groups=None, *, data: str | None = None, sha256: str | None = None,
                    lang: str = "en") -> dict:
    """results.json of a PROCESS run: the fitted model ``result`` (a ProcessResult), the group
    comparison ``groups`` (or None), the data file's name and SHA-256, the report language.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> from semtrust.structural.moderation import process
    >>> fit = process(data, 1, x="x", w="w", y="y")
    >>> results = process_results(fit, data="survey.csv")
    >>> results["method"], results["config"]["model"], sorted(results["moderation"])[:3]
    ('process', 1, ['bootstrap_failed', 'coefficients', 'conditional_interactions'])
    """
    variables, options = result.variables, result.options
    config = {"model": result.model if result.model is not None else variables.get("syntax"), "x": variables["x"],
              "m": variables.get("m") or None, "w": variables.get("w"), "z": variables.get("z"),
              "y": variables["y"] if result.model is not None else None, "cov": variables.get("covariates") or None,
              "group": groups.group if groups is not None else None, "bootstrap": options["bootstrap"],
              "seed": options["seed"], "hc": options["hc"], "center": options["center"], "conf": options["conf"],
              "lang": lang}
    block = result.to_dict()
    if groups is not None:
        block["groups"] = groups.to_dict()
    return {"semtrust_version": __version__, "software": software_versions(SOFTWARE), "method": "process",
            "n": result.n, "seed": options["seed"], "input": {"data": data or "<DataFrame>", "sha256": sha256},
            "config": config,
            "command": process_command(data, config) if data and result.model is not None else None,
            "moderation": block}


def save_process(result, out_dir: str | Path, groups=None, *, data: str | Path | None = None,
                 lang: str = "en") -> dict[str, Path]:
    """Write a PROCESS run's results.json and reports into ``out_dir``, all or none; ``data`` (the
    input file, never overwritten) is named in results.json. Returns ``{file name: path}``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> from semtrust.structural.moderation import process
    >>> fit = process(data, 1, x="x", w="w", y="y")
    >>> import tempfile
    >>> sorted(save_process(fit, tempfile.mkdtemp()))
    ['johnson_neyman.pdf', 'johnson_neyman.svg', 'report.docx', 'report.html', 'report.tex', 'results.json', 'simple_slopes.pdf', 'simple_slopes.svg', 'tables.xlsx']
    """
    with OutputFolder(out_dir, {"data": data} if data else None) as folder:
        return commit_process(folder, result, groups, data=data, lang=lang)


def commit_process(folder: OutputFolder, result, groups=None, *, data: str | Path | None = None,
                   lang: str = "en") -> dict[str, Path]:
    """Render a PROCESS run's files and commit them to an open output ``folder``.

    >>> import numpy as np, pandas as pd, tempfile
    >>> from semtrust.io.output_folder import OutputFolder
    >>> from semtrust.structural.moderation import process
    >>> rng = np.random.default_rng(3); x, w = rng.normal(size=(2, 150))
    >>> data = pd.DataFrame({"x": x, "w": w, "y": 0.4 * x + 0.5 * x * w + rng.normal(size=150)})
    >>> fit = process(data, 1, x="x", w="w", y="y")
    >>> with OutputFolder(tempfile.mkdtemp()) as folder:
    ...     written = commit_process(folder, fit)
    >>> sorted(written)[:3]
    ['johnson_neyman.pdf', 'johnson_neyman.svg', 'report.docx']
    """
    from semtrust.io.survey import input_hash

    results = process_results(result, groups, data=Path(data).name if data else None,
                              sha256=input_hash(data) if data else None, lang=lang)
    return folder.commit(report_files(results))
