#!/usr/bin/python3
"""RBM workloads with scikit-learn's BernoulliRBM (numpy + BLAS).

  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/py/sklearn_rbm.py --workload gibbs|gibbs1|pcd1
      [--dtype float64|float32] [--threads 2] [--seed 0] [--chains N] [--sweeps N] [--epochs 1]
      [--batch 100] [--lr 0.05] [--rows N]

gibbs/gibbs1: BernoulliRBM.gibbs (one block-Gibbs sweep per call) on a model
with W ~ N(0, 0.01^2) and zero biases set by hand. pcd1: BernoulliRBM.fit,
which is PCD-1 with batch-size persistent chains, file order, and no
momentum (sklearn has none: `momentum` is reported as 0). cd1 and ais are
not available in scikit-learn (exit status 3). Prints one JSON line; the
timed region is the workload loop (or fit) only.
"""
import argparse
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", required=True, choices=["gibbs", "gibbs1", "cd1", "pcd1", "ais"])
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chains", type=int, default=0)
    ap.add_argument("--sweeps", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.0, help="must be 0: BernoulliRBM has no momentum")
    ap.add_argument("--rows", type=int, default=0)
    return ap.parse_args()


args = parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(args.threads))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NV, NH = common.NV, common.NH
DT = np.float64 if args.dtype == "float64" else np.float32


def recon_err(X, W, b, c):
    """Mean over rows of sum_i (v_i - pv_i)^2, pv = sigm(sigm(vW + c) W^T + b), float64."""
    X, W = X.astype(np.float64), W.astype(np.float64)
    ph = 1.0 / (1.0 + np.exp(-(X @ W + c)))
    pv = 1.0 / (1.0 + np.exp(-(ph @ W.T + b)))
    return float(((X - pv) ** 2).sum() / X.shape[0])


def gibbs(rec):
    chains = args.chains or (100 if args.workload == "gibbs" else 1)
    sweeps = args.sweeps or (1000 if args.workload == "gibbs" else 5000)
    rng = np.random.RandomState(args.seed)
    rbm = BernoulliRBM(n_components=NH, random_state=args.seed)
    rbm.components_ = (0.01 * rng.standard_normal((NH, NV))).astype(DT)
    rbm.intercept_hidden_ = np.zeros(NH, DT)
    rbm.intercept_visible_ = np.zeros(NV, DT)
    rbm.random_state_ = rng
    if common.have_data("train"):
        v = common.images("train", DT, chains).copy()
        rec["init"] = "data"
    else:
        v = (rng.random_sample((chains, NV)) < 0.5).astype(DT)
        rec["init"] = "random"
    t0 = time.perf_counter()
    for _ in range(sweeps):
        v = rbm.gibbs(v)
    dt = time.perf_counter() - t0
    cs = chains * sweeps
    rec.update(chains=chains, sweeps=sweeps, seconds=dt, chain_sweeps_per_s=cs / dt,
               gflops=cs * 4.0 * NV * NH / dt / 1e9, final_v_mean=float(np.mean(v)))


def pcd1(rec):
    if args.momentum != 0:
        sys.exit("sklearn_rbm.py: BernoulliRBM has no momentum")
    X, Xt = common.images("train", DT, args.rows), common.images("test", DT)
    rbm = BernoulliRBM(n_components=NH, batch_size=args.batch, learning_rate=args.lr, n_iter=args.epochs,
                       random_state=args.seed, verbose=0)
    t0 = time.perf_counter()
    rbm.fit(X)
    dt = time.perf_counter() - t0
    images = args.epochs * X.shape[0]
    W = rbm.components_.T
    rec.update(chains=args.batch, epochs=args.epochs, batch=args.batch, lr=args.lr, momentum=0.0, seconds=dt,
               seconds_per_epoch=dt / args.epochs, gflops=images * 10.0 * NV * NH / dt / 1e9,
               recon_err_test=recon_err(Xt, W, rbm.intercept_visible_, rbm.intercept_hidden_),
               w_abs_mean=float(np.abs(W).mean()))
    if X.shape[0] != 60000:
        rec["rows"] = X.shape[0]


def main():
    if args.workload in ("cd1", "ais"):
        print(f"sklearn_rbm.py: scikit-learn has no {args.workload}", file=sys.stderr)
        sys.exit(3)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=args.threads)
    except ImportError:
        pass
    rec = {"impl": f"sklearn-{'f64' if DT is np.float64 else 'f32'}", "workload": args.workload,
           "dtype": args.dtype, "threads": args.threads}
    {"gibbs": gibbs, "gibbs1": gibbs, "pcd1": pcd1}[args.workload](rec)
    rec["sklearn"] = sklearn.__version__
    rec["numpy"] = np.__version__
    common.emit(rec)


if __name__ == "__main__":
    main()
