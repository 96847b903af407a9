"""GGUF files through llama.cpp (llama-cpp-python), behind the Generator interface.

Our own decode loop drives llama.cpp token by token (`Llama.eval` plus the
last row of logits), so streaming, cancellation between tokens, per-token
log-probabilities (no `logits_all` matrix needed), stop sequences and
timing work exactly as with the PyTorch backends. Sampling itself is
llama.cpp's (see `llama_sampling.py`).

Context: the default takes the length the model was trained with (llama.cpp's
`n_ctx=0`). llama.cpp may round a small context up, and a learned-position
model (GPT-2) must never run past its trained length, so the loop caps the
window itself and slides it (re-reading the last part) when it fills.

A GGUF whose `general.architecture` is one of our custom ones
("textgen.char_rnn", ...) is not for llama.cpp: `load` hands it to the
PyTorch backend through our GGUF reader.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import os
import threading
from pathlib import Path
from typing import Iterator, Sequence

from textgen.core.backends.context_window import context_window
from textgen.core.errors import TextgenError
from textgen.core.generator import Generator, ModelInfo, RawToken, TokenAlternative, TokenStream
from textgen.core.sampling import SamplingParams

BUSY_WAIT_SECONDS = 30.0


class GGUFGenerator(Generator):
    backend_name = "gguf"

    def __init__(self, llama, path: Path, header: dict, n_ctx_train: int, context_limit: int):
        import numpy as np

        self._np = np
        self.llama = llama
        self.path = path
        self.header = header
        self._lock = threading.Lock()
        self.n_vocab = llama.n_vocab()
        self.context_limit = context_limit
        model = llama._model
        self._eos = _token_or_none(model.token_eos())
        self._bos = _token_or_none(model.token_bos())
        self._add_bos = bool(model.add_bos_token()) and self._bos is not None
        self._template = header.get("tokenizer.chat_template") or None
        self.info = ModelInfo(
            path=str(path), backend=self.backend_name,
            architecture=header.get("general.architecture", "?"),
            parameters=int(model.n_params()), vocab_size=self.n_vocab,
            context_length=self.context_limit, file_format="gguf",
            quantization=header.get("_file_type_name", ""),
            tokenizer=f"gguf:{header.get('tokenizer.ggml.model', '?')}",
            control_codes=list(header.get("_control_codes", [])),
            extra={"n_ctx": llama.n_ctx(), "n_ctx_train": n_ctx_train,
                   "n_threads": llama.context_params.n_threads},
        )

    # --- loading -------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, n_threads: int | None = None, n_ctx: int | None = None,
             **options):
        from textgen.core.export.gguf_reader import is_custom_architecture, read_gguf_header

        path = Path(path).expanduser()
        header = read_gguf_header(path)
        if is_custom_architecture(header):
            from textgen.core.backends.torch_backend import TorchGenerator

            return TorchGenerator.load(path)
        return cls(*_open_llama(path, header, n_threads, n_ctx))

    def close(self) -> None:
        llama, self.llama = getattr(self, "llama", None), None
        if llama is not None:
            llama.close()

    # --- tokens --------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        if not text:
            return []
        return self._live().tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def decode(self, ids: Sequence[int]) -> str:
        import llama_cpp

        vocab = self._live()._model.vocab
        out = bytearray()
        buffer = ctypes.create_string_buffer(64)
        for token in ids:
            n = llama_cpp.llama_token_to_piece(vocab, int(token), buffer, len(buffer), 0, False)
            if n < 0:
                buffer = ctypes.create_string_buffer(-n)
                n = llama_cpp.llama_token_to_piece(vocab, int(token), buffer, len(buffer), 0, False)
            out += buffer.raw[:n]
        return out.decode("utf-8", errors="replace")

    def _piece(self, token: int) -> str:
        return self.decode([token])

    @property
    def eos_id(self) -> int | None:
        return self._eos

    @property
    def chat_template(self) -> str | None:
        return self._template

    def apply_chat_template(self, messages: list[dict]) -> str:
        if not self._template:
            raise TextgenError(
                f"{self.path} has no chat template (no tokenizer.chat_template in the file); "
                "textgen does not guess one: use it for plain completion, or pick a chat model")
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = self._live()._model
        eos = model.token_get_text(self._eos) if self._eos is not None else ""
        bos = model.token_get_text(self._bos) if self._bos is not None else ""
        try:
            formatter = Jinja2ChatFormatter(self._template, eos_token=eos, bos_token=bos)
            prompt = formatter(messages=messages).prompt
        except Exception as e:  # a template error is the file's problem, said in one line
            detail = (str(e).strip().splitlines() or [""])[0][:200]
            raise TextgenError(f"{self.path}: its chat template failed "
                               f"({type(e).__name__}: {detail})") from None
        if bos and self._add_bos and prompt.startswith(bos):
            prompt = prompt[len(bos):]  # the decode loop adds BOS itself
        return prompt

    # --- decode loop ---------------------------------------------------------
    def _live(self):
        if self.llama is None:
            raise TextgenError(f"{self.path}: the model was closed")
        return self.llama

    def _token_ids(self, prompt_ids: list[int], params: SamplingParams,
                   stream: TokenStream) -> Iterator[RawToken]:
        if params.num_beams > 1:
            raise TextgenError("beam search is not available for GGUF models (llama.cpp has no "
                               "beam search); use num_beams=1, or a PyTorch or Hugging Face model")
        if not self._lock.acquire(timeout=BUSY_WAIT_SECONDS):
            raise TextgenError(f"{self.path}: the model is busy with another generation")
        try:
            yield from self._locked_token_ids(prompt_ids, params, stream)
        finally:
            self._lock.release()

    def _locked_token_ids(self, prompt_ids, params, stream):
        from textgen.core.backends.llama_sampling import LlamaSampling, log_softmax

        np = self._np
        llama = self._live()
        ids = self._start_ids(prompt_ids)
        limit = self.context_limit
        sampling = LlamaSampling(params, self.n_vocab, limit, ids)
        try:
            window = self._window(ids, params.max_tokens)
            stream.stats.reused_prompt_tokens = self._prefill(window, stream)
            while not stream.cancelled:
                logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(self.n_vocab,))
                token, candidates, probs = sampling.choose(logits)
                logprobs = log_softmax(logits)
                raw = RawToken(token, float(logprobs[token]))
                if token != self._eos and self._ends_generation(token) and not params.ignore_eos:
                    raw.token_id = self._eos   # end-of-turn tokens (e.g. <|eot_id|>) end a reply too
                if params.logprobs:
                    raw.top = self._alternatives(logprobs, candidates, probs, params.logprobs)
                yield raw
                sampling.accept(token)
                ids.append(token)
                if llama.n_tokens >= limit:
                    self._prefill(self._window(ids, limit // 4), stream)
                else:
                    llama.eval([token])
        finally:
            sampling.close()

    def _window(self, ids: list[int], room: int) -> list[int]:
        """The tail to (re-)read; a model that starts with BOS keeps it in front."""
        if self._add_bos and len(ids) >= self.context_limit:
            return [self._bos] + context_window(ids[1:], room, self.context_limit - 1)
        return context_window(ids, room, self.context_limit)

    def _ends_generation(self, token: int) -> bool:
        import llama_cpp

        return self._eos is not None and bool(llama_cpp.llama_vocab_is_eog(self.llama._model.vocab, token))

    def _start_ids(self, prompt_ids: list[int]) -> list[int]:
        ids = list(prompt_ids)
        if self._add_bos and (not ids or ids[0] != self._bos):
            ids.insert(0, self._bos)
        if not ids:  # something to condition on
            start = self._bos if self._bos is not None else self._eos
            ids = [start] if start is not None else self.encode("\n")[-1:] or [0]
        return ids

    def _prefill(self, window: list[int], stream: TokenStream) -> int:
        """Evaluate `window`, reusing the cached prefix it shares with the last request.

        Chunks of one batch at a time, so a cancel is seen between chunks.
        """
        llama = self._live()
        reuse = 0
        if not (llama._is_recurrent or llama._is_hybrid):
            cached = llama.input_ids[:llama.n_tokens].tolist()
            while reuse < min(len(cached), len(window)) and cached[reuse] == window[reuse]:
                reuse += 1
            reuse = min(reuse, len(window) - 1)  # the last token is re-read for fresh logits
        if reuse == 0:
            llama.reset()
        else:
            llama.n_tokens = reuse   # eval() drops the cache past this point
        try:
            for start in range(reuse, len(window), llama.n_batch):
                if stream.cancelled and start > reuse:
                    break
                llama.eval(window[start:start + llama.n_batch])
        except RuntimeError as e:
            llama.reset()
            raise TextgenError(f"{self.path}: llama.cpp failed to evaluate the prompt ({e})") from None
        return reuse

    def _alternatives(self, logprobs, candidates, probs, k: int) -> list[TokenAlternative]:
        np = self._np
        sampling_prob = dict(zip(candidates.tolist(), probs.tolist()))
        top = np.argsort(-logprobs)[:k]
        return [TokenAlternative(int(i), self._piece(int(i)), float(logprobs[i]),
                                 float(sampling_prob.get(int(i), 0.0))) for i in top]


def _token_or_none(token: int) -> int | None:
    return None if token is None or token < 0 else int(token)


def _open_llama(path: Path, header: dict, n_threads: int | None, n_ctx: int | None):
    """Load with llama.cpp's log captured; a failure becomes one clear line."""
    import llama_cpp

    from textgen.core.backends import llama_logs

    n_ctx_train = int(header.get(f"{header.get('general.architecture')}.context_length", 0) or 0)
    if n_ctx is not None and n_ctx < 0:
        raise TextgenError(f"n_ctx must be >= 0 (0 = the model's trained length), got {n_ctx}")
    llama_logs.install()
    marker = llama_logs.mark()
    threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
    context = n_ctx if n_ctx is not None else 0
    if n_ctx_train and context and context > n_ctx_train and _learned_positions(header):
        context = n_ctx_train   # a learned-position model has no position past this
    try:
        # verbose=True keeps llama-cpp-python from redirecting fds 1 and 2 (see
        # llama_logs); its own Python prints go to a buffer instead.
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            llama = llama_cpp.Llama(model_path=str(path), n_ctx=context, n_threads=threads,
                                    n_threads_batch=threads, n_batch=512, logits_all=False,
                                    verbose=True)
    except (ValueError, RuntimeError, OSError) as e:
        why = llama_logs.problems_since(marker) or str(e)
        arch = header.get("general.architecture")
        if "unknown model architecture" in why:
            raise TextgenError(f"{path}: llama.cpp cannot run architecture {arch!r} ({why})") from None
        raise TextgenError(f"{path}: llama.cpp could not load this GGUF ({why})") from None
    # llama.cpp may round the context up; never use more than was asked for, and
    # never more than the trained length unless the caller asked for it explicitly
    limit = llama.n_ctx()
    if context:
        limit = min(limit, context)
    elif n_ctx_train:
        limit = min(limit, n_ctx_train)
    return llama, path, header, n_ctx_train, limit


def _learned_positions(header: dict) -> bool:
    return any(key.endswith("position_embd.weight") for key in header.get("_tensor_names", ()))
