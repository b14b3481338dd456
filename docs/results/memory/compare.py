#!/usr/bin/env python3
"""compare.py A B: compares two example runs' outputs (dirs with stdout and res/):
metrics.json without timings and version, stdout with timings masked, and
the sha256 of every checkpoint."""
import json, sys, re, hashlib, os, glob
a, b = sys.argv[1], sys.argv[2]
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if not (k in ("version", "seconds") or "seconds" in k or k.endswith("_s"))}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
def flat(o, p=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from flat(v, p + "/" + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from flat(v, p + "[%d]" % i)
    else:
        yield p, o
ma = dict(flat(strip(json.load(open(a + "/res/metrics.json")))))
mb = dict(flat(strip(json.load(open(b + "/res/metrics.json")))))
nd = 0
for k in sorted(set(ma) | set(mb)):
    if ma.get(k) != mb.get(k):
        nd += 1
        print("metrics %s: %r -> %r" % (k, ma.get(k), mb.get(k)))
print("metrics.json: %d fields differ of %d" % (nd, len(set(ma) | set(mb))))
def mask(l):
    l = re.sub(r"\d+(\.\d+)?s\b", "Ts", l)
    l = re.sub(r"ETA \S+", "ETA T", l)
    l = re.sub(r"\d+(\.\d+)? (s|ms) per", "T per", l)
    return l
sa = [mask(l) for l in open(a + "/stdout")]
sb = [mask(l) for l in open(b + "/stdout")]
n = 0
for i, (x, y) in enumerate(zip(sa, sb)):
    if x != y:
        n += 1
        if n <= 40:
            print("stdout line %d:\n  - %s  + %s" % (i + 1, x, y), end="")
print("stdout: %d of %d/%d lines differ (timings masked)" % (n, len(sa), len(sb)))
for f in sorted(glob.glob(a + "/res/*.safetensors")):
    g = b + "/res/" + os.path.basename(f)
    ha = hashlib.sha256(open(f, "rb").read()).hexdigest()
    hb = hashlib.sha256(open(g, "rb").read()).hexdigest() if os.path.exists(g) else "missing"
    print("%s %s" % ("same " if ha == hb else "DIFF ", os.path.basename(f)))
