"""Input stage: study files. ``semtrust fit study.yaml`` declares a whole run, so it can be repeated exactly.

A study file names the data and every choice of the analysis (the keys of
:class:`semtrust.config.RunConfig`); paths are relative to the file. Flags given on the command
line override the file; the resolved configuration is echoed into results.json (``config``) and
the reports. Unknown keys are refused by name.

.. code-block:: yaml

    data: wjx_export.xlsx         # required
    format: wjx                   # auto (default), wjx, tencent, qualtrics, surveymonkey, google, sav, generic
    mapping: columns.csv          # or an inline {column: item} mapping
    instrument: trust_mechanism   # or model: my_model.lav
    reverse: [HT4, PV4, RI3]
    screen: true                  # false skips the screening stage (--no-screen)
    screening: {...}              # ScreeningRules settings, e.g. {speed_fraction: 0.5, skip: [evenodd]}
    id: respondent_id             # respondent-id and completion-time columns, when not detected
    duration: seconds
    marker: [AT1, AT2]            # marker items for the common-method-bias marker technique
    efa_extraction: minres        # or ml; efa_rotation: oblimin, promax, varimax, none
    measurement_bootstrap: 1000   # resamples for the CR/AVE/HTMT intervals
    group: platform
    estimator: ML                 # ML or MLR
    missing: listwise             # listwise or fiml
    bootstrap: 5000
    ci: percentile
    seed: 20261123
    out: results/

>>> resolve_config(None, {"data": "survey.csv", "bootstrap": 0}).bootstrap
0
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from semtrust.config import PATH_KEYS, RunConfig
from semtrust.errors import InputError
from semtrust.model.instrument import parse_yaml

__all__ = ["is_study_file", "load_study", "resolve_config"]


def is_study_file(path: str) -> bool:
    """Whether ``path`` names a study file (``.yaml``/``.yml``) rather than data.

    >>> is_study_file("study.yaml"), is_study_file("survey.csv")
    (True, False)
    """
    return Path(path).suffix.lower() in (".yaml", ".yml")


def load_study(path: str | Path) -> RunConfig:
    """The settings a study file declares, validated, with paths made relative to the file.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "study.yaml").write_text("data: survey.csv\\nbootstrap: 500\\nseed: 7\\n", encoding="utf-8")
    >>> config = load_study(folder / "study.yaml")
    >>> config.bootstrap, config.seed, pathlib.Path(config.data) == folder / "survey.csv"
    (500, 7, True)
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such study file")
    data = parse_yaml(path.read_bytes(), name, "study")
    if not isinstance(data, dict):
        raise InputError(f"{name}: a study file is a mapping of keys (data: survey.csv, instrument: ...)")
    config = RunConfig.from_options(data, name)
    if config.data is None:
        raise InputError(f"{name}: 'data' is missing; add 'data: your_export.xlsx' (relative to the study file)")
    base = path.resolve().parent
    paths = {key: str(base / value) for key in PATH_KEYS
             if isinstance(value := getattr(config, key), str) and not Path(value).is_absolute()
             and (key != "out" or "out" in data)}
    if config.compare_models:   # competing model files, like 'model', relative to the study file
        paths["compare_models"] = [str(base / m) if not Path(m).is_absolute() else m for m in config.compare_models]
    if config.instrument and is_study_file(config.instrument) and not Path(config.instrument).is_absolute():
        paths["instrument"] = str(base / config.instrument)
    return replace(config, **paths, study=name)


def resolve_config(study_path: str | None, flags: dict) -> RunConfig:
    """Defaults, then the study file, then the flags the user gave (those not None).

    >>> config = resolve_config(None, {"data": "survey.csv", "bootstrap": 0, "seed": None})
    >>> config.data, config.bootstrap, config.estimator
    ('survey.csv', 0, 'ML')
    """
    base = load_study(study_path) if study_path is not None else None
    flags = {key: value for key, value in flags.items() if key in RunConfig.keys()}
    config = RunConfig.from_options(flags, "command line", base).resolved()
    if config.data is None:
        raise InputError("no data: give a data file or a study file with 'data:'")
    return config
