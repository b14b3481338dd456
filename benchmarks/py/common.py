"""Data and output helpers shared by torch_rbm.py and sklearn_rbm.py.

Fashion-MNIST from Debian's dataset-fashion-mnist (or $FMNIST_DIR), read as
IDX, flattened to 784 pixels and binarized as pixel/255 > 0.5, file order.
"""
import gzip
import json
import math
import os
import struct

import numpy as np

NV, NH = 784, 500
FILES = {"train": "train-images-idx3-ubyte.gz", "test": "t10k-images-idx3-ubyte.gz"}


def data_dir():
    return os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def have_data(split="train"):
    return os.path.exists(os.path.join(data_dir(), FILES[split]))


def images(split, dtype=np.float64, rows=0):
    """Binarized images of split ('train' or 'test') as a (rows, 784) array."""
    path = os.path.join(data_dir(), FILES[split])
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n, h, w = struct.unpack(">4I", raw[:16])
    if magic != 0x803:
        raise SystemExit(f"{path}: not an IDX image file (magic {magic:#x})")
    x = np.frombuffer(raw, np.uint8, count=n * h * w, offset=16).reshape(n, h * w)
    if rows and rows < n:
        x = x[:rows]
    return (x.astype(np.float64) / 255.0 > 0.5).astype(dtype)


def base_rate_bias(train, pseudo):
    """Visible biases of the AIS base-rate model, as ebmc's runtime.BaseRate
    computes them: p = (sum v + pseudo) / (N + 2 pseudo), bias = log p - log(1 - p)."""
    n = train.shape[0]
    p = (train.astype(np.float64).sum(axis=0) + pseudo) / (n + 2.0 * pseudo)
    return np.log(p) - np.log1p(-p)


def log_mean_exp_3se(logw):
    """log mean exp(logw) and the logs of mean -/+ 3 standard errors (None if <= 0)."""
    logw = np.asarray(logw, dtype=np.float64)
    mx = float(logw.max())
    w = np.exp(logw - mx)
    m, se = float(w.mean()), float(w.std()) / math.sqrt(len(w))
    low = math.log(m - 3 * se) + mx if m > 3 * se else None
    return math.log(m) + mx, low, math.log(m + 3 * se) + mx


def load_npz(path):
    z = np.load(path)
    return z["W"], z["vbias"], z["hbias"]


def emit(rec):
    print(json.dumps(rec), flush=True)
