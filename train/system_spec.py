"""A system to compare: a model path with optional sampling settings.

Written ``PATH`` or ``PATH:key=value,key=value`` (``models/gpt:temperature=0.7,top_p=0.9``),
so a comparison can pit two models, or two settings of one model, against
each other. The settings are SamplingParams fields and are checked as such.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams


@dataclass(frozen=True)
class SystemSpec:
    """A model path and the sampling settings that override the mode's defaults."""
    path: str
    settings: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The canonical spelling, which also names the system in reports."""
        path = self.path.rstrip("/\\") or self.path
        if not self.settings:
            return path
        return path + ":" + ",".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                     for k, v in sorted(self.settings.items()))

    def params(self, base: SamplingParams) -> SamplingParams:
        return base.replace(**self.settings) if self.settings else base


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def _split_top_level(text: str) -> list[str] | None:
    """``text`` split at commas outside quotes and brackets; None if unbalanced."""
    items, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
        i += 1
    if quote or depth:
        return None
    items.append(text[start:])
    return items


def _parse_settings(text: str) -> dict | None:
    """``key=value,key=value`` as a dict (values read as JSON when they are
    JSON, else as plain text); None when ``text`` is not of that shape."""
    items = _split_top_level(text)
    if items is None:
        return None
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key):
            return None
        value = value.strip()
        try:
            settings[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            settings[key.replace("-", "_")] = value
    return settings


def parse_spec(text: str, option: str = "SPEC") -> SystemSpec:
    """``PATH`` or ``PATH:key=value,...``; settings are checked as SamplingParams.

    A path may itself hold ':' (``C:\\models\\gpt``): an existing path is
    taken whole, else the split is at the first ':' whose remainder reads as
    settings (identifier ``=`` value, comma separated).
    """
    text = text.strip()
    if not text:
        raise TextgenError(f"{option} is empty; give a model path such as models/gpt")
    if not Path(text).expanduser().exists():
        for i, ch in enumerate(text):
            if ch != ":" or i == 0:
                continue
            settings = _parse_settings(text[i + 1:])
            if settings is None:
                continue
            try:
                SamplingParams.from_dict(settings)
            except TextgenError as e:
                raise TextgenError(f"{option} {text!r}: {e} (settings are sampling parameters "
                                   "such as temperature, top_p, top_k, max_tokens, seed)") from None
            except TypeError as e:
                raise TextgenError(f"{option} {text!r}: bad setting value ({e})") from None
            return SystemSpec(text[:i], settings)
    return SystemSpec(text, {})


def check_distinct(a: SystemSpec, b: SystemSpec) -> None:
    """Two spellings of one system would make a comparison of nothing."""
    if a.label == b.label:
        raise TextgenError(f"--a and --b are the same system ({a.label}); compare two models, "
                           "or change a setting such as :temperature=1.0")
