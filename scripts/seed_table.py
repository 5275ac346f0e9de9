#!/usr/bin/env python3
"""Mean, spread and paired differences of a multi-seed experiment's rows.

Reads a results CSV with one line per trained run (columns: row, seed, miou,
and any others that tell arms apart, e.g. steps) and prints a Markdown table:
each arm's per-seed values, mean and spread (max - min), and against a
reference arm the difference of means, the per-seed paired differences and
whether the difference exceeds both arms' seed spreads (the rule of the
project's learning claims: a difference of means smaller than either arm's
spread lies inside the seed spread).

    seed_table.py results.csv [--reference baseline] [--group-by steps,weights]

Only seeds present in both arms are paired; an arm with fewer than two seeds
has no spread and gets no verdict.
"""
import argparse
import csv
import sys
from collections import OrderedDict


def read_arms(path, group_by):
    arms = OrderedDict()
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"row", "seed", "miou", *group_by} - set(reader.fieldnames or [])
        if missing:
            sys.exit(f"seed_table: {path}: no column {', '.join(sorted(missing))}")
        for line, r in enumerate(reader, start=2):
            try:
                seed, value = int(r["seed"]), float(r["miou"])
            except ValueError:
                sys.exit(f"seed_table: {path}:{line}: seed or miou is not a number")
            key = (r["row"], *(r[g] for g in group_by))
            arms.setdefault(key, {})[seed] = value
    return arms


def verdict(diff, spread_a, spread_b):
    if spread_a is None or spread_b is None:
        return "one seed: no verdict"
    if abs(diff) > max(spread_a, spread_b):
        return "exceeds both spreads"
    return "inside the seed spread"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--reference", default="baseline", help="the row the others are compared with")
    parser.add_argument("--group-by", default="", help="comma-separated columns that also tell arms apart")
    args = parser.parse_args()
    group_by = [g for g in args.group_by.split(",") if g]
    arms = read_arms(args.csv, group_by)

    def spread(values):
        return max(values) - min(values) if len(values) > 1 else None

    print("| row | seeds | held-out mIoU (%) per seed | mean | spread | vs reference: mean diff | paired diffs | verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for key, runs in arms.items():
        seeds = sorted(runs)
        values = [runs[s] for s in seeds]
        mean = sum(values) / len(values)
        s = spread(values)
        ref_key = (args.reference, *key[1:])
        cells = ["-", "-", "-"]
        if key[0] != args.reference and ref_key in arms:
            ref = arms[ref_key]
            common = [x for x in seeds if x in ref]
            if common:
                ref_values = [ref[x] for x in sorted(ref)]
                diff = mean - sum(ref_values) / len(ref_values)
                paired = " / ".join(f"{runs[x] - ref[x]:+.2f}" for x in common)
                cells = [f"{diff:+.2f}", paired, verdict(diff, s, spread(ref_values))]
        name = " ".join([key[0], *(f"{g}={v}" for g, v in zip(group_by, key[1:]))])
        print(f"| {name} | {' / '.join(map(str, seeds))} | {' / '.join(f'{v:.2f}' for v in values)} | "
              f"{mean:.2f} | {'-' if s is None else f'{s:.2f}'} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
