"""The one interface every mode and every backend goes through.

A backend implements `_encode`, `_decode` and `_token_ids` (the raw decode
loop); this base class turns raw tokens into safe text deltas, applies stop
sequences, measures timing and offers `stream` / `generate`.
"""
from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from textgen.core.sampling import SamplingParams
from textgen.core.streaming import IncrementalDecoder, StopSequenceFilter


@dataclass
class TokenAlternative:
    token_id: int
    text: str
    logprob: float          # under the model's own distribution
    sampling_prob: float    # after the sampling steps (0 if they ruled it out)


@dataclass
class RawToken:
    """What a backend's decode loop yields for each new token."""
    token_id: int
    logprob: float | None = None
    top: list[TokenAlternative] | None = None


@dataclass
class TokenEvent:
    text: str               # newly released text; "" while held back
    token_id: int
    logprob: float | None = None
    top: list[TokenAlternative] | None = None


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    time_to_first_token: float = 0.0
    elapsed: float = 0.0
    stop_reason: str = "length"   # length | stop | eos | cancelled | context
    reused_prompt_tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        decode_time = self.elapsed - self.time_to_first_token
        if self.completion_tokens <= 1 or decode_time <= 0:
            return self.completion_tokens / self.elapsed if self.elapsed > 0 else 0.0
        return (self.completion_tokens - 1) / decode_time

    def to_dict(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "time_to_first_token": round(self.time_to_first_token, 4),
            "elapsed": round(self.elapsed, 4),
            "tokens_per_second": round(self.tokens_per_second, 2),
            "stop_reason": self.stop_reason,
            "reused_prompt_tokens": self.reused_prompt_tokens,
        }


@dataclass
class GenerationResult:
    text: str
    stats: GenerationStats
    events: list[TokenEvent] = field(default_factory=list)


@dataclass
class ModelInfo:
    path: str
    backend: str
    architecture: str
    parameters: int | None = None
    vocab_size: int | None = None
    context_length: int | None = None
    file_format: str = ""
    quantization: str = ""
    tokenizer: str = ""
    control_codes: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


class TokenStream:
    """Iterator of TokenEvents that can be stopped from any thread.

    `cancel()` is safe from another thread (the loop checks it between
    tokens); `close()` stops it from the consuming thread. After the
    iteration ends, `text` and `stats` hold the outcome.
    """

    def __init__(self, generator: "Generator", prompt: str, params: SamplingParams):
        self._cancel = threading.Event()
        self.text = ""
        self.stats = GenerationStats()
        self._iter = generator._run(prompt, params, self)

    def __iter__(self) -> Iterator[TokenEvent]:
        return self

    def __next__(self) -> TokenEvent:
        return next(self._iter)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def close(self) -> None:
        self._cancel.set()
        self._iter.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Generator(ABC):
    """A loaded model that turns prompts into token streams."""

    info: ModelInfo

    # --- what a backend provides ---------------------------------------------
    @abstractmethod
    def encode(self, text: str) -> list[int]: ...

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str: ...

    @abstractmethod
    def _token_ids(self, prompt_ids: list[int], params: SamplingParams,
                   stream: TokenStream) -> Iterator[RawToken]:
        """The raw decode loop; stop when `stream.cancelled` turns true."""

    @property
    def eos_id(self) -> int | None:
        return None

    @property
    def chat_template(self) -> str | None:
        return None

    def apply_chat_template(self, messages: list[dict]) -> str:
        from textgen.core.errors import TextgenError

        raise TextgenError(f"model {self.info.path} has no chat template")

    def close(self) -> None:
        """Free the model's memory."""

    # --- shared behaviour ----------------------------------------------------
    def count_tokens(self, text: str) -> int:
        return len(self.encode(text))

    def stream(self, prompt: str, params: SamplingParams | None = None) -> TokenStream:
        return TokenStream(self, prompt, params or SamplingParams())

    def generate(self, prompt: str, params: SamplingParams | None = None,
                 keep_events: bool = False) -> GenerationResult:
        stream = self.stream(prompt, params)
        events = [e for e in stream] if keep_events else None
        if events is None:
            for _ in stream:
                pass
        return GenerationResult(stream.text, stream.stats, events or [])

    def _run(self, prompt: str, params: SamplingParams, stream: TokenStream) -> Iterator[TokenEvent]:
        params.validate()
        stats = stream.stats
        start = time.perf_counter()
        prompt_ids = self.encode(prompt)
        stats.prompt_tokens = len(prompt_ids)
        decoder = IncrementalDecoder(self.decode, prompt_ids)
        stops = StopSequenceFilter(params.stop)
        eos = None if params.ignore_eos else self.eos_id
        stats.stop_reason = "length"
        raw_tokens = (self._token_ids(prompt_ids, params, stream) if params.max_tokens > 0
                      else iter(()))
        try:
            for raw in raw_tokens:
                if stats.completion_tokens == 0:
                    stats.time_to_first_token = time.perf_counter() - start
                stats.completion_tokens += 1
                if eos is not None and raw.token_id == eos:
                    stats.stop_reason = "eos"
                    break
                text = stops.push(decoder.push(raw.token_id))
                stream.text += text
                yield TokenEvent(text, raw.token_id, raw.logprob, raw.top)
                if stops.stopped:
                    stats.stop_reason = "stop"
                    break
                if stream.cancelled:
                    stats.stop_reason = "cancelled"
                    break
                if stats.completion_tokens >= params.max_tokens:
                    break
            else:
                if stream.cancelled:
                    stats.stop_reason = "cancelled"
                elif stats.completion_tokens < params.max_tokens and stats.stop_reason == "length":
                    stats.stop_reason = "context"
            if not stops.stopped:
                tail = stops.push(decoder.flush()) + stops.flush()
                if tail:
                    stream.text += tail
                    yield TokenEvent(tail, -1)
        except GeneratorExit:
            stats.stop_reason = "cancelled"
            raise
        finally:
            if hasattr(raw_tokens, "close"):
                raw_tokens.close()
            stats.elapsed = time.perf_counter() - start
