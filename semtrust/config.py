"""One run configuration: every choice of a ``semtrust fit`` run, validated once.

Study files, command-line flags and the Python API (``st.fit(df, **options)``) all produce a
:class:`RunConfig`; the pipeline reads nothing else, and ``RunConfig.echo()`` is what
results.json records as ``config``, so a run can be repeated exactly. The keys are the study
file's keys and the ``semtrust fit`` flags. This module imports nothing heavy, so the CLI can
use its choices at start-up.

>>> config = RunConfig.from_options({"data": "survey.csv", "bootstrap": 0, "estimator": "MLR"}).resolved()
>>> config.bootstrap, config.estimator, config.instrument
(0, 'MLR', 'trust_mechanism')
>>> RunConfig.from_options({"data": "survey.csv", "ci": "wald"})
Traceback (most recent call last):
...
semtrust.errors.InputError: options: 'ci: wald' must be one of percentile, bc, bca, mc
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from semtrust.errors import InputError, shown
from semtrust.io.formats import FORMATS

__all__ = ["RunConfig"]

DEFAULT_SEED = 20261123
SCHEDULER_PREFIXES = ("tcp://", "tls://", "ws://", "wss://", "inproc://")   # a Dask scheduler's address
CI_METHODS = ("percentile", "bc", "bca", "mc")
REPORT_LANGUAGES = ("en", "zh")
# the report's sections in order (semtrust.report.sections builds them): main part, then appendix
REPORT_SECTIONS = ("summary", "sample", "measurement", "pls_measurement", "fit", "structural", "pls_structural",
                   "mediation", "moderation", "cmb",
                   "invariance", "ipma", "pls_groups",
                   "screening", "missing", "items", "correlations", "contrasts", "models", "mi", "efa", "pls_details",
                   "warnings", "reproducibility")   # pls_*, ipma: a PLS-SEM run's (report.pls_sections)
ESTIMATORS = ("ML", "MLR", "WLSMV", "ULSMV", "DWLS")
CATEGORICAL_ESTIMATORS = ("WLSMV", "ULSMV", "DWLS")   # the items are ordinal (see ``ordered``)
MISSING = ("auto", "listwise", "fiml", "pairwise")
EFA_EXTRACTIONS = ("minres", "ml")
EFA_ROTATIONS = ("oblimin", "promax", "varimax", "none")
METHODS = ("cb", "pls")                           # covariance-based SEM (ML/MLR) or PLS-SEM
PLS_WEIGHTINGS = ("path", "factorial", "centroid")
HIGHER_ORDER = ("repeated", "two_stage")
MODERATION = ("latent", "scores")   # moderation hypotheses: latent interactions (lavaan + semTools) or PROCESS on scale scores
CHOICES = {"format": FORMATS, "ci": CI_METHODS, "estimator": ESTIMATORS, "missing": MISSING,
           "efa_extraction": EFA_EXTRACTIONS, "efa_rotation": EFA_ROTATIONS, "lang": REPORT_LANGUAGES,
           "method": METHODS, "pls_weighting": PLS_WEIGHTINGS, "higher_order": HIGHER_ORDER,
           "moderation": MODERATION}
PATH_KEYS = ("data", "mapping", "model", "out")
NOT_ECHOED = ("out", "workers", "scheduler")   # where and how fast a run goes does not change its results
PLS_KEYS = ("method", "pls_weighting", "pls_consistent", "higher_order", "plspredict", "compare_models",
            "global_items")   # echoed by PLS runs only
INPUT_KEYS = ("data", "study", "mapping", "model", "instrument")   # the keys that can name input files
_TYPE_NAMES = {"int": "a whole number", "str": "a text", "list": "a list", "dict": "a mapping",
               "bool": "true or false"}


@dataclass(frozen=True)
class RunConfig:
    """Every setting of a run (the study-file keys; see README "Study files").

    >>> config = RunConfig.from_options({"data": "survey.csv", "bootstrap": 2000, "estimator": "MLR"})
    >>> config.bootstrap, config.estimator, config.seed == RunConfig().seed
    (2000, 'MLR', True)
    >>> RunConfig.from_options({"data": "survey.csv", "bootstrap": -1})
    Traceback (most recent call last):
    semtrust.errors.InputError: options: 'bootstrap: -1' is out of range; use 0 or more
    """

    data: str | None = None
    format: str = "auto"
    mapping: str | dict | None = None
    instrument: str | None = None
    model: str | None = None          # a lavaan-syntax file, or (from the Python API) syntax text
    out: str = "semtrust_output"
    reverse: list = field(default_factory=list)
    scale_points: int | None = None
    na: list = field(default_factory=list)
    screen: bool = True
    screening: dict | None = None
    id: str | None = None
    duration: str | None = None
    group: str | None = None
    moderator: list = field(default_factory=list)   # moderator construct ids: run their moderation hypotheses
    moderation: str = "latent"        # how: latent interactions (double-mean-centred products) or scale scores
    summary: int | None = None
    marker: list = field(default_factory=list)
    efa_extraction: str = "minres"
    efa_rotation: str = "oblimin"
    measurement_bootstrap: int = 1000
    estimator: str = "ML"
    ordered: str | list | None = None   # "all" or items; default all under WLSMV/ULSMV/DWLS with an instrument
    missing: str = "auto"          # FIML when any analysed answer is missing, else listwise
    bootstrap: int = 5000
    ci: str = "percentile"
    workers: int | None = None
    scheduler: str | None = None      # a Dask scheduler (tcp://HOST:8786) for the bootstraps; None: local processes
    seed: int = DEFAULT_SEED
    lang: str | None = None           # report language; None: the instrument's report_language, else en
    sections: list = field(default_factory=list)   # report sections to write (ids); empty: all
    method: str = "cb"                 # "pls": PLS-SEM (Hair et al. 2019 report) instead of CB-SEM
    pls_weighting: str = "path"        # PLS inner weighting scheme (SmartPLS's default is path)
    pls_consistent: bool = False       # PLSc (Dijkstra & Henseler 2015) for the reflective constructs
    higher_order: str = "repeated"     # constructs measured by constructs: repeated indicators or two-stage
    plspredict: bool = True            # PLSpredict (10 folds x 10 repetitions) and CVPAT in PLS runs
    compare_models: list = field(default_factory=list)   # PLS: competing models (syntax files) compared by BIC/GM
    global_items: dict = field(default_factory=dict)   # PLS: formative construct -> its global single item column
    study: str | None = None

    @classmethod
    def keys(cls) -> list[str]:
        """The keys a study file (and ``st.fit(**options)``) may set."""
        return [f.name for f in fields(cls) if f.name != "study"]

    @classmethod
    def from_options(cls, options: dict, where: str = "options", base: "RunConfig | None" = None) -> "RunConfig":
        """``base`` (the defaults) updated by ``options``, each value checked; None keeps the base."""
        known = cls.keys()
        values = {}
        for key, value in options.items():
            if not isinstance(key, str) or key not in known:
                raise InputError(f"{where}: unknown key {shown(key)}; the keys are {', '.join(known)}")
            if value is not None:
                values[key] = _check_value(key, value, where)
        return replace(base or cls(), **values)

    def resolved(self) -> "RunConfig":
        """The configuration a run uses: the bundled trust instrument when neither an
        instrument nor a model is given."""
        if self.instrument is None and self.model is None:
            return replace(self, instrument="trust_mechanism")
        return self

    def echo(self) -> dict:
        """The configuration as results.json records it (``config``); input files by their
        :meth:`relative` path, so moving a project does not change it."""
        hidden = NOT_ECHOED + (PLS_KEYS if self.method == "cb" else ())   # CB runs' config as before PLS
        echoed = {k: v for k, v in asdict(self).items() if k not in hidden
                  and not (k == "ordered" and v is None)     # only a categorical run has ordinal items
                  and not (k == "moderation" and not self.moderator)   # nor a run without moderators how
                  and not (k == "global_items" and not v)}   # nor a run without redundancy analysis its items
        return {**echoed, **{key: self.relative(path) for key, path in self.input_files().items()}}

    def input_files(self) -> dict[str, str]:
        """The run's input files (``{key: path}``): the data, study, mapping, model and
        instrument files that exist (a model may also be syntax text, an instrument a bundled id)."""
        return {key: value for key in INPUT_KEYS
                if isinstance(value := getattr(self, key), str) and os.path.isfile(value)}

    def relative(self, path: str) -> str:
        """``path`` relative to the study file's folder (to the working folder without a study
        file), with ``/`` separators: what results.json records instead of an absolute path.

        >>> RunConfig(study="/home/ana/project/study.yaml").relative("/home/ana/project/data/wjx.xlsx")
        'data/wjx.xlsx'
        """
        base = Path(self.study).resolve().parent if self.study else os.getcwd()
        try:
            return Path(os.path.relpath(os.path.abspath(path), base)).as_posix()
        except ValueError:   # another drive (Windows): the file name
            return Path(path).name


def _check_value(key: str, value, where: str):
    """A study-file, flag or API value of the right type and, for choices, one of the choices."""
    kind = _KINDS[key]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        wanted = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(f"{where}: '{key}' must be {_TYPE_NAMES.get(wanted, wanted)}, not {shown(value)}")
    if key in CHOICES and value not in CHOICES[key]:
        raise InputError(f"{where}: '{key}: {value[:60]}' must be one of {', '.join(CHOICES[key])}")
    if key == "na" and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise InputError(f"{where}: 'na' lists numeric missing-value codes, e.g. [-99, 999]")
    if key in ("marker", "reverse", "moderator", "ordered") and isinstance(value, list) \
            and not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{key}' lists column or item ids, e.g. [AT1, AT2]")
    if key == "ordered" and isinstance(value, str) and value != "all":
        raise InputError(f"{where}: 'ordered: {value[:60]}' must be all or a list of items, e.g. [AT1, AT2]")
    if key == "sections" and not set(value) <= set(REPORT_SECTIONS):
        raise InputError(f"{where}: 'sections' lists report sections: {', '.join(REPORT_SECTIONS)}")
    if (key in ("bootstrap", "workers", "measurement_bootstrap") and value < 0 or key == "scale_points"
            and not 2 <= value <= 11 or key == "seed" and not 0 <= value < 2 ** 63 or key == "summary" and value < 2):
        raise InputError(f"{where}: '{key}: {shown(value)}' is out of range; use {_RANGES[key]}")
    if key == "scheduler" and not value.startswith(SCHEDULER_PREFIXES):
        raise InputError(f"{where}: 'scheduler: {value[:60]}' must be a Dask scheduler's address, e.g. tcp://HOST:8786")
    if key == "mapping" and isinstance(value, dict):
        from semtrust.io.mapping import check_mapping   # the mapping reader owns its rules
        return check_mapping(value, f"{where}: mapping")
    if key == "compare_models" and not all(isinstance(m, str) for m in value):
        raise InputError(f"{where}: 'compare_models' lists model files (texts)")
    if key == "global_items" and not all(isinstance(k, str) and k and isinstance(v, str) and v
                                         for k, v in value.items()):
        raise InputError(f"{where}: 'global_items' maps each formative construct to its global item column, "
                         "e.g. {CSOR: csor_global}")
    if key == "screening" and not all(isinstance(k, str) for k in value):
        raise InputError(f"{where}: 'screening' keys are rule names (texts)")
    return list(value) if isinstance(value, list) else value


_RANGES = {"bootstrap": "0 or more", "workers": "0 or more", "measurement_bootstrap": "0 or more",
           "scale_points": "2 to 11", "seed": "a whole number from 0 to 2^63 - 1", "summary": "2 or more cases"}
_KINDS = {"data": str, "format": str, "mapping": (str, dict), "instrument": str, "model": str, "out": str,
          "reverse": list, "scale_points": int, "na": list, "screen": bool, "screening": dict, "id": str,
          "duration": str, "group": str, "moderator": list, "summary": int, "marker": list, "efa_extraction": str,
          "efa_rotation": str, "measurement_bootstrap": int, "estimator": str, "missing": str,
          "bootstrap": int, "ci": str, "workers": int, "seed": int, "lang": str, "sections": list,
          "method": str, "pls_weighting": str, "pls_consistent": bool, "higher_order": str, "plspredict": bool,
          "compare_models": list, "global_items": dict,
          "ordered": (str, list), "moderation": str, "scheduler": str}
