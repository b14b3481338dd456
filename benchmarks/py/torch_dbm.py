#!/usr/bin/python3
"""One epoch of variational SML on a 784-500-1000 deep Boltzmann machine in
PyTorch (CPU): the reference for `go run ./benchmarks -workload vsml`.

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/py/torch_dbm.py --workload vsml
      [--dtype float32|float64] [--threads 2] [--seed 0] [--chains 100] [--k 5]
      [--mf-sweeps 25] [--batch 100] [--lr 0.001] [--momentum 0.5] [--rows N]

The step is the one ebmc's generated DBM trainer takes with the DBM example's
settings. Per minibatch v of 100 binarized images:

  mean field from zero, every one of --mf-sweeps sweeps run:
      mu1 <- sigm(v W1 + mu2 W2^T + c1),  mu2 <- sigm(mu1 W2 + c2)
  persistent chains (100, started uniformly at random), --k block-Gibbs sweeps:
      h1 ~ p(h1 | v, h2), then v ~ p(v | h1) and h2 ~ p(h2 | h1)
  gradient: data statistics from (v, mu1, mu2), model statistics from the
  chains with v and h2 summed out given h1 (their conditional means
  sigm(h1 W1^T + b), sigm(h1 W2 + c2): Rao-Blackwellized), each averaged;
  SGD with momentum and weight decay 0.0002:
      vel <- momentum vel + lr (grad - 0.0002 theta) for weights (lr grad for
      biases), theta <- theta + vel.

Prints one JSON line (the fields of `go run ./benchmarks`). The timed region
is the epoch's loop only. Bernoulli draws are (U < p), one uniform per unit.
"""
import argparse
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="vsml", choices=["vsml"])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op and BLAS threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--mf-sweeps", type=int, default=25)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--momentum", type=float, default=0.5)
    ap.add_argument("--rows", type=int, default=0, help="use the first ROWS training images only (quick runs)")
    return ap.parse_args()


args = parse()
# BLAS thread count must be set before numpy/torch load OpenBLAS.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(args.threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NV, N1, N2 = 784, 500, 1000
WD = 0.0002
DT = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
gen = torch.Generator().manual_seed(args.seed)


def bern(p):
    return (torch.rand(p.shape, generator=gen, dtype=p.dtype) < p).to(p.dtype)


def vsml(rec):
    X = torch.from_numpy(common.images("train", np.float32, args.rows)).to(DT)
    W1 = (0.01 * torch.randn(NV, N1, generator=gen, dtype=torch.float64)).to(DT)
    W2 = (0.01 * torch.randn(N1, N2, generator=gen, dtype=torch.float64)).to(DT)
    b, c1, c2 = torch.zeros(NV, dtype=DT), torch.zeros(N1, dtype=DT), torch.zeros(N2, dtype=DT)
    params = [W1, W2, b, c1, c2]
    vel = [torch.zeros_like(p) for p in params]
    C, B, S = args.chains, args.batch, args.mf_sweeps
    fv = bern(torch.full((C, NV), 0.5, dtype=DT))
    f1 = bern(torch.full((C, N1), 0.5, dtype=DT))
    f2 = bern(torch.full((C, N2), 0.5, dtype=DT))
    N = X.shape[0]
    steps = 0
    t0 = time.perf_counter()
    for s in range(0, N, B):
        v = X[s:s + B]
        n = v.shape[0]
        # Mean field from zero: the first sweep is a bottom-up pass.
        a1 = torch.addmm(c1, v, W1)  # the part the clamped v fixes
        mu2 = torch.zeros(n, N2, dtype=DT)
        for _ in range(S):
            mu1 = torch.sigmoid(torch.addmm(a1, mu2, W2.t()))
            mu2 = torch.sigmoid(torch.addmm(c2, mu1, W2))
        # Persistent chains: k sweeps of {h1}, then {v, h2}.
        for _ in range(args.k):
            f1 = bern(torch.sigmoid(torch.addmm(torch.addmm(c1, fv, W1), f2, W2.t())))
            fv = bern(torch.sigmoid(torch.addmm(b, f1, W1.t())))
            f2 = bern(torch.sigmoid(torch.addmm(c2, f1, W2)))
        ev = torch.sigmoid(torch.addmm(b, f1, W1.t()))
        e2 = torch.sigmoid(torch.addmm(c2, f1, W2))
        gW1 = torch.addmm(torch.mm(v.t(), mu1), ev.t(), f1, beta=1.0 / n, alpha=-1.0 / C)
        gW2 = torch.addmm(torch.mm(mu1.t(), mu2), f1.t(), e2, beta=1.0 / n, alpha=-1.0 / C)
        gb = v.sum(0) / n - ev.sum(0) / C
        gc1 = mu1.sum(0) / n - f1.sum(0) / C
        gc2 = mu2.sum(0) / n - e2.sum(0) / C
        for i, (p, g) in enumerate(zip(params, (gW1, gW2, gb, gc1, gc2))):
            if i < 2:
                g = g.add(p, alpha=-WD)
            vel[i].mul_(args.momentum).add_(g, alpha=args.lr)
            p.add_(vel[i])
        steps += 1
    dt = time.perf_counter() - t0
    per_image = 2.0 * NV * N1 + S * 2 * (2 * N1 * N2) + 2 * (NV * N1 + N1 * N2)
    # k sweeps, the conditional means given h1, the model's gradient products
    per_step = args.k * 2.0 * C * 2 * (NV * N1 + N1 * N2) + 2 * 2.0 * C * (NV * N1 + N1 * N2)
    flop = per_image * N + per_step * steps
    rec.update(model=f"DBM {NV}-{N1}-{N2}", epochs=1, batch=B, chains=C, k=args.k, mean_field_sweeps=S,
               lr=args.lr, momentum=args.momentum, weight_decay=WD, seconds=dt, seconds_per_epoch=dt,
               tflop=flop / 1e12, gflops=flop / dt / 1e9, w_abs_mean=float(W1.double().abs().mean()))
    if N != 60000:
        rec["rows"] = N


def main():
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads)
    except ImportError:
        pass
    rec = {"impl": f"torch-{'f32' if args.dtype == 'float32' else 'f64'}", "workload": args.workload,
           "dtype": args.dtype, "threads": args.threads}
    vsml(rec)
    rec["torch"] = torch.__version__
    rec["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY")
    common.emit(rec)


if __name__ == "__main__":
    main()
