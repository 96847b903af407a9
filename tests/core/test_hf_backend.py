"""Local Hugging Face folders through our decode loop: tiny GPT-2 and Llama
models built here (random weights, a tokenizer trained here), nothing downloaded."""
from __future__ import annotations

import json

import pytest
import torch

from textgen.core import SamplingParams, TextgenError, load

CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>"
                 "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")


def _tokenizer(text: str, llama_style: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "</s>", "<|user|>", "<|assistant|>", "<|end|>"] if llama_style else ["<|endoftext|>"]
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    backend.train_from_iterator([text], trainers.BpeTrainer(
        vocab_size=320, special_tokens=specials, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    if llama_style:   # Llama tokenizers put BOS in front of every encoded text
        bos = backend.token_to_id("<s>")
        backend.post_processor = processors.TemplateProcessing(
            single="<s> $A", special_tokens=[("<s>", bos)])
        tok = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>")
        tok.chat_template = CHAT_TEMPLATE
        return tok
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>")


@pytest.fixture(scope="module")
def hf_folders(tmp_path_factory, shakespeare_text):
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("hf_models")
    text = shakespeare_text[:30_000]
    torch.manual_seed(0)
    gpt_tok = _tokenizer(text, llama_style=False)
    gpt = GPT2LMHeadModel(GPT2Config(
        vocab_size=len(gpt_tok), n_positions=48, n_embd=32, n_layer=2, n_head=2,
        bos_token_id=gpt_tok.eos_token_id, eos_token_id=gpt_tok.eos_token_id))
    llama_tok = _tokenizer(text, llama_style=True)
    end = llama_tok.convert_tokens_to_ids("<|end|>")
    llama = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(llama_tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        bos_token_id=llama_tok.bos_token_id, eos_token_id=llama_tok.eos_token_id))
    llama.generation_config.eos_token_id = [llama_tok.eos_token_id, end]
    folders = {}
    for name, model, tok in (("gpt2", gpt, gpt_tok), ("llama", llama, llama_tok)):
        for p in model.parameters():   # larger weights: a random model with opinions
            torch.nn.init.normal_(p, std=0.15)
        model.save_pretrained(root / name)
        tok.save_pretrained(root / name)
        folders[name] = root / name
    return folders


@pytest.fixture(scope="module")
def generators(hf_folders):
    return {name: load(path) for name, path in hf_folders.items()}


def _hf(folder):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return (AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True).eval(),
            AutoTokenizer.from_pretrained(str(folder), local_files_only=True))


def test_info(generators):
    gpt, llama = generators["gpt2"], generators["llama"]
    assert (gpt.info.backend, gpt.info.architecture, gpt.info.file_format) == ("hf", "gpt2", "hf")
    assert gpt.info.context_length == 48 and llama.info.context_length == 128
    assert llama.info.architecture == "llama" and llama.info.vocab_size == len(llama.tokenizer.hf)
    assert gpt.info.parameters == sum(p.numel() for p in gpt.hf_model.parameters())


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_greedy_equals_transformers_generate(hf_folders, generators, name):
    model, tok = _hf(hf_folders[name])
    prompt = "ROMEO:\nWhat say you"
    inputs = tok(prompt, return_tensors="pt")
    with torch.no_grad():
        expected = model.generate(**inputs, max_new_tokens=25, min_new_tokens=25, do_sample=False,
                                  num_beams=1)[0, inputs["input_ids"].shape[1]:].tolist()
    ours = [e.token_id for e in generators[name].stream(
        prompt, SamplingParams(max_tokens=25, temperature=0, ignore_eos=True)) if e.token_id >= 0]
    assert ours == expected


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_streaming_and_seeds(generators, name):
    g = generators[name]
    params = SamplingParams(max_tokens=20, temperature=1.0, top_p=0.9, min_p=0.01, seed=4,
                            ignore_eos=True)
    stream = g.stream("KING:", params)
    pieces = [e.text for e in stream]
    assert "".join(pieces) == stream.text == g.generate("KING:", params).text
    assert stream.stats.completion_tokens == 20 and stream.stats.tokens_per_second > 0
    assert g.generate("KING:", params.replace(seed=5)).text != stream.text
    greedy = g.generate("KING:", SamplingParams(max_tokens=20, temperature=0, ignore_eos=True))
    assert g.generate("KING:", params.replace(top_k=1)).text == greedy.text


def test_logit_bias_no_repeat_and_logprobs(hf_folders, generators):
    g = generators["llama"]
    forced = g.encode(" the")[0]
    events = g.generate("KING:", SamplingParams(max_tokens=6, temperature=0.7, seed=1,
                                                logit_bias={forced: 100.0}), keep_events=True).events
    assert [e.token_id for e in events if e.token_id >= 0] == [forced] * 6
    tokens = [e.token_id for e in g.stream("the", SamplingParams(
        max_tokens=40, temperature=0, no_repeat_ngram_size=2, ignore_eos=True)) if e.token_id >= 0]
    ids = g.encode("the") + tokens
    assert len(set(zip(ids, ids[1:]))) == len(ids) - 1
    first = g.generate("KING:", SamplingParams(max_tokens=1, temperature=0, logprobs=4,
                                               ignore_eos=True), keep_events=True).events[0]
    model, tok = _hf(hf_folders["llama"])
    with torch.no_grad():
        logits = model(tok("KING:", return_tensors="pt")["input_ids"]).logits[0, -1]
    expected = logits.log_softmax(-1)
    assert first.logprob == pytest.approx(float(expected[first.token_id]), abs=1e-4)
    assert [a.token_id for a in first.top] == expected.topk(4).indices.tolist()


@pytest.mark.parametrize("name", ["gpt2", "llama"])
def test_beam_search(hf_folders, generators, name):
    g = generators[name]
    model, tok = _hf(hf_folders[name])
    prompt = "First Citizen:"
    prompt_ids = tok(prompt)["input_ids"]

    def logprob(tokens):
        with torch.no_grad():
            logits = model(torch.tensor([prompt_ids + tokens])).logits[0]
        lp = logits[len(prompt_ids) - 1:-1].log_softmax(-1)
        return float(lp.gather(1, torch.tensor(tokens)[:, None]).sum())

    run = lambda beams: [e.token_id for e in g.stream(prompt, SamplingParams(  # noqa: E731
        max_tokens=10, temperature=0, num_beams=beams, length_penalty=0.0, ignore_eos=True))
        if e.token_id >= 0]
    greedy, beams = run(1), run(4)
    assert len(beams) == 10
    assert logprob(beams) >= logprob(greedy) - 1e-4


def test_chat_template(generators):
    llama, gpt = generators["llama"], generators["gpt2"]
    messages = [{"role": "user", "content": "Speak."}]
    prompt = llama.apply_chat_template(messages)
    assert prompt == "<|user|>Speak.</s><|assistant|>"      # BOS comes from the decode loop
    ids = llama.encode(prompt)
    assert ids[0] == llama.tokenizer.hf.convert_tokens_to_ids("<|user|>")
    r = llama.generate(prompt, SamplingParams(max_tokens=5, temperature=0))
    assert r.stats.prompt_tokens == len(ids)
    with pytest.raises(TextgenError, match="no chat template"):
        gpt.apply_chat_template(messages)


def test_any_end_id_ends_the_reply(generators):
    g = generators["llama"]
    end = g.tokenizer.hf.convert_tokens_to_ids("<|end|>")
    r = g.generate("KING:", SamplingParams(max_tokens=10, temperature=0, logit_bias={end: 100.0}))
    assert r.stats.stop_reason == "eos" and r.stats.completion_tokens == 1 and r.text == ""


def test_generation_slides_past_the_context(generators):
    r = generators["gpt2"].generate("ROMEO:", SamplingParams(max_tokens=70, temperature=0,
                                                             ignore_eos=True))
    assert r.stats.completion_tokens == 70 and r.stats.stop_reason == "length"


def test_errors(hf_folders, tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(hf_folders["gpt2"], broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(TextgenError, match="could not load the model") as err:
        load(broken)
    assert "\n" not in str(err.value)
    alien = tmp_path / "alien"
    shutil.copytree(hf_folders["gpt2"], alien)
    config = json.loads((alien / "config.json").read_text())
    config["model_type"] = "alienformer"
    (alien / "config.json").write_text(json.dumps(config))
    with pytest.raises(TextgenError):
        load(alien)
    no_tok = tmp_path / "no_tok"
    no_tok.mkdir()
    shutil.copy(hf_folders["gpt2"] / "config.json", no_tok / "config.json")
    with pytest.raises(TextgenError, match="tokenizer"):
        load(no_tok)
