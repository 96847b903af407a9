"""What a resumed run needs besides the weights, stored without pickle.

Tensors (optimizer moments, RNG states, carried recurrent state) go into
``train_state.safetensors``; everything else (step counters, optimizer
hyper-parameters, Python RNG state, the data position) into
``train_state.json``. Loading never executes anything from the files.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

from textgen.core.errors import TextgenError

STATE_TENSORS = "train_state.safetensors"
STATE_JSON = "train_state.json"


def optimizer_to_flat(state_dict: dict) -> tuple[dict, dict]:
    """(tensors, json) for an optimizer ``state_dict()``."""
    import torch

    tensors, plain = {}, {}
    for index, entries in state_dict["state"].items():
        for name, value in entries.items():
            key = f"optimizer.{index}.{name}"
            if isinstance(value, torch.Tensor):
                tensors[key] = value.detach().cpu().contiguous()
            else:
                plain[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": plain}


def optimizer_from_flat(tensors: dict, data: dict) -> dict:
    state: dict = {}
    for key, value in list(tensors.items()) + list(data.get("scalars", {}).items()):
        if not key.startswith("optimizer."):
            continue
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": data["param_groups"]}


def rng_snapshot() -> tuple[dict, dict]:
    """(tensors, json) of every random generator that training draws from."""
    import numpy as np
    import torch

    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    version, internal, gauss = random.getstate()
    np_state = np.random.get_state()
    plain = {"python": [version, list(internal), gauss],
             "numpy": [np_state[0], np_state[1].tolist(), int(np_state[2]), int(np_state[3]),
                       float(np_state[4])]}
    return tensors, plain


def rng_restore(tensors: dict, plain: dict) -> None:
    import numpy as np
    import torch

    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    version, internal, gauss = plain["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = plain["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def write_state(folder: Path, tensors: dict, data: dict) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in tensors.items()}, str(folder / STATE_TENSORS))
    with open(folder / STATE_JSON, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())


def read_state(folder: Path) -> tuple[dict, dict]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    tensors_path, json_path = folder / STATE_TENSORS, folder / STATE_JSON
    if not tensors_path.is_file() or not json_path.is_file():
        raise TextgenError(f"{folder}: no training state to resume from (the run was not "
                           "saved by `textgen train`, or it finished without one)")
    try:
        tensors = load_file(str(tensors_path))
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (SafetensorError, ValueError, OSError) as e:
        raise TextgenError(f"{folder}: damaged training state ({e})") from None
    return tensors, data


def prefixed(tensors: dict, prefix: str) -> dict:
    """The entries under ``prefix.`` with the prefix removed."""
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
