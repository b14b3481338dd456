#!/usr/bin/python3
"""CD-1 of a generated bernoulli RBM (layers v, h; parameters W, b, c)
against Hinton's rbm.m written out by hand, from the same random numbers:

    p0 = σ(c + vW),  h0 = [u < p0],  v1 = σ(b + h0Wᵀ),  p1 = σ(c + v1W),
    ∂(−log p)/∂W ≈ −(vᵀp0 − v1ᵀp1)/n,  ∂/∂b ≈ −Σ(v − v1)/n,  ∂/∂c ≈ −Σ(p0 − p1)/n.

Prints {"means": largest difference with mean_visible=True,
"samples": the same with mean_visible=False (the control: it draws v1)}.

    python3 cdmeans.py MODULE.py
"""
import importlib.util
import json
import sys

import torch

torch.set_default_dtype(torch.float64)
spec = importlib.util.spec_from_file_location("model", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
g = torch.Generator()
g.manual_seed(3)
m = mod.Model(g)
with torch.no_grad():
    for q in m.PARAMS:
        m.param(q.name).normal_(0, 0.7, generator=g)
W, b, c = m.param("W").detach(), m.param("b").detach(), m.param("c").detach()
n = 40
rows = (torch.rand((n, W.shape[0]), generator=g) < 0.4).double()


def hinton():
    u = torch.Generator()
    u.manual_seed(11)
    p0 = torch.sigmoid(c + rows @ W)
    h0 = (torch.rand(p0.shape, generator=u) < p0).double()
    v1 = torch.sigmoid(b + h0 @ W.t())
    p1 = torch.sigmoid(c + v1 @ W)
    return {"W": -(rows.t() @ p0 - v1.t() @ p1) / n, "b": -(rows - v1).sum(0) / n, "c": -(p0 - p1).sum(0) / n}


def generated(mean_visible):
    u = torch.Generator()
    u.manual_seed(11)
    grads, _ = m.cd_grad(rows, m.split_visible(rows), 1, mod.Noise(u), mean_visible=mean_visible)
    return {q.name: t for q, t in zip(m.PARAMS, grads)}


want = hinton()
out = {}
for name, mv in (("means", True), ("samples", False)):
    got = generated(mv)
    out[name] = max(float((got[k] - want[k]).abs().max()) for k in want)
print(json.dumps(out))
