#!/usr/bin/python3
"""Interleaved runs of W1 (gibbs) and W2 (cd1): the hand-written
../shared/bench/py/torch_rbm.py and the generated module through
bench.py, float32, 2 threads, OMP_WAIT_POLICY=PASSIVE, alternating which
goes first. Prints every run's JSON line and, per workload, the medians and
the ratio generated / hand-written.

    /usr/bin/python3 benchmarks/torch/interleave.py --module /tmp/rbm_ebm.py --bench ../shared/bench --reps 3

FMNIST_DIR (read by both) can point at a directory whose training file
holds fewer images, to shorten W2 on a busy machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--module", required=True)
ap.add_argument("--bench", required=True, help="the shared bench directory")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--workloads", default="gibbs,cd1")
ap.add_argument("--sweeps", type=int, default=1000, help="W1's sweeps, passed to both")
a = ap.parse_args()
env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
times = {}
for rep in range(a.reps):
    for wl in a.workloads.split(","):
        cmds = {
            "torch_rbm.py": [sys.executable, os.path.join(a.bench, "py", "torch_rbm.py"), "--workload", wl, "--threads", "2", "--sweeps", str(a.sweeps)],
            "ebmc-torch": [sys.executable, os.path.join(here, "bench.py"), "--module", a.module, "--workload", wl, "--threads", "2", "--sweeps", str(a.sweeps)],
        }
        order = list(cmds) if rep % 2 == 0 else list(cmds)[::-1]
        for name in order:
            out = subprocess.run(cmds[name], env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            rec = json.loads(out)
            print(json.dumps({"rep": rep, "impl": name, **rec}), flush=True)
            times.setdefault((wl, name), []).append(rec["seconds"])
for wl in a.workloads.split(","):
    ref = statistics.median(times[(wl, "torch_rbm.py")])
    ours = statistics.median(times[(wl, "ebmc-torch")])
    print(json.dumps({"workload": wl, "median_seconds_torch_rbm": ref, "median_seconds_ebmc_torch": ours, "ratio_ebmc_over_ref": ours / ref}))
