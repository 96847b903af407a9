"""The official openai client against the real server: models, chat, completions, streams."""
from __future__ import annotations

import pytest

openai = pytest.importorskip("openai")


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0,
                         timeout=30)


def test_models_lists_the_folder(client):
    names = {m.id for m in client.models.list()}
    assert {"gpt", "char_rnn"} <= names
    assert client.models.retrieve("gpt").id == "gpt"


def test_chat_completion(client):
    reply = client.chat.completions.create(
        model="gpt", messages=[{"role": "user", "content": "Good morrow"}],
        max_tokens=12, temperature=0, seed=1)
    choice = reply.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")
    assert reply.model == "gpt"
    assert reply.usage.completion_tokens >= 1
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streamed_chat_matches_the_plain_reply(client):
    kwargs = dict(model="gpt", messages=[{"role": "system", "content": "Speak plainly."},
                                         {"role": "user", "content": "Good morrow"}],
                  max_tokens=20, temperature=0)
    whole = client.chat.completions.create(**kwargs).choices[0].message.content
    chunks = list(client.chat.completions.create(stream=True,
                                                 stream_options={"include_usage": True},
                                                 **kwargs))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == whole
    finals = [c.choices[0].finish_reason for c in chunks
              if c.choices and c.choices[0].finish_reason]
    assert finals in (["stop"], ["length"])
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 1


def test_completion_with_extra_sampling_fields_is_reproducible(client):
    kwargs = dict(model="gpt", prompt="ROMEO:", max_tokens=24, temperature=0.9, seed=7,
                  extra_body={"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.1})
    first = client.completions.create(**kwargs)
    second = client.completions.create(**kwargs)
    assert first.choices[0].text == second.choices[0].text
    assert first.usage.completion_tokens == 24
    assert first.choices[0].finish_reason == "length"


def test_streamed_completion_and_several_choices(client):
    stream = client.completions.create(model="char_rnn", prompt="KING:", max_tokens=10,
                                       n=2, seed=3, temperature=1.0, stream=True)
    texts = {0: "", 1: ""}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.text
    assert all(texts.values())
    assert texts[0] != texts[1]


def test_stop_sequence_is_never_streamed(client):
    # greedy decoding, then stop on a piece of what it wrote: the text ends before it
    free = client.completions.create(model="gpt", prompt="ROMEO:", max_tokens=30,
                                     temperature=0).choices[0].text
    stop = free[8:10]
    assert stop.strip(), free
    cut = client.completions.create(model="gpt", prompt="ROMEO:", max_tokens=30, temperature=0,
                                    stop=[stop])
    assert cut.choices[0].text == free[:free.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_client_errors_are_typed(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model",
                                       messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.UnprocessableEntityError, match="temperature"):
        client.completions.create(model="gpt", prompt="hi", temperature=3)
    with pytest.raises(openai.BadRequestError, match="64"):
        client.completions.create(model="gpt", prompt="ROMEO " * 20)
