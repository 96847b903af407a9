"""Reading training text from disk: a file, a folder, a glob, or JSONL.

Text files are decoded as UTF-8 (a byte-order mark is dropped). Bytes that
are not valid UTF-8 never crash a run: with the default policy "replace"
they become U+FFFD, "ignore" drops them, and "strict" stops with an error
that names the file and the byte offset. Either way the files that needed
it are reported through ``notify``, with how many bytes were affected.

JSONL lines are objects with a text field (``text`` by default) and
optionally a genre field; a genre becomes a control code such as
``<|fantasy|>`` in front of the document (see :mod:`textgen.train.dataset`).
"""
from __future__ import annotations

import glob as globlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from textgen.core.errors import TextgenError

Notify = Callable[[str], None]
TEXT_SUFFIXES = {".txt", ".md", ".rst", ".text", ""}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass
class Document:
    text: str
    genre: str | None = None
    source: str = ""


def decode_bytes(data: bytes, source: str, errors: str = "replace",
                 notify: Notify | None = None) -> str:
    """UTF-8 with a stated policy for bad bytes (see the module docstring)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if errors == "strict":
            raise TextgenError(f"{source}: not valid UTF-8 at byte {e.start} "
                               "(set data.encoding_errors=replace or ignore to read it anyway)"
                               ) from None
        bad = _count_bad_bytes(data)
        if notify:
            action = "replaced by U+FFFD" if errors == "replace" else "dropped"
            notify(f"{source}: {bad} byte(s) that are not valid UTF-8 were {action}")
        return data.decode("utf-8", errors=errors)


def _count_bad_bytes(data: bytes) -> int:
    count, start = 0, 0
    while True:
        try:
            data[start:].decode("utf-8")
            return count
        except UnicodeDecodeError as e:
            count += e.end - e.start
            start += e.end


def read_text_file(path: Path, errors: str = "replace", notify: Notify | None = None) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise TextgenError(f"{path}: cannot read ({e.strerror or e})") from None
    return decode_bytes(data, str(path), errors, notify)


def read_jsonl(path: Path, text_field: str = "text", genre_field: str = "genre",
               errors: str = "replace", notify: Notify | None = None) -> list[Document]:
    docs = []
    text = read_text_file(path, errors, notify)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise TextgenError(f"{path}:{number}: not valid JSON ({e.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
            raise TextgenError(f"{path}:{number}: expected an object with a string "
                               f"{text_field!r} field")
        genre = record.get(genre_field)
        docs.append(Document(record[text_field], str(genre) if genre else None,
                             f"{path}:{number}"))
    if not docs:
        raise TextgenError(f"{path}: no records with a {text_field!r} field")
    return docs


def read_path(spec: str, text_field: str = "text", genre_field: str = "genre",
              errors: str = "replace", notify: Notify | None = None,
              suffixes: Iterable[str] | None = None) -> list[Document]:
    """Documents from a file, a folder (recursively) or a glob pattern."""
    path = Path(spec).expanduser()
    if any(ch in spec for ch in "*?["):
        files = sorted(Path(p) for p in globlib.glob(str(path), recursive=True))
        files = [f for f in files if f.is_file()]
        if not files:
            raise TextgenError(f"{spec}: the pattern matches no files")
    elif path.is_dir():
        allowed = set(suffixes) if suffixes is not None else TEXT_SUFFIXES | JSONL_SUFFIXES
        files = sorted(f for f in path.rglob("*") if f.is_file()
                       and f.suffix.lower() in allowed and not _hidden(f, path))
        if not files:
            raise TextgenError(f"{path}: no text files in this folder (looked for "
                               f"{', '.join(sorted(s or '(no suffix)' for s in allowed))})")
    elif path.is_file():
        files = [path]
    else:
        raise TextgenError(f"{spec}: no such file, folder or pattern")
    docs: list[Document] = []
    for file in files:
        if file.suffix.lower() in JSONL_SUFFIXES:
            docs.extend(read_jsonl(file, text_field, genre_field, errors, notify))
        else:
            docs.append(Document(read_text_file(file, errors, notify), None, str(file)))
    if not any(d.text.strip() for d in docs):
        raise TextgenError(f"{spec}: the text is empty")
    return docs


def _hidden(file: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in file.relative_to(root).parts)
