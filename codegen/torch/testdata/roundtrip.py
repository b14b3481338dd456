"""Checkpoint round trips between the torch and Go targets.

    python3 roundtrip.py train MODULE.py STATES.safetensors DATA.safetensors OUT.safetensors
        trains the module's model one epoch of CD-1 (batch 20, rate 0.01,
        seed 1) from its initializers on the rows of DATA (tensor "x"),
        saves the parameters to OUT and prints, as JSON, [every free energy
        of the states in STATES] (one tensor per layer, named by the layer,
        N × size);
    python3 roundtrip.py fe MODULE.py STATES.safetensors CKPT...
        prints [every free energy of the states] for each checkpoint, or
        the error that refused it.
"""
import importlib.util
import json
import sys

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def module(path):
    spec = importlib.util.spec_from_file_location("model", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["model"] = mod
    spec.loader.exec_module(mod)
    return mod


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    mod = module(path)
    g = torch.Generator()
    g.manual_seed(1)
    m = mod.Model(g)
    ts, _ = mod.load_safetensors(sys.argv[3])
    n = ts[m.LAYERS[0].name].shape[0]
    x = [ts[ly.name].reshape((n,) + tuple(ly.shape)) for ly in m.LAYERS]

    def fe():
        with torch.no_grad():
            return [m.free_energy(f, x).tolist() for f in range(len(m.FREE_ENERGIES))]

    if cmd == "train":
        data = mod.read_rows(sys.argv[4], m.visible_size())
        mod.train(m, data, epochs=1, batch=20, k=1, lr=0.01, seed=1)
        m.save(sys.argv[5], meta={"epochs": 1})
        print(json.dumps([fe()]))
    elif cmd == "fe":
        out = []
        for ck in sys.argv[4:]:
            try:
                m.load(ck)
                out.append(fe())
            except ValueError as e:
                out.append(str(e))
        print(json.dumps(out))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
