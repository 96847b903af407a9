"""Blind side-by-side rating of two systems: everything but the screen.

A *system* is a model with optional sampling settings, written as a SPEC
(``models/gpt:temperature=0.7,top_p=0.9``), so one comparison can pit two
models, or two settings of one model, against each other. A session walks
through a fixed plan of prompts; for each, both systems write a text in a
background thread (the next pairs are ready before the rater is), the pair
is shown as "left" and "right" in a random but reproducible order, and the
rater's verdict is appended to a ratings file at once (see
:mod:`textgen.train.ratings_file`). Running the same session again finds
the ratings already made and continues with the next prompt.

The plan depends only on the prompts, ``n`` and the seed: which system is
on the left is balanced (half each, shuffled), and each prompt gets one
generation seed shared by both sides, so two settings of one model start
from the same random numbers and differ only by the setting. Without
``--seed`` a fresh seed is drawn and recorded, and a resumed session reuses it.

How a system is asked to write (a story in a genre, code, a chat reply) is
the caller's choice: a :data:`Runner` per side. :func:`continuation_runner`
is the plain one: the model continues the prompt.
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams
from textgen.train.human_eval_prompts import builtin_prompts, load_prompts
from textgen.train.rating_stats import Rating, summarize
from textgen.train.ratings_file import RatingsFile, read_records
from textgen.train.system_spec import SystemSpec, check_distinct, parse_spec

__all__ = ["CHOICES", "EvalItem", "HumanEvalConfig", "HumanEvalSession", "Pair", "Runner", "Side",
           "SystemSpec", "builtin_prompts", "check_distinct", "continuation_runner",
           "load_prompts", "parse_spec", "plan_items", "read_ratings", "record_rating"]

CHOICES = ("left", "right", "tie", "both_bad", "skip")
SIDES = ("A", "B")

# (prompt, params, stopped) -> text; ``stopped()`` turns true when the session closes
Runner = Callable[[str, SamplingParams, Callable[[], bool]], str]


# --- the two sides ----------------------------------------------------------------------

@dataclass
class Side:
    """One system as a session runs it."""
    spec: SystemSpec
    params: SamplingParams
    run: Runner


def continuation_runner(generator) -> Runner:
    """The model simply continues the prompt."""
    def run(prompt: str, params: SamplingParams, stopped: Callable[[], bool]) -> str:
        with generator.stream(prompt, params) as stream:
            for _ in stream:
                if stopped():
                    stream.cancel()
            return stream.text
    return run


# --- the plan ------------------------------------------------------------------------

@dataclass(frozen=True)
class EvalItem:
    """One prompt to rate: ``left`` names the system ("A" or "B") shown on the left."""
    position: int
    prompt: str
    round: int
    left: str
    generation_seed: int

    @property
    def key(self) -> tuple[str, int]:
        return (self.prompt, self.round)

    @property
    def right(self) -> str:
        return "B" if self.left == "A" else "A"


def plan_items(prompts: list[str], n: int, seed: int) -> list[EvalItem]:
    """``n`` items, cycling through the prompts (a repeat is a new round with
    new samples; a prompt listed twice counts once); left/right balanced and
    shuffled by ``seed``."""
    if n < 1:
        raise TextgenError(f"--n must be at least 1, got {n}")
    prompts = list(dict.fromkeys(prompts))
    lefts = (["A", "B"] * ((n + 1) // 2))[:n]
    random.Random(f"textgen-human-eval:{seed}").shuffle(lefts)
    items = []
    for position in range(n):
        prompt, rnd = prompts[position % len(prompts)], position // len(prompts)
        gen_seed = random.Random(f"{seed}:{rnd}:{prompt}").randrange(2**31)
        items.append(EvalItem(position, prompt, rnd, lefts[position], gen_seed))
    return items


@dataclass
class Pair:
    """Both texts of an item. Only ``left_*`` and ``right_*`` are for display."""
    item: EvalItem
    texts: dict[str, str]
    errors: dict[str, str | None]

    @property
    def left_text(self) -> str:
        return self.texts[self.item.left]

    @property
    def right_text(self) -> str:
        return self.texts[self.item.right]

    @property
    def left_error(self) -> str | None:
        return self.errors.get(self.item.left)

    @property
    def right_error(self) -> str | None:
        return self.errors.get(self.item.right)


# --- records -------------------------------------------------------------------------

def record_labels(record: dict) -> tuple[str, str]:
    return record["systems"]["A"]["label"], record["systems"]["B"]["label"]


def record_rating(record: dict) -> Rating:
    a, b = record_labels(record)
    verdict = {"A": "a", "B": "b"}.get(record["winner"], record["winner"])
    return Rating(a, b, verdict)


def read_ratings(paths: Iterable[str | Path]) -> list[Rating]:
    """Ratings of one or many files, for a report."""
    ratings = []
    for path in paths:
        try:
            ratings += [record_rating(r) for r in read_records(path)]
        except (KeyError, TypeError):
            raise TextgenError(f"{path} holds a rating record without systems or winner; "
                               "was it written by textgen eval human?") from None
    return ratings


# --- the session ---------------------------------------------------------------------

class HumanEvalSession:
    """Plan, background generation, ratings file, resume and undo.

    Thread-safe: one background thread generates; the UI thread (or a UI
    worker) calls ``wait_pair``, ``rate`` and ``undo``.
    """

    def __init__(self, sides: dict[str, Side], prompts: list[str], ratings_path: str | Path, *,
                 n: int = 20, seed: int | None = None, mode: str = "story",
                 genre: str | None = None, ahead: int = 2):
        if set(sides) != set(SIDES):
            raise ValueError("sides must be {'A': ..., 'B': ...}")
        check_distinct(sides["A"].spec, sides["B"].spec)
        if not prompts:
            raise TextgenError("no prompts to rate")
        self.sides, self.mode, self.genre, self.ahead = sides, mode, genre, max(1, ahead)
        self._identity = (frozenset(s.spec.label for s in sides.values()), mode, genre)
        self.file = RatingsFile(ratings_path)
        previous = [r for r in self.file.records if self._ours(r)]
        if seed is None:
            seed = previous[-1]["seed"] if previous else random.randrange(2**31)
        self.seed = seed
        self.items = plan_items(prompts, n, seed)
        self._keys = {item.key for item in self.items}
        self._rated = {_key(r): r for r in previous if _key(r) in self._keys}
        self._pairs: dict[tuple[str, int], Pair] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    # --- progress ---------------------------------------------------------------------
    def _ours(self, record: dict) -> bool:
        try:
            labels = frozenset(record_labels(record))
        except (KeyError, TypeError):
            return False
        return (labels, record.get("mode"), record.get("genre")) == self._identity

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        with self._cond:
            return len(self._rated)

    def current(self) -> EvalItem | None:
        """The first item not yet rated (None when all are)."""
        with self._cond:
            upcoming = self._unrated(1)
            return upcoming[0] if upcoming else None

    def _unrated(self, limit: int) -> list[EvalItem]:
        out = []
        for item in self.items:
            if item.key not in self._rated:
                out.append(item)
                if len(out) == limit:
                    break
        return out

    # --- background generation ----------------------------------------------------------
    def start(self) -> None:
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._prefetch, daemon=True,
                                                name="human-eval-prefetch")
                self._thread.start()

    def _prefetch(self) -> None:
        while True:
            with self._cond:
                target = None
                while not self._closed:
                    target = next((it for it in self._unrated(self.ahead)
                                   if it.key not in self._pairs), None)
                    if target is not None:
                        break
                    self._cond.wait()
                if self._closed:
                    return
            pair = self._generate(target)
            with self._cond:
                if not self._closed and target.key not in self._pairs:
                    self._pairs[target.key] = pair
                self._cond.notify_all()

    def _generate(self, item: EvalItem) -> Pair:
        texts, errors = {}, {}
        for name in SIDES:
            side = self.sides[name]
            params = side.params
            if "seed" not in side.spec.settings:
                params = params.replace(seed=item.generation_seed)
            try:
                texts[name] = side.run(item.prompt, params, lambda: self._closed)
                errors[name] = None
            except Exception as e:   # shown on the screen; the rater can skip the pair
                texts[name] = ""
                errors[name] = self._neutral(f"{e}" if isinstance(e, TextgenError)
                                             else f"{type(e).__name__}: {e}")
        return Pair(item, texts, errors)

    def _neutral(self, message: str) -> str:
        """An error message without the system names, so it keeps the blind."""
        for side in self.sides.values():
            for name in sorted({side.spec.label, side.spec.path, str(Path(side.spec.path))},
                               key=len, reverse=True):
                if name:
                    message = message.replace(name, "(model)")
        return message

    def wait_pair(self, item: EvalItem, timeout: float | None = None) -> Pair | None:
        """The pair for ``item`` once both texts exist (None on timeout or close)."""
        self.start()
        with self._cond:
            self._cond.wait_for(lambda: item.key in self._pairs or self._closed, timeout)
            return self._pairs.get(item.key)

    # --- rating -------------------------------------------------------------------------
    def rate(self, pair: Pair, choice: str, comment: str = "",
             seconds: float | None = None) -> dict:
        """Append the verdict on ``pair`` to the ratings file (durably) and move on."""
        if choice not in CHOICES:
            raise TextgenError(f"unknown choice {choice!r}; one of {', '.join(CHOICES)}")
        item = pair.item
        with self._cond:
            if item.key in self._rated:
                raise TextgenError("this pair is already rated")
        winner = {"left": item.left, "right": item.right}.get(choice, choice)
        record = {
            "prompt": item.prompt, "round": item.round, "position": item.position,
            "mode": self.mode, "genre": self.genre, "seed": self.seed,
            "generation_seed": item.generation_seed,
            "systems": {name: self._system_record(name, item) for name in SIDES},
            "left": item.left, "right": item.right,
            "texts": dict(pair.texts),
            **({"errors": dict(pair.errors)} if any(pair.errors.values()) else {}),
            "choice": choice, "winner": winner, "comment": comment.strip(),
            "seconds": round(seconds, 2) if seconds is not None else None,
            "rated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        with self._cond:
            record = self.file.append(record)
            self._rated[item.key] = record
            self._pairs.pop(item.key, None)
            self._cond.notify_all()
        return record

    def _system_record(self, name: str, item: EvalItem) -> dict:
        side = self.sides[name]
        params = side.params
        if "seed" not in side.spec.settings:
            params = params.replace(seed=item.generation_seed)
        return {"label": side.spec.label, "model": side.spec.path,
                "settings": dict(side.spec.settings), "params": params.to_dict()}

    def undo(self) -> dict | None:
        """Remove the last rating of this session's plan from the file and
        return it; its pair, as it was shown, becomes the current one again."""
        with self._cond:
            record = self.file.remove_last(lambda r: self._ours(r) and _key(r) in self._keys)
            if record is None:
                return None
            key = _key(record)
            self._rated.pop(key, None)
            planned = next(it for it in self.items if it.key == key)
            item = EvalItem(planned.position, planned.prompt, planned.round, record["left"],
                            record.get("generation_seed", planned.generation_seed))
            self._pairs[key] = Pair(item, dict(record["texts"]),
                                    dict(record.get("errors") or {s: None for s in SIDES}))
            self._cond.notify_all()
            return record

    # --- results ------------------------------------------------------------------------
    def ratings(self) -> list[Rating]:
        with self._cond:
            return [record_rating(r) for r in self.file.records if self._ours(r)]

    def summary(self, **options) -> dict:
        return summarize(self.ratings(), **options)

    def close(self) -> None:
        """Stop generating (within a token) and release the ratings file."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _key(record: dict) -> tuple[str, int]:
    return (record["prompt"], record.get("round", 0))


@dataclass
class HumanEvalConfig:
    """A session's options as data (what ``textgen eval human`` takes).

    ``genre`` applies to the story mode; ``max_tokens`` (when given) replaces
    the mode's default length, and a SPEC's own settings win over both.
    """
    a: str
    b: str
    mode: str = "story"
    genre: str | None = None
    prompts: str | None = None
    n: int = 20
    out: str = "ratings.jsonl"
    seed: int | None = None
    max_tokens: int | None = None
