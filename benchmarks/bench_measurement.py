"""Time the measurement battery (reliability, item statistics, discriminant validity, normality)
on the example data's CFA (15 constructs, 51 items, n = 600), without and with its bootstrap.

    python benchmarks/bench_measurement.py [--draws 1000] [--workers N] [--repeat 3]

Prints median wall times in seconds: the CFA fit, the battery without resampling, and the
battery with ``--draws`` bootstrap resamples (CFA refits for CR and AVE, HTMT and HTMT2).
"""
from __future__ import annotations

import argparse

from common import example_data, median_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from semtrust.model.instrument import load_instrument
    from semtrust.assessment.reliability import fit_measurement, item_groups
    from semtrust.model.syntax import parse_model
    from semtrust.assessment.validity import assess_measurement

    inst = load_instrument("trust_mechanism")
    data = example_data(inst)
    spec = parse_model(inst.model_syntax())
    frame = data[spec.observed]
    groups = item_groups(spec)
    with threadpool_limits(1):   # as run_fit
        cfa = fit_measurement(spec, frame)
        assess_measurement(frame, groups, cfa)   # warm-up: imports (pingouin) are not the battery's cost
        fit = median_time(lambda: fit_measurement(spec, frame), args.repeat)
        plain = median_time(lambda: assess_measurement(frame, groups, cfa), args.repeat)
        boot = median_time(lambda: assess_measurement(frame, groups, cfa, draws=args.draws, seed=1,
                                                      workers=args.workers), args.repeat)
    print(f"CFA fit ({len(groups)} constructs, {len(spec.observed)} items, n = {len(frame)}): {fit:.2f} s")
    print(f"measurement battery, no bootstrap:                {plain:.2f} s")
    print(f"measurement battery, {args.draws} bootstrap resamples:    {boot:.2f} s")


if __name__ == "__main__":
    main()
