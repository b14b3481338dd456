#!/usr/bin/python3
"""In one process, alternately: 100 block-Gibbs sweeps of 100 chains of the
784×500 RBM by the generated module's sweep, and the same sweeps written
by hand as in ../shared/bench/py/torch_rbm.py (addmm, sigmoid, U < p),
float32, 2 threads — the per-sweep cost without process-to-process noise.

    ebmc gen -target torch -o /tmp/rbm_ebm.py examples/rbm.ebm
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch/sweep_ab.py --module /tmp/rbm_ebm.py
"""
import argparse
import importlib.util
import json
import sys
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--module", required=True)
ap.add_argument("--reps", type=int, default=4)
ap.add_argument("--sweeps", type=int, default=100)
a = ap.parse_args()
torch.set_num_threads(2)
spec = importlib.util.spec_from_file_location("model", a.module)
mod = importlib.util.module_from_spec(spec)
sys.modules["model"] = mod
spec.loader.exec_module(mod)
g = torch.Generator()
g.manual_seed(0)
m = mod.Model(g).to(torch.float32)
v = (torch.rand(100, 784, generator=g) < 0.5).float()
W, b, c = m.param("W").detach(), m.param("b").detach(), m.param("c").detach()


def generated(n):
    x = m.new_state(100)
    x[0] = v.clone()
    noise = mod.Noise(g)
    t = time.perf_counter()
    for _ in range(n):
        m.sweep(x, 1.0, noise)
    return time.perf_counter() - t


def by_hand(n):
    vv, Wt = v.clone(), W.t()
    t = time.perf_counter()
    for _ in range(n):
        h = (torch.rand((100, 500), generator=g) < torch.sigmoid(torch.addmm(c, vv, W))).float()
        vv = (torch.rand((100, 784), generator=g) < torch.sigmoid(torch.addmm(b, h, Wt))).float()
    return time.perf_counter() - t


with torch.no_grad():
    for r in range(a.reps):
        hand, gen = by_hand(a.sweeps), generated(a.sweeps)
        print(json.dumps({"rep": r, "sweeps": a.sweeps, "by_hand_s": hand, "generated_s": gen, "ratio": gen / hand}))
