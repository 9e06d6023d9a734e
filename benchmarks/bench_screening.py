"""Time the screening stage on 10,000 respondents with injected careless responders.

    python benchmarks/bench_screening.py [--n 10000] [--repeat 3]

Builds the survey with the seeded generator of the tests (``tests/careless.py``: genuine
respondents from ``semtrust.simulate`` plus random responders, straight-liners, speeders and
duplicates, 2.5 % of each), codes it as ``semtrust fit`` does, and prints the median wall time of
``screen_survey`` (all seven rules) with the share of careless and genuine respondents excluded.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from careless import careless_survey  # noqa: E402  (the tests' generator)
from semtrust.io.survey import SurveyTable, code_items  # noqa: E402
from semtrust.model.instrument import load_instrument  # noqa: E402
from semtrust.screening.careless import screen_survey  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="respondents in all (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inst = load_instrument("trust_mechanism")
    per_kind = args.n // 40
    data = careless_survey(inst, n_genuine=args.n - 4 * per_kind, n_per_kind=per_kind, seed=20261123)
    table = SurveyTable(data.drop(columns="kind"), "bench.csv", "csv")
    coded = code_items(table, inst.item_ids, points=inst.scale.points, reverse=inst.reverse_items)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = screen_survey(table, coded.frame, groups=inst.item_groups, reversed_items=coded.reversed,
                               points=inst.scale.points, instrument=inst, duration_column="duration")
        times.append(time.perf_counter() - start)
    excluded = ~data.index.isin(result.kept)
    careless = (data.kind != "genuine").to_numpy()
    print(f"screening {len(data)} respondents x {len(inst.item_ids)} items, 7 rules: "
          f"median {statistics.median(times):.2f} s over {args.repeat} runs")
    print(f"careless excluded {excluded[careless].mean():.1%} of {careless.sum()}, "
          f"genuine excluded {excluded[~careless].mean():.1%} of {(~careless).sum()}")
    print(result.steps[["step", "rule", "n_before", "flagged", "excluded", "n_after", "action"]].to_string(index=False))


if __name__ == "__main__":
    main()
