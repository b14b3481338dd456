#!/usr/bin/python3
"""One epoch of CD-1 of the 784×500 RBM on binarized Fashion-MNIST, on one
process and on 2 processes under torchrun (gloo, loopback), from the same
seed and global batch; writes both checkpoints and metrics.json (the
largest relative parameter difference, reconstruction errors, and the AIS
log-likelihood of test images under each) to --out.

    ebmc gen -target torch -o /tmp/rbm_ebm.py examples/rbm.ebm
    /usr/bin/python3 benchmarks/torch/ddp_fashion.py --module /tmp/rbm_ebm.py --out docs/results/torch-ddp-fashion
"""
import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import load_images  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--module", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--rows", type=int, default=60000)
ap.add_argument("--test", type=int, default=1000)
ap.add_argument("--batch", type=int, default=100)
ap.add_argument("--lr", type=float, default=0.05)
ap.add_argument("--momentum", type=float, default=0.5)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--betas", type=int, default=1000)
ap.add_argument("--runs", type=int, default=100)
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)
torch.set_default_dtype(torch.float64)
spec = importlib.util.spec_from_file_location("model", a.module)
mod = importlib.util.module_from_spec(spec)
sys.modules["model"] = mod
spec.loader.exec_module(mod)

train = load_images("train-images-idx3-ubyte.gz")[: a.rows]
test = load_images("t10k-images-idx3-ubyte.gz")[: a.test]
import tempfile  # noqa: E402

tmp = tempfile.mkdtemp()
rows = os.path.join(tmp, "train-rows.safetensors")
mod.save_safetensors(rows, [("x", train)])
common = ["train", "--data", rows, "--epochs", "1", "--batch", str(a.batch), "--lr", str(a.lr),
          "--momentum", str(a.momentum), "--seed", str(a.seed), "--dtype", "float64", "--device", "cpu"]


def run(cmd, env=None):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{cmd}: {out.stderr}")
    recon = None
    for line in out.stdout.splitlines():
        k = line.find("{")
        if k >= 0:
            recon = json.loads(line[k:]).get("recon", recon)
    return recon, time.perf_counter() - t0


single = os.path.join(a.out, "single.safetensors")
ddp = os.path.join(a.out, "ddp2.safetensors")
r1, t1 = run([sys.executable, a.module] + common + ["--out", single])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
env = dict(os.environ, GLOO_SOCKET_IFNAME="lo")
r2, t2 = run(["torchrun", "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(port),
              "--redirects", "1", "--tee", "1", a.module] + common + ["--out", ddp], env)
os.remove(rows)
os.rmdir(tmp)

res = {"model": "examples/rbm.ebm (784×500)", "data": "/usr/share/datasets/fashion-mnist, pixel/255 > 0.5",
       "train_rows": a.rows, "test_rows": a.test, "batch": a.batch, "lr": a.lr, "momentum": a.momentum, "seed": a.seed,
       "method": "CD-1, torch.optim.SGD, float64, CPU", "torch": torch.__version__,
       "recon_single": r1, "recon_ddp2": r2, "seconds_single": t1, "seconds_ddp2_incl_startup": t2}
with open(a.module) as fp:
    # The generated header's version line: ebmc's version and the hashes
    # of the source and the flags the module was made from.
    res["module"] = [ln[2:].strip() for ln in fp.readlines()[:2]]
res["command"] = " ".join([os.path.basename(sys.executable)] + sys.argv)
models = {}
for name, path in (("single", single), ("ddp2", ddp)):
    m = mod.Model()
    m.load(path)
    models[name] = m
diff = 0.0
for q in models["single"].PARAMS:
    x, y = models["single"].param(q.name).detach(), models["ddp2"].param(q.name).detach()
    diff = max(diff, float(((x - y).abs() / torch.clamp(torch.maximum(x.abs(), y.abs()), min=1)).max()))
res["max_rel_param_diff"] = diff
for name, m in models.items():
    g = torch.Generator()
    g.manual_seed(a.seed)
    base = m.base_rate(train)
    lz, lo, hi, ess = m.ais(base, a.betas, a.runs, g)
    f = m.visible_free_energy()
    x = m.split_visible(test)
    with torch.no_grad():
        ll = float(-m.free_energy(f, x).mean()) - lz
    res[name] = {"ais_log_z": lz, "ais_low": lo, "ais_high": hi, "ais_ess": ess, "ais_betas": a.betas, "ais_runs": a.runs,
                 "test_log_likelihood": ll}
with open(os.path.join(a.out, "metrics.json"), "w") as fp:
    json.dump(res, fp, indent=2)
print(json.dumps(res, indent=2))
