"""Our GPT as a llama.cpp "gpt2" GGUF file.

The GPT model uses GPT-2's layout (learned positions, pre-LayerNorm, tanh
GELU, tied head), so every tensor has a llama.cpp gpt2 counterpart. Our
weights are nn.Linear (out, in), which is the layout ggml wants: nothing is
transposed. A model without biases gets zero biases, because llama.cpp's
gpt2 loader requires them. The textgen keys ride along so that our reader
rebuilds the original checkpoint from the file.
"""
from __future__ import annotations

from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.core.export.atomic import atomic_file
from textgen.core.export.gguf_metadata import add_textgen_keys, write_gguf
from textgen.core.export.gguf_tensors import EncodingReport, check_quant, encode_tensor, file_type
from textgen.core.export.gguf_vocab import gguf_vocab

ARCH = "gpt2"

# our parameter name (inside transformer.h.N.) -> llama.cpp gpt2 tensor name (inside blk.N.)
BLOCK_TENSORS = {
    "ln_1": "attn_norm",
    "attn.c_attn": "attn_qkv",
    "attn.c_proj": "attn_output",
    "ln_2": "ffn_norm",
    "mlp.c_fc": "ffn_up",
    "mlp.c_proj": "ffn_down",
}


def gpt2_tensor_names(n_layer: int) -> dict[str, str]:
    """Our GPT parameter name -> llama.cpp gpt2 name (weights and biases)."""
    names = {"transformer.wte.weight": "token_embd.weight",
             "transformer.wpe.weight": "position_embd.weight",
             "transformer.ln_f.weight": "output_norm.weight",
             "transformer.ln_f.bias": "output_norm.bias"}
    for i in range(n_layer):
        for ours, theirs in BLOCK_TENSORS.items():
            for part in ("weight", "bias"):
                names[f"transformer.h.{i}.{ours}.{part}"] = f"blk.{i}.{theirs}.{part}"
    return names


def export_gpt_gguf(checkpoint, out: str | Path, quant: str = "f16") -> EncodingReport:
    """Write `checkpoint` (a GPT) as a gpt2 GGUF at `out`; return what each tensor became."""
    import gguf
    import torch

    check_quant(quant)
    if checkpoint.architecture != "gpt":
        raise TextgenError(f"{checkpoint.path}: a {checkpoint.architecture} model has no llama.cpp "
                           "architecture; export_custom_gguf writes it as a textgen GGUF")
    model, config = checkpoint.model, checkpoint.model.config
    vocab = gguf_vocab(checkpoint.tokenizer)
    if len(vocab.tokens) > config.vocab_size:
        raise TextgenError(f"{checkpoint.path}: tokenizer has more tokens than the model")
    _pad_vocab(vocab, config.vocab_size)

    state = model.state_dict()
    report = EncodingReport()
    with atomic_file(out) as tmp:
        writer = gguf.GGUFWriter(str(tmp), ARCH)
        writer.add_context_length(config.context_length)
        writer.add_embedding_length(config.n_embd)
        writer.add_feed_forward_length(4 * config.n_embd)
        writer.add_block_count(config.n_layer)
        writer.add_head_count(config.n_head)
        writer.add_layer_norm_eps(config.layer_norm_eps)
        writer.add_file_type(file_type(quant))
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(vocab.pre)
        writer.add_token_list(vocab.tokens)
        writer.add_token_types(vocab.types)
        writer.add_token_merges(vocab.merges)
        if vocab.eos_id is not None:
            writer.add_bos_token_id(vocab.bos_id)
            writer.add_eos_token_id(vocab.eos_id)
        writer.add_add_bos_token(False)
        template = getattr(checkpoint.tokenizer, "chat_template", None)
        if template:
            writer.add_chat_template(template)
        add_textgen_keys(writer, checkpoint, quant)
        for ours, theirs in gpt2_tensor_names(config.n_layer).items():
            tensor = state.get(ours)
            if tensor is None:   # bias=False models: llama.cpp wants the biases anyway
                tensor = torch.zeros(_bias_size(state, ours))
            array, raw = encode_tensor(theirs, tensor, quant, report,
                                       keep_float=theirs.startswith("position_embd"))
            writer.add_tensor(theirs, array, raw_dtype=raw)
        write_gguf(writer)
    return report


def _bias_size(state: dict, bias_name: str) -> int:
    weight = state[bias_name[: -len("bias")] + "weight"]
    return weight.shape[0]


def _pad_vocab(vocab, size: int) -> None:
    """A model may have more rows than tokenizer pieces; llama.cpp needs a piece per row."""
    from textgen.core.export.gguf_vocab import TOKEN_UNUSED

    for i in range(len(vocab.tokens), size):
        vocab.tokens.append(f"<|unused_{i}|>")
        vocab.types.append(TOKEN_UNUSED)
