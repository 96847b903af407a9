"""GGUF through llama.cpp: our GPT exports run token for token like PyTorch,
sampling parameters map onto llama.cpp's, and bad files fail in one line."""
from __future__ import annotations

import numpy as np
import pytest

from textgen.core import SamplingParams, TextgenError, load
from tiny_bpe_gpt import bpe_gpt_checkpoint, held_out_text

pytest.importorskip("llama_cpp")


def _vocab_only(text: str, tokenizer) -> str:
    """Held-out text restricted to characters a char tokenizer knows."""
    return "".join(c for c in text if c in tokenizer.stoi)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, trained_models):
    """(checkpoint kind, quant) -> GGUF path, for the char GPT and the BPE GPT."""
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.gguf_export import export_gguf

    root = tmp_path_factory.mktemp("gguf")
    sources = {"char": trained_models["gpt"][0], "bpe": bpe_gpt_checkpoint()}
    paths = {}
    for kind, source in sources.items():
        checkpoint = load_checkpoint(source)
        for quant in ("f32", "f16", "q8_0", "q4_0"):
            if kind == "char" and quant.startswith("q"):
                continue
            result = export_gguf(checkpoint, root / f"{kind}-{quant}.gguf", quant)
            assert result.flavour == "gpt2"
            paths[kind, quant] = result.path
    return {"paths": paths, "sources": sources}


@pytest.fixture(scope="module")
def bpe_f32(exports):
    g = load(exports["paths"]["bpe", "f32"])
    yield g
    g.close()


@pytest.mark.parametrize("kind", ["char", "bpe"])
@pytest.mark.parametrize("quant", ["f32", "f16"])
def test_llama_cpp_tokenizes_and_continues_like_pytorch(exports, kind, quant):
    torch_gen = load(exports["sources"][kind])
    gguf_gen = load(exports["paths"][kind, quant])
    try:
        assert gguf_gen.info.backend == "gguf" and gguf_gen.info.architecture == "gpt2"
        text = held_out_text(2000)
        if kind == "char":
            text = _vocab_only(text, torch_gen.tokenizer)
        assert gguf_gen.encode(text) == torch_gen.encode(text)
        assert gguf_gen.decode(torch_gen.encode(text)) == text
        params = SamplingParams(max_tokens=60, temperature=0, ignore_eos=True)
        for prompt in ("ROMEO:\nWhat say", "First Citizen:\n"):
            ours = [e.token_id for e in torch_gen.stream(prompt, params) if e.token_id >= 0]
            theirs = [e.token_id for e in gguf_gen.stream(prompt, params) if e.token_id >= 0]
            assert theirs == ours
    finally:
        gguf_gen.close()


def test_quantized_exports_report_agreement_and_perplexity(exports, capsys):
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.quality import llama_scores, torch_scores

    checkpoint = load_checkpoint(exports["sources"]["bpe"])
    ids = checkpoint.tokenizer.encode(held_out_text(3000))
    reference = torch_scores(checkpoint.model, ids)
    figures = {}
    for quant in ("f16", "q8_0", "q4_0"):
        g = load(exports["paths"]["bpe", quant])
        try:
            scores = llama_scores(g.llama, ids, g.info.context_length)
        finally:
            g.close()
        change = scores.perplexity / reference.perplexity - 1
        figures[quant] = (reference.agreement(scores), change)
        with capsys.disabled():
            print(f"\n  {quant}: top-1 agreement {100 * figures[quant][0]:.1f}%, perplexity "
                  f"{reference.perplexity:.3f} -> {scores.perplexity:.3f} ({100 * change:+.3f}%) "
                  f"over {len(ids)} held-out tokens")
    assert abs(figures["q8_0"][1]) < 0.01
    assert figures["q8_0"][0] > 0.95
    assert figures["q4_0"][0] > 0.75
    assert abs(figures["q4_0"][1]) < 0.10


def test_info_context_is_capped_at_the_trained_length(bpe_f32):
    info = bpe_f32.info
    assert info.context_length == 64                  # llama.cpp itself rounds n_ctx up
    assert info.extra["n_ctx"] >= 64
    assert info.file_format == "gguf" and info.quantization == "f32"
    assert info.vocab_size == 384 and info.parameters > 0


def test_generation_slides_past_the_context(bpe_f32):
    r = bpe_f32.generate("ROMEO:", SamplingParams(max_tokens=150, temperature=0, ignore_eos=True))
    assert r.stats.completion_tokens == 150
    assert r.stats.stop_reason == "length"


def test_seed_and_sampling_params(bpe_f32):
    g = bpe_f32
    params = SamplingParams(max_tokens=30, temperature=1.0, top_k=40, top_p=0.95, min_p=0.02,
                            seed=11, ignore_eos=True)
    a, b = g.generate("KING:", params).text, g.generate("KING:", params).text
    c = g.generate("KING:", params.replace(seed=12)).text
    assert a == b and a != c
    greedy = g.generate("KING:", SamplingParams(max_tokens=30, temperature=0, ignore_eos=True))
    top1 = g.generate("KING:", params.replace(top_k=1))
    assert top1.text == greedy.text


def test_logit_bias_and_no_repeat_ngram(bpe_f32):
    g = bpe_f32
    forced = g.encode(" the")[0]
    r = g.generate("KING:", SamplingParams(max_tokens=8, temperature=0.8, seed=1,
                                           logit_bias={forced: 100.0}), keep_events=True)
    assert [e.token_id for e in r.events if e.token_id >= 0] == [forced] * 8
    tokens = [e.token_id for e in g.stream("the", SamplingParams(
        max_tokens=60, temperature=0, no_repeat_ngram_size=2, ignore_eos=True)) if e.token_id >= 0]
    ids = g.encode("the") + tokens
    bigrams = [tuple(ids[i:i + 2]) for i in range(len(ids) - 1)]
    assert len(bigrams) == len(set(bigrams))


def test_repetition_penalty_reduces_repeats(bpe_f32):
    g = bpe_f32
    plain = [e.token_id for e in g.stream("the", SamplingParams(max_tokens=60, temperature=0,
                                                                 ignore_eos=True))]
    penalised = [e.token_id for e in g.stream("the", SamplingParams(
        max_tokens=60, temperature=0, repetition_penalty=3.0, presence_penalty=1.0,
        ignore_eos=True))]
    assert len(set(penalised)) > len(set(plain))


def test_logprobs_and_alternatives(bpe_f32, exports):
    g = bpe_f32
    r = g.generate("ROMEO:", SamplingParams(max_tokens=5, temperature=0, logprobs=3,
                                            ignore_eos=True), keep_events=True)
    torch_gen = load(exports["sources"]["bpe"])
    reference = torch_gen.generate("ROMEO:", SamplingParams(max_tokens=5, temperature=0, logprobs=3,
                                                            ignore_eos=True), keep_events=True)
    for event, ref in zip(r.events, reference.events):
        assert len(event.top) == 3
        assert event.top[0].token_id == event.token_id
        assert event.top[0].sampling_prob == pytest.approx(1.0)
        assert [a.logprob for a in event.top] == sorted((a.logprob for a in event.top), reverse=True)
        assert event.logprob == pytest.approx(ref.logprob, abs=1e-3)


def test_stop_sequences_and_cancel(bpe_f32):
    g = bpe_f32
    full = g.generate("ROMEO:", SamplingParams(max_tokens=40, temperature=0, ignore_eos=True)).text
    stop = full[10:14]
    r = g.generate("ROMEO:", SamplingParams(max_tokens=40, temperature=0, stop=[stop], ignore_eos=True))
    assert r.stats.stop_reason == "stop" and stop not in r.text and full.startswith(r.text)
    stream = g.stream("ROMEO:", SamplingParams(max_tokens=100, temperature=0, ignore_eos=True))
    seen = 0
    for _ in stream:
        seen += 1
        if seen == 3:
            stream.cancel()
    assert stream.stats.stop_reason == "cancelled" and stream.stats.completion_tokens == 3


def test_prompt_cache_is_reused(bpe_f32):
    params = SamplingParams(max_tokens=4, temperature=0, ignore_eos=True)
    prompt = "ROMEO:\nWhat say you to this?"
    first = bpe_f32.generate(prompt, params)
    again = bpe_f32.generate(prompt + " Speak", params)
    assert again.stats.reused_prompt_tokens >= first.stats.prompt_tokens - 1 > 0
    assert bpe_f32.generate(prompt, params).text == first.text


def test_beam_search_is_a_clear_error(bpe_f32):
    with pytest.raises(TextgenError, match="beam search"):
        bpe_f32.generate("x", SamplingParams(num_beams=2))


def test_chat_template_from_the_file_or_a_clear_error(bpe_f32, trained_models, tmp_path):
    from textgen.core.checkpoint import load_checkpoint
    from textgen.core.export.gguf_export import export_gguf

    with pytest.raises(TextgenError, match="no chat template"):
        bpe_f32.apply_chat_template([{"role": "user", "content": "hi"}])
    checkpoint = load_checkpoint(bpe_gpt_checkpoint())
    checkpoint.tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    path = export_gguf(checkpoint, tmp_path / "chat.gguf", "f32").path
    g = load(path)
    try:
        assert g.chat_template
        prompt = g.apply_chat_template([{"role": "user", "content": "Hello"}])
        assert prompt == "<|user|>Hello\n<|assistant|>"
        assert g.generate(prompt, SamplingParams(max_tokens=5, temperature=0)).stats.completion_tokens >= 1
    finally:
        g.close()


def test_threads_and_context_options(exports):
    g = load(exports["paths"]["bpe", "f16"], n_threads=1, n_ctx=32)
    try:
        assert g.info.extra["n_threads"] == 1
        assert g.info.context_length == 32
        r = g.generate("ROMEO:", SamplingParams(max_tokens=50, temperature=0, ignore_eos=True))
        assert r.stats.completion_tokens == 50
    finally:
        g.close()


def test_close_frees_the_model(exports):
    g = load(exports["paths"]["char", "f16"])
    g.close()
    with pytest.raises(TextgenError, match="closed"):
        g.encode("x")


# --- files llama.cpp (or we) must refuse, in one line ---------------------------------------

def _one_line(error: TextgenError) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def test_truncated_gguf(exports, tmp_path):
    data = exports["paths"]["bpe", "f16"].read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(TextgenError) as err:
        load(cut)
    assert "truncated" in _one_line(err.value)


def test_corrupt_gguf(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    with pytest.raises(TextgenError) as err:
        load(bad)
    assert "corrupt" in _one_line(err.value) or "truncated" in str(err.value)
    not_gguf = tmp_path / "text.gguf"
    not_gguf.write_text("hello")
    with pytest.raises(TextgenError, match="not a GGUF file"):
        load(not_gguf)


def test_unsupported_architecture(tmp_path):
    import gguf

    path = tmp_path / "alien.gguf"
    writer = gguf.GGUFWriter(str(path), "alienformer")
    writer.add_block_count(1)
    writer.add_tensor("blk.0.weight", np.zeros((4, 32), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(TextgenError) as err:
        load(path)
    assert "alienformer" in _one_line(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(TextgenError, match="no such file"):
        load(tmp_path / "nothing.gguf")
