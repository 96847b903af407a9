"""``textgen eval MODEL --data PATH``: how well a model predicts a text, and
what its samples look like.

Likelihood: the text is scored as in training (windows of the model's
context, or consecutive chunks with the state carried for recurrent models)
and reported as loss, perplexity and bits per character. Samples: prompts
are cut from evenly spaced places in the text, the model continues each,
and the true continuation is the BLEU reference; distinct-n, self-BLEU and
the repetition rate describe the samples themselves. A JSONL file of
``{"prompt": ..., "reference": ...}`` lines may replace the cut prompts.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError
from textgen.train import metrics


@dataclass
class SampleSettings:
    count: int = 8
    prompt_chars: int = 64
    reference_chars: int = 0        # 0: as many characters as the sample has
    max_tokens: int = 100
    temperature: float = 0.8
    top_k: int = 0
    seed: int = 0


def load_scorable(path: str | Path):
    """A Generator whose ``.model`` gives logits (our checkpoints, our GGUF exports, HF)."""
    from textgen.core.backends import detect_backend, get_backend_class

    backend = detect_backend(path)
    if backend == "gguf":
        from textgen.core.export.gguf_reader import is_textgen_gguf, read_gguf_header

        if not is_textgen_gguf(read_gguf_header(path)):
            raise TextgenError(f"{path}: perplexity needs the model's logits; a GGUF file from "
                               "elsewhere runs only in llama.cpp, so evaluate the original "
                               "PyTorch or Hugging Face model")
        backend = "torch"      # our export: read back into PyTorch
    return get_backend_class(backend).load(Path(path))


def corpus_text(data: str, tokenizer, notify: Callable[[str], None] | None = None) -> str:
    from textgen.train.corpus import read_path
    from textgen.train.token_data import join_documents

    docs = read_path(data, notify=notify)
    eos = "<|endoftext|>" if "<|endoftext|>" in tokenizer.special_tokens else "\n\n"
    text, _ = join_documents(docs, eos)
    return text


def likelihood(generator, text: str, batch_size: int = 16, seq_len: int | None = None,
               notify: Callable[[str], None] | None = None) -> dict:
    import numpy as np

    from textgen.train.scoring import score_tokens
    from textgen.train.token_data import encode_text, plain_chars

    tokenizer, model = generator.tokenizer, generator.model
    ids = encode_text(tokenizer, text, notify, "evaluation text")
    if len(ids) < 2:
        raise TextgenError("the evaluation text is too short (fewer than 2 tokens)")
    recurrent = model.context_length is None
    length = seq_len or (256 if recurrent else min(model.context_length, 1024))
    if not recurrent:
        length = min(length, model.context_length)
    nats, count = score_tokens(model, np.asarray(ids, dtype=np.int64), length, batch_size,
                               recurrent)
    chars = plain_chars(text, list(tokenizer.special_tokens))
    # every token but the first is predicted; streams may leave a few tail tokens unscored,
    # whose share of the characters is then left out of bits per character too
    scored_chars = chars * count / (len(ids) - 1)
    return {"tokens": len(ids), "scored_tokens": count, "characters": chars,
            "nll_nats": nats, "loss": nats / count,
            "perplexity": metrics.perplexity(nats, count),
            "bits_per_character": metrics.bits_per_character(nats, scored_chars),
            "window": length}


def sample_pairs(text: str, settings: SampleSettings) -> list[tuple[str, str]]:
    """(prompt, reference) pairs from evenly spaced places in the text. Without a set
    ``reference_chars`` room is kept for a long sample (8 characters a token) and the
    reference is cut to the sample's length once it is written."""
    room = settings.reference_chars or 8 * settings.max_tokens
    span = settings.prompt_chars + room
    if len(text) < settings.prompt_chars + (settings.reference_chars or 1):
        raise TextgenError(f"the evaluation text is shorter than one prompt + reference "
                           f"({settings.prompt_chars + (settings.reference_chars or 1)} "
                           "characters)")
    last = max(0, len(text) - span)
    starts = sorted({round(i * last / max(settings.count - 1, 1)) for i in range(settings.count)})
    pairs = []
    for start in starts:
        cut = start + settings.prompt_chars
        pairs.append((text[start:cut], text[cut:cut + room]))
    return pairs


def read_reference_file(path: str | Path) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pairs.append((str(record["prompt"]), str(record["reference"])))
        except (ValueError, KeyError, TypeError):
            raise TextgenError(f"{path}:{number}: expected {{\"prompt\": ..., \"reference\": "
                               "...}") from None
    if not pairs:
        raise TextgenError(f"{path}: no prompt/reference lines")
    return pairs


def generate_samples(generator, pairs: list[tuple[str, str]], settings: SampleSettings
                     ) -> list[dict]:
    from textgen.core.sampling import SamplingParams

    out = []
    for i, (prompt, reference) in enumerate(pairs):
        params = SamplingParams(max_tokens=settings.max_tokens,
                                temperature=settings.temperature, top_k=settings.top_k,
                                seed=settings.seed + i)
        text = generator.generate(prompt, params).text
        if not settings.reference_chars:
            reference = reference[:max(len(text), 1)]
        out.append({"prompt": prompt, "reference": reference, "sample": text})
    return out


def evaluate(model_path: str | Path, data: str, settings: SampleSettings | None = None,
             references: str | Path | None = None, batch_size: int = 16,
             seq_len: int | None = None, notify: Callable[[str], None] | None = None) -> dict:
    generator = load_scorable(model_path)
    text = corpus_text(data, generator.tokenizer, notify)
    report = {"model": str(model_path), "data": str(data),
              **likelihood(generator, text, batch_size, seq_len, notify)}
    settings = settings or SampleSettings()
    if settings.count > 0:
        pairs = read_reference_file(references) if references else sample_pairs(text, settings)
        examples = generate_samples(generator, pairs, settings)
        samples = [e["sample"] for e in examples]
        report["samples"] = metrics.sample_metrics(samples, [e["reference"] for e in examples])
        report["examples"] = examples
    return report


def format_report(report: dict) -> str:
    lines = [f"model:              {report['model']}",
             f"data:               {report['data']} ({report['characters']:,} characters, "
             f"{report['tokens']:,} tokens)",
             f"loss (nats/token):  {report['loss']:.4f}",
             f"perplexity:         {report['perplexity']:.3f}",
             f"bits per character: {report['bits_per_character']:.4f}"]
    s = report.get("samples")
    if s:
        lines += [f"samples:            {s['count']}",
                  f"BLEU:               {s.get('bleu', math.nan):.2f}",
                  f"self-BLEU:          {s['self_bleu']:.2f}",
                  f"distinct-1/2/3:     {s['distinct_1']:.3f} / {s['distinct_2']:.3f} / "
                  f"{s['distinct_3']:.3f}",
                  f"repetition rate:    {s['repetition_rate']:.3f}"]
        first = report["examples"][0]
        lines += ["", f"example prompt:   {first['prompt']!r}",
                  f"example sample:   {first['sample'][:160]!r}"]
    return "\n".join(lines)
