#
# One self-contained module for PyTorch (>= 1.13) and the standard library.
# The class at the end holds what ebmc derived from the model's energy (the
# energy, every layer's field and precision, the free energies' remaining
# terms, the closed-form gradients dE/dtheta); everything above it is the
# same for every model: samplers, block-Gibbs sweeps, mean field, free
# energies, exact log Z, AIS, CD-k/PCD-k training, safetensors checkpoints
# in the layout of the Go target (runtime/checkpoint), and a
# torchrun-compatible launcher for DistributedDataParallel training.
#
#   python3 THIS.py train --data rows.safetensors --epochs 1 --out model.safetensors
#   torchrun --nproc_per_node=2 THIS.py train ...   (gloo on CPU, nccl on GPUs)
#   python3 THIS.py logz --load model.safetensors
#
# States are lists of tensors, one per layer, shaped (chains, *layer shape).
# Everything is batched over chains and works on any device and dtype
# (model.to(device, dtype)); only layers with lateral couplings are swept
# site by site, as exact Gibbs sampling requires.

import argparse
import collections
import json
import math
import os
import struct
import sys
import time

import torch
from torch import nn

Layer = collections.namedtuple("Layer", "name kind shape visible lateral")
Param = collections.namedtuple("Param", "name shape fixed init")


def softplus(a):
    """log(1 + e^a), exact in float64 for every a (torch's has a threshold)."""
    return torch.clamp(a, min=0) + torch.log1p(torch.exp(-torch.abs(a)))


def log2cosh(a):
    """log(e^a + e^-a)."""
    z = torch.abs(a)
    return z + torch.log1p(torch.exp(-2 * z))


def squares(x):
    return [t * t for t in x]


def size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _mask(shape, pairs):
    """The 0/1 tensor over shape that is 0 where, for every pair (a, b), index a equals index b."""
    eq = torch.ones(shape, dtype=torch.float64)
    for a, b in pairs:
        view = [1] * len(shape)
        view[a], view[b] = shape[a], shape[b]
        eq = eq * torch.eye(shape[a], shape[b], dtype=torch.float64).reshape(view)
    return 1 - eq


class Noise:
    """Random numbers for a slice [lo, hi) of n chains (or data rows).

    Every draw is made for all n rows from one generator and sliced, so that
    the rows a process owns see the same numbers whether one process holds
    all n rows or several processes hold a slice each: distributed training
    then follows the single-process run exactly.
    """

    def __init__(self, generator, n=None, lo=0, hi=None):
        self.generator, self.n, self.lo, self.hi = generator, n, lo, hi

    def _draw(self, fn, rows, shape, like):
        n = self.n if self.n is not None else rows
        hi = self.hi if self.hi is not None else n
        t = fn((n,) + tuple(shape), generator=self.generator, dtype=like.dtype, device=self.generator.device)
        if self.lo != 0 or hi != n:
            t = t[self.lo:hi]
        return t if t.device == like.device else t.to(like.device)

    def uniform(self, rows, shape, like):
        return self._draw(torch.rand, rows, shape, like)

    def normal(self, rows, shape, like):
        return self._draw(torch.randn, rows, shape, like)


def as_noise(rng, seed=0):
    if rng is None:
        g = torch.Generator()
        g.manual_seed(seed)
        return Noise(g)
    if isinstance(rng, torch.Generator):
        return Noise(rng)
    return rng


class EBM(nn.Module):
    """The model-independent part of a generated energy-based model.

    A subclass defines NAME, LAYERS, PARAMS, SCHEDULE (blocks of layer
    indices, sampled in order), FREE_ENERGIES ((summed-out, kept) layer
    indices), MASKS, and the derived energy, field, rest and grad.
    """

    def __init__(self, generator=None):
        super().__init__()
        for q in self.PARAMS:
            self.register_parameter(q.name, nn.Parameter(torch.zeros(q.shape), requires_grad=not q.fixed))
        for k, (shape, pairs) in enumerate(self.MASKS):
            self.register_buffer(f"_mask{k}", _mask(shape, pairs).to(torch.get_default_dtype()), persistent=False)
        self.reset_parameters(generator)

    # -- structure -----------------------------------------------------------

    def param(self, name):
        return self._parameters[name]

    def params(self):
        return [self._parameters[q.name] for q in self.PARAMS]

    def _like(self):
        return self.params()[0] if self.PARAMS else torch.zeros(())

    def _ones(self, n):
        return self._like().new_ones((n,))

    def _eye(self, n):
        t = self._like()
        return torch.eye(n, dtype=t.dtype, device=t.device)

    @classmethod
    def visible(cls):
        return [i for i, ly in enumerate(cls.LAYERS) if ly.visible]

    @classmethod
    def visible_size(cls):
        return sum(size(cls.LAYERS[i].shape) for i in cls.visible())

    @classmethod
    def visible_free_energy(cls):
        """The free energy that keeps exactly the visible layers, or None."""
        vis = set(cls.visible())
        for f, (out, keep) in enumerate(cls.FREE_ENERGIES):
            if set(keep) == vis and not vis & set(out):
                return f
        return None

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Fill the parameters from the .ebm initializers."""
        for q in self.PARAMS:
            t = self._parameters[q.name]
            kind, a, b = q.init
            if kind == "zeros":
                t.zero_()
            elif kind == "constant":
                t.fill_(a)
            elif kind == "normal":
                t.copy_(torch.randn(q.shape, generator=generator, dtype=torch.float64) * b + a)
            elif kind == "uniform":
                t.copy_(torch.rand(q.shape, generator=generator, dtype=torch.float64) * (b - a) + a)

    def new_state(self, n):
        """n chains with every unit at its lowest value (softmax: category 0)."""
        return [self._lowest(ly, n) for ly in self.LAYERS]

    def _lowest(self, ly, n):
        s = self._like().new_zeros((n,) + tuple(ly.shape))
        if ly.kind == "spin":
            s.fill_(-1)
        elif ly.kind == "softmax":
            s[..., 0] = 1
        return s

    def random_state(self, n, rng=None):
        """n chains with every unit drawn uniformly (gaussian units from N(0, 1))."""
        noise = as_noise(rng)
        t = self._like()
        x = []
        for ly in self.LAYERS:
            if ly.kind == "gaussian":
                x.append(noise.normal(n, ly.shape, t))
            elif ly.kind == "softmax":
                K = ly.shape[-1]
                u = noise.uniform(n, ly.shape[:-1], t)
                idx = torch.clamp((u * K).long(), max=K - 1)
                x.append(torch.nn.functional.one_hot(idx, K).to(t.dtype))
            else:
                s = (noise.uniform(n, ly.shape, t) < 0.5).to(t.dtype)
                x.append(2 * s - 1 if ly.kind == "spin" else s)
        return x

    # -- conditionals --------------------------------------------------------

    def _tempered(self, i, x, beta, base):
        """β·a + (1−β)·b and β·P + (1−β) for layer i: the conditional of the
        geometric path from a base model of independent units with biases b
        (AIS); base None is the model at inverse temperature β."""
        a, prec = self.field(i, x)
        if beta != 1:
            a = beta * a
            if prec is not None:
                prec = beta * prec
        if base is not None:
            a = a + (1 - beta) * base[i]
            if prec is not None:
                prec = prec + (1 - beta)
        return a, prec

    @staticmethod
    def _mean(kind, a, prec, K=None):
        """E[x] of units with tempered field a (and precision)."""
        if kind == "bernoulli":
            return torch.sigmoid(a)
        if kind == "spin":
            return torch.tanh(a)
        if kind == "gaussian":
            return a / prec
        g = a.reshape(a.shape[:-1] + (-1, K))
        return torch.softmax(g, dim=-1).reshape(a.shape)

    def mean(self, i, x, beta=1.0):
        """E[x_u | rest] of every unit of layer i at inverse temperature β."""
        ly = self.LAYERS[i]
        a, prec = self._tempered(i, x, beta, None)
        return self._mean(ly.kind, a, prec, ly.shape[-1])

    def moments(self, i, x, beta=1.0):
        """E[x_u | rest] and E[x_u² | rest] of every unit of layer i, and
        the tempered field and precision they come from."""
        ly = self.LAYERS[i]
        a, prec = self._tempered(i, x, beta, None)
        m = self._mean(ly.kind, a, prec, ly.shape[-1])
        if ly.kind == "spin":
            m2 = torch.ones_like(m)
        elif ly.kind == "gaussian":
            m2 = 1 / prec + m * m
        else:
            m2 = m
        return m, m2, a, prec

    @staticmethod
    def _draw(kind, a, prec, noise, K=None, mean=None):
        """A sample of units with tempered field a (and precision); mean,
        when given, is their E[x] from _mean, not computed again."""
        n = a.shape[0]
        if kind == "bernoulli":
            return (noise.uniform(n, a.shape[1:], a) < (torch.sigmoid(a) if mean is None else mean)).to(a.dtype)
        if kind == "spin":
            return 2 * (noise.uniform(n, a.shape[1:], a) < torch.sigmoid(2 * a)).to(a.dtype) - 1
        if kind == "gaussian":
            return (a / prec if mean is None else mean) + noise.normal(n, a.shape[1:], a) / torch.sqrt(prec)
        g = a.reshape(a.shape[:-1] + (-1, K)) if a.shape[-1] != K else a
        p = torch.softmax(g, dim=-1) if mean is None else mean.reshape(g.shape)
        cdf = torch.cumsum(p, dim=-1)
        u = noise.uniform(n, g.shape[1:-1] + (1,), a)
        idx = torch.clamp((cdf < u).sum(-1), max=K - 1)
        return torch.nn.functional.one_hot(idx, K).to(a.dtype).reshape(a.shape)

    @torch.no_grad()
    def sample(self, i, x, beta=1.0, rng=None, base=None, means=False):
        """Draw layer i of every chain from p(x_i | rest) at inverse
        temperature β, in place (means=True writes the conditional means).
        A layer with lateral couplings is drawn site by site (a softmax
        group is one site), each site given the current others."""
        ly = self.LAYERS[i]
        noise = as_noise(rng)
        K = ly.shape[-1]
        if not ly.lateral:
            a, prec = self._tempered(i, x, beta, base)
            x[i] = self._mean(ly.kind, a, prec, K) if means else self._draw(ly.kind, a, prec, noise, K)
            return x
        n = x[i].shape[0]
        sites = size(ly.shape) // K if ly.kind == "softmax" else size(ly.shape)
        width = K if ly.kind == "softmax" else 1
        for s in range(sites):
            a, prec = self._tempered(i, x, beta, base)
            a = a.reshape(n, sites, width)[:, s]
            if prec is not None:
                prec = prec.reshape(n, sites, width)[:, s]
            if means:
                v = self._mean(ly.kind, a, prec, K)
            else:
                v = self._draw(ly.kind, a, prec, noise, K)
            x[i] = x[i].clone().reshape(n, sites, width)
            x[i][:, s] = v
            x[i] = x[i].reshape((n,) + tuple(ly.shape))
        return x

    @torch.no_grad()
    def sweep(self, x, beta=1.0, rng=None, base=None, clamp=()):
        """One block-Gibbs sweep over SCHEDULE; layers in clamp stay put."""
        for block in self.SCHEDULE:
            for i in block:
                if i not in clamp:
                    self.sample(i, x, beta, rng, base)
        return x

    @torch.no_grad()
    def mean_field(self, x, iters=25, tol=1e-6, damping=0.0):
        """Mean-field posteriors of the hidden layers given the visible ones
        in x (in place): hidden means start at 0 and are updated block by
        block (site by site with lateral couplings), μ ← (1−d)·E[x | μ] + d·μ,
        reading a squared unit as μ², until no mean moves more than tol.
        Returns the number of iterations."""
        hidden = [i for i, ly in enumerate(self.LAYERS) if not ly.visible]
        for i in hidden:
            x[i] = torch.zeros_like(x[i])
        for it in range(1, iters + 1):
            moved = 0.0
            for block in self.SCHEDULE:
                for i in block:
                    if i not in hidden:
                        continue
                    old = x[i]
                    if self.LAYERS[i].lateral:
                        self.sample(i, x, means=True)
                        new = x[i]
                    else:
                        new = self.mean(i, x)
                    new = (1 - damping) * new + damping * old
                    moved = max(moved, float((new - old).abs().max()) if new.numel() else 0.0)
                    x[i] = new
            if moved <= tol:
                return it
        return iters

    # -- free energies -------------------------------------------------------

    @staticmethod
    def _log_partition(kind, a, prec, K):
        """Σ over units of log Σ_x exp(a·x − ½P·x²) (a, P tempered), per chain."""
        n = a.shape[0]
        if kind == "bernoulli":
            v = softplus(a)
        elif kind == "spin":
            v = log2cosh(a)
        elif kind == "gaussian":
            v = a * a / (2 * prec) + 0.5 * torch.log(2 * math.pi / prec)
        else:
            v = torch.logsumexp(a.reshape(n, -1, K), dim=-1)
        return v.reshape(n, -1).sum(1)

    def free_energy(self, f, x, beta=1.0):
        """F_β(x) = β·rest(x) − Σ_{summed-out units} log Σ_u exp(β(a·u − ½P·u²)), per chain."""
        out, _ = self.FREE_ENERGIES[f]
        F = beta * self.rest(f, x)
        for i in out:
            a, prec = self._tempered(i, x, beta, None)
            F = F - self._log_partition(self.LAYERS[i].kind, a, prec, self.LAYERS[i].shape[-1])
        return F

    # -- gradients -----------------------------------------------------------

    def _weights(self, x, w):
        return x[0].new_ones((x[0].shape[0],)) if w is None else w

    @torch.no_grad()
    def energy_grad(self, x, w=None):
        """Σ_c w_c ∂E(x_c)/∂θ per parameter (None for fixed ones), closed form."""
        return self.grad(x, None, self._weights(x, w))

    def _statistics(self, f, x, fields=None):
        """The states whose ∂E/∂θ average to ∂F/∂θ for free energy f: x
        with the summed-out layers replaced by their conditional means, and
        their squares (None when no term holds one) by second moments.
        fields, when a dict, receives each summed-out layer's (field,
        precision)."""
        out, _ = self.FREE_ENERGIES[f]
        y = list(x)
        y2 = squares(x) if self.SQUARES else None
        for i in out:
            m, m2, a, prec = self.moments(i, x)
            y[i] = m
            if y2 is not None:
                y2[i] = m2
            if fields is not None:
                fields[i] = (a, prec)
        return y, y2

    @torch.no_grad()
    def free_energy_grad(self, f, x, w=None, fields=None):
        """Σ_c w_c ∂F(x_c)/∂θ = Σ_c w_c E[∂E/∂θ | kept layers]: the summed-out
        units replaced by their conditional means (squares by second
        moments). fields, when a dict, receives each summed-out layer's
        (field, precision)."""
        y, y2 = self._statistics(f, x, fields)
        return self.grad(y, y2, self._weights(x, w))

    def _autograd(self, fn, w):
        ps = [p for p, q in zip(self.params(), self.PARAMS) if not q.fixed]
        with torch.enable_grad():
            v = fn()
            w = torch.ones_like(v) if w is None else w
            gs = torch.autograd.grad((w * v).sum(), ps, allow_unused=True)
        out, k = [], 0
        for p, q in zip(self.params(), self.PARAMS):
            if q.fixed:
                out.append(None)
            else:
                out.append(torch.zeros_like(p) if gs[k] is None else gs[k])
                k += 1
        return out

    def energy_grad_autograd(self, x, w=None):
        """energy_grad by automatic differentiation: a cross-check."""
        return self._autograd(lambda: self.energy(x), w)

    def free_energy_grad_autograd(self, f, x, w=None):
        """free_energy_grad by automatic differentiation: a cross-check."""
        return self._autograd(lambda: self.free_energy(f, x), w)

    # -- exact log Z ----------------------------------------------------------

    def _configs(self, layers, k):
        """The states of the given discrete layers for configuration numbers
        k (mixed radix, first unit of the first layer least significant,
        as ir.SetConfig counts)."""
        t = self._like()
        out = {}
        for i in layers:
            ly = self.LAYERS[i]
            if ly.kind == "softmax":
                K = ly.shape[-1]
                G = size(ly.shape) // K
                digits = (k[:, None] // (K ** torch.arange(G, device=k.device))) % K
                out[i] = torch.nn.functional.one_hot(digits, K).to(t.dtype).reshape((k.shape[0],) + tuple(ly.shape))
                k = k // (K ** G)
            else:
                n = size(ly.shape)
                bits = ((k[:, None] >> torch.arange(n, device=k.device)) & 1).to(t.dtype)
                if ly.kind == "spin":
                    bits = 2 * bits - 1
                out[i] = bits.reshape((k.shape[0],) + tuple(ly.shape))
                k = k >> n
        return out

    def _count(self, layers):
        n = 1
        for i in layers:
            ly = self.LAYERS[i]
            if ly.kind == "gaussian":
                return math.inf
            n *= ly.shape[-1] ** (size(ly.shape) // ly.shape[-1]) if ly.kind == "softmax" else 2 ** size(ly.shape)
        return n

    @torch.no_grad()
    def log_z(self, beta=1.0, limit=1 << 22, chunk=1 << 16):
        """log Z_β = log Σ exp(−βE) exactly, enumerating the kept layers of
        the free energy with fewest configurations (or every layer); raises
        ValueError when that exceeds limit configurations."""
        best, bestn = None, math.inf
        for f, (out, keep) in enumerate(self.FREE_ENERGIES):
            n = self._count(keep)
            if n < bestn:
                best, bestn = f, n
        alln = self._count(range(len(self.LAYERS)))
        if alln <= bestn:
            best, bestn = None, alln
        if bestn > limit:
            raise ValueError(f"{self.NAME}: exact log Z needs {bestn} configurations, more than the limit {limit}")
        layers = list(range(len(self.LAYERS))) if best is None else self.FREE_ENERGIES[best][1]
        dev = self._like().device
        parts = []
        for lo in range(0, int(bestn), chunk):
            k = torch.arange(lo, min(int(bestn), lo + chunk), device=dev)
            x = self.new_state(k.shape[0])
            for i, s in self._configs(layers, k).items():
                x[i] = s
            v = -beta * self.energy(x) if best is None else -self.free_energy(best, x, beta)
            parts.append(torch.logsumexp(v, 0))
        return float(torch.logsumexp(torch.stack(parts), 0))

    # -- AIS ---------------------------------------------------------------------

    def base_rate(self, data=None, smoothing=None):
        """Biases of the base model of AIS, independent units: the visible
        layers' data base rates (Salakhutdinov & Murray 2008) when data
        (rows × visible size) is given, else 0 (uniform; N(0, 1) for gaussian
        units)."""
        t = self._like()
        base = [t.new_zeros(tuple(ly.shape)) for ly in self.LAYERS]
        if data is None:
            return base
        rows = data.shape[0]
        smoothing = rows / 20 if smoothing is None else smoothing
        off = 0
        for i in self.visible():
            ly = self.LAYERS[i]
            n = size(ly.shape)
            col = data[:, off:off + n].to(t)
            off += n
            if ly.kind == "bernoulli":
                p = (col.sum(0) + smoothing / 2) / (rows + smoothing)
                base[i] = torch.log(p / (1 - p)).reshape(ly.shape)
            elif ly.kind == "spin":
                p = ((col.sum(0) + rows) / 2 + smoothing / 2) / (rows + smoothing)
                base[i] = 0.5 * torch.log(p / (1 - p)).reshape(ly.shape)
            elif ly.kind == "softmax":
                K = ly.shape[-1]
                p = (col.sum(0) + smoothing / K) / (rows + smoothing)
                base[i] = torch.log(p).reshape(ly.shape)
            else:
                base[i] = col.mean(0).reshape(ly.shape)
        return base

    def _base_energy(self, x, base):
        e = x[0].new_zeros((x[0].shape[0],))
        for i, ly in enumerate(self.LAYERS):
            n = x[i].shape[0]
            e = e - (x[i] * base[i]).reshape(n, -1).sum(1)
            if ly.kind == "gaussian":
                e = e + 0.5 * (x[i] * x[i]).reshape(n, -1).sum(1)
        return e

    def _base_log_z(self, base):
        z = 0.0
        for i, ly in enumerate(self.LAYERS):
            b = base[i].reshape(1, -1)
            K = ly.shape[-1]
            ones = torch.ones_like(b)
            z += float(self._log_partition(ly.kind, b, ones, K)[0])
        return z

    @torch.no_grad()
    def ais(self, base=None, betas=1000, runs=100, rng=None):
        """Annealed importance sampling (Neal 2001) of log Z from the base
        model of independent units with biases base (base_rate), along
        p_β ∝ exp(−(1−β)·E_base − β·E), the transitions tempered Gibbs
        sweeps, all runs as one batch. betas is a count (uniform in β) or a
        sequence from 0 to 1. Returns (log Z, low, high): the estimate
        log mean w and its ±3σ interval from the weights' standard error
        (delta method), and the effective sample size."""
        base = self.base_rate() if base is None else base
        noise = as_noise(rng)
        if isinstance(betas, int):
            betas = torch.linspace(0, 1, betas + 1, dtype=torch.float64).tolist()
        t = self._like()
        x = []
        for i, ly in enumerate(self.LAYERS):
            b = base[i].expand((runs,) + tuple(ly.shape))
            ones = torch.ones_like(b)
            x.append(self._draw(ly.kind, b, ones, noise, ly.shape[-1]))
        logw = t.new_zeros((runs,))
        for k in range(1, len(betas)):
            db = betas[k] - betas[k - 1]
            logw = logw + db * (self._base_energy(x, base) - self.energy(x))
            self.sweep(x, betas[k], noise, base)
        logw = logw.double()
        lz = self._base_log_z(base) + float(torch.logsumexp(logw, 0)) - math.log(runs)
        r = torch.exp(logw - logw.max())
        r = r / r.mean()
        se = float(r.std(unbiased=True)) / math.sqrt(runs) if runs > 1 else math.inf
        low = lz + (math.log(1 - 3 * se) if se < 1 / 3 else -math.inf)
        high = lz + math.log(1 + 3 * se)
        ess = float(r.sum() ** 2 / (r * r).sum())
        return lz, low, high, ess

    # -- training -----------------------------------------------------------------

    def split_visible(self, rows):
        """A batch of data rows (rows × visible size) as a state with the
        visible layers set and the hidden ones at their lowest value."""
        n, t = rows.shape[0], self._like()
        x, off = [], 0
        for ly in self.LAYERS:
            if not ly.visible:
                x.append(self._lowest(ly, n))
                continue
            k = size(ly.shape)
            x.append(rows[:, off:off + k].to(t).reshape((n,) + tuple(ly.shape)))
            off += k
        return x

    def join_visible(self, x):
        v = [x[i].reshape(x[i].shape[0], -1) for i in self.visible()]
        return v[0] if len(v) == 1 else torch.cat(v, 1)

    @torch.no_grad()
    def cd_grad(self, rows, neg, k=1, rng=None, total=None, persistent=False, mean_visible=False):
        """The gradient of the negative log-likelihood estimated on a batch,
        E_data[∂F/∂θ] − E_model[∂F/∂θ], as Σ over this process's rows
        divided by total (default: this batch's rows, a mean):
        F is the visible free energy when one exists, else E after mean
        field (hidden layers) or E itself. The model expectation is taken
        over neg after k block-Gibbs sweeps (neg is updated in place: the
        data for CD, persistent chains for PCD); mean_visible keeps the
        visible layers of CD's last sweep as their conditional means
        (Hinton's rbm.m), as the Go target's CDConfig.MeanVisible. The
        negative statistics, weighted −n/(total·chains), are added into the
        positive ones' gradient in place (grad_add). Returns (gradients,
        squared reconstruction error summed over the rows, as a 0-d
        tensor: against the negative chains for CD, against the visible
        means given the hidden means for PCD)."""
        noise = as_noise(rng)
        x = self.split_visible(rows)
        n = rows.shape[0]
        total = n if total is None else total
        f = self.visible_free_energy()
        hidden = [i for i, ly in enumerate(self.LAYERS) if not ly.visible]
        fields = {}
        if f is not None:
            y, y2 = self._statistics(f, x, fields)
        else:
            if hidden:
                self.mean_field(x, 25, 1e-6)
            y, y2 = x, None
        first = 0
        if not persistent and f is not None and set(self.SCHEDULE[0]) == set(self.FREE_ENERGIES[f][0]):
            # CD: the first block given the data has the conditional whose
            # means the positive phase computed; draw it from those fields.
            for i in self.SCHEDULE[0]:
                a, prec = fields[i]
                ly = self.LAYERS[i]
                neg[i] = self._draw(ly.kind, a, prec, noise, ly.shape[-1], y[i])
            first = 1
        visible = set(self.visible())
        for s in range(k):
            last = mean_visible and not persistent and s == k - 1
            for block in self.SCHEDULE[first if s == 0 else 0:]:
                for i in block:
                    self.sample(i, neg, 1.0, noise, means=last and i in visible)
        if f is not None:
            yn, y2n = self._statistics(f, neg)
        else:
            yn, y2n = neg, None
        chains = neg[0].shape[0]
        g = self.grad(y, y2, x[0].new_full((n,), 1.0 / total))
        self.grad_add(g, yn, y2n, x[0].new_full((chains,), -n / (total * chains)))
        recon = x[0].new_zeros(())
        if hidden and persistent:
            # The visible means given the data's hidden means.
            v = self.split_visible(rows)
            for i in hidden:
                v[i] = self.mean(i, v)
            for i in self.visible():
                v[i] = self.mean(i, v)
            recon = ((self.join_visible(v) - rows.to(v[0])) ** 2).sum()
        elif hidden:
            recon = ((self.join_visible(neg) - rows.to(neg[0])) ** 2).sum()
        return g, recon

    def forward(self, rows, neg, k=1, rng=None, total=None, persistent=False, mean_visible=False):
        """A surrogate loss Σ_θ Σ θ·g_θ whose autograd gradient is the CD/PCD
        gradient g (cd_grad), so that DistributedDataParallel averages it
        over processes and any torch.optim optimizer applies it. Returns
        (loss, reconstruction error)."""
        g, recon = self.cd_grad(rows, neg, k, rng, total, persistent, mean_visible)
        loss = self._like().new_zeros(())
        for p, q in zip(g, self.params()):
            if p is not None:
                loss = loss + (q * p).sum()
        return loss, recon

    # -- checkpoints -----------------------------------------------------------------

    def tensors(self):
        """The parameters as (name, tensor) in declaration order: the names,
        shapes and row-major layout of the Go target's Params."""
        return [(q.name, self._parameters[q.name].detach()) for q in self.PARAMS]

    def save(self, path, extra=(), meta=None):
        """Write a safetensors checkpoint the Go target loads
        (checkpoint.LoadCheckpoint / Restore): float64 parameters, then extra
        (name, tensor) pairs, __metadata__ {"model": NAME, ...}."""
        meta = dict(meta or {})
        meta["model"] = self.NAME
        save_safetensors(path, self.tensors() + list(extra), meta)

    @torch.no_grad()
    def load(self, path):
        """Restore the parameters from a safetensors checkpoint written by
        either target, with the Go side's checks: the model name, every
        parameter present, its shape, finite values. Returns (tensors, meta)."""
        tensors, meta = load_safetensors(path)
        if meta.get("model", self.NAME) != self.NAME:
            raise ValueError(f"checkpoint is for model {meta['model']}, not {self.NAME}")
        for q in self.PARAMS:
            if q.name not in tensors:
                raise ValueError(f"restore {self.NAME}: missing param {q.name!r} in checkpoint")
            t = tensors[q.name]
            if tuple(t.shape) != tuple(q.shape):
                raise ValueError(f"restore {self.NAME}: param {q.name}: checkpoint shape {list(t.shape)}, model shape {list(q.shape)}")
        for q in self.PARAMS:
            p = self._parameters[q.name]
            p.copy_(tensors[q.name].to(p))
        return tensors, meta


# -- safetensors -----------------------------------------------------------------

_DTYPES = {"F64": (torch.float64, 8), "F32": (torch.float32, 4), "I64": (torch.int64, 8), "U64": (torch.int64, 8)}


def save_safetensors(path, tensors, meta=None):
    """Write (name, tensor) pairs as safetensors: an 8-byte little-endian
    header length, a JSON header (padded with spaces to 8 bytes), raw
    little-endian float64 data in order. Written to path + ".tmp" and renamed."""
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    for name, t in tensors:
        if t.dtype in (torch.int64, torch.uint64 if hasattr(torch, "uint64") else torch.int64):
            dtype, data = "U64", t.detach().cpu().contiguous().to(torch.int64)
        else:
            dtype, data = "F64", t.detach().cpu().contiguous().to(torch.float64)
        if not torch.isfinite(data.double()).all() and dtype == "F64":
            raise ValueError(f"tensor {name} holds a non-finite value")
        b = data.numpy().astype("<f8" if dtype == "F64" else "<u8").tobytes() if _has_numpy() else _raw(data)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fp:
        fp.write(struct.pack("<Q", len(h)))
        fp.write(h)
        for b in blobs:
            fp.write(b)
    os.replace(tmp, path)


def _has_numpy():
    try:
        import numpy  # noqa: F401
        return True
    except ImportError:
        return False


def _raw(t):
    fmt = "<%dd" if t.dtype == torch.float64 else "<%dq"
    vals = t.reshape(-1).tolist()
    return struct.pack(fmt % len(vals), *vals)


def load_safetensors(path):
    """Read a safetensors file: ({name: float64 or int64 tensor}, metadata),
    checking the header length, that the offsets cover the data exactly and
    in order, each size against its shape, and that floats are finite
    (except RNG states: "rng" or names ending in ".rng")."""
    with open(path, "rb") as fp:
        raw = fp.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8 or n > 100 << 20:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    out, end = {}, 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype, width = _DTYPES.get(e["dtype"], (None, 0))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name}: dtype {e['dtype']} not supported")
        lo, hi = e["data_offsets"]
        if lo != end or hi < lo or hi > len(data):
            raise ValueError(f"{path}: tensor {name}: data offsets [{lo}, {hi}] leave a gap, overlap or pass the end")
        if hi - lo != size(e["shape"]) * width:
            raise ValueError(f"{path}: tensor {name}: {hi - lo} bytes for shape {e['shape']}")
        end = hi
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=dtype) if hi > lo else torch.zeros(0, dtype=dtype)
        t = t.reshape(e["shape"])
        if dtype == torch.float32:
            t = t.double()
        if t.is_floating_point() and not (name == "rng" or name.endswith(".rng")) and not torch.isfinite(t).all():
            raise ValueError(f"{path}: tensor {name} holds a non-finite value")
        out[name] = t
    if end != len(data):
        raise ValueError(f"{path}: {len(data) - end} bytes after the last tensor")
    return out, meta


# -- training and the launcher ----------------------------------------------------------


def read_rows(path, cols):
    """Data rows: a safetensors file (its tensor "x", or its only tensor),
    or a text file of rows of numbers."""
    if path.endswith(".safetensors"):
        ts, _ = load_safetensors(path)
        t = ts["x"] if "x" in ts else next(iter(ts.values()))
    else:
        with open(path) as fp:
            t = torch.tensor([[float(v) for v in line.split()] for line in fp if line.strip()], dtype=torch.float64)
    t = t.reshape(t.shape[0], -1)
    if t.shape[1] != cols:
        raise ValueError(f"{path}: rows of {t.shape[1]} values, the visible layers hold {cols}")
    return t


def train(model, data, epochs=1, batch=100, k=1, persistent=False, chains=None, lr=0.01, momentum=0.0,
          seed=1, rank=0, world=1, ddp=None, log=None, mean_visible=False, shuffle=True):
    """CD-k or PCD-k training with torch.optim.SGD, one process or one of
    world processes of DistributedDataParallel (ddp wraps model);
    mean_visible as in EBM.cd_grad; shuffle=False takes the rows in order
    every epoch instead of a new permutation.

    Seeds: one generator seeded with seed draws every epoch's permutation
    of the rows and every random number of every chain; each global batch
    of batch rows is split into world equal slices (batch must be a
    multiple of world), process rank takes its slice and the random
    numbers of its slice (Noise), and the gradients are averaged by DDP.
    The updates are therefore those of the single-process run with the same
    seed and global batch, up to the order of floating-point sums. PCD keeps
    chains (default: batch) persistent chains, sliced the same way. Returns
    the mean squared reconstruction error per row of the last epoch, over
    every process's rows."""
    gen = torch.Generator()
    gen.manual_seed(seed)
    if batch % world:
        raise ValueError(f"the batch of {batch} rows does not split into {world} processes")
    per = batch // world
    lo, hi = rank * per, (rank + 1) * per
    net = ddp if ddp is not None else model
    opt = torch.optim.SGD([p for p, q in zip(model.params(), model.PARAMS) if not q.fixed], lr=lr, momentum=momentum, foreach=True)
    chains = batch if chains is None else chains
    neg = None
    if persistent:
        if chains % world:
            raise ValueError(f"{chains} chains do not split into {world} processes")
        c = chains // world
        neg = model.random_state(chains, Noise(gen))
        neg = [t[rank * c:(rank + 1) * c] for t in neg]
    recon = 0.0
    for epoch in range(epochs):
        perm = torch.randperm(data.shape[0], generator=gen) if shuffle else None
        total, rows_seen = torch.zeros((), dtype=torch.float64), 0
        for start in range(0, data.shape[0] - batch + 1, batch):
            if perm is None:
                rows = data[start + lo:start + hi].to(model._like())
            else:
                rows = torch.index_select(data, 0, perm[start + lo:start + hi]).to(model._like())
            if persistent:
                c = chains // world
                noise = Noise(gen, chains, rank * c, (rank + 1) * c)
                chain = neg
            else:
                noise = Noise(gen, batch, lo, hi)
                chain = model.split_visible(rows)
            if ddp is None:
                # One process: the closed-form gradient is the update.
                g, r = model.cd_grad(rows, chain, k, noise, None, persistent, mean_visible)
                for p, gp in zip(model.params(), g):
                    p.grad = gp
            else:
                opt.zero_grad()
                loss, r = net(rows, chain, k, noise, None, persistent, mean_visible)
                loss.backward()
            opt.step()
            total += r
            rows_seen += rows.shape[0]
        recon = float(total)
        if ddp is not None:
            import torch.distributed as dist
            t = torch.tensor([recon, float(rows_seen)], dtype=torch.float64)
            dist.all_reduce(t)
            recon, rows_seen = float(t[0]), int(t[1])
        recon = recon / max(rows_seen, 1)
        if log is not None:
            log(epoch, recon)
    return recon


def main(cls, argv):
    ap = argparse.ArgumentParser(prog=os.path.basename(sys.argv[0]), description=f"{cls.NAME}, generated by ebmc")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="CD-k/PCD-k training; under torchrun, DistributedDataParallel")
    t.add_argument("--data", required=True, help="rows of visible values: .safetensors (tensor x) or text")
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch", type=int, default=100, help="global batch (split over processes)")
    t.add_argument("--k", type=int, default=1)
    t.add_argument("--pcd", action="store_true", help="persistent chains")
    t.add_argument("--chains", type=int, default=None)
    t.add_argument("--mean-visible", action="store_true", help="CD's last sweep keeps the visible layers as their conditional means")
    t.add_argument("--in-order", action="store_true", help="take the rows in order every epoch (default: a new permutation)")
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--momentum", type=float, default=0.0)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    t.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    t.add_argument("--load", help="start from this checkpoint")
    t.add_argument("--out", help="write the trained checkpoint here (rank 0)")
    z = sub.add_parser("logz", help="exact log Z (when enumerable) and AIS")
    z.add_argument("--load")
    z.add_argument("--data", help="visible rows for the AIS base rates")
    z.add_argument("--betas", type=int, default=1000)
    z.add_argument("--runs", type=int, default=100)
    z.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_default_dtype(torch.float64)
    if a.cmd == "logz":
        m = cls()
        if a.load:
            m.load(a.load)
        res = {}
        try:
            res["exact"] = m.log_z()
        except ValueError as e:
            res["exact_error"] = str(e)
        base = m.base_rate(read_rows(a.data, cls.visible_size()) if a.data else None)
        g = torch.Generator()
        g.manual_seed(a.seed)
        lz, lo, hi, ess = m.ais(base, a.betas, a.runs, g)
        res["ais"] = {"logz": lz, "low": lo, "high": hi, "ess": ess}
        print(json.dumps(res))
        return 0
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    dtype = getattr(torch, a.dtype)
    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and world > 1:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    gi = torch.Generator()
    gi.manual_seed(a.seed)
    m = cls(gi)
    if a.load:
        m.load(a.load)
    m = m.to(device, dtype)
    data = read_rows(a.data, cls.visible_size())
    ddp = None
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
        ddp = nn.parallel.DistributedDataParallel(m, broadcast_buffers=False)
    t0 = time.perf_counter()

    def log(epoch, recon):
        if rank == 0:
            print(json.dumps({"epoch": epoch, "recon": recon, "seconds": time.perf_counter() - t0}), flush=True)

    train(m, data, a.epochs, a.batch, a.k, a.pcd, a.chains, a.lr, a.momentum, a.seed, rank, world, ddp, log, a.mean_visible, not a.in_order)
    if a.out and rank == 0:
        m.save(a.out, meta={"epochs": a.epochs})
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
        dist.destroy_process_group()
    return 0
