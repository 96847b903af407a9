"""`export MODEL --format hf`: our GPT as a Hugging Face GPT2LMHeadModel folder.

Our GPT keeps GPT-2's parameter names, so the conversion is a rename-free
copy in which the attention and MLP weights are transposed once (ours are
nn.Linear (out, in), GPT-2's are Conv1D (in, out)). A bias-free model gets
zero biases (GPT-2 always has them; adding zero changes nothing). The folder
holds config.json, model.safetensors and the tokenizer files, and loads with
`AutoModelForCausalLM` / `AutoTokenizer`, offline.
"""
from __future__ import annotations

from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.core.export.atomic import atomic_dir

CONV1D_SUFFIXES = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def gpt2_config(config, eos_id: int | None):
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=config.vocab_size, n_positions=config.context_length, n_embd=config.n_embd,
        n_layer=config.n_layer, n_head=config.n_head, n_inner=4 * config.n_embd,
        activation_function="gelu_new", layer_norm_epsilon=config.layer_norm_eps,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
        bos_token_id=eos_id, eos_token_id=eos_id, architectures=["GPT2LMHeadModel"],
    )


def to_hf_state_dict(model) -> dict:
    """Our GPT's weights under GPT-2's names and layouts (lm_head left to the tie)."""
    import torch

    state = {}
    ours = model.state_dict()
    for name, tensor in ours.items():
        if name == "lm_head.weight":
            continue
        tensor = tensor.detach().float()
        state[name] = tensor.t().contiguous() if name.endswith(CONV1D_SUFFIXES) else tensor.clone()
    for name, tensor in list(state.items()):   # bias-free layers: explicit zero biases
        if name.endswith(".weight"):
            bias = name[: -len("weight")] + "bias"
            if bias not in ours and ("ln_" in name or name.endswith(CONV1D_SUFFIXES)):
                out = tensor.shape[-1] if name.endswith(CONV1D_SUFFIXES) else tensor.shape[0]
                state[bias] = torch.zeros(out)
    return state


def export_hf(checkpoint, out: str | Path) -> Path:
    """Write `checkpoint` (a GPT) as a Hugging Face model folder at `out`."""
    import torch
    from transformers import GPT2LMHeadModel

    from textgen.core.export.hf_tokenizer import hf_tokenizer

    if checkpoint.architecture != "gpt":
        raise TextgenError(f"{checkpoint.path}: only GPT models export to Hugging Face format "
                           f"(this is {checkpoint.architecture}); use --format gguf instead")
    out = Path(out)
    _check_target(out)
    tokenizer = checkpoint.tokenizer
    config = gpt2_config(checkpoint.model.config, tokenizer.eos_id)
    fast = hf_tokenizer(tokenizer, checkpoint.model.config.context_length)
    with torch.device("cpu"):
        hf = GPT2LMHeadModel(config)
    missing, unexpected = hf.load_state_dict(to_hf_state_dict(checkpoint.model), strict=False)
    missing = [m for m in missing if m != "lm_head.weight" and not m.endswith(".attn.bias")]
    if missing or unexpected:
        raise TextgenError(f"{checkpoint.path}: weights do not map onto GPT-2 "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    hf.tie_weights()
    hf.eval()
    with atomic_dir(out) as tmp:
        hf.save_pretrained(tmp)
        fast.save_pretrained(tmp)
    return out


def _check_target(out: Path) -> None:
    """Replace an earlier Hugging Face export, never a checkpoint or an unrelated folder."""
    import json

    if out.exists() and not out.is_dir():
        raise TextgenError(f"{out}: exists and is a file; choose a folder for --out")
    if not out.is_dir() or not any(out.iterdir()):
        return
    try:
        config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = None
    if not isinstance(config, dict) or "model_type" not in config or "format" in config:
        raise TextgenError(f"{out}: folder exists and is not empty (and is not an earlier "
                           "Hugging Face export); choose a new --out folder")
