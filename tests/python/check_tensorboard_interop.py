#!/usr/bin/python3
"""TensorBoard's own event reader (tensorboard's EventAccumulator, what
`tensorboard --logdir` runs) reads the logs of `occ train --tensorboard`:
every CSV column of every logged row is a scalar at that step with the
float32 of that value, each wall time inside the run that wrote it, and
nothing else.

Then a resumed run: a run restarted from an earlier checkpoint logs again
steps the interrupted run had logged after that checkpoint. The CSV drops the
stale rows; TensorBoard must drop the stale scalars too (it does when the
resumed run's event file starts with a SessionLog START at its first step,
as TensorFlow's own writers do), so that each step shows once, with the
resumed run's value and time.
"""
import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

MODEL = ['--size', 'demo', '-q', '-j', '1', '--set', 'model.embed_dims=16', '--set', 'model.num_heads=2',
         '--set', 'model.num_points=2', '--set', 'model.ffn_dims=32', '--set', 'model.decoder_channels=[16,16]',
         '--set', 'model.classifier_hidden=16', '--set', 'train.log_every=1', '--set', 'train.val_every=2']


def check(condition, message):
    if not condition:
        sys.exit(f'FAIL {message}')


def run(argv):
    """Runs argv; returns the wall-clock interval it ran in (seconds since the epoch)."""
    start = time.time()
    result = subprocess.run(argv, capture_output=True, text=True)
    end = time.time()
    if result.returncode != 0:
        sys.exit(f"FAIL {' '.join(argv)}: exit {result.returncode}\n{result.stderr}")
    return start, end


def tag_of(column):
    return 'val/miou' if column == 'val_miou' else 'train/' + column


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def read_tensorboard(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    accumulator = EventAccumulator(folder, size_guidance={'scalars': 0})  # 0: keep every event
    accumulator.Reload()
    return {tag: accumulator.Scalars(tag) for tag in accumulator.Tags()['scalars']}


def check_against_csv(scalars, rows, interval_of_step):
    """scalars (tag -> events) hold exactly the non-NaN cells of rows."""
    expected = {}
    for row in rows:
        step = int(row['step'])
        for column, text in row.items():
            if column == 'step' or math.isnan(float(text)):
                continue
            expected.setdefault(tag_of(column), []).append((step, np.float32(float(text))))
    check(sorted(scalars) == sorted(expected), f'tags {sorted(scalars)} != {sorted(expected)}')
    for tag, events in scalars.items():
        got = [(e.step, np.float32(e.value)) for e in events]
        check(got == expected[tag], f'{tag}: (step, value) {got} != {expected[tag]}')
        for e in events:
            start, end = interval_of_step(e.step)
            check(start - 1e-3 <= e.wall_time <= end + 1e-3,
                  f'{tag} step {e.step}: wall time {e.wall_time} outside its run [{start}, {end}]')
        check(all(a.wall_time <= b.wall_time for a, b in zip(events, events[1:])), f'{tag}: wall times in order')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--occ', required=True)
    args = parser.parse_args()
    occ = args.occ
    with tempfile.TemporaryDirectory() as folder:
        def at(name):
            return os.path.join(folder, name)
        run([occ, 'prep', 'synth', '-q', '-o', at('world.h5'), '--scenes', '1', '--frames-per-scene', '4',
             '--image-size', '32x56', '--grid', '20,20,4,4.0,-40,-40,-1'])
        data = ['--frames', at('world.h5'), '--val', at('world.h5')]
        logs = ['--tensorboard', at('tb'), '--csv', at('log.csv')]

        # One run of 4 steps.
        first = run([occ, 'train', *data, '-o', at('a.h5'), *MODEL, '--set', 'train.steps=4', *logs])
        rows = read_csv(at('log.csv'))
        check([int(r['step']) for r in rows] == [1, 2, 3, 4], f"csv steps {[r['step'] for r in rows]}")
        scalars = read_tensorboard(at('tb'))
        check('val/miou' in scalars and 'train/loss' in scalars, f'tags {sorted(scalars)}')
        check_against_csv(scalars, rows, lambda step: first)

        # Resumed twice from the step-4 checkpoint: the first resumed run (to
        # step 6) stands for a run that crashed after logging steps 5 and 6;
        # the second (to step 7) logs steps 5 to 7 again.
        crashed = run([occ, 'train', *data, '-o', at('b.h5'), '--resume', at('a.h5'), *MODEL,
                       '--set', 'train.steps=6', *logs])
        resumed = run([occ, 'train', *data, '-o', at('c.h5'), '--resume', at('a.h5'), *MODEL,
                       '--set', 'train.steps=7', *logs])
        check(len(os.listdir(at('tb'))) == 3, f"one event file per run: {os.listdir(at('tb'))}")
        rows = read_csv(at('log.csv'))
        check([int(r['step']) for r in rows] == [1, 2, 3, 4, 5, 6, 7], f"csv steps {[r['step'] for r in rows]}")
        scalars = read_tensorboard(at('tb'))
        check_against_csv(scalars, rows, lambda step: first if step <= 4 else resumed)
        check(all(e.wall_time > crashed[1] for e in scalars['train/loss'] if e.step > 4),
              'steps 5 and 6 come from the resumed run, not the crashed one')
    print('tensorboard interop: 2 logs ok')


if __name__ == '__main__':
    main()
