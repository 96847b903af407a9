"""Files fetched once into the user cache folder and checked before use.

A file with a known SHA-256 is verified every time it is used from the
cache (a damaged or tampered file is deleted and fetched again, a wrong
download is never kept). Downloads go to a temporary name and are renamed
into place only when complete, so an interrupted download leaves nothing
that looks finished.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from textgen.core.errors import TextgenError


def cache_dir() -> Path:
    """Where datasets and token arrays live (TEXTGEN_CACHE_DIR overrides)."""
    override = os.environ.get("TEXTGEN_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("textgen"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, sha256: str | None) -> bool:
    return sha256 is None or sha256_of(path) == sha256.lower()


def cached_download(url: str, name: str, sha256: str | None = None,
                    folder: Path | None = None, timeout: float = 60.0) -> Path:
    """The cached copy of ``url`` as ``<cache>/datasets/<name>``, fetched if needed."""
    folder = folder or cache_dir() / "datasets"
    target = folder / name
    if target.is_file():
        if verify(target, sha256):
            return target
        target.unlink()     # damaged: fetch a fresh copy
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{name}.part")
    try:
        _fetch(url, tmp, timeout)
        if not verify(tmp, sha256):
            raise TextgenError(f"{url}: the download does not match its SHA-256 checksum "
                               f"(expected {sha256}); nothing was kept")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _fetch(url: str, dest: Path, timeout: float) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "textgen"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as f:
            while block := response.read(1 << 16):
                f.write(block)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        raise TextgenError(f"{url}: download failed ({reason}); check the connection, or "
                           "pass the text with --data PATH") from None


# --- Project Gutenberg ------------------------------------------------------------------

_START = re.compile(r"^\*\*\*\s*START OF (THE|THIS) PROJECT GUTENBERG EBOOK.*?\*\*\*\s*$",
                    re.IGNORECASE | re.MULTILINE)
_END = re.compile(r"^\*\*\*\s*END OF (THE|THIS) PROJECT GUTENBERG EBOOK.*$",
                  re.IGNORECASE | re.MULTILINE)
_OLD_END = re.compile(r"^End of (the )?Project Gutenberg'?s? .*$", re.IGNORECASE | re.MULTILINE)


def strip_gutenberg(text: str) -> str:
    """The book without Project Gutenberg's licence header and footer.

    The markers are the ``*** START OF THE PROJECT GUTENBERG EBOOK ... ***``
    and ``*** END OF ...`` lines; text without them is returned as is.
    """
    text = text.replace("\r\n", "\n")
    start = _START.search(text)
    if start:
        text = text[start.end():]
    end = _END.search(text) or _OLD_END.search(text)
    if end:
        text = text[:end.start()]
    return text.strip("\n") + "\n"
