"""Making generated code usable: fenced blocks, complete statements, formatting.

Python is checked with the standard ``ast`` module and cut back to the
longest prefix of whole lines that parses (the last complete statement);
it is then formatted with black, or ``ruff format`` when black is not
installed. Both are optional: without them the code is left as written.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess

_FENCE = re.compile(r"```[\w+#.-]*[ \t]*\n(.*?)(?:\n```|$)", re.DOTALL)


def extract_fenced_code(text: str) -> str:
    """The first ```fenced``` block's body, or the text itself when there is none."""
    match = _FENCE.search(text)
    return match.group(1) if match else text


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):   # ValueError: source with NUL bytes
        return False
    return True


def trim_python(code: str, keep_lines: int = 0, partial_last_line: bool = False) -> tuple[str, bool]:
    """(code cut back to its last complete statement, whether it parses).

    ``partial_last_line``: the text was cut off by a token limit, so a last
    line without its newline is unfinished and dropped first.
    ``keep_lines``: never cut into the first lines (code the user wrote);
    if no acceptable prefix parses, the code is returned unchanged with False.
    """
    lines = code.split("\n")
    if partial_last_line and len(lines) > max(1, keep_lines) and lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[-1].strip():
        lines.pop()
    for end in range(len(lines), max(keep_lines, 1) - 1, -1):
        candidate = "\n".join(lines[:end])
        if candidate.strip() and parses(candidate):
            return candidate.rstrip() + "\n", True
    return code, False


_DEFINITION = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]", re.MULTILINE)
_NOT_A_NEW_STATEMENT = (")", "]", "}", "#", "else", "elif", "except", "finally")


def definition_end(text: str) -> int | None:
    """Where the first top-level def/class ends: the offset of the first later
    line that starts at column 0 (a new statement), or None while it goes on.

    Lines that close a multi-line signature or continue a compound statement
    (``)``, ``else:``, ...) and comments do not count as new statements.
    """
    match = _DEFINITION.search(text)
    if not match:
        return None
    offset = text.find("\n", match.end())
    while offset >= 0:
        start = offset + 1
        line = text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
        if line and not line[0].isspace() and not line.startswith(_NOT_A_NEW_STATEMENT):
            return start
        offset = text.find("\n", start)
    return None


def format_python(code: str) -> tuple[str, str | None]:
    """(formatted code, name of the formatter used) — black, else ruff, else as is."""
    try:
        import black
    except ImportError:
        black = None
    if black is not None:
        try:
            return black.format_str(code, mode=black.Mode()), "black"
        except Exception:   # black.InvalidInput and friends: leave the code alone
            return code, None
    ruff = shutil.which("ruff")
    if ruff:
        try:
            done = subprocess.run([ruff, "format", "--quiet", "-"], input=code, text=True,
                                  capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return code, None
        if done.returncode == 0 and done.stdout:
            return done.stdout, "ruff"
    return code, None


def trim_partial_line(code: str, partial_last_line: bool) -> str:
    """For languages without a parser here: drop an unfinished last line."""
    if partial_last_line and "\n" in code.rstrip("\n") and not code.endswith("\n"):
        return code[:code.rfind("\n") + 1]
    return code
