"""The Generator interface on real trained models: seeds, stops, beams, streaming."""
from __future__ import annotations

import pytest

from conftest import TINY_CONFIGS
from textgen.core import SamplingParams, TextgenError, load

ARCHS = list(TINY_CONFIGS)


@pytest.fixture(scope="module")
def generators(trained_models):
    return {arch: load(path) for arch, (path, _) in trained_models.items()}


@pytest.mark.parametrize("arch", ARCHS)
def test_same_seed_same_text(generators, arch):
    g = generators[arch]
    params = SamplingParams(max_tokens=40, temperature=1.0, seed=123)
    a = g.generate("ROMEO:", params).text
    b = g.generate("ROMEO:", params).text
    c = g.generate("ROMEO:", params.replace(seed=124)).text
    assert a == b
    assert a != c
    assert len(a) > 0


@pytest.mark.parametrize("arch", ARCHS)
def test_stream_equals_generate_and_counts(generators, arch):
    g = generators[arch]
    params = SamplingParams(max_tokens=25, temperature=0.9, seed=7)
    stream = g.stream("KING:", params)
    pieces = [e.text for e in stream]
    assert "".join(pieces) == stream.text == g.generate("KING:", params).text
    assert stream.stats.completion_tokens == 25
    assert stream.stats.stop_reason == "length"
    assert stream.stats.time_to_first_token > 0
    assert stream.stats.tokens_per_second > 0


@pytest.mark.parametrize("arch", ARCHS)
def test_beam_one_equals_greedy(generators, arch):
    g = generators[arch]
    greedy = g.generate("First Citizen:", SamplingParams(max_tokens=20, temperature=0)).text
    beam1 = g.generate("First Citizen:", SamplingParams(max_tokens=20, temperature=0, num_beams=1)).text
    assert greedy == beam1


@pytest.mark.parametrize("arch", ARCHS)
def test_beam_search_scores_at_least_greedy(generators, arch):
    """A wider beam finds a sequence at least as likely as greedy's."""
    import torch

    g = generators[arch]
    prompt = "First Citizen:"
    prompt_ids = g.encode(prompt)

    def logprob(tokens):
        ids = torch.tensor([prompt_ids + tokens])
        with torch.no_grad():
            logits, _ = g.model(ids)
        lp = logits[0, len(prompt_ids) - 1:-1].log_softmax(-1)
        return float(lp.gather(1, torch.tensor(tokens)[:, None]).sum())

    greedy = [e.token_id for e in g.stream(prompt, SamplingParams(max_tokens=12, temperature=0))]
    beams = [e.token_id for e in g.stream(prompt, SamplingParams(
        max_tokens=12, temperature=0, num_beams=4, length_penalty=0.0, ignore_eos=True))]
    greedy = [t for t in greedy if t >= 0]
    beams = [t for t in beams if t >= 0]
    assert len(beams) == 12
    assert logprob(beams) >= logprob(greedy) - 1e-4


def test_beam_no_repeat_ngram(generators):
    g = generators["gpt"]
    tokens = [e.token_id for e in g.stream("the", SamplingParams(
        max_tokens=40, temperature=0, num_beams=3, no_repeat_ngram_size=2, ignore_eos=True)) if e.token_id >= 0]
    ids = g.encode("the") + tokens
    bigrams = [tuple(ids[i:i + 2]) for i in range(len(ids) - 1)]
    assert len(bigrams) == len(set(bigrams))


def test_no_repeat_ngram_sampling(generators):
    g = generators["char_rnn"]
    tokens = [e.token_id for e in g.stream("a", SamplingParams(
        max_tokens=60, temperature=0, no_repeat_ngram_size=3)) if e.token_id >= 0]
    ids = g.encode("a") + tokens
    trigrams = [tuple(ids[i:i + 3]) for i in range(len(ids) - 2)]
    assert len(trigrams) == len(set(trigrams))


def test_stop_sequence_across_tokens_never_streamed(generators):
    g = generators["gpt"]
    free = g.generate("ROMEO:", SamplingParams(max_tokens=80, temperature=0)).text
    # pick a multi-character stop string from the greedy output, straddling tokens
    stop = free[20:23]
    assert len(stop) == 3
    stream = g.stream("ROMEO:", SamplingParams(max_tokens=80, temperature=0, stop=[stop]))
    streamed = ""
    for event in stream:
        streamed += event.text
        assert stop not in streamed
    assert streamed == free[: free.index(stop)]
    assert stream.stats.stop_reason == "stop"


def test_stop_sequence_partial_match_released(generators):
    """Text that only looked like a stop's start is released later, not lost."""
    g = generators["gpt"]
    free = g.generate("ROMEO:", SamplingParams(max_tokens=60, temperature=0)).text
    fake_stop = free[10] + "\x00never"
    out = g.generate("ROMEO:", SamplingParams(max_tokens=60, temperature=0, stop=[fake_stop])).text
    assert out == free


def test_eos_stops(generators):
    g = generators["gpt"]
    eos = g.eos_id
    assert eos is not None
    params = SamplingParams(max_tokens=30, temperature=0, logit_bias={eos: 100.0})
    result = g.generate("KING:", params)
    assert result.text == ""
    assert result.stats.stop_reason == "eos"
    ignored = g.generate("KING:", params.replace(ignore_eos=True, logit_bias={}))
    assert ignored.stats.completion_tokens == 30


def test_logit_bias_forces_token(generators):
    g = generators["char_rnn"]
    z = g.encode("z")[0]
    text = g.generate("ab", SamplingParams(max_tokens=5, temperature=1.0, seed=1,
                                           logit_bias={z: 100.0})).text
    assert text == "zzzzz"


def test_repetition_penalty_changes_greedy(generators):
    g = generators["char_rnn"]
    plain = g.generate("the", SamplingParams(max_tokens=60, temperature=0)).text
    penalised = g.generate("the", SamplingParams(max_tokens=60, temperature=0, repetition_penalty=3.0)).text
    assert plain != penalised
    assert len(set(penalised)) >= len(set(plain))


def test_logprobs_and_alternatives(generators):
    g = generators["gpt"]
    events = [e for e in g.stream("KING:", SamplingParams(max_tokens=5, temperature=0.7, top_k=3,
                                                          logprobs=5, seed=3)) if e.token_id >= 0]
    for e in events:
        assert e.logprob is not None and e.logprob <= 0
        assert len(e.top) == 5
        assert e.top[0].logprob >= e.top[-1].logprob
        kept = [a for a in e.top if a.sampling_prob > 0]
        assert len(kept) <= 3
        assert e.token_id in [a.token_id for a in kept]
        assert abs(sum(a.sampling_prob for a in e.top) - 1.0) < 1e-4


def test_long_prompt_slides_window(generators):
    g = generators["transformer"]
    long_prompt = "To be, or not to be, that is the question. " * 20
    assert g.count_tokens(long_prompt) > g.info.context_length
    result = g.generate(long_prompt, SamplingParams(max_tokens=100, temperature=0))
    assert result.stats.completion_tokens == 100
    assert result.stats.stop_reason == "length"


def test_generation_past_context(generators):
    g = generators["gpt"]
    result = g.generate("A", SamplingParams(max_tokens=150, temperature=0.8, seed=2))
    assert result.stats.completion_tokens == 150 > g.info.context_length


def test_stream_can_be_closed_and_cancelled(generators):
    g = generators["gpt"]
    stream = g.stream("KING:", SamplingParams(max_tokens=100, temperature=0.8, seed=1))
    for i, _ in enumerate(stream):
        if i == 4:
            break
    stream.close()
    assert stream.stats.completion_tokens == 5
    stream = g.stream("KING:", SamplingParams(max_tokens=100, temperature=0.8, seed=1))
    n = 0
    for _ in stream:
        n += 1
        if n == 3:
            stream.cancel()
    assert stream.stats.stop_reason == "cancelled"
    assert stream.stats.completion_tokens == 3


@pytest.mark.parametrize("bad", [
    {"top_p": 1.5}, {"temperature": -1}, {"top_k": -2}, {"min_p": 1.0},
    {"repetition_penalty": 0}, {"num_beams": 0}, {"max_tokens": -5}, {"stop": [""]},
    {"presence_penalty": 3},
])
def test_invalid_params(bad):
    name = next(iter(bad))
    with pytest.raises(TextgenError, match=name):
        SamplingParams(**bad)


def test_unknown_param_and_bad_bias(generators):
    with pytest.raises(TextgenError, match="top_q"):
        SamplingParams.from_dict({"top_q": 0.3})
    with pytest.raises(TextgenError, match="outside the vocabulary"):
        generators["gpt"].generate("a", SamplingParams(max_tokens=2, logit_bias={10**6: 1.0}))


def test_max_tokens_zero(generators):
    result = generators["gpt"].generate("KING:", SamplingParams(max_tokens=0))
    assert result.text == "" and result.stats.completion_tokens == 0
