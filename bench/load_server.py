"""Load test for `textgen serve`: many concurrent streaming clients on loopback.

    python bench/load_server.py                       # tiny model trained on the fly
    python bench/load_server.py --model models/x      # serve this model
    python bench/load_server.py --url http://127.0.0.1:8000 --api-key KEY   # a running server

Each of --clients clients sends --requests streaming chat completions one
after another (``ignore_eos``, so every reply must be exactly --max-tokens
tokens long). Reports throughput, time to first token (p50/p95), errors,
replies cut short ("lost"), and the server's memory across the rounds (a
server started here is measured from /proc). Only loopback addresses are
accepted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
SHAKESPEARE = REPO.parent / "shared" / "data" / "tinyshakespeare.txt"


def tiny_model(folder: Path) -> Path:
    """A small char-level GPT trained for a few steps: enough to generate."""
    import torch
    import torch.nn.functional as F

    from textgen.core.checkpoint import save_checkpoint
    from textgen.core.models import build_model
    from textgen.core.tokenizers.char import CharTokenizer

    text = SHAKESPEARE.read_text(encoding="utf-8")[:60_000]
    tokenizer = CharTokenizer.train(text, specials=["<|endoftext|>"])
    torch.manual_seed(0)
    model = build_model("gpt", {"vocab_size": tokenizer.vocab_size, "context_length": 128,
                                "n_layer": 2, "n_head": 2, "n_embd": 64})
    data = torch.tensor(tokenizer.encode(text))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(60):
        starts = torch.randint(0, len(data) - 65, (16,))
        x = torch.stack([data[s:s + 64] for s in starts])
        y = torch.stack([data[s + 1:s + 65] for s in starts])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return save_checkpoint(folder / "bench-gpt", model.eval(), tokenizer, "gpt", {"steps": 60})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def start_server(model: Path, args) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "textgen.tui.cli", "serve", "--model", str(model),
               "--port", str(port), "--max-active", str(args.max_active),
               "--max-queue", str(args.max_queue), "--log-level", "warning"]
    if args.threads:
        command += ["--threads", str(args.threads)]
    env = {**os.environ, "TEXTGEN_HOME": tempfile.mkdtemp(prefix="textgen-bench-home-")}
    env.pop("TEXTGEN_API_KEY", None)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    return process, f"http://127.0.0.1:{port}"


async def wait_healthy(url: str, process: subprocess.Popen | None, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"server exited: {process.stderr.read()[-2000:]}")
            try:
                if (await http.get(url + "/health", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("server did not become healthy")


async def one_request(http, url: str, body: dict, results: dict) -> None:
    start = time.perf_counter()
    first = None
    usage = None
    done = False
    try:
        async with http.stream("POST", url + "/v1/chat/completions", json=body) as response:
            if response.status_code != 200:
                results["errors"].append(f"HTTP {response.status_code}: "
                                         f"{(await response.aread())[:200]!r}")
                return
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                payload = line[6:]
                if payload == "[DONE]":
                    done = True
                    break
                chunk = json.loads(payload)
                if "error" in chunk:
                    results["errors"].append(chunk["error"]["message"])
                    return
                if chunk.get("usage"):
                    usage = chunk["usage"]
                if first is None and any(c["delta"].get("content") for c in chunk["choices"]):
                    first = time.perf_counter() - start
    except Exception as exc:      # a client-side failure counts as an error
        results["errors"].append(f"{type(exc).__name__}: {exc}")
        return
    if not done or usage is None or usage["completion_tokens"] != body["max_tokens"]:
        results["lost"] += 1
        return
    results["ttft"].append(first if first is not None else time.perf_counter() - start)
    results["tokens"] += usage["completion_tokens"]
    results["latency"].append(time.perf_counter() - start)


async def run_round(url: str, args, headers: dict) -> dict:
    import httpx

    results = {"errors": [], "lost": 0, "ttft": [], "latency": [], "tokens": 0}
    limits = httpx.Limits(max_connections=args.clients + 4)
    async with httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(300),
                                 limits=limits) as http:
        async def client(i: int) -> None:
            for k in range(args.requests):
                body = {"messages": [{"role": "user", "content": "Speak, good sir."}],
                        "max_tokens": args.max_tokens, "temperature": 0.8,
                        "seed": i * 1000 + k, "ignore_eos": True, "stream": True,
                        "stream_options": {"include_usage": True}}
                await one_request(http, url, body, results)

        start = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(args.clients)))
        results["seconds"] = time.perf_counter() - start
    return results


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, r: dict, args) -> dict:
    sent = args.clients * args.requests
    summary = {
        "round": name, "requests": sent, "ok": len(r["ttft"]), "errors": len(r["errors"]),
        "lost": r["lost"], "seconds": round(r["seconds"], 2),
        "requests_per_s": round(len(r["ttft"]) / r["seconds"], 2),
        "tokens_per_s": round(r["tokens"] / r["seconds"], 1),
        "ttft_p50_ms": round(percentile(r["ttft"], 0.5) * 1000, 1),
        "ttft_p95_ms": round(percentile(r["ttft"], 0.95) * 1000, 1),
        "latency_p50_s": round(percentile(r["latency"], 0.5), 2),
        "latency_p95_s": round(percentile(r["latency"], 0.95), 2),
    }
    print(f"{name}: {summary['ok']}/{sent} ok, {summary['errors']} errors, {summary['lost']} "
          f"lost, {summary['seconds']} s, {summary['requests_per_s']} req/s, "
          f"{summary['tokens_per_s']} tok/s, TTFT p50 {summary['ttft_p50_ms']} ms "
          f"p95 {summary['ttft_p95_ms']} ms, latency p50 {summary['latency_p50_s']} s "
          f"p95 {summary['latency_p95_s']} s")
    for error in r["errors"][:5]:
        print(f"  error: {error}")
    return summary


async def main_async(args) -> int:
    process = None
    if args.url:
        host = urlparse(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--url must be a loopback address")
        url = args.url.rstrip("/")
    else:
        model = Path(args.model) if args.model else tiny_model(Path(tempfile.mkdtemp()))
        process, url = start_server(model, args)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    try:
        await wait_healthy(url, process)
        warm = await run_round(url, argparse.Namespace(**{**vars(args), "clients": 2,
                                                          "requests": 2}), headers)
        if warm["errors"]:
            raise SystemExit(f"warm-up failed: {warm['errors'][:3]}")
        memory = [rss_mib(process.pid)] if process else []
        summaries = []
        for round_no in range(1, args.rounds + 1):
            result = await run_round(url, args, headers)
            summaries.append(report(f"round {round_no}", result, args))
            if process:
                memory.append(rss_mib(process.pid))
        if memory:
            print("server RSS MiB after warm-up, then after each round: "
                  + ", ".join(f"{m:.0f}" for m in memory))
        if args.json:
            print(json.dumps({"rounds": summaries, "rss_mib": memory,
                              "clients": args.clients, "requests": args.requests,
                              "max_tokens": args.max_tokens}))
        bad = sum(s["errors"] + s["lost"] for s in summaries)
        return 1 if bad else 0
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--model", help="model for the server started here (default: a tiny "
                        "GPT trained on the fly)")
    parser.add_argument("--api-key", default=os.environ.get("TEXTGEN_API_KEY"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=4, help="per client")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-active", type=int, default=8)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="server's PyTorch threads")
    parser.add_argument("--json", action="store_true", help="also print one JSON summary")
    args = parser.parse_args()
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
