#!/usr/bin/env python3
"""Times commands in interleaved rounds, for benchmarks on a disk whose speed drifts.

Every round runs each command once, in an order shuffled per round (seeded, so reruns repeat
it); before each command its PREPARE command runs, then `sync` and a settle pause, outside the
timed region. So the write-back and the online discard of a deleted output (ext4 `-o discard`)
land between commands, not inside the next one's fsync, and a drift of the disk over minutes
spreads evenly over all commands instead of favouring the ones that ran first.

Usage: interleave.py [--runs N] [--warmup N] [--settle SECONDS] --export-json FILE
                     NAME PREPARE COMMAND [NAME PREPARE COMMAND ...]
COMMAND and PREPARE are split like a shell word list (no shell: no pipes or redirections);
PREPARE may be "true". The JSON has the shape of hyperfine's --export-json ("results": command,
median, mean, stddev, min, max, user, system, times), so the same report code reads either.
"""
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import time


def run_timed(argv):
    """Wall seconds, user and system CPU seconds of one run (the command and its children)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"interleave.py: {shlex.join(argv)} exited with {proc.returncode}")
    return wall, usage.ru_utime, usage.ru_stime


def settle(prepare, pause):
    if prepare != ["true"]:
        subprocess.run(prepare, check=True, stdout=subprocess.DEVNULL)
    os.sync()
    time.sleep(pause)


def main(args):
    runs, warmup, pause, out = 7, 1, 2.0, None
    while args and args[0].startswith("--"):
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--runs":
            runs = int(value)
        elif flag == "--warmup":
            warmup = int(value)
        elif flag == "--settle":
            pause = float(value)
        elif flag == "--export-json":
            out = value
        else:
            sys.exit(f"interleave.py: unknown option {flag}")
    if not out or not args or len(args) % 3:
        sys.exit(__doc__)
    cmds = [(args[i], shlex.split(args[i + 1]), shlex.split(args[i + 2]))
            for i in range(0, len(args), 3)]
    times = {name: [] for name, _, _ in cmds}
    for rnd in range(warmup + runs):
        order = list(cmds)
        random.Random(rnd).shuffle(order)
        for name, prepare, argv in order:
            settle(prepare, pause)
            sample = run_timed(argv)
            if rnd >= warmup:
                times[name].append(sample)
            print(f"round {rnd + 1 - warmup if rnd >= warmup else 'warmup'}: {name} "
                  f"{sample[0]:.3f} s", file=sys.stderr)
    for _, prepare, _ in cmds:
        settle(prepare, 0)
    results = []
    for name, _, argv in cmds:
        walls = [t[0] for t in times[name]]
        results.append({
            "command": name,
            "argv": argv,
            "median": statistics.median(walls),
            "mean": statistics.mean(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
            "min": min(walls),
            "max": max(walls),
            "user": statistics.mean(t[1] for t in times[name]),
            "system": statistics.mean(t[2] for t in times[name]),
            "times": walls,
        })
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"results": results, "runs": runs, "settle_seconds": pause}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
