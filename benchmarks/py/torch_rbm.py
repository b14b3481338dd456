#!/usr/bin/python3
"""The five RBM workloads of benchmarks/README.md in PyTorch (CPU).

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/py/torch_rbm.py --workload gibbs|gibbs1|cd1|pcd1|ais
      [--dtype float32|float64] [--threads 2] [--seed 0] [--chains N] [--sweeps N] [--epochs 1]
      [--batch 100] [--lr 0.05] [--momentum 0.5] [--rows N] [--runs 100] [--betas 10000]
      [--save F.npz] [--load F.npz]

Prints one JSON line (the fields of `go run ./benchmarks`). The timed region is
the workload loop only. Bernoulli draws are (U < p), one uniform per unit.
Use OMP_WAIT_POLICY=PASSIVE: with libgomp's default spin-waiting, torch's
OpenMP workers and OpenBLAS's threads fight over the two cores.
"""
import argparse
import math
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", required=True, choices=["gibbs", "gibbs1", "cd1", "pcd1", "ais"])
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op and BLAS threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chains", type=int, default=0)
    ap.add_argument("--sweeps", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.5)
    ap.add_argument("--rows", type=int, default=0, help="use the first ROWS training images only (quick runs)")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--betas", type=int, default=10000)
    ap.add_argument("--save", default=None, help="cd1/pcd1: write W, vbias, hbias (float64) to this .npz")
    ap.add_argument("--load", default=None, help="ais: weights .npz (default: train one CD-1 epoch first, untimed)")
    return ap.parse_args()


args = parse()
# BLAS thread count must be set before numpy/torch load OpenBLAS.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(args.threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NV, NH = common.NV, common.NH
DT = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
gen = torch.Generator().manual_seed(args.seed)


def bern(p):
    return (torch.rand(p.shape, generator=gen, dtype=p.dtype) < p).to(p.dtype)


def new_model():
    W = (0.01 * torch.randn(NV, NH, generator=gen, dtype=torch.float64)).to(DT)
    return W, torch.zeros(NV, dtype=DT), torch.zeros(NH, dtype=DT)


def data(split, rows=0):
    return torch.from_numpy(common.images(split, np.float32, rows)).to(DT)


def gibbs(rec):
    chains = args.chains or (100 if args.workload == "gibbs" else 1)
    sweeps = args.sweeps or (1000 if args.workload == "gibbs" else 5000)
    W, b, c = new_model()
    if common.have_data("train"):
        v = data("train", chains).clone()
        rec["init"] = "data"
    else:
        v = bern(torch.full((chains, NV), 0.5, dtype=DT))
        rec["init"] = "random"
    Wt = W.t()
    t0 = time.perf_counter()
    for _ in range(sweeps):
        h = bern(torch.sigmoid(torch.addmm(c, v, W)))
        v = bern(torch.sigmoid(torch.addmm(b, h, Wt)))
    dt = time.perf_counter() - t0
    cs = chains * sweeps
    rec.update(chains=chains, sweeps=sweeps, seconds=dt, chain_sweeps_per_s=cs / dt,
               gflops=cs * 4.0 * NV * NH / dt / 1e9, final_v_mean=float(v.double().mean()))


def train(X, persistent, epochs):
    """CD-1 (Hinton's recipe: sampled h0, reconstruction as probabilities) or
    PCD-1 (persistent chains, binary fantasies) in file order; returns the
    parameters, the loop's seconds and the summed ||v0 - vn||^2."""
    W, b, c = new_model()
    vW, vb, vc = torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(c)
    N, B = X.shape[0], args.batch
    chains = args.chains or B
    hp = torch.zeros(chains, NH, dtype=DT)  # persistent hidden states
    err = 0.0
    t0 = time.perf_counter()
    for _ in range(epochs):
        for s in range(0, N, B):
            v0 = X[s:s + B]
            n = v0.shape[0]
            ph0 = torch.sigmoid(torch.addmm(c, v0, W))
            if persistent:
                vn = bern(torch.sigmoid(torch.addmm(b, hp, W.t())))
                phn = torch.sigmoid(torch.addmm(c, vn, W))
                hp = bern(phn)
                neg = 1.0 / chains
            else:
                vn = torch.sigmoid(torch.addmm(b, bern(ph0), W.t()))
                phn = torch.sigmoid(torch.addmm(c, vn, W))
                err += float(torch.sum((v0 - vn) ** 2, dtype=torch.float64))
                neg = 1.0 / n
            gW = torch.addmm(torch.mm(v0.t(), ph0), vn.t(), phn, beta=1.0 / n, alpha=-neg)
            gb = v0.sum(0) / n - vn.sum(0) * neg
            gc = ph0.sum(0) / n - phn.sum(0) * neg
            for p, v, g in ((W, vW, gW), (b, vb, gb), (c, vc, gc)):
                v.mul_(args.momentum).add_(g, alpha=args.lr)
                p.add_(v)
    return (W, b, c), time.perf_counter() - t0, err


def recon_err(X, W, b, c):
    """Mean over rows of sum_i (v_i - pv_i)^2, pv = sigm(sigm(vW + c) W^T + b), float64."""
    X, W, b, c = X.double(), W.double(), b.double(), c.double()
    pv = torch.sigmoid(torch.addmm(b, torch.sigmoid(torch.addmm(c, X, W)), W.t()))
    return float(((X - pv) ** 2).sum() / X.shape[0])


def train_workload(rec):
    persistent = args.workload == "pcd1"
    X, Xt = data("train", args.rows), data("test")
    (W, b, c), dt, err = train(X, persistent, args.epochs)
    images = args.epochs * X.shape[0]
    rec.update(epochs=args.epochs, batch=args.batch, lr=args.lr, momentum=args.momentum, seconds=dt,
               seconds_per_epoch=dt / args.epochs, gflops=images * 10.0 * NV * NH / dt / 1e9)
    if X.shape[0] != 60000:
        rec["rows"] = X.shape[0]
    if persistent:
        rec["chains"] = args.chains or args.batch
    else:
        rec["recon_err_epoch"] = err / images
    rec["recon_err_test"] = recon_err(Xt, W, b, c)
    rec["w_abs_mean"] = float(W.double().abs().mean())
    if args.save:
        np.savez(args.save, W=W.double().numpy(), vbias=b.double().numpy(), hbias=c.double().numpy())


def ais(rec):
    Xnp = common.images("train", np.float64)
    if args.load:
        W, b, c = (torch.from_numpy(a).to(DT) for a in common.load_npz(args.load))
        rec["weights"] = "loaded from " + args.load
    else:
        X = torch.from_numpy(Xnp[:args.rows] if args.rows else Xnp).to(DT)
        (W, b, c), _, _ = train(X, False, 1)
        rec["weights"] = f"trained here first (untimed): torch CD-1, 1 epoch over {X.shape[0]} images"
    pseudo = 5.0 * (Xnp.shape[0] // args.batch)
    bA64 = torch.from_numpy(common.base_rate_bias(Xnp, pseudo))
    bA = bA64.to(DT)
    R, K = args.runs, args.betas
    betas = [k / K for k in range(K + 1)]
    Wt = W.t()
    sp = torch.nn.functional.softplus
    t0 = time.perf_counter()
    logw = torch.zeros(R, dtype=torch.float64)
    v = bern(torch.sigmoid(bA).expand(R, NV).contiguous())  # exact sample of the base model
    a = torch.addmm(c, v, W)  # hidden fields
    dvb = v @ (b - bA)
    for k in range(1, K + 1):
        bk, bk1 = betas[k], betas[k - 1]
        # log p*_k(v) - log p*_{k-1}(v), log p*_beta(v) = (1-beta) v.bA + beta v.b + sum_j softplus(beta a_j)
        logw += ((bk - bk1) * dvb + (sp(bk * a) - sp(bk1 * a)).sum(1)).double()
        if k < K:  # one Gibbs sweep leaving p_k invariant
            h = bern(torch.sigmoid(bk * a))
            v = bern(torch.sigmoid(torch.addmm(b, h, Wt).mul_(bk).add_(bA, alpha=1.0 - bk)))
            a = torch.addmm(c, v, W)
            dvb = v @ (b - bA)
    dt = time.perf_counter() - t0
    logZA = float(sp(bA64).sum()) + NH * math.log(2.0)
    est, low, high = common.log_mean_exp_3se(logw.numpy())
    logZ = logZA + est
    Xt = torch.from_numpy(common.images("test", np.float64))
    W64, b64, c64 = W.double(), b.double(), c.double()
    test_logp = float((Xt @ b64 + sp(torch.addmm(c64, Xt, W64)).sum(1)).mean()) - logZ
    rec.update(runs=R, betas=K, seconds=dt, gflops=(K - 1) * R * 4.0 * NV * NH / dt / 1e9,
               logZ=logZ, logZ_lo_3se=None if low is None else logZA + low, logZ_hi_3se=logZA + high,
               logZ_base=logZA, test_logp_mean=test_logp, base_pseudo=pseudo)
    rec.update(log_z=rec["logZ"], log_z_low=rec["logZ_lo_3se"], log_z_high=rec["logZ_hi_3se"])


def main():
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads)
    except ImportError:
        pass
    rec = {"impl": f"torch-{'f32' if args.dtype == 'float32' else 'f64'}", "workload": args.workload,
           "dtype": args.dtype, "threads": args.threads}
    {"gibbs": gibbs, "gibbs1": gibbs, "cd1": train_workload, "pcd1": train_workload, "ais": ais}[args.workload](rec)
    rec["torch"] = torch.__version__
    rec["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY")
    common.emit(rec)


if __name__ == "__main__":
    main()
