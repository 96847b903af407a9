"""Multi-turn chat with a settable personality (system prompt).

The history is trimmed to the model's context by tokens, oldest turns first;
the system prompt and the newest user message always stay. A base model gets
a plain transcript and stops where the next user turn would begin:

    You are a helpful assistant.

    User: Hello
    Assistant: Hi!
    User: Tell me a joke
    Assistant:

A model with a chat template gets messages rendered by that template.

The assistant owns the conversation state (``messages``) and, when given an
``autosave_path``, writes it after every change, so a crash loses nothing.
"""
from __future__ import annotations

from pathlib import Path

from textgen.assistants.base import Assistant, AssistantResult, AssistantStream
from textgen.assistants.context import PromptContext, trim_to_tokens
from textgen.assistants.conversation import check_message, load_conversation, save_conversation
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

PERSONALITIES = {
    "helpful": "You are a helpful, friendly assistant. Answer clearly and briefly.",
    "concise": "You are a terse assistant. Answer in as few words as possible.",
    "storyteller": "You are a warm storyteller who answers with vivid little stories.",
    "tutor": "You are a patient tutor. Explain step by step, with small examples.",
    "pirate": "You are a cheerful pirate. Answer every question in pirate speak.",
}
DEFAULT_SYSTEM_PROMPT = PERSONALITIES["helpful"]


class ChatAssistant(Assistant):
    mode = "chat"
    live_text_is_final = True

    def __init__(self, generator, params: SamplingParams | None = None, *,
                 system_prompt: str = DEFAULT_SYSTEM_PROMPT, messages: list[dict] | None = None,
                 user_name: str = "User", assistant_name: str = "Assistant",
                 autosave_path: str | Path | None = None, **options):
        super().__init__(generator, params, **options)
        self._system_prompt = system_prompt
        self.messages: list[dict] = [check_message(m) for m in (messages or [])]
        self.user_name = user_name
        self.assistant_name = assistant_name
        self.autosave_path = Path(autosave_path) if autosave_path else None

    @classmethod
    def default_params(cls) -> SamplingParams:
        return SamplingParams(max_tokens=256, temperature=0.7, top_p=0.95, repetition_penalty=1.05)

    # --- conversation state -------------------------------------------------------
    @property
    def system_prompt(self) -> str:
        return self._system_prompt

    @system_prompt.setter
    def system_prompt(self, text: str) -> None:
        self._system_prompt = text.strip()
        self.autosave()

    def set_personality(self, name: str) -> str:
        """Use a named preset (see PERSONALITIES) as the system prompt."""
        if name not in PERSONALITIES:
            raise TextgenError(f"unknown personality {name!r}; choose one of: "
                               f"{', '.join(PERSONALITIES)}")
        self.system_prompt = PERSONALITIES[name]
        return self.system_prompt

    def undo(self) -> list[dict]:
        """Remove the last exchange (the last user message and the replies after it)."""
        removed: list[dict] = []
        while self.messages:
            removed.insert(0, self.messages.pop())
            if removed[0]["role"] == "user":
                break
        self.autosave()
        return removed

    def clear(self) -> None:
        """Forget the turns; the system prompt stays."""
        self.messages = []
        self.autosave()

    def save(self, path: str | Path) -> Path:
        return save_conversation(path, self.system_prompt, self.messages)

    def load(self, path: str | Path) -> None:
        """Replace the conversation with a saved one (its system prompt too, if it has one)."""
        system, messages = load_conversation(path)
        if system is not None:
            self._system_prompt = system
        self.messages = messages
        self.autosave()

    def autosave(self) -> None:
        if self.autosave_path is not None:
            save_conversation(self.autosave_path, self.system_prompt, self.messages)

    # --- context -------------------------------------------------------------------
    def stop_sequences(self) -> list[str]:
        if self.uses_chat:
            return self._template_stops()
        return [f"\n{self.user_name}:", f"\n{self.assistant_name}:"]

    def build_context(self, params: SamplingParams | None = None) -> PromptContext:
        """The prompt for the reply to the current history (which must end
        with a user message), trimmed to fit the model's context."""
        params = self.resolve_params(params)
        if not self.messages or self.messages[-1]["role"] != "user":
            raise TextgenError("nothing to reply to: the conversation does not end with a "
                               "user message")
        budget = self.budget(params)
        drop = self._turns_to_drop(budget)
        dropped, kept = self.messages[:drop], list(self.messages[drop:])
        total = self.generator.count_tokens(self._render(kept))
        parts = self.parts()
        chat = self.uses_chat
        system_text = self._system_text()
        if system_text:
            parts.add("system", system_text, role="system" if chat else None)
        for message in dropped:
            parts.add("trimmed", self._turn_text(message), included=False,
                      role=message["role"] if chat else None, label=message["role"],
                      reason="oldest turn; over the context budget")
        if total > budget:   # the newest user message alone is too long: keep its end
            whole = kept[-1]["content"]
            room = budget - (total - self.generator.count_tokens(whole))
            while total > budget:
                if room <= 0:
                    raise TextgenError(f"the system prompt takes more than the {budget}-token "
                                       "budget of this model's context; shorten it with /system")
                content, cut = trim_to_tokens(self.generator, whole, room)
                kept[-1] = {"role": "user", "content": content}
                total = self.generator.count_tokens(self._render(kept))
                room -= max(1, total - budget)
            parts.add("trimmed", cut, included=False, role="user" if chat else None,
                      label="user", reason="start of a message too long for the context")
        for message in kept:
            parts.add("history", self._turn_text(message), role=message["role"] if chat else None,
                      label=message["role"])
        if chat:
            messages = ([{"role": "system", "content": self.system_prompt}]
                        if self.system_prompt else []) + kept
            return self.assemble(parts, params, messages)
        parts.add("cue", f"{self.assistant_name}:", reason="the reply starts here")
        return self.assemble(parts, params)

    def _turns_to_drop(self, budget: int) -> int:
        """How many of the oldest messages to leave out so the prompt fits:
        the fewest that work (found by bisection, since fewer messages never
        cost more tokens), moved on so the kept turns start with a user message."""
        messages = self.messages

        def fits(drop: int) -> bool:
            return self.generator.count_tokens(self._render(messages[drop:])) <= budget

        low, high = 0, len(messages) - 1      # the newest message always stays
        if fits(low):
            return 0
        while low < high:
            middle = (low + high) // 2
            if fits(middle):
                high = middle
            else:
                low = middle + 1
        while low < len(messages) - 1 and messages[low]["role"] != "user":
            low += 1
        return low

    def _system_text(self) -> str:
        if not self.system_prompt:
            return ""
        return self.system_prompt if self.uses_chat else self.fit(self.system_prompt) + "\n\n"

    def _turn_text(self, message: dict) -> str:
        if self.uses_chat:
            return message["content"]
        name = self.user_name if message["role"] == "user" else self.assistant_name
        return f"{name}: {message['content'].strip()}\n"

    def _render(self, messages: list[dict]) -> str:
        if self.uses_chat:
            system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
            return self.generator.apply_chat_template(system + messages)
        return (self._system_text() + "".join(self._turn_text(m) for m in messages)
                + f"{self.assistant_name}:")

    def _template_stops(self) -> list[str]:
        """The template's end-of-turn text, found by rendering a known exchange:
        what follows the assistant's words before the next user message."""
        probe = [{"role": "user", "content": "PROBE-Q1"},
                 {"role": "assistant", "content": "PROBE-A1"},
                 {"role": "user", "content": "PROBE-Q2"}]
        try:
            rendered = self.generator.apply_chat_template(probe)
        except Exception:   # a template that rejects the probe: rely on EOS alone
            return []
        start, end = rendered.find("PROBE-A1"), rendered.find("PROBE-Q2")
        if start < 0 or end < 0:
            return []
        between = rendered[start + len("PROBE-A1"):end]
        stops = []
        first_line = between.strip().split("\n")[0].strip()
        if first_line:
            stops.append(first_line)
        if between.strip() and between.strip() not in stops:
            stops.append(between.strip())
        return stops

    # --- generation ----------------------------------------------------------------
    def send(self, text: str, params: SamplingParams | None = None) -> AssistantStream:
        """Add a user message and stream the reply; the reply joins the history
        when the stream ends (a stopped reply keeps what was written)."""
        if not text.strip():
            raise TextgenError("empty message")
        self.messages.append({"role": "user", "content": text.strip("\n")})
        try:
            stream = self._reply(params)
        except BaseException:   # e.g. text the model cannot encode: the message is not kept
            self.messages.pop()
            raise
        self.autosave()
        return stream

    stream = send

    def retry(self, params: SamplingParams | None = None) -> AssistantStream:
        """Replace the last reply with a new one."""
        while self.messages and self.messages[-1]["role"] == "assistant":
            self.messages.pop()
        if not self.messages:
            raise TextgenError("nothing to retry: the conversation is empty")
        self.autosave()
        return self._reply(params)

    def _reply(self, params: SamplingParams | None) -> AssistantStream:
        params = self.resolve_params(params, self.stop_sequences())
        context = self.build_context(params)

        def postprocess(raw: str, stats) -> tuple[str, dict]:
            return raw.strip(), {"cancelled": stats.stop_reason == "cancelled"}

        def remember(result: AssistantResult) -> None:
            if result.text:
                self.messages.append({"role": "assistant", "content": result.text})
            self.autosave()

        return self.single_stream(context, params, postprocess, on_result=remember)
