"""Monte Carlo power analysis of the trust model: replications per second in this process, on an
embedded LocalCluster with 1 and 2 workers, and through a Dask scheduler on localhost (separate
`dask scheduler` / `dask worker` processes), with the scale-out efficiency and the scheduling
overhead; every run must give byte-identical results.

    python benchmarks/bench_power.py                # 9 sample sizes x 1000 replications, MC CIs
    python benchmarks/bench_power.py --reps 200     # quicker

Target (issue 16): the full run on 2 cores in at most 10 minutes, scale-out efficiency >= 80 %,
scheduling overhead < 5 %. No reference timing is printed: simsem, semPower and pwrSEM are
not installed here (pwrSEM runs 100 replications serially by default).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

from distributed import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from semtrust.model.instrument import load_instrument
from semtrust.cluster import dask_client, localhost_cluster
from semtrust.power.execute import batch_jobs, choose_batch, run_batches
from semtrust.power.population import Population
from semtrust.power.replicate import build_design
from semtrust.power.results import summarise

SEED = 20261123


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications per sample size (default 1000)")
    parser.add_argument("--n", default="200:1000:100", help="sample sizes FROM:TO:STEP (default 200:1000:100)")
    args = parser.parse_args()
    first, last, step = (int(v) for v in args.n.split(":"))
    ns = list(range(first, last + 1, step))

    start = time.perf_counter()
    instrument = load_instrument("trust_mechanism")
    design = build_design(Population.from_instrument(instrument, SEED), instrument.model_syntax(), seed=SEED)
    setup = time.perf_counter() - start
    batch = choose_batch(design, ns, args.reps)
    jobs = batch_jobs(ns, args.reps, batch)
    total = len(ns) * args.reps
    print(f"trust_mechanism: {len(design.compiled.observed)} Likert items, {design.compiled.n_free} free parameters, "
          f"{len(design.path_labels)} paths, {len(design.effect_labels)} indirect effects (MC CIs, "
          f"{design.mc_draws} draws); {len(ns)} sample sizes x {args.reps} = {total} replications; "
          f"{len(jobs)} tasks of {batch}; design {setup:.1f} s")

    runs, cpus, outputs = {}, {}, {}

    def cpu_seconds(scheduler) -> float:
        """CPU time of the processes that compute: this one, or every worker."""
        if scheduler == "synchronous":
            return time.process_time()
        return sum(scheduler.run(time.process_time).values())

    def timed(label, scheduler):
        cpu, started = cpu_seconds(scheduler), time.perf_counter()
        parts = run_batches(design, jobs, scheduler=scheduler)
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(scheduler) - cpu
        runs[label], cpus[label] = seconds, cpu
        result = summarise(design, parts, ns, args.reps, target=0.8)
        outputs[label] = json.dumps(result.to_dict())
        print(f"{label:<34s} {seconds:8.1f} s  {total / seconds:8.1f} replications/s   "
              f"CPU {cpu:7.1f} s, {1000 * cpu / total:6.1f} ms per replication")
        return result

    result = timed("in process (1 BLAS thread)", "synchronous")
    for workers in (1, 2):
        started = time.perf_counter()
        with dask_client(None, workers) as client:
            client.run(import_module, "semtrust.power.replicate")   # worker start-up is not the workload
            print(f"{'(LocalCluster start-up)':<34s} {time.perf_counter() - started:8.1f} s")
            timed(f"LocalCluster, {workers} worker{'s' * (workers > 1)}", client)
    with localhost_cluster(workers=2) as (address, _), Client(address) as client:
        client.run(import_module, "semtrust.power.replicate")
        timed("localhost scheduler, 2 workers", client)

    one, two = runs["LocalCluster, 1 worker"], runs["LocalCluster, 2 workers"]
    print(f"scale-out efficiency, LocalCluster 2 vs 1 workers: {one / (2 * two):.0%}")
    print(f"scale-out efficiency, localhost scheduler 2 workers vs LocalCluster 1: "
          f"{one / (2 * runs['localhost scheduler, 2 workers']):.0%}")
    print(f"scheduling overhead (LocalCluster 1 worker vs in process): "
          f"{one / runs['in process (1 BLAS thread)'] - 1:+.1%} wall, "
          f"{cpus['LocalCluster, 1 worker'] / cpus['in process (1 BLAS thread)'] - 1:+.1%} CPU")
    # on a machine shared with other jobs the wall-clock efficiency measures the other jobs;
    # the CPU time per replication shows what the workers themselves spend
    print(f"CPU per replication, 2 workers vs 1 (1.00 = perfect scale-out): "
          f"LocalCluster {cpus['LocalCluster, 2 workers'] / cpus['LocalCluster, 1 worker']:.2f}, "
          f"localhost scheduler {cpus['localhost scheduler, 2 workers'] / cpus['LocalCluster, 1 worker']:.2f}")
    print(f"load average while running (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"identical results across the four runs: {'yes' if len(set(outputs.values())) == 1 else 'NO'}")
    print(f"smallest n with power >= .80 on every path and indirect effect: {result.required_n_all}")


if __name__ == "__main__":
    main()
