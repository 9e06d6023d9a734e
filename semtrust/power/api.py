"""Power analysis: the entry point, :func:`power`, tying population, replications, Dask and summary together.

>>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=40, seed=1, scheduler="synchronous")
>>> result.power_table.index.tolist()
['m ~ x', 'y ~ m', 'x -> m -> y', 'exact fit (χ² test)', 'close fit (RMSEA ≤ .05)']
>>> result.power_table.loc["x -> m -> y"].round(2).tolist()
[0.88, 1.0]
>>> result.required_n_all
60
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from semtrust.errors import InputError
from semtrust.model.instrument import Instrument, load_instrument
from semtrust.model.syntax import parse_model
from semtrust.power.execute import batch_jobs, choose_batch, run_batches
from semtrust.power.population import Population, canonical_syntax
from semtrust.power.replicate import build_design
from semtrust.power.results import PowerResult, summarise

__all__ = ["power"]

DEFAULT_SEED = 20261123
RESPONSES = ("continuous", "likert")
GENERIC_POINTS = 7


def _text(value: str | os.PathLike, what: str) -> tuple[str, str]:
    """(syntax, source name) from syntax text or a file path."""
    if isinstance(value, os.PathLike) or ("\n" not in str(value) and Path(str(value)).suffix in (".lav", ".txt")):
        path = Path(value)
        if not path.is_file():
            raise InputError(f"{path}: no such {what} file")
        return path.read_text(encoding="utf-8-sig"), str(path)
    return str(value), f"<{what}>"


def _resolve(instrument, model, population, seed: int, response: str | None):
    """(population, analysis syntax, analysis source, hypotheses by path label, where the
    population came from: instrument, pilot, population, model or given; the instrument)."""
    inst = load_instrument(instrument) if isinstance(instrument, (str, os.PathLike)) else instrument
    hypotheses = {} if inst is None else {f"{h.target} ~ {h.source}": h.id for h in inst.hypotheses}
    analysis = _text(model, "model") if model is not None else None
    if isinstance(population, Population):
        pop, origin = population, "given"
    elif population is not None and Path(str(population)).suffix == ".json":
        pop, pilot_syntax = Population.from_results(population)
        analysis, origin = analysis or (pilot_syntax, f"{population} (model)"), "pilot"
    elif population is not None:
        pop, origin = Population.from_syntax(*_text(population, "population")), "population"
    elif inst is not None:
        pop, origin = Population.from_instrument(inst, seed), "instrument"
    elif analysis is not None:
        origin = "model"
        # the model's values are the population; its labels and defined effects (ind := a*b) are the analysis's
        spec = parse_model(*analysis)
        pop = Population.from_syntax(*analysis, analysis=True)
        analysis = (canonical_syntax(spec.statements, values=False, definitions=spec.definitions), analysis[1])
    else:
        raise InputError("nothing to analyse: give an instrument, a model with standardized values, "
                         "or a population model (--instrument, --model, --population)")
    if analysis is None:
        if inst is not None:
            analysis = (inst.model_syntax(), f"instrument {inst.id}")
        else:
            analysis = (canonical_syntax(parse_model(pop.syntax, pop.source).statements, values=False), pop.source)
    response = response or ("likert" if pop.thresholds is not None else "continuous")
    if response not in RESPONSES:
        raise InputError(f"--response {response}: use one of {', '.join(RESPONSES)}")
    if response == "continuous":
        pop = replace(pop, thresholds=None)
    elif pop.thresholds is None:
        pop = pop.with_likert(inst.scale.points if inst is not None else GENERIC_POINTS)
    return pop, analysis[0], analysis[1], hypotheses, origin, inst


def power(instrument: str | Instrument | None = None, model: str | os.PathLike | None = None,
          population: str | os.PathLike | Population | None = None, n: list[int] = (200, 400, 600, 800, 1000),
          reps: int = 1000, ci: str = "mc", bootstrap: int = 0, alpha: float = 0.05, target: float = 0.80,
          seed: int = DEFAULT_SEED, scheduler: str | None = None, workers: int | None = None,
          response: str | None = None, mc_draws: int = 1000, batch: int | None = None,
          progress=lambda done, total: None) -> PowerResult:
    """Monte Carlo power of every structural path and indirect effect at each sample size in ``n``.

    The population is ``population`` (standardized lavaan syntax, a ``.lav`` file, or a pilot's
    ``results.json``), else drawn from ``instrument``'s hypotheses, else ``model``'s own values;
    the analysis model is ``model``, else the instrument's, else the population's with its
    values freed. ``response`` is ``"likert"`` (the instrument's scale, or 7 points) or
    ``"continuous"``; by default Likert for instruments. Indirect effects are tested by
    Monte Carlo CIs of ``mc_draws`` draws (``ci="mc"``) or percentile bootstrap CIs of
    ``bootstrap`` resamples (``ci="bootstrap"``). ``scheduler``: None runs an embedded Dask
    LocalCluster with ``workers`` processes (default: all cores), ``"tcp://HOST:8786"`` an
    existing Dask cluster, ``"synchronous"`` this process. The numbers depend on the seed
    only, never on ``workers``, ``scheduler`` or ``batch`` (replications per task). A script
    that uses the embedded cluster needs the usual ``if __name__ == "__main__":`` guard, since
    the worker processes are spawned and import it.

    >>> from semtrust.power import power
    >>> result = power(model="m ~ 0.4*x\\ny ~ 0.4*m", n=[60, 120], reps=20, seed=1, scheduler="synchronous")
    >>> result.power_table.round(2).to_dict("index")
    {'m ~ x': {60: 0.95, 120: 1.0}, 'y ~ m': {60: 1.0, 120: 1.0}, 'x -> m -> y': {60: 0.9, 120: 1.0}, 'exact fit (χ² test)': {60: 0.1, 120: 0.15}, 'close fit (RMSEA ≤ .05)': {60: 0.1, 120: 0.1}}
    """
    ns = [int(v) for v in n]
    if not ns or len(set(ns)) != len(ns):
        raise InputError(f"--n {ns}: give distinct sample sizes, e.g. 200:1000:100")
    if reps < 1:
        raise InputError(f"--reps {reps}: run at least one replication (1000 advised)")
    if not 0 < target < 1:
        raise InputError(f"--target {target}: give the wanted power as a proportion, e.g. .80")
    pop, syntax, source, hypotheses, origin, inst = _resolve(instrument, model, population, seed, response)
    design = build_design(pop, syntax, seed=seed, alpha=alpha, ci=ci, mc_draws=mc_draws,
                          bootstrap=bootstrap, source=source)
    smallest = len(design.compiled.observed) + 2
    if min(ns) < smallest:
        raise InputError(f"--n {min(ns)}: the model has {smallest - 2} observed variables; "
                         f"simulate at least {smallest} cases per sample")
    batch = batch or choose_batch(design, ns, reps)
    parts = run_batches(design, batch_jobs(ns, reps, batch), scheduler=scheduler, workers=workers,
                        progress=progress)
    settings = {"n": ns, "reps": reps, "ci": ci, "bootstrap": design.bootstrap,
                "mc_draws": mc_draws if ci == "mc" else None, "alpha": alpha, "seed": seed,
                "response": "likert" if pop.thresholds is not None else "continuous", "population_from": origin,
                "analysis_source": source,
                "instrument": getattr(instrument, "id", None if instrument is None else str(instrument)),
                "report_language": getattr(inst, "report_language", None)}
    return summarise(design, parts, ns, reps, target=target, hypotheses=hypotheses, settings=settings)
