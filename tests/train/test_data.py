"""The data pipeline: reading text, datasets by name (offline parts), the
token cache, control codes and the non-UTF-8 policy."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from textgen.core.errors import TextgenError
from textgen.train.config import TokenizerSection
from textgen.train.corpus import decode_bytes, read_path
from textgen.train.download import cached_download, strip_gutenberg
from textgen.train.named_datasets import code_documents, load_documents, load_named
from textgen.train.token_data import prepare

GUTENBERG_SAMPLE = """\ufeffThe Project Gutenberg eBook of A Tiny Book

This eBook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions.

*** START OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***

CHAPTER I.

It was a dark and stormy night.

*** END OF THE PROJECT GUTENBERG EBOOK A TINY BOOK ***

Updated editions will replace the previous one--the old editions will
be renamed. Section 5. General Information About Project Gutenberg.
"""


def test_text_folder_glob_and_jsonl(tmp_path, shakespeare_text):
    (tmp_path / "a.txt").write_text(shakespeare_text[:300], encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(shakespeare_text[300:600], encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("secret", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(
        json.dumps({"text": "Once upon a time.", "genre": "fantasy"}) + "\n\n" +
        json.dumps({"text": "The ship drifted."}) + "\n", encoding="utf-8")
    docs = read_path(str(tmp_path))
    assert [d.text for d in docs] == [shakespeare_text[:300], "Once upon a time.",
                                      "The ship drifted.", shakespeare_text[300:600]]
    assert [d.genre for d in docs] == [None, "fantasy", None, None]
    assert [d.text for d in read_path(str(tmp_path / "**" / "*.md"))] == \
        [shakespeare_text[300:600]]
    assert read_path(str(tmp_path / "a.txt"))[0].text == shakespeare_text[:300]


@pytest.mark.parametrize("setup, message", [
    (lambda p: p / "absent.txt", "no such file"),
    (lambda p: p, "no text files in this folder"),
    (lambda p: p / "*.nothing", "matches no files"),
    (lambda p: (p / "bad.jsonl").write_text('{"text": 1}\n') and p / "bad.jsonl",
     "bad.jsonl:1: expected an object with a string 'text' field"),
    (lambda p: (p / "broken.jsonl").write_text('{"text": \n') and p / "broken.jsonl",
     "not valid JSON"),
    (lambda p: (p / "empty.txt").write_text("  \n") and p / "empty.txt", "empty"),
])
def test_unreadable_data_gives_clear_errors(tmp_path, setup, message):
    with pytest.raises(TextgenError, match=message):
        read_path(str(setup(tmp_path)))


def test_non_utf8_is_replaced_and_reported(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 cr\u00e8me, na\u00efve.".encode("latin-1"))
    notes = []
    docs = read_path(str(path), notify=notes.append)
    assert docs[0].text == "Caf\ufffd cr\ufffdme, na\ufffdve."
    assert len(notes) == 1 and "latin1.txt" in notes[0] and "3 byte(s)" in notes[0]
    assert read_path(str(path), errors="ignore")[0].text == "Caf crme, nave."
    with pytest.raises(TextgenError, match="not valid UTF-8 at byte 3"):
        read_path(str(path), errors="strict")
    assert decode_bytes(b"\xef\xbb\xbfplain", "x") == "plain"


def test_gutenberg_licence_is_stripped():
    assert strip_gutenberg(GUTENBERG_SAMPLE) == "CHAPTER I.\n\nIt was a dark and stormy night.\n"
    assert strip_gutenberg("no markers here\n") == "no markers here\n"


def test_download_is_verified_against_its_checksum(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("to be or not to be\n", encoding="utf-8")
    good = hashlib.sha256(source.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = cached_download(source.as_uri(), "copy.txt", good, folder=cache)
    assert path.read_text() == "to be or not to be\n"
    path.write_text("tampered\n")              # a damaged cached copy is fetched again
    assert cached_download(source.as_uri(), "copy.txt", good, folder=cache).read_text() == \
        "to be or not to be\n"
    with pytest.raises(TextgenError, match="does not match its SHA-256"):
        cached_download(source.as_uri(), "other.txt", "0" * 64, folder=cache)
    assert sorted(p.name for p in cache.iterdir()) == ["copy.txt"]    # nothing else kept
    with pytest.raises(TextgenError, match="download failed"):
        cached_download((tmp_path / "absent").as_uri(), "absent.txt", None, folder=cache)


def test_shakespeare_from_a_verified_cache(tmp_path, monkeypatch, shakespeare_text):
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "tinyshakespeare.txt"
    full = shared.read_bytes()                 # present: the fixture would have skipped
    monkeypatch.setenv("TEXTGEN_CACHE_DIR", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "tinyshakespeare.txt").write_bytes(full)
    docs = load_named("shakespeare")
    assert docs[0].text.startswith(shakespeare_text[:1000]) and len(docs[0].text) == 1115394


def test_code_datasets(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    (tmp_path / "pkg" / "notes.txt").write_text("not code")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("assert True\n")
    docs = load_named(f"code:{tmp_path}")
    assert [d.text for d in docs] == ["def f():\n    return 1\n"]
    stdlib = code_documents("stdlib", max_chars=50_000)
    assert stdlib and all(d.source.endswith((".py", ".pyi")) for d in stdlib)
    assert not any("site-packages" in d.source for d in stdlib)
    assert any("def " in d.text for d in stdlib)


def test_unknown_and_conflicting_datasets():
    with pytest.raises(TextgenError, match="unknown dataset 'poetry'"):
        load_named("poetry")
    with pytest.raises(TextgenError, match="book id is a number"):
        load_named("gutenberg:pride")
    with pytest.raises(TextgenError, match="either --data PATH or --dataset NAME"):
        load_documents("shakespeare", "x.txt")
    with pytest.raises(TextgenError, match="no training data"):
        load_documents(None, None)


def test_hf_datasets_are_an_optional_extra():
    try:
        import datasets  # noqa: F401
    except ImportError:
        with pytest.raises(TextgenError, match="pip install 'textgen\\[datasets\\]'"):
            load_named("news")
    else:
        pytest.skip("datasets is installed; opening a hub dataset would need the network")


def test_tokens_are_split_cached_and_reused(tmp_path, shakespeare_text):
    from textgen.train.corpus import Document

    text = shakespeare_text[:10_000]
    docs = [Document(text)]
    first = prepare(docs, TokenizerSection(kind="char"), 0.1, tmp_path)
    assert len(first.train) == 9000 and len(first.val) == 1000       # split by characters
    assert first.tokenizer.decode(np.asarray(first.val).tolist()) == text[9000:]
    assert isinstance(first.train, np.memmap) and first.val_chars == 1000
    stamp = (first.cache / "train.bin").stat().st_mtime_ns
    again = prepare(docs, TokenizerSection(kind="char"), 0.1, tmp_path)
    assert again.cache == first.cache and (again.cache / "train.bin").stat().st_mtime_ns == stamp
    assert np.array_equal(again.train, first.train)
    # a resumed run brings its own tokenizer: the same arrays, found by its content
    fixed = prepare(docs, TokenizerSection(kind="bpe"), 0.1, tmp_path, tokenizer=first.tokenizer)
    assert fixed.cache == first.cache
    other = prepare(docs, TokenizerSection(kind="word", max_vocab=300), 0.1, tmp_path)
    assert other.cache != first.cache and other.tokenizer.kind == "word"


def test_genres_become_control_codes(tmp_path):
    from textgen.train.corpus import Document

    docs = [Document("The dragon slept. " * 20, "fantasy"), Document("The airlock hissed. " * 20,
                                                                     "Sci Fi")]
    data = prepare(docs, TokenizerSection(kind="char"), 0.0, tmp_path)
    assert data.control_codes == ["<|fantasy|>", "<|sci-fi|>"]
    tok = data.tokenizer
    ids = np.asarray(data.train).tolist()
    code = tok.special_tokens["<|fantasy|>"]
    assert ids[0] == code and tok.special_tokens["<|sci-fi|>"] in ids
    assert tok.special_tokens["<|endoftext|>"] in ids                 # documents separated
    assert data.train_chars == len("The dragon slept. " * 20) + len("The airlock hissed. " * 20)
