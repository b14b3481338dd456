"""Serves generated torch modules over ebmc's harness protocol (JSON lines,
harness.Request in, harness.Response out), so that package verify checks
them against the interpreter as it checks generated Go.

    python3 harness.py NAME=PATH.py ...
"""
import importlib.util
import json
import math
import sys

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def load(path, key):
    spec = importlib.util.spec_from_file_location("m_" + key.replace(".", "_").replace("/", "_"), path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def wrong(cls):
    """The model with its samplers drawing from half the field of every
    hidden layer: the negative control of the sampler test."""

    class Wrong(cls):
        def _tempered(self, i, x, beta, base):
            a, prec = super()._tempered(i, x, beta, base)
            if not self.LAYERS[i].visible:
                a = a / 2
            return a, prec

    return Wrong


def set_params(m, ps):
    with torch.no_grad():
        for q, v in zip(m.PARAMS, ps or []):
            m.param(q.name).copy_(torch.tensor(v, dtype=torch.float64).reshape(q.shape))


def state(m, layers, n):
    x = m.new_state(n)
    for i, ly in enumerate(m.LAYERS):
        if layers and i < len(layers) and layers[i] is not None:
            x[i] = torch.tensor(layers[i], dtype=torch.float64).reshape((n,) + tuple(ly.shape))
    return x


def flat(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def grads(m, g):
    return [flat(torch.zeros(q.shape) if v is None else v) for q, v in zip(m.PARAMS, g)]


def finite(v):
    if math.isnan(v) or math.isinf(v):
        return -sys.float_info.max if v < 0 else sys.float_info.max
    return v


def sanitize(v):
    """Non-finite numbers as the Go harness sends them: ±MaxFloat64."""
    if isinstance(v, float):
        return finite(v)
    if isinstance(v, list):
        return [sanitize(u) for u in v]
    if isinstance(v, dict):
        return {k: sanitize(u) for k, u in v.items()}
    return v


def chains_out(x):
    n = x[0].shape[0]
    return torch.cat([t.reshape(n, -1) for t in x], 1).tolist()


def run(models, req):
    name = req["Model"]
    if name not in models:
        return {"Error": "unknown model " + name}
    m = models[name]()
    set_params(m, req.get("Params"))
    op = req.get("Op")
    beta = req.get("Beta") or 0.0
    n = req.get("N") or 0
    resp = {}
    if op == "eval":
        x = state(m, req.get("Layers"), n)
        w = torch.tensor(req["Weights"], dtype=torch.float64) if req.get("Weights") else None
        resp["Energy"] = flat(m.energy(x))
        resp["Fields"], resp["Precisions"], resp["Means"] = [], [], []
        for i, ly in enumerate(m.LAYERS):
            a, prec = m.field(i, x)
            resp["Fields"].append(flat(a))
            resp["Precisions"].append(flat(torch.zeros_like(a) if prec is None else prec))
            resp["Means"].append(flat(m.mean(i, x, beta)))
        resp["FreeEnergies"], resp["FEGrads"] = [], []
        for f in range(len(m.FREE_ENERGIES)):
            resp["FreeEnergies"].append(flat(m.free_energy(f, x, beta)))
            resp["FEGrads"].append(grads(m, m.free_energy_grad(f, x, w)))
        resp["EnergyGrad"] = grads(m, m.energy_grad(x, w))
        try:
            resp["LogZ"] = m.log_z()
        except ValueError as e:
            resp["LogZError"] = str(e)
        y = [t.clone() for t in x]
        m.mean_field(y, 500, 1e-12, 0.0)
        resp["MeanField"] = [flat(t) for t in y]
    elif op == "gradadd":
        # The first n/2 chains through grad with weight 1, the rest added
        # by grad_add with weight −½.
        x = state(m, req.get("Layers"), n)
        h = n // 2
        with torch.no_grad():
            g = m.grad([t[:h] for t in x], None, x[0].new_ones((h,)))
            m.grad_add(g, [t[h:] for t in x], None, x[0].new_full((n - h,), -0.5))
        resp["EnergyGrad"] = grads(m, g)
    elif op == "autograd":
        x = state(m, req.get("Layers"), n)
        resp["EnergyGrad"] = grads(m, m.energy_grad_autograd(x))
        resp["FEGrads"] = [grads(m, m.free_energy_grad_autograd(f, x)) for f in range(len(m.FREE_ENERGIES))]
    elif op == "sample":
        g = torch.Generator()
        g.manual_seed(req.get("Seed") or 0)
        x = m.random_state(n, g)
        for _ in range(req.get("Sweeps") or 0):
            m.sweep(x, beta, g)
        resp["States"] = chains_out(x)
    elif op == "logz":
        lz = req["LogZ"]
        est = {}
        try:
            z = m.log_z()
            est["exact"] = {"LogZ": z, "Low": z, "High": z}
        except ValueError:
            pass
        base = m.base_rate(torch.tensor(lz["Data"], dtype=torch.float64) if lz.get("Data") else None)
        g = torch.Generator()
        g.manual_seed(req.get("Seed") or 0)
        z, lo, hi, _ = m.ais(base, lz["Temperatures"], lz["Runs"], g)
        est["ais"] = {"LogZ": finite(z), "Low": finite(lo), "High": finite(hi)}
        resp["Estimates"] = est
    elif op == "train":
        tr = req["Train"]
        data = torch.tensor(tr["Data"], dtype=torch.float64)
        mod = sys.modules[type(m).__module__]
        mod.train(m, data, tr["Epochs"], tr["Batch"], tr["K"] or 1, tr.get("Persistent", False), tr.get("Chains") or None,
                  tr["LR"], tr.get("Momentum", 0.0), req.get("Seed") or 1)
        resp["Params"] = [flat(p.detach()) for p in m.params()]
    else:
        resp["Error"] = "unknown op " + str(op)
    return resp


def main():
    models = {}
    for arg in sys.argv[1:]:
        key, path = arg.split("=", 1)
        cls = load(path, key).Model
        models[key] = cls
        models[key + "/wrong-sampler"] = wrong(cls)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            resp = run(models, json.loads(line))
        except Exception as e:  # reported to the Go side, which fails the check
            import traceback
            resp = {"Error": f"{type(e).__name__}: {e}\n{traceback.format_exc()}"}
        sys.stdout.write(json.dumps(sanitize(resp)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
