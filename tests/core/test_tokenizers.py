"""Tokenizers on real text: round trips, unseen characters, specials, persistence."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textgen.core.errors import TextgenError
from textgen.core.tokenizers import TOKENIZER_KINDS, get_tokenizer_class, load_tokenizer
from textgen.core.tokenizers.bpe import BPETokenizer
from textgen.core.tokenizers.char import CharTokenizer
from textgen.core.tokenizers.word import WordTokenizer

SHAKESPEARE = Path(__file__).parents[2].parent / "shared/data/tinyshakespeare.txt"
FALLBACK = """First Citizen:
Before we proceed any further, hear me speak.

All:
Speak, speak.

First Citizen:
You are all resolved rather to die than to famish?

All:
Resolved. resolved.

First Citizen:
First, you know Caius Marcius is chief enemy to the people.

All:
We know't, we know't.

First Citizen:
Let us kill him, and we'll have corn at our own price.
Is't a verdict? We don't know what 'tis; "the people" (he said) are hungry!

Second Citizen:
One word, good citizens. Would you proceed especially against Caius Marcius?
"""


@pytest.fixture(scope="module")
def corpus() -> str:
    """A slice of Tiny Shakespeare, or a few lines of it when the file is absent."""
    if SHAKESPEARE.is_file():
        return SHAKESPEARE.read_text(encoding="utf-8")[:60_000]
    return FALLBACK * 40


@pytest.fixture(scope="module")
def char_tok(corpus):
    return CharTokenizer.train(corpus, specials=["<|endoftext|>"])


@pytest.fixture(scope="module")
def bpe_tok(corpus):
    return BPETokenizer.train([corpus], vocab_size=500)


@pytest.fixture(scope="module")
def alphabet(corpus):
    return sorted(set(corpus))


# --- char ---------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_char_round_trip(char_tok, alphabet, data):
    text = data.draw(st.text(alphabet=alphabet, max_size=200))
    ids = char_tok.encode(text)
    assert len(ids) == len(text)
    assert char_tok.decode(ids) == text


def test_char_unseen_policy():
    strict = CharTokenizer.train("abc ")
    with pytest.raises(TextgenError, match="'z'"):
        strict.encode("a z")
    assert "\ufffd" not in strict.pieces()
    lenient = CharTokenizer.train("abc ", unknown="replace")
    assert "\ufffd" in lenient.pieces()
    assert lenient.decode(lenient.encode("a z")) == "a \ufffd"
    with pytest.raises(TextgenError, match="policy"):
        CharTokenizer.train("abc", unknown="ignore")


def test_char_ids_compact_and_deterministic(corpus):
    a = CharTokenizer.train(corpus)
    b = CharTokenizer.train(corpus[::-1])
    assert a.pieces() == b.pieces() == sorted(set(corpus))
    assert set(a.encode(corpus)) == set(range(a.vocab_size))


def test_char_specials_atomic_and_appended():
    char = CharTokenizer.train("abc")
    char.add_special_tokens(["<|fantasy|>", "<|horror|>"])
    char.add_special_tokens(["<|fantasy|>", "a"])  # both already present: no-op
    assert char.vocab_size == 5
    assert char.encode("<|horror|>a") == [4, 0]
    assert char.special_tokens == {"<|fantasy|>": 3, "<|horror|>": 4}
    assert char.id_to_piece(3) == "<|fantasy|>"
    assert char.eos_id is None
    # a special in the training text is one token, its letters need not be in the vocab
    trained = CharTokenizer.train("ab<|endoftext|>ba", specials=["<|endoftext|>"])
    assert trained.pieces() == ["a", "b", "<|endoftext|>"]
    assert trained.encode("ab<|endoftext|>") == [0, 1, trained.eos_id]


# --- bpe ----------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120))
def test_bpe_round_trip_any_unicode(bpe_tok, text):
    ids = bpe_tok.encode(text)
    assert all(0 <= i < bpe_tok.vocab_size for i in ids)
    assert bpe_tok.decode(ids) == text


def test_specials_are_atomic(char_tok, bpe_tok):
    for tok in (char_tok, bpe_tok):
        ids = tok.encode("we<|endoftext|>you")
        assert tok.eos_id is not None and ids.count(tok.eos_id) == 1
        assert tok.decode(ids) == "we<|endoftext|>you"


def test_bpe_add_special_tokens_appends_and_persists(corpus, tmp_path):
    tok = BPETokenizer.train(corpus[:20_000], vocab_size=400)
    n = tok.vocab_size
    tok.add_special_tokens(["<|fantasy|>", "<|endoftext|>"])
    tok.add_special_tokens(["<|fantasy|>"])
    assert tok.vocab_size == n + 1
    assert tok.special_tokens["<|fantasy|>"] == n
    assert tok.encode("<|fantasy|>Once")[0] == n
    tok.save(tmp_path)
    again = load_tokenizer(tmp_path, "bpe")
    assert again.special_tokens == tok.special_tokens
    assert again.encode("<|fantasy|>Once") == tok.encode("<|fantasy|>Once")


def test_bpe_is_gpt2_style(bpe_tok, tmp_path):
    merges = bpe_tok.merges()
    assert merges and all(len(m) == 2 and all(m) for m in merges)
    pieces = bpe_tok.pieces()
    assert "Ġ" in pieces and "Ċ" in pieces  # byte-level symbols for space and newline
    assert len(pieces) == bpe_tok.vocab_size
    assert any(p.startswith("Ġ") and len(p) > 2 for p in pieces)  # merged words like "Ġthe"
    bpe_tok.save(tmp_path)
    data = json.loads((tmp_path / "tokenizer.json").read_text())
    assert data["model"]["type"] == "BPE"
    assert data["pre_tokenizer"]["type"] == "ByteLevel"
    assert data["pre_tokenizer"]["add_prefix_space"] is False
    # the file is plain `tokenizers` JSON: HF tooling reads it as is
    from tokenizers import Tokenizer as HFTok

    assert HFTok.from_file(str(tmp_path / "tokenizer.json")).encode("Good morrow").ids == \
        bpe_tok.encode("Good morrow")
    again = BPETokenizer.from_hf_tokenizer_json(tmp_path / "tokenizer.json")
    assert again.merges() == merges


def test_bpe_id_to_piece_is_readable(bpe_tok):
    space_id = bpe_tok.pieces().index("Ġ")
    assert bpe_tok.id_to_piece(space_id) == " "
    first_byte_of_e_acute = bpe_tok.encode("é")[0]  # é is two bytes, never merged here
    assert bpe_tok.id_to_piece(first_byte_of_e_acute) == "\ufffd"
    assert bpe_tok.decode([bpe_tok.encode("a")[0], 10**6]) == "a\ufffd"


def test_bpe_vocab_too_small():
    with pytest.raises(TextgenError, match="at least 257"):
        BPETokenizer.train(["abc"], vocab_size=100)


# --- word ---------------------------------------------------------------

def test_word_unk_and_vocab_limit(corpus):
    tok = WordTokenizer.train(corpus, max_vocab=50)
    assert tok.vocab_size == 50
    ids = tok.encode("the xylophonist, the.")
    assert ids[1] == tok.unk_id == 0 and ids.count(0) == 1
    assert tok.decode(ids) == "the <unk>, the."


def test_word_vocab_limit_keeps_most_frequent():
    tok = WordTokenizer.train("c a a a b b d", max_vocab=4)
    assert tok.pieces() == ["<unk>", "a", "b", "c"]  # c and d tie: alphabetical wins
    assert WordTokenizer.train("a a b", min_freq=2).pieces() == ["<unk>", "a"]
    assert WordTokenizer.train("The the THE", lowercase=True).encode("tHe") == [1]


@pytest.mark.parametrize("text", [
    "Hello, world!",
    "I don't know.",
    "\"Quoted text\" (here).\nNew line: yes; no?",
    "'Tis the dogs' bone, she said 'hi' -- ok...",
    "Cost: $5, 50% [sic] ‘curly’ “double”",
    "\"Open quote\nwrapped line\" ends",
    "\"First paragraph\n\n\"Second.\" done",
])
def test_word_detokenizes_punctuation(text):
    tok = WordTokenizer.train(text)
    assert tok.decode(tok.encode(text)) == text


def test_word_newlines_and_specials():
    tok = WordTokenizer.train("One two.\n<|endoftext|>\nThree", specials=["<|endoftext|>"])
    assert tok.encode("\n") == [tok.stoi["\n"]]
    assert "<" not in tok.pieces() and tok.pieces()[-1] == "<|endoftext|>"
    ids = tok.encode("two.\n<|endoftext|>\nOne")
    assert ids.count(tok.eos_id) == 1
    assert tok.decode(ids) == "two.\n<|endoftext|>\nOne"


# --- persistence and registry ------------------------------------------

def test_save_load_each_kind(tmp_path, corpus, char_tok, bpe_tok):
    word_tok = WordTokenizer.train(corpus, max_vocab=300, specials=["<|endoftext|>"])
    word_tok.add_special_tokens(["<|fantasy|>", "the"])  # "the" already a word: keeps its id
    assert word_tok.special_tokens["the"] == word_tok.stoi["the"] < word_tok.vocab_size - 1
    sample = corpus[1000:1400] + "<|endoftext|>the"
    for tok in (char_tok, bpe_tok, word_tok):
        folder = tmp_path / tok.kind
        folder.mkdir()
        tok.save(folder)
        again = load_tokenizer(folder, tok.kind)
        assert type(again) is type(tok)
        assert again.encode(sample) == tok.encode(sample)
        assert again.pieces() == tok.pieces()
        assert again.special_tokens == tok.special_tokens
    assert again.encode("<|fantasy|>") == [word_tok.vocab_size - 1]


def test_registry():
    assert set(TOKENIZER_KINDS) == {"char", "word", "bpe", "hf"}
    for kind in ("char", "word", "bpe"):
        assert get_tokenizer_class(kind).kind == kind
    with pytest.raises(TextgenError, match="unknown tokenizer kind 'sentencepiece'"):
        get_tokenizer_class("sentencepiece")


def test_bad_tokenizer_files(tmp_path):
    file = tmp_path / "tokenizer.json"
    file.write_text("{oops")
    for kind in ("char", "word", "bpe"):
        with pytest.raises(TextgenError, match="tokenizer.json: corrupt") as info:
            load_tokenizer(tmp_path, kind)
        assert "\n" not in str(info.value)
    with pytest.raises(TextgenError, match="tokenizer.json: missing"):
        load_tokenizer(tmp_path / "nope", "word")
    CharTokenizer.train("abc").save(tmp_path)
    with pytest.raises(TextgenError, match="tokenizer.json: holds a 'char' tokenizer"):
        load_tokenizer(tmp_path, "word")
    with pytest.raises(TextgenError, match="tokenizer.json: "):
        load_tokenizer(tmp_path, "bpe")
    file.write_text(json.dumps({"kind": "char", "chars": "abc"}))
    with pytest.raises(TextgenError, match="tokenizer.json: char tokenizer data needs"):
        load_tokenizer(tmp_path, "char")


# --- Hugging Face adapter ----------------------------------------------

def test_hf_adapter_with_chat_template(tmp_path, bpe_tok):
    from transformers import PreTrainedTokenizerFast

    from textgen.core.tokenizers.hf import HFTokenizer

    hf = PreTrainedTokenizerFast(tokenizer_object=bpe_tok.backend, eos_token="<|endoftext|>")
    hf.chat_template = ("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
                        "{% if add_generation_prompt %}<assistant>{% endif %}")
    hf.save_pretrained(tmp_path / "tok")
    tok = load_tokenizer(tmp_path / "tok", "hf")
    assert isinstance(tok, HFTokenizer)
    text = "Good morrow, cousin.<|endoftext|>"
    assert tok.encode(text) == bpe_tok.encode(text)
    assert tok.decode(tok.encode(text)) == text
    assert tok.eos_id == bpe_tok.eos_id
    assert tok.vocab_size == bpe_tok.vocab_size and tok.pieces() == bpe_tok.pieces()
    assert tok.chat_template and tok.apply_chat_template([{"role": "user", "content": "hi"}]) == \
        "<user>hi\n<assistant>"

    tok.add_special_tokens(["<|fantasy|>"])
    tok.add_special_tokens(["<|horror|>", "<|fantasy|>"])
    n = bpe_tok.vocab_size
    assert {k: v for k, v in tok.special_tokens.items() if k.startswith("<|")} == \
        {"<|endoftext|>": bpe_tok.eos_id, "<|fantasy|>": n, "<|horror|>": n + 1}
    assert tok.encode("a<|horror|>") == bpe_tok.encode("a") + [n + 1]
    tok.save(tmp_path / "again")
    assert HFTokenizer.load(tmp_path / "again").special_tokens == tok.special_tokens

    tok.hf.chat_template = None
    with pytest.raises(TextgenError, match="no chat template"):
        tok.apply_chat_template([{"role": "user", "content": "hi"}])
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextgenError, match="cannot load a Hugging Face tokenizer"):
        HFTokenizer.load(tmp_path / "empty")
    with pytest.raises(TextgenError, match="no such tokenizer folder"):
        HFTokenizer.load(tmp_path / "missing")
