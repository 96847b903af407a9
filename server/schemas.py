"""Request bodies, validated before any model sees them.

Ranges follow OpenAI's where a field exists there (temperature 0..2,
penalties -2..2, logit_bias -100..100); our extra sampling controls
(top_k, min_p, repetition_penalty, num_beams, ...) ride along as extra
fields. A bad value is a 422 whose message names the field. The OpenAI
routes ignore fields they do not know (clients send assorted extras); the
product's own routes refuse them, so a typo is not silently ignored.
"""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from textgen.core.errors import TextgenError

MAX_STOPS = 16
MAX_TEXT = 4 * 1024 * 1024          # characters in one prompt or message

# request field -> SamplingParams field
_SAMPLING_FIELDS = ("max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
                    "presence_penalty", "frequency_penalty", "no_repeat_ngram_size",
                    "logit_bias", "stop", "seed", "num_beams", "ignore_eos")


class SamplingFields(BaseModel):
    max_tokens: Optional[int] = Field(None, ge=0)
    temperature: Optional[float] = Field(None, ge=0, le=2)
    top_p: Optional[float] = Field(None, gt=0, le=1)
    top_k: Optional[int] = Field(None, ge=0, le=1_000_000)
    min_p: Optional[float] = Field(None, ge=0, lt=1)
    repetition_penalty: Optional[float] = Field(None, gt=0, le=10)
    presence_penalty: Optional[float] = Field(None, ge=-2, le=2)
    frequency_penalty: Optional[float] = Field(None, ge=-2, le=2)
    no_repeat_ngram_size: Optional[int] = Field(None, ge=0, le=32)
    logit_bias: Optional[dict[str, float]] = None
    stop: Optional[Union[str, list[str]]] = None
    seed: Optional[int] = Field(None, ge=0, le=2**63 - 1)
    num_beams: Optional[int] = Field(None, ge=1, le=8)
    ignore_eos: Optional[bool] = None

    @field_validator("logit_bias")
    @classmethod
    def _bias(cls, value):
        if value is None:
            return value
        if len(value) > 1024:
            raise ValueError("at most 1024 entries")
        for key, bias in value.items():
            if not key.strip().isdigit():
                raise ValueError(f"keys must be token ids (non-negative integers), not {key!r}")
            if not -100 <= bias <= 100:
                raise ValueError(f"bias for token {key} must be in [-100, 100], not {bias}")
        return value

    @field_validator("stop")
    @classmethod
    def _stop(cls, value):
        if value is None:
            return value
        stops = [value] if isinstance(value, str) else list(value)
        if len(stops) > MAX_STOPS:
            raise ValueError(f"at most {MAX_STOPS} stop sequences")
        if any(not s or len(s) > 256 for s in stops):
            raise ValueError("stop sequences must be 1 to 256 characters")
        return stops

    def sampling_changes(self) -> dict[str, Any]:
        """The sampling fields the client set, as SamplingParams keywords."""
        changes = {name: getattr(self, name) for name in _SAMPLING_FIELDS
                   if name in self.model_fields_set and getattr(self, name) is not None}
        if "logit_bias" in changes:
            changes["logit_bias"] = {int(k): v for k, v in changes["logit_bias"].items()}
        return changes


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: Optional[str] = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant"]
    content: Union[str, list[ContentPart], None] = None
    name: Optional[str] = None

    @field_validator("content")
    @classmethod
    def _content(cls, value):
        if isinstance(value, list):
            if any(part.type != "text" or part.text is None for part in value):
                raise ValueError("only text content parts are supported")
            value = "".join(part.text for part in value)
        if value is not None and len(value) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT} characters")
        return value or ""


class CompletionRequest(SamplingFields):
    model_config = ConfigDict(extra="ignore")
    model: Optional[str] = None
    prompt: Union[str, list[str]]
    n: int = Field(1, ge=1)
    stream: bool = False
    stream_options: Optional[StreamOptions] = None
    echo: bool = False
    logprobs: Optional[int] = Field(None, ge=0, le=5)
    suffix: Optional[str] = None
    best_of: Optional[int] = Field(None, ge=1)
    user: Optional[str] = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value):
        prompts = [value] if isinstance(value, str) else value
        if not prompts:
            raise ValueError("at least one prompt is required")
        if len(prompts) > 16:
            raise ValueError("at most 16 prompts per request")
        if any(len(p) > MAX_TEXT for p in prompts):
            raise ValueError(f"a prompt is longer than {MAX_TEXT} characters")
        return value


class ChatRequest(SamplingFields):
    model_config = ConfigDict(extra="ignore")
    model: Optional[str] = None
    messages: list[ChatMessage] = Field(min_length=1)
    n: int = Field(1, ge=1)
    stream: bool = False
    stream_options: Optional[StreamOptions] = None
    max_completion_tokens: Optional[int] = Field(None, ge=0)
    logprobs: Optional[bool] = None
    top_logprobs: Optional[int] = Field(None, ge=0, le=20)
    user: Optional[str] = None
    tools: Optional[list[Any]] = None
    tool_choice: Optional[Any] = None
    functions: Optional[list[Any]] = None
    response_format: Optional[dict[str, Any]] = None


MODES = ("story", "twist", "dialogue", "code", "chat")


class GenerateRequest(SamplingFields):
    """``POST /api/generate``: one of the product's modes."""
    model_config = ConfigDict(extra="forbid")
    model: Optional[str] = None
    mode: Literal["story", "twist", "dialogue", "code", "chat"] = "story"
    prompt: str = Field("", max_length=MAX_TEXT)
    stream: bool = False
    # story
    genre: str = "general"
    memory: str = Field("", max_length=MAX_TEXT)
    authors_note: str = Field("", max_length=64 * 1024)
    # twist
    count: int = Field(3, ge=1, le=10)
    # dialogue (prompt = the situation)
    character: str = Field("", max_length=64 * 1024)
    name: Optional[str] = Field(None, max_length=200)
    # code (prompt = the description, code to complete or code to explain)
    task: Literal["write", "complete", "explain"] = "write"
    language: str = Field("python", max_length=40)
    # chat (prompt = the new user message; messages = the conversation before it)
    system_prompt: Optional[str] = Field(None, max_length=64 * 1024)
    messages: list[ChatMessage] = Field(default_factory=list, max_length=1000)

    @field_validator("genre")
    @classmethod
    def _genre(cls, value):
        from textgen.assistants.genres import normalize_genre

        try:
            return normalize_genre(value)
        except TextgenError as e:
            raise ValueError(str(e)) from None


class FinetuneRequest(BaseModel):
    """``POST /api/finetune``: train a copy of a model on the given text."""
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1)
    model: Optional[str] = None
    epochs: int = Field(1, ge=1, le=100)
    max_steps: Optional[int] = Field(None, ge=1, le=1_000_000)
    lora: bool = False
    name: Optional[str] = Field(None, max_length=100)

    @field_validator("name")
    @classmethod
    def _name(cls, value):
        from textgen.server.registry import valid_name

        if value is not None and not valid_name(value):
            raise ValueError("use letters, digits, '.', '_', '+' and '-' (no '..', no '/')")
        return value
