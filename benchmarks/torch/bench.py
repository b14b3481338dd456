#!/usr/bin/python3
"""W1 and W2 of ../shared/bench (see its README) run by a module that
`ebmc gen -target torch` generated from examples/rbm.ebm (784 × 500), for
comparison with the hand-written ../shared/bench/py/torch_rbm.py.

    ebmc gen -target torch -o /tmp/rbm_ebm.py examples/rbm.ebm
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch/bench.py --module /tmp/rbm_ebm.py --workload gibbs
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch/bench.py --module /tmp/rbm_ebm.py --workload cd1

W1 (gibbs): 100 chains started at the first 100 binarized training images,
1000 block-Gibbs sweeps (h then v, both sampled). W2 (cd1): one epoch of
CD-1 over the 60000 training images, batch 100, rate 0.05, momentum 0.5,
through the module's train(): the rows in order, as the reference and the
Go benchmark take them; the positive phase's hidden means, the hidden
layer drawn from them, the visible layer's means from it (as the
reference, Hinton's rbm.m; `--negative samples` draws it instead) and the
negative hidden means from those. The timed region is the workload loop
only; prints one JSON line.
"""
import argparse
import gzip
import importlib.util
import json
import os
import struct
import sys
import time

import torch


def load_images(name):
    d = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")
    with gzip.open(os.path.join(d, name), "rb") as fp:
        raw = fp.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 2051:
        sys.exit(f"{name}: not an IDX image file")
    x = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(n, rows * cols)
    return (x.double() / 255 > 0.5).double()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True)
    ap.add_argument("--workload", required=True, choices=["gibbs", "cd1"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweeps", type=int, default=1000)
    ap.add_argument("--negative", default="means", choices=["means", "samples"],
                    help="W2's reconstruction: visible means (Hinton's rbm.m, as the reference) or samples")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    spec = importlib.util.spec_from_file_location("model", a.module)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["model"] = mod
    spec.loader.exec_module(mod)
    g = torch.Generator()
    g.manual_seed(a.seed)
    m = mod.Model(g).to(dtype)
    train = load_images("train-images-idx3-ubyte.gz").to(dtype)
    if a.workload == "gibbs":
        x = m.new_state(100)
        x[0] = train[:100].clone()
        noise = mod.Noise(g)
        t0 = time.perf_counter()
        for _ in range(a.sweeps):
            m.sweep(x, 1.0, noise)
        dt = time.perf_counter() - t0
        rec = {"workload": "gibbs", "chains": 100, "sweeps": a.sweeps, "seconds": dt, "chain_sweeps_per_s": 100 * a.sweeps / dt,
               "final_v_mean": float(x[0].mean())}
    else:
        t0 = time.perf_counter()
        recon = mod.train(m, train, epochs=1, batch=100, k=1, lr=0.05, momentum=0.5, seed=a.seed,
                          mean_visible=a.negative == "means", shuffle=False)
        dt = time.perf_counter() - t0
        rec = {"workload": "cd1", "negative": a.negative, "seconds": dt, "recon_err_epoch": recon, "w_abs_mean": float(m.param("W").abs().mean())}
    rec.update({"impl": "ebmc-torch", "dtype": a.dtype, "threads": a.threads})
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
