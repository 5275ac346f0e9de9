#!/usr/bin/env python3
"""Known answers of scripts/seed_table.py (the multi-seed experiment table).

Usage: check_seed_table.py --scripts DIR (the repository's scripts/)
"""
import argparse
import os
import subprocess
import sys
import tempfile


def run(script, csv_text, *extra):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "results.csv")
        with open(path, "w") as f:
            f.write(csv_text)
        return subprocess.run([sys.executable, script, path, *extra], capture_output=True, text=True)


def rows_of(stdout):
    """Table body as {row name: [cells]}."""
    rows = {}
    for line in stdout.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scripts", required=True)
    script = os.path.join(parser.parse_args().scripts, "seed_table.py")

    # baseline 10/11/12 (mean 11, spread 2); "better" 14/13/15 (mean 14,
    # spread 2: +3 > 2 exceeds both); "close" 12/10/13 (mean 11.67, spread 3:
    # +0.67 inside); "single" one seed (no spread, no verdict); seeds written
    # out of order to check the pairing by seed.
    csv_text = ("row,seed,steps,miou\n"
                "baseline,1,600,11\nbaseline,0,600,10\nbaseline,2,600,12\n"
                "better,0,600,14\nbetter,2,600,15\nbetter,1,600,13\n"
                "close,0,600,12\nclose,1,600,10\nclose,2,600,13\n"
                "single,2,600,20\n"
                "baseline,0,300,5\nbetter,0,300,4\n")
    out = run(script, csv_text, "--group-by", "steps")
    assert out.returncode == 0, out.stderr
    rows = rows_of(out.stdout)
    assert rows["baseline steps=600"] == ["0 / 1 / 2", "10.00 / 11.00 / 12.00", "11.00", "2.00", "-", "-", "-"], rows
    assert rows["better steps=600"] == ["0 / 1 / 2", "14.00 / 13.00 / 15.00", "14.00", "2.00", "+3.00",
                                        "+4.00 / +2.00 / +3.00", "exceeds both spreads"], rows
    assert rows["close steps=600"][3:] == ["3.00", "+0.67", "+2.00 / -1.00 / +1.00", "inside the seed spread"], rows
    assert rows["single steps=600"][4:] == ["+9.00", "+8.00", "one seed: no verdict"], rows
    # The 300-step arms are compared with the 300-step baseline only.
    assert rows["better steps=300"][4:] == ["-1.00", "-1.00", "one seed: no verdict"], rows

    # A missing column and a non-number are errors naming the file.
    bad = run(script, "row,seed\nbaseline,0\n")
    assert bad.returncode != 0 and "results.csv" in bad.stderr and "miou" in bad.stderr, bad.stderr
    bad = run(script, "row,seed,miou\nbaseline,0,nan-ish\n")
    assert bad.returncode != 0 and "results.csv:2" in bad.stderr, bad.stderr
    print("seed_table: known answers hold")


if __name__ == "__main__":
    main()
