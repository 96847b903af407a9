"""Counters, gauges and a histogram, written in Prometheus' text format.

Small on purpose: the server needs a handful of series, and a client
library would be one more dependency. Counters are updated from model
threads and the event loop alike, so each update takes a lock. Gauges that
describe live state (queue depth, active streams) are read at scrape time
from callbacks instead of being kept in step by hand.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

# Seconds; time to first token spans queue wait, so the buckets reach far.
TTFT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    def esc(v: str) -> str:
        return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in sorted(labels.items())) + "}"


class Counter:
    def __init__(self, name: str, help: str):
        self.name, self.help = name, help
        self._values: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0.0)

    def total(self) -> float:
        return sum(self._values.values())

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            items = sorted(self._values.items())
        lines += [f"{self.name}{_labels(dict(k))} {v:g}" for k, v in items]
        return lines


class Histogram:
    def __init__(self, name: str, help: str, buckets: Iterable[float]):
        self.name, self.help = name, help
        self.buckets = tuple(sorted(buckets))
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._sum += value
            self._count += 1
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[i] += 1

    @property
    def count(self) -> int:
        return self._count

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            for bound, count in zip(self.buckets, self._counts):
                lines.append(f'{self.name}_bucket{{le="{bound:g}"}} {count}')
            lines.append(f'{self.name}_bucket{{le="+Inf"}} {self._count}')
            lines.append(f"{self.name}_sum {self._sum:g}")
            lines.append(f"{self.name}_count {self._count}")
        return lines


class Gauge:
    """Read at scrape time: ``read()`` returns {labels-dict-as-tuple: value}."""

    def __init__(self, name: str, help: str, read: Callable[[], dict[tuple, float]]):
        self.name, self.help, self.read = name, help, read

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge"]
        lines += [f"{self.name}{_labels(dict(k))} {v:g}" for k, v in sorted(self.read().items())]
        return lines


class Metrics:
    """The server's series. Gauges are attached once the parts they read exist."""

    CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self):
        self.requests = Counter("textgen_requests_total", "HTTP requests by route and status.")
        self.tokens = Counter("textgen_tokens_generated_total", "Tokens generated, by model.")
        self.generations = Counter("textgen_generations_total",
                                   "Generation requests finished, by model and outcome.")
        self.ttft = Histogram("textgen_time_to_first_token_seconds",
                              "From a generation request being queued to its first token.",
                              TTFT_BUCKETS)
        self.rejected = Counter("textgen_queue_rejections_total",
                                "Requests refused with 503 because a queue was full.")
        self.gauges: list[Gauge] = []

    def add_gauge(self, name: str, help: str, read: Callable[[], dict[tuple, float]]) -> None:
        self.gauges.append(Gauge(name, help, read))

    def render(self) -> str:
        lines: list[str] = []
        for series in (self.requests, self.tokens, self.generations, self.rejected, self.ttft,
                       *self.gauges):
            lines += series.render()
        return "\n".join(lines) + "\n"
