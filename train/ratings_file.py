"""A JSON-lines file of ratings that survives being interrupted.

Every rating is one line, written with a single ``write`` and made durable
(flush + fsync) before the call returns, so a session killed at any moment
loses at most the rating being written. A torn last line (the process died
mid-write) is ignored when reading and cut off when the file is next opened
for writing. Undo rewrites the file without its last matching line into a
temporary file beside it and swaps it in with ``os.replace``: a reader sees
the old file or the new one, never a half-written one.

While a session writes, it holds an exclusive lock on the file (where the
platform offers ``fcntl``), so a second session on the same file stops with
a clear message instead of interleaving ratings.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from textgen.core.errors import TextgenError

FORMAT = "textgen-ratings"
VERSION = 1
RECORD_START = b'{"format": "textgen-ratings"'      # how every line this module writes begins

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def parse_lines(path: Path, data: str) -> list[dict]:
    """Records of a ratings file's text; a torn last line is left out."""
    records = []
    lines = data.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):     # no newline after it: cut off mid-write
                break
            raise TextgenError(f"{path} line {number} is not valid JSON; fix or remove that line")
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise TextgenError(f"{path} line {number} is not a textgen rating record; "
                               "choose another ratings file")
        if record.get("version", VERSION) > VERSION:
            raise TextgenError(f"{path} line {number} was written by a newer textgen "
                               f"(ratings format {record['version']}); upgrade textgen")
        records.append(record)
    return records


def read_records(path: str | Path) -> list[dict]:
    """All rating records of ``path`` (which must exist)."""
    path = Path(path)
    if not path.is_file():
        raise TextgenError(f"no such ratings file: {path}")
    return parse_lines(path, path.read_text(encoding="utf-8"))


class RatingsFile:
    """The ratings file of one session: append, read back, undo."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise TextgenError(f"{self.path} is a folder; give a file for the ratings")
        if not self.path.parent.is_dir():
            raise TextgenError(f"folder {self.path.parent} does not exist; create it or choose "
                               "another ratings file")
        self._handle = None
        self._created = not self.path.exists()
        self._open_locked()
        try:
            self.records = self._read_and_repair()
        except BaseException:
            self._release()
            raise

    # --- lock -----------------------------------------------------------------------
    def _open_locked(self) -> None:
        self._handle = open(self.path, "a+b")
        if fcntl is not None:
            try:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._handle.close()
                self._handle = None
                raise TextgenError(f"{self.path} is in use by another rating session; finish "
                                   "that one first or choose another ratings file") from None

    def _release(self) -> None:
        if self._handle is not None:
            self._handle.close()     # releases the lock
            self._handle = None

    def close(self) -> None:
        """Release the file; an empty one this session created is removed."""
        was_open = self._handle is not None
        self._release()
        if was_open and self._created and self.path.is_file() and self.path.stat().st_size == 0:
            self.path.unlink()

    # --- reading ----------------------------------------------------------------------
    def _read_and_repair(self) -> list[dict]:
        """Read every record; cut off a torn last line so the next append
        starts on a line of its own."""
        handle = self._handle
        handle.seek(0)
        raw = handle.read()
        complete = raw.rfind(b"\n") + 1
        head, tail = raw[:complete], raw[complete:]
        try:
            records = parse_lines(self.path, head.decode("utf-8"))
        except UnicodeDecodeError:
            raise TextgenError(f"{self.path} is not a UTF-8 text file; choose another "
                               "ratings file") from None
        if tail.strip():
            try:
                text = tail.decode("utf-8")
                json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError):
                if not tail.startswith(RECORD_START):
                    raise TextgenError(f"{self.path} is not a textgen ratings file; choose "
                                       "another ratings file") from None
                handle.truncate(complete)           # a record cut off mid-write
                self._sync()
            else:
                records += parse_lines(self.path, text + "\n")
                self._write_bytes(b"\n")           # a whole record without its newline
        return records

    # --- writing ------------------------------------------------------------------------
    def _write_bytes(self, data: bytes) -> None:
        self._handle.seek(0, os.SEEK_END)
        self._handle.write(data)
        self._sync()

    def _sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def append(self, record: dict) -> dict:
        """Write ``record`` as one line, durably, before returning it."""
        record = {"format": FORMAT, "version": VERSION, **record}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        self._write_bytes(line.encode("utf-8"))
        self.records.append(record)
        return record

    def remove_last(self, matches: Callable[[dict], bool]) -> dict | None:
        """Remove the last record for which ``matches`` is true; atomically."""
        index = next((i for i in range(len(self.records) - 1, -1, -1)
                      if matches(self.records[i])), None)
        if index is None:
            return None
        removed = self.records[index]
        kept = self.records[:index] + self.records[index + 1:]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(text.encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _sync_folder(self.path.parent)
        # the lock belonged to the replaced file: take it on the new one
        self._release()
        self._open_locked()
        self.records = kept
        return removed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
