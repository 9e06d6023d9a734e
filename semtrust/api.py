"""The public Python API: pandas in, pandas out. ``import semtrust as st``.

``st.fit`` runs the whole study, exactly as ``semtrust fit`` does; the stage functions run one
stage each, for a notebook that wants only that.

>>> import numpy as np, pandas as pd
>>> import semtrust as st
>>> rng = np.random.default_rng(7)
>>> f = rng.normal(size=(400, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
>>> df = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=400) for i in range(6)})
>>> model = "F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6"
>>> fit = st.cfa(df, model)
>>> fit.fit_measures["df"], round(float(fit.fit_measures["cfi"]), 3)
(8, 1.0)
>>> st.reliability(df, model)[["alpha", "cr", "ave"]].round(3)
    alpha     cr    ave
F1  0.826  0.827  0.614
F2  0.848  0.848  0.650
>>> round(float(st.htmt(df, model).loc["F1", "F2"]), 3)
0.515
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from semtrust.config import RunConfig
from semtrust.estimation.base import FittedModel
from semtrust.estimation.ml import SEM
from semtrust.estimation.select import fit_model
from semtrust.model.syntax import parse_model
from semtrust.results import Study

__all__ = ["fit", "sem", "cfa", "reliability", "htmt", "read_survey", "screen", "process", "compare_groups"]


def fit(data: pd.DataFrame | str | Path, model: str | Path | None = None, instrument: str | None = None,
        *, progress=None, **options) -> Study:
    """Run a whole study: screening, measurement model, structural model, effects, reports.

    ``data`` is a DataFrame (one row per respondent, or with ``summary=N`` a covariance or
    correlation matrix), or the path of a survey export. ``model`` is lavaan syntax (text or a
    ``.lav`` file); without it the ``instrument`` (default ``trust_mechanism``) supplies the model.
    ``options`` are the study-file keys (``bootstrap=5000``, ``estimator="MLR"``, ``missing="fiml"``,
    ``group="platform"``, ``screen=False``, ``seed=...``; see :class:`semtrust.config.RunConfig`).
    ``method="pls"`` estimates the model by PLS-SEM instead (``pls_weighting``, ``pls_consistent``,
    ``higher_order``, ``plspredict``, ``compare_models``) and reports it after Hair et al. (2019); see README
    "PLS-SEM".

    >>> import semtrust as st
    >>> s = st.fit("example_data/trust_survey.csv", bootstrap=0, measurement_bootstrap=0)  # doctest: +SKIP
    >>> s.fit_measures.loc[["cfi", "rmsea"]]                                               # doctest: +SKIP
    """
    from semtrust import pipeline

    frame = data if isinstance(data, pd.DataFrame) else None
    settings = dict(options, model=None if model is None else str(model), instrument=instrument,
                    data=None if frame is not None else str(data))
    config = RunConfig.from_options(settings)
    return pipeline.run(config, frame, **({"progress": progress} if progress else {}))


def sem(data: pd.DataFrame, model: str, *, estimator: str = "ML", missing: str = "listwise",
        ordered: list[str] | None = None) -> FittedModel:
    """Fit a lavaan-syntax model by ML (``estimator="MLR"`` for robust SEs and scaled tests,
    ``missing="fiml"`` for full-information ML), with lavaan's ``sem()`` defaults; with
    ``estimator="WLSMV"`` (``ULSMV``, ``DWLS``) the items ``ordered`` (None: all observed
    variables) are ordinal, as lavaan's ``ordered =``.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=500); m = 0.5 * x + rng.normal(size=500); y = 0.4 * m + rng.normal(size=500)
    >>> fit = sem(pd.DataFrame({"x": x, "m": m, "y": y}), "m ~ a*x\\ny ~ b*m\\nab := a*b")
    >>> fit.parameters.query("op == ':='")[["lhs", "est"]].round(3).to_dict("records")
    [{'lhs': 'ab', 'est': 0.197}]
    """
    return fit_model(model, data, estimator=estimator, missing=missing, ordered=ordered)


def cfa(data: pd.DataFrame, model: str, *, estimator: str = "ML", missing: str = "listwise",
        ordered: list[str] | None = None) -> FittedModel:
    """Fit a measurement model (lavaan's ``cfa()`` and ``sem()`` share their defaults here).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=300)
    >>> df = pd.DataFrame({f"y{i}": f + rng.normal(scale=0.8, size=300) for i in (1, 2, 3, 4)})
    >>> fit = cfa(df, "F =~ y1 + y2 + y3 + y4", estimator="MLR")
    >>> fit.fit_measures[["df", "npar"]].tolist(), "chisq_scaled" in fit.fit_measures
    ([2, 8], True)
    """
    return sem(data, model, estimator=estimator, missing=missing, ordered=ordered)


def reliability(data: pd.DataFrame, model: str) -> pd.DataFrame:
    """Per construct of ``model``'s ``=~`` part: α with its CI, ω, CR, AVE, MSV, ASV and the
    verdicts, from the CFA of the complete responses (columns as results.json ``reliability``).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> df = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> reliability(df, "F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6")[["alpha", "omega", "cr", "ave", "msv"]].astype(float).round(3)
        alpha  omega     cr    ave    msv
    F1  0.808  0.811  0.810  0.589  0.218
    F2  0.833  0.833  0.833  0.625  0.218
    """
    from semtrust.assessment.reliability import item_groups, measurement_model
    from semtrust.assessment.validity import assess_measurement

    spec = parse_model(model, "model")
    cfa_spec = measurement_model(spec)
    complete = data[spec.observed].astype(float).dropna()
    fitted = SEM(cfa_spec).fit(complete)
    quality = assess_measurement(complete, item_groups(spec), fitted)
    return pd.DataFrame.from_dict(quality.to_dict()["reliability"], orient="index")


def htmt(data: pd.DataFrame, model: str, *, htmt2: bool = False) -> pd.DataFrame:
    """The heterotrait–monotrait ratio matrix of ``model``'s constructs (semTools ``htmt``);
    ``htmt2=True`` gives the geometric-mean version.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7); f = rng.normal(size=(300, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    >>> df = pd.DataFrame({f"x{i + 1}": f[:, i // 3] + rng.normal(scale=0.7, size=300) for i in range(6)})
    >>> htmt(df, "F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6").round(3)
           F1     F2
    F1    NaN  0.468
    F2  0.468    NaN
    """
    from semtrust.assessment.reliability import item_groups
    from semtrust.assessment.validity import htmt as htmt_matrix

    spec = parse_model(model, "model")
    complete = data[spec.observed].astype(float).dropna()
    return htmt_matrix(complete.corr(), item_groups(spec), geometric=htmt2)


def read_survey(path: str | Path, format: str | None = None) -> pd.DataFrame:
    """A survey export (WJX, Tencent, Qualtrics, SurveyMonkey, Google Forms, SPSS or a plain
    table) as a DataFrame of its cells; the platform, id and duration columns the reader found
    are in ``frame.attrs``. The file is never modified.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = path.write_text("respondent_id,duration,CA1,CA2\\n1,300,5,6\\n2,280,4,4\\n", encoding="utf-8")
    >>> frame = read_survey(path)
    >>> frame.shape, frame.attrs["id_column"], frame.attrs["duration_column"]
    ((2, 4), 'respondent_id', 'duration')
    """
    from semtrust.io.survey import read_survey as read

    table = read(path, format)
    frame = table.frame.copy()
    frame.attrs.update(platform=table.platform, id_column=table.id_column,
                       duration_column=table.duration_column, encoding=table.encoding)
    return frame


def screen(data: pd.DataFrame, items: list[str], *, points: int, **rules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Careless-responding screening of Likert answers (the seven rules of ``semtrust fit``;
    ``rules`` are :class:`semtrust.screening.careless.ScreeningRules` settings): returns the
    kept rows and the log of excluded and flagged respondents (``row respondent_id step rule
    action reason``).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> answers = pd.DataFrame(rng.integers(1, 8, size=(30, 10)), columns=[f"Q{i}" for i in range(1, 11)])
    >>> answers.loc[3] = 1    # one straight-liner among thirty respondents
    >>> kept, log = screen(answers, [f"Q{i}" for i in range(1, 11)], points=7, skip=["mahalanobis"])
    >>> len(kept), log.loc[log.action == "excluded", "rule"].tolist()
    (29, ['longstring'])
    """
    from semtrust.io.survey import code_items, read_survey as read
    from semtrust.screening.careless import ScreeningRules, screen_survey

    table = read(data)
    coded = code_items(table, items, points=points)
    result = screen_survey(table, coded.frame, rules=ScreeningRules.from_dict(rules, "screen()"),
                           groups={"items": list(items)}, reversed_items=[], points=points)
    return data.iloc[list(result.kept)], result.log()


def process(data: pd.DataFrame, model: int | str, x: str, y: str | None = None, m=None, w: str | None = None,
            z: str | None = None, covariates=(), **options):
    """Hayes's PROCESS model ``model`` (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 21, 58, 59) on observed columns,
    with PROCESS's names, or a model written as lavaan regressions with product terms
    (``model="m ~ x + w + x:w\\ny ~ m + x"``, only ``x`` needed); ``options``: ``center``, ``hc``
    ("HC0"-"HC4"), ``bootstrap`` (5000), ``seed``, ``conf`` (95), ``workers``. Returns a
    :class:`~semtrust.structural.moderation.ProcessResult` (``.coefficients``,
    ``.direct_effects``, ``.indirect_effects``, ``.index_of_moderated_mediation``, ``.jn``,
    ``.summary()``, ``.to_dict()``, and ``.save(dir, lang="en")`` for results.json and the reports).

    >>> import numpy as np, pandas as pd
    >>> import semtrust as st
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(rng.normal(size=(200, 3)), columns=["trust", "involvement", "purchase"])
    >>> df["purchase"] += 0.5 * df.trust * df.involvement
    >>> r = st.process(df, model=1, x="trust", w="involvement", y="purchase")
    >>> r.coefficients.set_index("term").loc["trust:involvement", ["b", "p"]].round(3).tolist()
    [0.507, 0.0]
    """
    from semtrust.errors import InputError
    from semtrust.structural.moderation import process as estimate
    from semtrust.structural.moderation import process_syntax

    if isinstance(model, str):
        if y or m or w or z or covariates:
            raise InputError("a model written as regressions names its variables itself; give only x")
        return process_syntax(data, model, x, **options)
    return estimate(data, model, x, y, m, w, z, covariates, **options)


def compare_groups(data: pd.DataFrame, group: str, x: str, y: str, m=None, covariates=(), **options):
    """A categorical moderator: the X (→ M) → Y paths by group with b, SE, p and β, and pairwise
    group contrasts with Holm-adjusted p (:func:`semtrust.structural.group_paths.compare_groups`).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"platform": np.repeat(["Douyin", "Kuaishou"], 100), "trust": rng.normal(size=200)})
    >>> data["buy"] = np.where(data.platform == "Douyin", 0.6, 0.2) * data.trust + rng.normal(size=200)
    >>> result = compare_groups(data, "platform", x="trust", y="buy")
    >>> result.contrasts[["path", "group_1", "group_2", "difference", "p_holm"]].round(3)
              path group_1   group_2  difference  p_holm
    0  buy ~ trust  Douyin  Kuaishou       0.642     0.0
    """
    from semtrust.structural.group_paths import compare_groups as compare

    return compare(data, group, x, y, m, covariates, **options)
