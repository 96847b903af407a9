"""Evaluation metrics against hand computations, and `evaluate` on real models."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from textgen.core.errors import TextgenError
from textgen.train import metrics


def test_perplexity_and_bits_per_character():
    assert metrics.perplexity(10 * math.log(4), 10) == pytest.approx(4.0)
    assert metrics.bits_per_character(30 * math.log(2), 10) == pytest.approx(3.0)
    assert math.isnan(metrics.perplexity(1.0, 0)) and math.isnan(metrics.bits_per_character(1, 0))


def test_distinct_n_and_repetition_rate():
    texts = ["a b a b", "a c"]
    assert metrics.distinct_n(texts, 1) == pytest.approx(3 / 6)
    assert metrics.distinct_n(texts, 2) == pytest.approx(3 / 4)   # ab ba ab | ac
    assert metrics.distinct_n(texts, 3) == pytest.approx(2 / 2)
    assert metrics.distinct_n(["one"], 2) == 0.0
    # bigrams ab ba ab ba ab: 2 distinct of 5 -> 0.6; "x y z" repeats nothing
    assert metrics.repetition_rate(["a b a b a b", "x y z"], n=2) == pytest.approx(0.3)
    assert metrics.repetition_rate(["short"], n=4) == 0.0


def test_bleu_and_self_bleu():
    hyp = "the cat sat on the mat today"
    ref = "the cat sat on the mat yesterday"
    # precisions 6/7, 5/6, 4/5, 3/4, equal lengths: BLEU = (3/7) ** (1/4)
    assert metrics.bleu([hyp], [ref]) == pytest.approx(100 * (3 / 7) ** 0.25, abs=0.01)
    assert metrics.bleu([hyp], [[ref, hyp]]) == pytest.approx(100.0)     # several references
    assert metrics.self_bleu(["a b c d e", "a b c d e"]) == pytest.approx(100.0)
    assert metrics.self_bleu(["only one"]) == 0.0
    assert metrics.self_bleu(["a b c d", "w x y z"]) < 1.0
    with pytest.raises(TextgenError, match="one reference per text"):
        metrics.bleu(["a", "b"], ["a"])


def test_sample_metrics_bundle():
    out = metrics.sample_metrics(["a b a b", "a c"], ["a b a b", "a d"])
    assert out["count"] == 2 and out["distinct_1"] == pytest.approx(0.5)
    assert 0 < out["bleu"] <= 100 and "self_bleu" in out and "repetition_rate" in out


def test_likelihood_of_an_attention_model_by_hand(trained_models, shakespeare_text):
    from textgen.core import load
    from textgen.train.evaluation import likelihood

    generator = load(trained_models["gpt"][0])
    text = shakespeare_text[:500]
    report = likelihood(generator, text)
    ids = generator.tokenizer.encode(text)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, 64):                 # context 64, no overlap
            window = torch.tensor([ids[start:start + 65]])
            logits, _ = generator.model(window[:, :-1])
            total += F.cross_entropy(logits[0], window[0, 1:], reduction="sum").item()
    assert report["nll_nats"] == pytest.approx(total, rel=1e-5)
    assert report["perplexity"] == pytest.approx(math.exp(total / (len(ids) - 1)), rel=1e-5)
    assert report["bits_per_character"] == pytest.approx(total / len(text) / math.log(2),
                                                         rel=1e-5)


def test_likelihood_of_a_recurrent_model_by_hand(trained_models, shakespeare_text):
    from textgen.core import load
    from textgen.train.evaluation import likelihood

    generator = load(trained_models["char_rnn"][0])
    text = shakespeare_text[:700]
    report = likelihood(generator, text, batch_size=1)        # one stream, state carried
    ids = torch.tensor([generator.tokenizer.encode(text)])
    with torch.no_grad():
        logits, _ = generator.model(ids[:, :-1])
    total = F.cross_entropy(logits[0], ids[0, 1:], reduction="sum").item()
    assert report["nll_nats"] == pytest.approx(total, rel=1e-4)
    assert report["bits_per_character"] == pytest.approx(total / 700 / math.log(2), rel=1e-4)


def test_bits_per_character_compare_across_tokenizers(trained_models, shakespeare_text):
    """A word model's loss per token is much higher than a char model's; per character
    both land in the same range."""
    from textgen.core import load
    from textgen.train.evaluation import likelihood

    text = shakespeare_text[:3000]
    char = likelihood(load(trained_models["char_rnn"][0]), text)
    word = likelihood(load(trained_models["word_lstm"][0]), text)
    assert word["loss"] > 1.5 * char["loss"]           # per token: not comparable
    assert 0.3 < word["bits_per_character"] / char["bits_per_character"] < 3


def test_evaluate_generates_and_scores_samples(trained_models, text_file, tmp_path):
    import json

    from textgen.train.evaluation import SampleSettings, evaluate

    settings = SampleSettings(count=3, max_tokens=20, prompt_chars=30, seed=4)
    report = evaluate(trained_models["gpt"][0], str(text_file), settings)
    assert report["samples"]["count"] == 3 and len(report["examples"]) == 3
    for example in report["examples"]:
        assert len(example["sample"]) == 20                     # char model: 20 tokens
        assert len(example["reference"]) == 20 and len(example["prompt"]) == 30
    refs = tmp_path / "refs.jsonl"
    refs.write_text(json.dumps({"prompt": "ROMEO:", "reference": "I love thee"}) + "\n")
    report = evaluate(trained_models["gpt"][0], str(text_file), settings, references=refs)
    assert [e["prompt"] for e in report["examples"]] == ["ROMEO:"]
