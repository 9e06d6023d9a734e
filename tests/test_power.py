"""Monte Carlo power analysis: populations against lavaan, power against analytic and published
values, and the same numbers whatever executes the replications (in process, a LocalCluster,
or a real Dask scheduler that loses a worker mid-run)."""
import json
import math
import signal

import numpy as np
import pandas as pd
import pytest
from conftest import CONFORMANCE
from scipy import stats

from semtrust.cli import main
from semtrust.errors import InputError
from semtrust.estimation.ml import SEM
from semtrust.power import power
from semtrust.power.analytic import rmsea_power, rmsea_sample_size
from semtrust.cluster import localhost_cluster
from semtrust.power.population import Population

# Fritz & MacKinnon (2007): X ~ N(0, 1), M = aX + e, Y = bM + e with unit error variances;
# a = b = .39 ("medium") needs N = 78 for power .80 with the percentile bootstrap (their Table 3).
# The same population in standardized form (every variable with unit variance):
FM_A = 0.39 / math.sqrt(1 + 0.39 ** 2)
FM_B = 0.39 * math.sqrt(1 + 0.39 ** 2) / math.sqrt(0.39 ** 2 * (1 + 0.39 ** 2) + 1)
FM_POPULATION = f"m ~ {FM_A:.10f}*x\ny ~ {FM_B:.10f}*m + 0*x"
FM_N = 78


def _tolerance(power_se: float) -> float:
    return 3 * power_se + 0.01


# -- populations -----------------------------------------------------------------------------

def test_population_matches_lavaan_simulatedata_standardized():
    fixture = json.loads((CONFORMANCE / "fixtures" / "power_population.json").read_text())
    pop = Population.from_syntax(fixture["model"])
    order = [pop.observed.index(v) for v in fixture["observed"]]
    np.testing.assert_allclose(pop.covariance[np.ix_(order, order)], np.array(fixture["covariance"]), atol=1e-6)


def test_residual_correlation_scales_by_residual_variances():
    pop = Population.from_syntax("F =~ 0.8*x1 + 0.7*x2 + 0.6*x3\nx1 ~~ 0.2*x2")
    # corr(x1, x2) = .8 * .7 + .2 * sqrt(.36 * .51)
    assert pop.covariance[0, 1] == pytest.approx(0.56 + 0.2 * math.sqrt(0.36 * 0.51), abs=1e-12)


@pytest.mark.parametrize("syntax, message", [
    ("y ~ 0.9*x + 0.9*z", "R² = 1.62"),
    ("F =~ x1 + 0.7*x2 + 0.6*x3", "give 'F =~ x1' its standardized value"),
    ("y ~ 0.3*x\ny ~~ 0.5*y", "variances are implied"),
])
def test_population_errors_name_the_fix(syntax, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("*", r"\*")):
        Population.from_syntax(syntax)


def test_likert_moments_match_a_large_sample():
    pop = Population.from_syntax("F =~ 0.8*a + 0.6*b + 0.7*c").with_likert(5, {"a": 0.3, "c": -0.2})
    exact = pop.moments()
    sample = pop.sample(np.random.default_rng(11), 1_000_000, np.linalg.cholesky(pop.covariance))
    np.testing.assert_allclose(np.cov(sample, rowvar=False, bias=True), exact, atol=0.006)
    assert exact[0, 1] < 0.8 * 0.6 * math.sqrt(exact[0, 0] * exact[1, 1])   # categorising attenuates


def test_pilot_results_json_gives_the_standardized_population(tmp_path):
    pilot = {"model": {"syntax": "m ~ x\ny ~ m"},
             "parameters": [{"lhs": "m", "op": "~", "rhs": "x", "std_all": 0.3},
                            {"lhs": "y", "op": "~", "rhs": "m", "std_all": 0.5},
                            {"lhs": "m", "op": "~~", "rhs": "m", "std_all": 0.91}]}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(pilot))
    pop, syntax = Population.from_results(path)
    assert syntax == "m ~ x\ny ~ m"
    assert pop.covariance[pop.observed.index("x"), pop.observed.index("y")] == pytest.approx(0.15)


# -- analytic power ----------------------------------------------------------------------------

def test_rmsea_power_matches_r():
    fixture = json.loads((CONFORMANCE / "fixtures" / "power_rmsea.json").read_text())
    for row in fixture["power"]:
        assert rmsea_power(row["n"], row["df"], row["rmsea0"], row["rmsea_a"]) == pytest.approx(row["power"], abs=1e-6)


def test_rmsea_sample_size_matches_maccallum_browne_sugawara_table4():
    fixture = json.loads((CONFORMANCE / "fixtures" / "power_rmsea.json").read_text())
    for row in fixture["published_table4"]:
        # the published values came from interval halving: equal or within 1 %
        assert rmsea_sample_size(row["df"]) == pytest.approx(row["close"], rel=0.01)
        assert rmsea_sample_size(row["df"], 0.05, 0.01) == pytest.approx(row["not_close"], rel=0.01)
    assert rmsea_sample_size(10) == 782 and rmsea_sample_size(40, 0.05, 0.01) == 307


def test_close_fit_rejection_rate_matches_maccallum():
    """A one-factor model fitted to a population with a residual correlation chosen so that
    the population RMSEA is .08: the Monte Carlo rejection rate of the close-fit test."""
    from scipy.optimize import brentq

    analysis = "F =~ x1 + x2 + x3 + x4 + x5 + x6"

    def population(r):
        return Population.from_syntax("F =~ " + " + ".join(f"0.7*x{i}" for i in range(1, 7)) + f"\nx1 ~~ {r!r}*x2")

    def rmsea(r):
        pop = population(r)
        fit = SEM(analysis).fit(cov=pd.DataFrame(pop.covariance, index=pop.observed, columns=pop.observed), n=1000)
        return math.sqrt(fit.fit_measures.chisq / 1000 / fit.fit_measures.df)

    r = brentq(lambda r: rmsea(r) - 0.08, 0.01, 0.9)
    result = power(model=analysis, population=population(r), n=[300, 600], reps=1000, seed=2,
                   scheduler="synchronous")
    close = result.summary[result.summary.effect.str.startswith("close fit")]
    for row in close.itertuples():
        assert row.power == pytest.approx(rmsea_power(row.n, 9), abs=_tolerance(row.power_se))


def test_single_path_power_matches_statsmodels():
    from statsmodels.stats.power import TTestPower

    beta = 0.25
    result = power(model=f"y ~ {beta}*x", n=[40, 80, 120], reps=1000, seed=4, scheduler="synchronous")
    rows = result.summary[result.summary.effect == "y ~ x"]
    for row in rows.itertuples():
        # t test of a slope: noncentrality beta / sqrt(1 - beta²) * sqrt(n), df n - 2. The Wald z
        # uses the ML residual variance (divisor n, as lavaan): z = t sqrt(n / (n - 2)), so it rejects
        # when |t| > 1.96 sqrt((n - 2) / n), the t test at the level of that critical value.
        level = 2 * stats.t.sf(stats.norm.ppf(0.975) * math.sqrt((row.n - 2) / row.n), row.n - 2)
        expected = TTestPower().power(effect_size=beta / math.sqrt(1 - beta ** 2), nobs=row.n, alpha=level,
                                      df=row.n - 2)
        assert row.power == pytest.approx(expected, abs=_tolerance(row.power_se))
        assert row.coverage == pytest.approx(1 - level, abs=0.02)
    assert result.convergence.convergence_rate.tolist() == [1.0, 1.0, 1.0]


def test_mediation_power_at_fritz_mackinnon_n_monte_carlo_ci():
    """At the N Fritz & MacKinnon found for the percentile bootstrap (.80), the Monte Carlo CI
    is at least as powerful, and no more so than the joint significance test of a and b
    (Tofighi & MacKinnon 2011; Hayes & Scharkow 2013)."""
    result = power(population=FM_POPULATION, n=[FM_N], reps=1000, seed=3, scheduler="synchronous")
    table = result.summary.set_index("effect")
    indirect = table.loc["x -> m -> y"]
    t_crit = stats.t.ppf(0.975, FM_N - 3)
    joint = np.prod([stats.nct.sf(t_crit, FM_N - 3, 0.39 * math.sqrt(FM_N)) for _ in "ab"])
    assert 0.80 - 2 * indirect.power_se <= indirect.power <= joint + 2 * indirect.power_se
    assert indirect.coverage == pytest.approx(0.95, abs=0.03)
    assert table.loc["y ~ x"].power == pytest.approx(0.05, abs=0.02)   # c' = 0: the type I error rate
    assert result.required_n.set_index("effect").n["y ~ x"] is pd.NA


@pytest.mark.slow
def test_mediation_percentile_bootstrap_reproduces_fritz_mackinnon():
    result = power(population=FM_POPULATION, n=[FM_N], reps=150, seed=5, ci="bootstrap", bootstrap=500, workers=2)
    indirect = result.summary.set_index("effect").loc["x -> m -> y"]
    assert indirect.power == pytest.approx(0.80, abs=_tolerance(indirect.power_se))


# -- execution: same numbers whatever runs them ---------------------------------------------------

SMALL = {"population": "m ~ 0.3*x\ny ~ 0.3*m", "n": [50, 90], "reps": 24, "seed": 9}


def test_batching_does_not_change_the_numbers():
    one = power(**SMALL, scheduler="synchronous", batch=1)
    seven = power(**SMALL, scheduler="synchronous", batch=7)
    assert json.dumps(one.to_dict()) == json.dumps(seven.to_dict())
    assert one.summary.power.between(0, 1).all()


@pytest.mark.cluster
def test_local_cluster_gives_the_synchronous_numbers():
    inline = power(**SMALL, scheduler="synchronous", batch=5)
    cluster = power(**SMALL, workers=2, batch=5)
    assert json.dumps(cluster.to_dict()) == json.dumps(inline.to_dict())


@pytest.mark.cluster
def test_dask_scheduler_survives_a_killed_worker():
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1; one worker is
    killed as soon as the first batch is back; the lost batches rerun on the other worker."""
    with localhost_cluster(workers=2) as (address, workers):
        victim = workers[0]

        def kill_after_first_batch(done, total):
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)

        remote = power(**SMALL, scheduler=address, batch=2, progress=kill_after_first_batch)
        assert victim.poll() is not None and workers[1].poll() is None
    inline = power(**SMALL, scheduler="synchronous", batch=5)
    assert json.dumps(remote.to_dict()) == json.dumps(inline.to_dict())


def test_package_exposes_power():
    import semtrust as st

    result = st.power(model="y ~ 0.3*x", n=[40], reps=4, seed=1, scheduler="synchronous")
    assert result.to_dict() == power(model="y ~ 0.3*x", n=[40], reps=4, seed=1, scheduler="synchronous").to_dict()


def test_unreachable_scheduler_is_an_input_error():
    with pytest.raises(InputError, match="Dask scheduler's address"):
        power(**SMALL, scheduler="localhost:8786")


# -- outputs ------------------------------------------------------------------------------------

def test_instrument_power_writes_json_and_figure(tmp_path):
    result = power(instrument="trust_mechanism", n=[150, 300], reps=3, seed=1, scheduler="synchronous")
    assert result.settings["response"] == "likert"
    paths = result.summary[result.summary.kind == "path"]
    assert paths.hypothesis.notna().all() and len(paths.effect.unique()) == 25
    assert result.convergence.convergence_rate.min() > 0.6
    written = result.write(tmp_path)
    data = json.loads(written["power.json"].read_text(encoding="utf-8"))
    assert data["settings"]["reps"] == 3 and data["population"]["response"] == "likert-7"
    assert {"required_n", "required_n_all", "summary", "convergence"} <= set(data)
    svg = written["power_curves.svg"].read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<polyline") == len(result.summary.query("kind != 'fit'").effect.unique()) + 1


def test_cli_power(tmp_path, capsys):
    model = tmp_path / "mediation.lav"
    model.write_text("m ~ 0.4*x\ny ~ 0.4*m\n")
    code = main(["power", "--model", str(model), "--n", "60:120:60", "--reps", "10", "--scheduler", "synchronous",
                 "--out", str(tmp_path / "out")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "m ~ x" in printed and "n for power 0.80 on every path and indirect effect" in printed
    assert json.loads((tmp_path / "out" / "power.json").read_text())["settings"]["n"] == [60, 120]
    assert main(["power", "--model", str(model), "--n", "60-120", "--out", str(tmp_path / "o2")]) == 2
