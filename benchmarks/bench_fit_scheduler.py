"""Time the default `semtrust fit` of the example (5000 effect and 1000 measurement bootstrap
resamples) in one process (``--workers 1``), on 2 local processes (``--workers 2``) and through a
Dask scheduler on localhost (``--scheduler tcp://127.0.0.1:PORT``, a `dask scheduler` and 2
single-threaded `dask worker` processes this script starts and stops), with the scale-out
efficiency and the scheduler's overhead; the three results.json must hold the same numbers.

    python benchmarks/bench_fit_scheduler.py [--bootstrap B] [--measurement-bootstrap B]

Each run is a fresh `semtrust fit --no-screen` process, start-up and reports included; a
``--workers 2`` run forks its processes itself, while the scheduler and its workers are running
before the timed run starts (as on an HPC cluster) and load semtrust in its first tasks. CPU
is the run's with its child processes, plus the scheduler's and its workers' for the scheduler
run; CPU/wall is how many cores a run kept busy (about 1 for the 2-worker runs means
other jobs held the second core). The basic run (no bootstrap) is timed too, so the bootstrap's own share can be separated
from the stages only one core runs. results.json's `config` is not compared (it echoes
`workers`; the scheduler is not written), as in tests/test_fit_scheduler.py.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, ROOT, machine_note, timed_process
from distributed import Client

sys.path.insert(0, str(ROOT))

from semtrust.cluster import localhost_cluster

IGNORED = ("config",)      # what differs between the runs by design


def cluster_cpu_seconds(client: Client) -> float:
    """CPU seconds spent so far by the scheduler and every worker of ``client``'s cluster."""
    return sum(client.run(time.process_time).values()) + client.run_on_scheduler(time.process_time)


def compared_numbers(folder: Path) -> dict:
    """results.json of a run without the keys that differ by design."""
    written = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return {key: value for key, value in written.items() if key not in IGNORED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=5000, help="effect resamples (default 5000)")
    parser.add_argument("--measurement-bootstrap", type=int, default=1000, help="CR/AVE resamples (default 1000)")
    args = parser.parse_args()
    resamples = args.bootstrap + args.measurement_bootstrap

    load_at_start = os.getloadavg()[0]
    runs: dict[str, tuple[float, float]] = {}
    outputs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        def fit(label: str, *where: str, bootstrap: bool = True) -> None:
            out = Path(tmp) / f"run{len(runs)}"
            draws = [str(args.bootstrap), str(args.measurement_bootstrap)] if bootstrap else ["0", "0"]
            runs[label] = timed_process([sys.executable, "-m", "semtrust.cli", "fit", str(DATA), "--no-screen",
                                         "--quiet", "--bootstrap", draws[0], "--measurement-bootstrap", draws[1],
                                         *where, "--out", str(out)])
            if bootstrap:
                outputs[label] = compared_numbers(out)

        fit("basic run (no bootstrap), --workers 1", "--workers", "1", bootstrap=False)
        fit("--workers 1 (in process)", "--workers", "1")
        fit("--workers 2 (2 local processes)", "--workers", "2")
        started = time.perf_counter()
        with localhost_cluster(workers=2) as (address, _), Client(address) as client:
            start_up = time.perf_counter() - started
            cpu_before = cluster_cpu_seconds(client)
            fit("--scheduler, localhost, 2 workers", "--scheduler", address)
            wall, cpu = runs["--scheduler, localhost, 2 workers"]
            runs["--scheduler, localhost, 2 workers"] = wall, cpu + cluster_cpu_seconds(client) - cpu_before

    width = max(len(label) for label in runs)
    print(f"semtrust fit {DATA.relative_to(ROOT)} --no-screen: {args.bootstrap} effect + "
          f"{args.measurement_bootstrap} measurement bootstrap resamples; {machine_note(load_at_start)}")
    print(f"{'one run each':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'CPU/wall':>8}  {'resamples/s':>11}  "
          f"{'bootstrap s':>11}  {'resamples/s':>11}")
    print(f"{'':<{width}}  {'':>7}  {'':>7}  {'':>8}  {'(whole run)':>11}  {'(- basic)':>11}  {'(bootstrap)':>11}")
    basic_wall = runs["basic run (no bootstrap), --workers 1"][0]
    for label, (wall, cpu) in runs.items():
        if label.startswith("basic"):
            print(f"{label:<{width}}  {wall:7.2f}  {cpu:7.2f}  {cpu / wall:8.2f}")
            continue
        share = wall - basic_wall
        print(f"{label:<{width}}  {wall:7.2f}  {cpu:7.2f}  {cpu / wall:8.2f}  {resamples / wall:11.0f}  {share:11.2f}  "
              f"{resamples / share:11.0f}")
    print(f"(localhost scheduler and 2 workers started in {start_up:.1f} s, not counted)")
    one, two = runs["--workers 1 (in process)"], runs["--workers 2 (2 local processes)"]
    remote = runs["--scheduler, localhost, 2 workers"]
    print(f"scale-out efficiency, --workers 2 vs 1: {one[0] / (2 * two[0]):.0%} of the whole run's wall, "
          f"{(one[0] - basic_wall) / (2 * (two[0] - basic_wall)):.0%} of the bootstrap's; "
          f"CPU 2 vs 1 {two[1] / one[1]:.2f} (1.00 = no cost of parallelism)")
    print(f"scheduler overhead vs --workers 2: {remote[0] / two[0] - 1:+.1%} wall, "
          f"{(remote[0] - basic_wall) / (two[0] - basic_wall) - 1:+.1%} of the bootstrap's wall, "
          f"{remote[1] / two[1] - 1:+.1%} CPU")
    reference = json.dumps(next(iter(outputs.values())))
    differing = [label for label, numbers in outputs.items() if json.dumps(numbers) != reference]
    print(f"identical results.json across the three bootstrap runs (all keys but {', '.join(IGNORED)}): "
          f"{'yes' if not differing else 'NO, ' + ', '.join(differing) + ' differ'}")


if __name__ == "__main__":
    main()
