"""Tokenizers on real text: round trips, unseen characters, specials, persistence."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textgen.core.errors import TextgenError
from textgen.core.tokenizers import load_tokenizer
from textgen.core.tokenizers.bpe import BPETokenizer
from textgen.core.tokenizers.char import CharTokenizer
from textgen.core.tokenizers.word import WordTokenizer


@pytest.fixture(scope="module")
def char_tok(shakespeare_text):
    return CharTokenizer.train(shakespeare_text, specials=["<|endoftext|>"])


@pytest.fixture(scope="module")
def bpe_tok(shakespeare_text):
    return BPETokenizer.train(shakespeare_text, vocab_size=500)


@pytest.fixture(scope="module")
def alphabet(shakespeare_text):
    return sorted(set(shakespeare_text))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_char_round_trip(char_tok, alphabet, data):
    text = data.draw(st.text(alphabet=alphabet, max_size=200))
    assert char_tok.decode(char_tok.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120))
def test_bpe_round_trip_any_unicode(bpe_tok, text):
    ids = bpe_tok.encode(text)
    assert all(0 <= i < bpe_tok.vocab_size for i in ids)
    assert bpe_tok.decode(ids) == text


def test_char_unseen_policy(shakespeare_text):
    strict = CharTokenizer.train("abc ")
    with pytest.raises(TextgenError, match="'z'"):
        strict.encode("a z")
    lenient = CharTokenizer.train("abc ", unknown="replace")
    assert lenient.decode(lenient.encode("a z")) == "a \ufffd"


def test_char_ids_compact_and_deterministic(shakespeare_text):
    a = CharTokenizer.train(shakespeare_text)
    b = CharTokenizer.train(shakespeare_text[::-1])
    assert a.pieces() == b.pieces() == sorted(set(shakespeare_text))
    assert sorted(a.encode(shakespeare_text[:5000])) [0] >= 0
    assert max(a.encode(shakespeare_text)) == a.vocab_size - 1


def test_specials_are_atomic(char_tok, bpe_tok):
    for tok in (char_tok, bpe_tok):
        ids = tok.encode("ab<|endoftext|>cd")
        assert tok.eos_id in ids
        assert ids.count(tok.eos_id) == 1
        assert tok.decode(ids) == "ab<|endoftext|>cd"
    char = CharTokenizer.train("abc")
    char.add_special_tokens(["<|fantasy|>", "<|horror|>"])
    char.add_special_tokens(["<|fantasy|>"])
    assert char.vocab_size == 5
    assert char.encode("<|horror|>a") == [4, 0]
    assert char.special_tokens == {"<|fantasy|>": 3, "<|horror|>": 4}


def test_save_load_each_kind(tmp_path, shakespeare_text, char_tok, bpe_tok):
    word_tok = WordTokenizer.train(shakespeare_text, max_vocab=300)
    sample = shakespeare_text[1000:1400]
    for tok in (char_tok, bpe_tok, word_tok):
        folder = tmp_path / tok.kind
        folder.mkdir()
        tok.save(folder)
        again = load_tokenizer(folder, tok.kind)
        assert again.encode(sample) == tok.encode(sample)
        assert again.pieces() == tok.pieces()
        assert again.special_tokens == tok.special_tokens


def test_bpe_is_gpt2_style(bpe_tok, tmp_path):
    merges = bpe_tok.merges()
    assert merges and all(len(m) == 2 for m in merges)
    pieces = bpe_tok.pieces()
    assert "Ġ" in pieces  # the byte-level symbol for a space
    assert len(pieces) == bpe_tok.vocab_size
    bpe_tok.save(tmp_path)
    data = json.loads((tmp_path / "tokenizer.json").read_text())
    assert data["model"]["type"] == "BPE"
    assert data["pre_tokenizer"]["type"] == "ByteLevel"


def test_word_tokenizer(shakespeare_text):
    tok = WordTokenizer.train(shakespeare_text, max_vocab=200)
    assert tok.vocab_size == 200
    ids = tok.encode("And the xylophonist is good.")
    assert ids[2] == tok.unk_id
    assert tok.decode(ids) == "And the <unk> is good."
    full = WordTokenizer.train("Hello, world! I don't know. \"Quoted text\" (here).\nNew line: yes; no?")
    for text in ["Hello, world!", "I don't know.", "\"Quoted text\" (here).\nNew line: yes; no?"]:
        assert full.decode(full.encode(text)) == text
    assert full.encode("\n") == [full.stoi["\n"]]


def test_word_vocab_limit_keeps_most_frequent():
    tok = WordTokenizer.train("a a a b b c", max_vocab=3)
    assert tok.pieces() == ["<unk>", "a", "b"]


def test_corrupt_tokenizer_file(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{oops")
    with pytest.raises(TextgenError, match="tokenizer.json: corrupt"):
        load_tokenizer(tmp_path, "char")
    with pytest.raises(TextgenError, match="tokenizer.json: "):
        load_tokenizer(tmp_path, "bpe")
    with pytest.raises(TextgenError, match="unknown tokenizer kind"):
        load_tokenizer(tmp_path, "sentencepiece")
    with pytest.raises(TextgenError, match="missing"):
        load_tokenizer(tmp_path / "nope", "word")


def test_hf_adapter_with_chat_template(tmp_path, bpe_tok):
    from transformers import PreTrainedTokenizerFast

    from textgen.core.tokenizers.hf import HFTokenizer

    hf = PreTrainedTokenizerFast(tokenizer_object=bpe_tok.backend, eos_token="<|endoftext|>")
    hf.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
                        "{% if add_generation_prompt %}<assistant>{% endif %}")
    hf.save_pretrained(tmp_path)
    tok = HFTokenizer.load(tmp_path)
    text = "Good morrow, cousin."
    assert tok.encode(text) == bpe_tok.encode(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.eos_id == bpe_tok.eos_id
    prompt = tok.apply_chat_template([{"role": "user", "content": "hi"}])
    assert prompt == "<user>hi\n<assistant>"
