"""Datasets by name, for ``--dataset NAME`` and ``data.dataset`` in a config.

- ``shakespeare``: tiny Shakespeare (1.1 MB), fetched once into the user
  cache folder and checked against its SHA-256.
- ``gutenberg:<book id>``: a Project Gutenberg book, without the licence
  header and footer.
- ``code`` / ``code:<folder>`` / ``code:stdlib``: source files of a folder
  (the current one by default); ``stdlib`` is this Python's standard library.
- ``hf:<name>[:<config>]``: a Hugging Face ``datasets`` corpus (the optional
  ``datasets`` package; the text field is ``data.text_field``). ``news``,
  ``wikipedia`` and ``reddit`` are short names for common ones.
"""
from __future__ import annotations

import sysconfig
from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.train.corpus import Document, Notify, read_path, read_text_file

SHAKESPEARE_URL = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                   "tinyshakespeare/input.txt")
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
GUTENBERG_URL = "https://www.gutenberg.org/cache/epub/{id}/pg{id}.txt"
CODE_SUFFIXES = {".py", ".pyi", ".js", ".ts", ".c", ".h", ".cpp", ".hpp", ".rs", ".go",
                 ".java", ".rb", ".sh", ".lua", ".jl", ".scala", ".kt", ".swift"}
# short name -> (datasets name, config, text field)
HF_ALIASES = {
    "news": ("cc_news", None, "text"),
    "wikipedia": ("wikimedia/wikipedia", "20231101.en", "text"),
    "reddit": ("webis/tldr-17", None, "content"),
}
KNOWN = "shakespeare, gutenberg:<id>, code[:<folder>|stdlib], hf:<name>, " + \
    ", ".join(HF_ALIASES)


def load_named(name: str, text_field: str = "text", max_chars: int | None = None,
               errors: str = "replace", notify: Notify | None = None) -> list[Document]:
    kind, _, arg = name.partition(":")
    if kind == "shakespeare" and not arg:
        return [Document(read_text_file(shakespeare_path(), errors, notify), None, "shakespeare")]
    if kind == "gutenberg":
        return [gutenberg_book(arg, errors, notify)]
    if kind == "code":
        return code_documents(arg, errors, notify, max_chars)
    if kind == "hf":
        hf_name, _, config = arg.partition(":")
        if not hf_name:
            raise TextgenError("--dataset hf:<name>[:<config>] needs a dataset name")
        return hf_documents(hf_name, config or None, text_field, max_chars)
    if kind in HF_ALIASES and not arg:
        hf_name, config, field = HF_ALIASES[kind]
        return hf_documents(hf_name, config, field, max_chars)
    raise TextgenError(f"unknown dataset {name!r}; known: {KNOWN}")


def shakespeare_path() -> Path:
    from textgen.train.download import cached_download

    return cached_download(SHAKESPEARE_URL, "tinyshakespeare.txt", SHAKESPEARE_SHA256)


def gutenberg_book(book_id: str, errors: str = "replace", notify: Notify | None = None
                   ) -> Document:
    from textgen.train.download import cached_download, strip_gutenberg

    if not book_id.isdigit():
        raise TextgenError(f"gutenberg:{book_id}: the book id is a number, e.g. gutenberg:1342")
    path = cached_download(GUTENBERG_URL.format(id=book_id), f"gutenberg-{book_id}.txt")
    return Document(strip_gutenberg(read_text_file(path, errors, notify)), None,
                    f"gutenberg:{book_id}")


def stdlib_folder() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def code_documents(arg: str, errors: str = "replace", notify: Notify | None = None,
                   max_chars: int | None = None) -> list[Document]:
    """Source files under a folder; the standard library skips its tests and site-packages."""
    folder = stdlib_folder() if arg == "stdlib" else Path(arg or ".").expanduser()
    if not folder.is_dir():
        raise TextgenError(f"code:{arg}: no such folder")
    skip = {"site-packages", "dist-packages", "test", "tests", "idlelib", "__pycache__",
            "node_modules", ".git"}
    docs, total = [], 0
    for file in sorted(folder.rglob("*")):
        parts = file.relative_to(folder).parts
        if file.suffix not in CODE_SUFFIXES or not file.is_file() or \
                any(p in skip or p.startswith(".") for p in parts):
            continue
        text = read_text_file(file, errors, notify)
        docs.append(Document(text, None, str(file)))
        total += len(text)
        if max_chars and total >= max_chars:
            break
    if not docs:
        raise TextgenError(f"{folder}: no source files ({', '.join(sorted(CODE_SUFFIXES))})")
    return docs


def hf_documents(name: str, config: str | None, text_field: str,
                 max_chars: int | None) -> list[Document]:
    try:
        import datasets
    except ImportError:
        raise TextgenError(f"hf:{name} needs the optional `datasets` package: "
                           "pip install 'textgen[datasets]'") from None
    try:
        stream = datasets.load_dataset(name, config, split="train", streaming=True)
    except Exception as e:   # network, unknown name, gated dataset: all worth one line
        raise TextgenError(f"hf:{name}: could not open the dataset "
                           f"({type(e).__name__}: {str(e).splitlines()[0][:160]})") from None
    docs, total, limit = [], 0, max_chars or 20_000_000
    for record in stream:
        text = record.get(text_field)
        if not isinstance(text, str):
            raise TextgenError(f"hf:{name}: records have no string field {text_field!r} "
                               f"(fields: {', '.join(record)}); set data.text_field")
        docs.append(Document(text, None, f"hf:{name}"))
        total += len(text)
        if total >= limit:
            break
    return docs


def load_documents(dataset: str | None, path: str | None, text_field: str = "text",
                   genre_field: str = "genre", max_chars: int | None = None,
                   errors: str = "replace", notify: Notify | None = None) -> list[Document]:
    """The documents a config names (exactly one of dataset / path)."""
    if dataset and path:
        raise TextgenError("give either --data PATH or --dataset NAME, not both")
    if path:
        return read_path(path, text_field, genre_field, errors, notify)
    if dataset:
        return load_named(dataset, text_field, max_chars, errors, notify)
    raise TextgenError("no training data: pass --data PATH or --dataset NAME "
                       "(or set data.path / data.dataset in the config)")
