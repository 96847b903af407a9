"""World info: notes that enter the context only when their subject comes up.

An entry has keywords and content. When one of its keywords appears in the
recent story text (whole words, case-insensitive), its content is inserted
near the top of the context, so a long story can keep facts about many
characters and places without spending tokens on those not in the scene.

A world-info file is JSON or YAML: a list of entries, or a mapping from an
entry name to its entry. Each entry is ``{"keys": [...], "content": "..."}``
(``"key": "..."`` for a single keyword also works).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from textgen.core.errors import TextgenError


@dataclass
class WorldInfoEntry:
    keys: list[str]
    content: str
    name: str = ""
    _patterns: list = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self):
        if isinstance(self.keys, str):
            self.keys = [self.keys]
        self.keys = [k.strip() for k in self.keys if k and k.strip()]
        if not self.keys:
            raise TextgenError(f"world info entry {self.name or self.content[:30]!r} has no keywords")
        if not self.name:
            self.name = self.keys[0]
        self._patterns = [re.compile(r"(?<!\w)" + re.escape(k) + r"(?!\w)", re.IGNORECASE)
                          for k in self.keys]

    def matching_key(self, text: str) -> str | None:
        """The first keyword found in ``text``, or None."""
        for key, pattern in zip(self.keys, self._patterns):
            if pattern.search(text):
                return key
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, "keys": list(self.keys), "content": self.content}


def entries_from_data(data, source: str = "world info") -> list[WorldInfoEntry]:
    """Entries from parsed JSON/YAML (a list, or a mapping name -> entry)."""
    if isinstance(data, dict) and "entries" in data:
        data = data["entries"]
    if isinstance(data, dict):
        items = [({"name": name, **entry} if isinstance(entry, dict) else None)
                 for name, entry in data.items()]
    elif isinstance(data, list):
        items = data
    else:
        raise TextgenError(f"{source}: expected a list of entries or a mapping of names to entries")
    entries = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise TextgenError(f"{source}: entry {i + 1} is not a mapping with keys and content")
        keys = item.get("keys", item.get("key"))
        content = item.get("content")
        if not keys or not isinstance(content, str) or not content.strip():
            raise TextgenError(f"{source}: entry {i + 1} needs 'keys' and a non-empty 'content'")
        if isinstance(keys, str):
            keys = [k.strip() for k in keys.split(",")]
        entries.append(WorldInfoEntry([str(k) for k in keys], content.strip(),
                                      str(item.get("name", ""))))
    return entries


def load_world_info(path: str | Path) -> list[WorldInfoEntry]:
    """Read a JSON or YAML world-info file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TextgenError(f"{path}: world info file not found")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            import json

            data = json.loads(text)
    except Exception as e:   # JSON and YAML raise different error types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TextgenError(f"{path}: not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'} ({first})") from None
    return entries_from_data(data, str(path))
