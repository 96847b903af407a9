"""Code: write a function from a description, complete code, explain code.

Sampling defaults are conservative (temperature 0.2). Generated Python is
cut back to its last complete statement (``ast``) and formatted (black or
ruff, when installed); ``result.extra`` tells whether it parses
(``valid``) and which ``formatter`` ran. Other languages only lose an
unfinished last line.

Each task is a method (``write``, ``complete``, ``explain``) and is listed in
``CodeAssistant.TASKS``, so ``stream(text, task=...)`` can dispatch by name
and a new task is one method plus one entry.
"""
from __future__ import annotations

from textgen.assistants.base import Assistant, AssistantStream
from textgen.assistants.code_cleanup import (definition_end, extract_fenced_code, format_python,
                                             trim_partial_line, trim_python)
from textgen.assistants.context import PromptContext, trim_to_tokens
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

COMMENT_PREFIX = {
    "python": "#", "ruby": "#", "bash": "#", "shell": "#", "sh": "#", "r": "#", "perl": "#",
    "javascript": "//", "typescript": "//", "java": "//", "c": "//", "cpp": "//", "c++": "//",
    "csharp": "//", "go": "//", "rust": "//", "kotlin": "//", "swift": "//", "scala": "//",
    "php": "//", "sql": "--", "lua": "--", "haskell": "--",
}
_CUT_OFF = ("length", "cancelled", "context")


class CodeAssistant(Assistant):
    mode = "code"
    TASKS = ("write", "complete", "explain")

    def __init__(self, generator, params: SamplingParams | None = None, *,
                 language: str = "python", format_code: bool = True, **options):
        super().__init__(generator, params, **options)
        self.language = language.strip().lower()
        self.format_code = format_code

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams(max_tokens=256, temperature=0.2, top_p=0.95)

    @property
    def is_python(self) -> bool:
        return self.language in ("python", "py", "python3")

    @property
    def comment(self) -> str:
        return COMMENT_PREFIX.get(self.language, "#")

    def stream(self, text: str, task: str = "write",
               params: SamplingParams | None = None) -> AssistantStream:
        if task not in self.TASKS:
            raise TextgenError(f"unknown code task {task!r}; choose one of: {', '.join(self.TASKS)}")
        return getattr(self, task)(text, params)

    # --- write ------------------------------------------------------------------
    def write(self, description: str, params: SamplingParams | None = None) -> AssistantStream:
        """Code for ``description``; stops once a first top-level def/class is done."""
        if not description.strip():
            raise TextgenError("no description: say what the code should do")
        chat = self.uses_chat
        c = self.comment
        params = self.resolve_params(params, [] if chat else [self.fit(f"\n{c} Task:")])
        parts = self.parts()
        if chat:
            context = self._chat_context(parts, params, f"Write {self.language} code for this "
                                         f"task:\n{description.strip()}")
        else:
            parts.add("system", self.fit(f"{c} Language: {self.language}\n"),
                      reason="language line")
            parts.add("request", self.fit(f"{c} Task: ") + " ".join(description.split()) + "\n\n")
            context = self.assemble(parts, params)

        def postprocess(raw: str, stats) -> tuple[str, dict]:
            code = extract_fenced_code(raw) if chat else raw
            end = definition_end(code) if self.is_python else None
            cut = end is not None
            if cut:
                code = code[:end]
            text, extra = self._clean(code, not cut and stats.stop_reason in _CUT_OFF, "write")
            extra.pop("unformatted")
            return text, extra

        stop_at_end = None if chat or not self.is_python else (
            lambda text: definition_end(text) is not None)
        return self.single_stream(context, params, postprocess, should_stop=stop_at_end)

    # --- complete ----------------------------------------------------------------
    def complete(self, code: str, params: SamplingParams | None = None) -> AssistantStream:
        """``code`` continued; ``result.text`` is the whole completed code,
        ``result.extra["completion"]`` the part added after it."""
        if not code.strip():
            raise TextgenError("no code to complete")
        chat = self.uses_chat
        params = self.resolve_params(params, [] if chat else ["\n\n\n"])
        parts = self.parts()
        if chat:
            context = self._chat_context(parts, params, f"Complete this {self.language} code. "
                                         "Reply with the completed code only, in one fenced "
                                         f"block:\n```{self.language}\n{code}\n```")
        else:
            room = self.budget(params)
            kept, dropped = trim_to_tokens(self.generator, code, room)
            if dropped:
                parts.add("trimmed", dropped, included=False, reason="start of a long file")
            parts.add("request", kept, reason="code to complete")
            context = self.assemble(parts, params)

        def postprocess(raw: str, stats) -> tuple[str, dict]:
            added = extract_fenced_code(raw) if chat else raw
            full = added if chat and added.startswith(code.rstrip()) else code + added
            keep = code.count("\n") + 1
            partial = stats.stop_reason in _CUT_OFF
            text, extra = self._clean(full, partial, "complete", keep_lines=keep)
            if extra["valid"] is False and self.is_python:
                # nothing the model added makes whole statements: the user's code alone
                own, extra_own = self._clean(code, False, "complete", keep_lines=keep)
                if extra_own["valid"]:
                    text, extra = own, {**extra_own, "trimmed": True}
            kept = extra.pop("unformatted")
            extra["completion"] = (kept[len(code):].rstrip() if kept.startswith(code)
                                   else added)
            return text, extra

        return self.single_stream(context, params, postprocess)

    # --- explain -----------------------------------------------------------------
    def explain(self, code: str, params: SamplingParams | None = None) -> AssistantStream:
        """A plain-language explanation of ``code``."""
        if not code.strip():
            raise TextgenError("no code to explain")
        chat = self.uses_chat
        if params is None and self.params.temperature < 0.5:
            params = self.params.replace(temperature=0.5)   # prose reads better a little warmer
        params = self.resolve_params(params, [] if chat else [self.fit("\nQuestion:"), "\n\n\n"])
        parts = self.parts()
        question = self.fit("\n\nQuestion: What does the code above do?\nAnswer:")
        if chat:
            context = self._chat_context(parts, params, "Explain what this code does:\n"
                                         f"```{self.language}\n{code.strip()}\n```")
        else:
            room = self.budget(params) - parts.count(question)
            kept, dropped = trim_to_tokens(self.generator, code.rstrip(), room)
            if dropped:
                parts.add("trimmed", dropped, included=False, reason="start of a long file")
            parts.add("request", kept, reason="code to explain")
            parts.add("cue", question)
            context = self.assemble(parts, params)

        def postprocess(raw: str, stats) -> tuple[str, dict]:
            return raw.strip(), {"task": "explain", "language": self.language}

        return self.single_stream(context, params, postprocess)

    # --- shared ------------------------------------------------------------------
    def _chat_context(self, parts, params, request: str) -> PromptContext:
        system = (f"You are a careful {self.language} programmer. Answer with correct, "
                  "idiomatic code in a fenced block unless asked to explain.")
        parts.add("system", system, role="system")
        room = self.budget(params) - parts.tokens() - self.template_overhead()
        kept, dropped = trim_to_tokens(self.generator, request, room, keep="start")
        if dropped:
            parts.add("trimmed", dropped, included=False, reason="request too long for the context")
        parts.add("request", kept, role="user")
        return self.assemble(parts, params, [{"role": "system", "content": system},
                                             {"role": "user", "content": kept}])

    def _clean(self, code: str, partial: bool, task: str, keep_lines: int = 0) -> tuple[str, dict]:
        """(cleaned code, facts); ``extra["unformatted"]`` holds the code
        before formatting (callers pop it)."""
        extra = {"task": task, "language": self.language, "valid": None, "formatter": None,
                 "trimmed": False}
        if not self.is_python:
            cleaned = trim_partial_line(code, partial)
            extra["trimmed"] = cleaned != code
            cleaned = cleaned.rstrip() + "\n" if cleaned.strip() else ""
            extra["unformatted"] = cleaned
            return cleaned, extra
        trimmed, valid = trim_python(code, keep_lines=keep_lines, partial_last_line=partial)
        extra["valid"] = valid
        extra["trimmed"] = trimmed.rstrip() != code.rstrip()
        extra["unformatted"] = trimmed
        if valid and self.format_code:
            trimmed, extra["formatter"] = format_python(trimmed)
        return trimmed, extra
