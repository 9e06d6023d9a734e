"""Study files: ``semtrust fit study.yaml`` declares a whole run, so it can be repeated exactly.

A study file names the data and every choice of the analysis; paths are relative to the file.
Flags given on the command line override the file; the resolved configuration is echoed
into results.json (``config``) and the reports. Unknown keys are refused by name.

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

>>> resolve_config(None, {"data": "survey.csv", "bootstrap": 0})["bootstrap"]
0
"""
from __future__ import annotations

from pathlib import Path

from semtrust.errors import InputError
from semtrust.instrument import parse_yaml

DEFAULT_SEED = 20261123   # lives here, not in semtrust.pipeline, so that the CLI stays light
FORMATS = ("auto", "wjx", "tencent", "qualtrics", "surveymonkey", "google", "sav", "generic")
CI_METHODS = ("percentile", "bc", "bca", "mc")
ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")
# key -> (accepted types, default); the same keys are the `semtrust fit` flags (dest names)
KEYS = {
    "data": (str, None), "format": (str, "auto"), "mapping": ((str, dict), None),
    "instrument": (str, None), "model": (str, None), "out": (str, "semtrust_output"),
    "reverse": (list, []), "scale_points": (int, None), "na": (list, []),
    "screen": (bool, True), "screening": (dict, None), "id": (str, None), "duration": (str, None),
    "group": (str, None), "summary": (int, None), "marker": (list, []),
    "efa_extraction": (str, "minres"), "efa_rotation": (str, "oblimin"), "measurement_bootstrap": (int, 1000),
    "estimator": (str, "ML"), "missing": (str, "listwise"),
    "bootstrap": (int, 5000), "ci": (str, "percentile"), "workers": (int, None), "seed": (int, DEFAULT_SEED),
}
PATH_KEYS = ("data", "mapping", "model", "out")
CHOICES = {"format": FORMATS, "ci": CI_METHODS, "estimator": ESTIMATORS, "missing": MISSING,
           "efa_extraction": ("minres", "ml"), "efa_rotation": ("oblimin", "promax", "varimax", "none")}


def is_study_file(path: str) -> bool:
    return Path(path).suffix.lower() in (".yaml", ".yml")


def load_study(path: str | Path) -> dict:
    """The settings a study file declares, validated, with paths made relative to the file."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{name}: no such study file")
    data = parse_yaml(path.read_bytes(), name, "study")
    if not isinstance(data, dict):
        raise InputError(f"{name}: a study file is a mapping of keys (data: survey.csv, instrument: ...)")
    settings = {}
    for key, value in data.items():
        if not isinstance(key, str) or key not in KEYS:
            raise InputError(f"{name}: unknown key '{key}'; the keys are {', '.join(KEYS)}")
        settings[key] = check_value(key, value, name)
    if settings.get("data") is None:
        raise InputError(f"{name}: 'data' is missing; add 'data: your_export.xlsx' (relative to the study file)")
    base = path.resolve().parent
    for key in PATH_KEYS:
        if isinstance(settings.get(key), str) and not Path(settings[key]).is_absolute():
            settings[key] = str(base / settings[key])
    instrument = settings.get("instrument")
    if instrument and is_study_file(instrument) and not Path(instrument).is_absolute():
        settings["instrument"] = str(base / instrument)
    return settings


def check_value(key: str, value, where: str):
    """A study-file or flag value of the right type and, for choices, one of the choices."""
    kind, _ = KEYS[key]
    if value is None:
        return None
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        names = {"int": "a whole number", "str": "a text", "list": "a list", "dict": "a mapping", "bool": "true or false"}
        raise InputError(f"{where}: '{key}' must be {names.get(wanted, wanted)}, not {value!r}")
    if key in CHOICES and value not in CHOICES[key]:
        raise InputError(f"{where}: '{key}: {value}' must be one of {', '.join(CHOICES[key])}")
    if key == "reverse" and not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: 'reverse' lists item ids, e.g. [HT4, PV4]")
    if key == "na" and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise InputError(f"{where}: 'na' lists numeric missing-value codes, e.g. [-99, 999]")
    if key in ("marker", "reverse") and not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{key}' lists column or item ids, e.g. [AT1, AT2]")
    if key in ("bootstrap", "workers", "measurement_bootstrap") and value < 0 or key == "scale_points" and not 2 <= value <= 11:
        raise InputError(f"{where}: '{key}: {value}' is out of range")
    if key == "mapping" and isinstance(value, dict):
        from semtrust.mapping import check_mapping
        return check_mapping(value, f"{where}: mapping")
    if key == "screening" and not all(isinstance(k, str) for k in value):
        raise InputError(f"{where}: 'screening' keys are rule names (texts)")
    return list(value) if isinstance(value, list) else value


def resolve_config(study_path: str | None, flags: dict) -> dict:
    """Defaults, then the study file, then the flags the user gave (those not None)."""
    config = {key: (list(default) if isinstance(default, list) else default) for key, (_, default) in KEYS.items()}
    if study_path is not None:
        config.update(load_study(study_path))
    for key, value in flags.items():
        if key in KEYS and value is not None:
            config[key] = check_value(key, value, "command line")
    if config["data"] is None:
        raise InputError("no data: give a data file or a study file with 'data:'")
    if config["instrument"] is None and config["model"] is None:
        config["instrument"] = "trust_mechanism"
    config["study"] = None if study_path is None else str(study_path)
    return config


def run_fit_arguments(config: dict) -> dict:
    """Keyword arguments of ``run_fit`` for a resolved configuration."""
    arguments = {"instrument": config["instrument"], "model_path": config["model"], "reverse": config["reverse"],
                 "scale_points": config["scale_points"], "missing_codes": config["na"],
                 "bootstrap": config["bootstrap"], "ci": config["ci"], "workers": config["workers"],
                 "group": config["group"], "summary_n": config["summary"], "seed": config["seed"],
                 "format": config["format"], "mapping": config["mapping"],
                 "estimator": config["estimator"], "missing": config["missing"],
                 "measurement_bootstrap": config["measurement_bootstrap"], "markers": config["marker"],
                 "efa_extraction": config["efa_extraction"], "efa_rotation": config["efa_rotation"],
                 "screen": config["screen"], "id_column": config["id"], "duration_column": config["duration"]}
    if config["screening"] is not None:
        from semtrust.screening import ScreeningRules   # the screening stage owns its keys
        where = f"{config['study'] or 'command line'}: screening"
        try:
            arguments["screening_rules"] = ScreeningRules.from_dict(config["screening"], where)
        except (TypeError, ValueError) as error:
            raise InputError(f"{where}: {error}") from None
    return arguments
