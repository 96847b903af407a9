"""The assembled context of one request, as data.

Every assistant builds its prompt from named parts (system text, memory,
world-info entries, author's note, story history, chat turns, ...) and
records each part's token count, whether it made it into the prompt and why.
A context view (``--show-context``, the TUI's context panel) renders this
structure; nothing has to re-parse a prompt string to explain it.

Also here: the token budget a prompt may use, and trimming text by tokens.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# Recurrent models have no context limit, but a prompt of a whole novel
# costs time on every request: this many tokens is kept by default.
DEFAULT_RNN_CONTEXT_CAP = 2048

# Part names used by the assistants (a context view may colour by them).
PART_NAMES = (
    "system",        # system prompt / instruction to the model
    "genre",         # genre control code or genre cue
    "memory",        # persistent notes kept at the top
    "world_info",    # an entry whose keyword appeared in the recent text
    "authors_note",  # style instruction a few lines before the end
    "history",       # story text or chat turns that fit
    "trimmed",       # text left out to fit the budget (included=False)
    "request",       # the user's request (code to explain, situation, ...)
    "cue",           # text the model continues from ("Assistant:", 'NAME: "')
    "template",      # tokens added by the chat template around the messages
)


@dataclass
class ContextPart:
    """One named piece of a prompt.

    ``text`` is exactly what was inserted (separators included) for a plain
    prompt; for chat-template prompts it is the piece of the message content.
    ``included`` is False for parts left out (trimmed history, world info
    that did not fit); ``reason`` says why a part is there or not.
    """
    name: str
    text: str
    tokens: int
    included: bool = True
    reason: str = ""
    role: str | None = None      # chat role of the message holding this part
    label: str = ""              # e.g. the world-info entry's name

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PromptContext:
    """What is sent to the model and how it was put together.

    ``prompt`` is the exact string given to ``Generator.stream``. For a model
    with a chat template, ``messages`` holds the chat messages the prompt was
    rendered from. ``budget`` is the most prompt tokens allowed (context
    length minus the room kept for the reply).
    """
    parts: list[ContextPart]
    prompt: str
    prompt_tokens: int
    budget: int
    max_tokens: int
    context_length: int | None
    messages: list[dict] | None = None

    @property
    def included(self) -> list[ContextPart]:
        return [p for p in self.parts if p.included]

    @property
    def left_out(self) -> list[ContextPart]:
        return [p for p in self.parts if not p.included]

    def parts_named(self, name: str) -> list[ContextPart]:
        return [p for p in self.parts if p.name == name]

    def to_dict(self) -> dict:
        return {
            "prompt": self.prompt,
            "prompt_tokens": self.prompt_tokens,
            "budget": self.budget,
            "max_tokens": self.max_tokens,
            "context_length": self.context_length,
            "messages": self.messages,
            "parts": [p.to_dict() for p in self.parts],
        }

    def render(self, preview: int = 60) -> str:
        """A plain-text table of the parts, for ``--show-context`` and logs."""
        limit = "unbounded" if self.context_length is None else str(self.context_length)
        lines = [f"context: {self.prompt_tokens} prompt tokens of a {self.budget}-token budget "
                 f"(model context {limit}, {self.max_tokens} kept for the reply)"]
        for part in self.parts:
            mark = " " if part.included else "-"
            name = part.name + (f"[{part.label}]" if part.label else "")
            role = f"{part.role}: " if part.role else ""
            shown = part.text.replace("\n", "\\n")
            if len(shown) > preview:
                shown = shown[:preview - 3] + "..."
            why = f"  ({part.reason})" if part.reason else ""
            lines.append(f"{mark} {name:<22} {part.tokens:>6} tok  {role}{shown}{why}")
        return "\n".join(lines)


def context_budget(generator, max_tokens: int, rnn_cap: int = DEFAULT_RNN_CONTEXT_CAP) -> int:
    """How many prompt tokens fit: the model's context minus room for the reply.

    When ``max_tokens`` is as large as the context itself, half the context
    is kept for the prompt (the backend slides its window as the reply
    grows). Recurrent models have no limit; ``rnn_cap`` bounds them.
    """
    limit = generator.info.context_length
    if not limit:
        return rnn_cap
    reserve = min(max_tokens, limit // 2)
    return max(1, limit - reserve)


def trim_to_tokens(generator, text: str, max_tokens: int, keep: str = "end") -> tuple[str, str]:
    """Split ``text`` into (kept, dropped) so ``kept`` has at most ``max_tokens`` tokens.

    ``keep="end"`` keeps the most recent text (stories, chat), dropping from
    the start at a word boundary when one is near; ``keep="start"`` keeps the
    beginning. The cut is made on token ids, so it is exact for any tokenizer.
    """
    if max_tokens <= 0:
        return "", text
    ids = generator.encode(text)
    if len(ids) <= max_tokens:
        return text, ""
    if keep == "start":
        kept = generator.decode(ids[:max_tokens])
        kept = text[:len(kept)] if text.startswith(kept) else kept
        return kept, text[len(kept):]
    kept = generator.decode(ids[len(ids) - max_tokens:])
    if not text.endswith(kept):   # decoding normalised something; cut by characters instead
        kept = text[len(text) - len(kept):]
    cut = len(text) - len(kept)
    # Start at the next word when it is close, so the prompt does not open mid-word.
    if cut > 0 and not text[cut - 1].isspace():
        for i in range(cut, min(len(text), cut + 24)):
            if text[i].isspace():
                cut = i + 1
                break
    kept = text[cut:]
    # A re-encoded slice can come out a token longer than the ids it was cut from.
    while kept and generator.count_tokens(kept) > max_tokens:
        kept = kept[1:]
        cut += 1
    return kept, text[:cut]


class ContextParts:
    """A small builder that counts tokens as parts are added."""

    def __init__(self, generator):
        self.generator = generator
        self.parts: list[ContextPart] = []

    def count(self, text: str) -> int:
        return self.generator.count_tokens(text) if text else 0

    def add(self, name: str, text: str, *, included: bool = True, reason: str = "",
            role: str | None = None, label: str = "", tokens: int | None = None) -> ContextPart:
        part = ContextPart(name, text, self.count(text) if tokens is None else tokens,
                           included, reason, role, label)
        self.parts.append(part)
        return part

    def tokens(self, included_only: bool = True) -> int:
        return sum(p.tokens for p in self.parts if p.included or not included_only)

    def plain_prompt(self) -> str:
        return "".join(p.text for p in self.parts if p.included)
