"""`textgen eval human` (blind side-by-side ratings) and `textgen eval report`.

Added to the `eval` command group through :func:`register_eval`. Also home
of what both the command and the TUI screen need: :func:`open_session`
(load two systems and ask them in a mode's way) and :func:`format_summary`
(the plain-text report).
"""
from __future__ import annotations

import json
import math
import sys
import textwrap
from pathlib import Path
from typing import List, Optional

import typer

MODES_HELP = ("story (continue the prompt as a story, in --genre), code (write code for a task), "
              "chat (reply to a message) or plain (the model continues the prompt as is).")
SPEC_HELP = ("MODEL[:key=value,...]: a model path, optionally with sampling settings, e.g. "
             "models/gpt:temperature=0.7,top_p=0.9.")


# --- building a session ------------------------------------------------------------------

def _mode_defaults(mode: str):
    from textgen.core.sampling import SamplingParams

    if mode == "plain":
        return SamplingParams(max_tokens=120)
    from textgen.assistants import ASSISTANTS

    return ASSISTANTS[mode].default_params()


def _mode_runner(mode: str, generator, genre: str | None):
    """How a system is asked to write in ``mode``: a Runner for the session."""
    from textgen.train.human_eval import continuation_runner

    if mode == "plain":
        return continuation_runner(generator)
    from textgen.assistants import ChatAssistant, CodeAssistant, StoryAssistant

    def run(prompt, params, stopped):
        if mode == "story":
            stream = StoryAssistant(generator, params, genre=genre or "general").stream(prompt)
        elif mode == "code":
            stream = CodeAssistant(generator, params).stream(prompt)
        else:
            stream = ChatAssistant(generator, params).send(prompt)
        with stream:
            for _ in stream:
                if stopped():
                    stream.cancel()
        return stream.result.text

    return run


def check_config(config):
    """Everything about ``config`` that can be checked without loading a
    model: (specs, prompts, mode defaults, genre). Raises TextgenError."""
    from textgen.core.errors import TextgenError
    from textgen.train.human_eval import (builtin_prompts, check_distinct, load_prompts,
                                          parse_spec)

    prompts = builtin_prompts(config.mode)          # also checks the mode
    genre = None
    if config.mode == "story":
        from textgen.assistants.genres import normalize_genre

        genre = normalize_genre(config.genre or "general")
    elif config.genre:
        raise TextgenError(f"--genre applies to --mode story, not --mode {config.mode}")
    if config.prompts:
        prompts = load_prompts(config.prompts)
    if config.n < 1:
        raise TextgenError(f"--n must be at least 1, got {config.n}")
    specs = {"A": parse_spec(config.a, "--a"), "B": parse_spec(config.b, "--b")}
    check_distinct(specs["A"], specs["B"])
    base = _mode_defaults(config.mode)
    if config.max_tokens is not None:
        base = base.replace(max_tokens=config.max_tokens)
    for spec in specs.values():
        spec.params(base)       # invalid combinations fail here, before loading anything
    return specs, prompts, base, genre


def open_session(config):
    """Load both systems (one model loaded once if both sides use it) and
    open the ratings file, resuming what it holds."""
    from textgen.core import load
    from textgen.train.human_eval import HumanEvalSession, Side

    specs, prompts, base, genre = check_config(config)
    generators = {}
    sides = {}
    for name, spec in specs.items():
        key = str(Path(spec.path).expanduser())
        if key not in generators:
            generators[key] = load(Path(spec.path).expanduser())
        sides[name] = Side(spec, spec.params(base), _mode_runner(config.mode, generators[key], genre))
    return HumanEvalSession(sides, prompts, config.out, n=config.n, seed=config.seed,
                            mode=config.mode, genre=genre)


# --- the report as text -----------------------------------------------------------------

def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return ["  ".join(cell.rjust(w) if c in right else cell.ljust(w)
                      for c, (cell, w) in enumerate(zip(row, widths))).rstrip() for row in rows]


def format_summary(summary: dict) -> str:
    """A plain-text report of :func:`textgen.train.rating_stats.summarize`."""
    systems = summary["systems"]
    number = {name: f"[{i + 1}]" for i, name in enumerate(systems)}
    level = f"{100 * summary['confidence']:.0f}%"
    lines = ["Systems"] + [f"  {number[s]} {s}" for s in systems]
    lines += ["", f"Pairs ({summary['rated']} rated, {summary['skipped']} skipped)"]
    rows = [["pair", "wins", "ties", "both bad", "losses", "win rate", f"{level} CI",
             "p (sign test)"]]
    for p in summary["pairs"]:
        ci = p["a_win_rate_ci"]
        rows.append([f"{number[p['a']]} vs {number[p['b']]}", str(p["a_wins"]), str(p["ties"]),
                     str(p["both_bad"]), str(p["b_wins"]), _pct(p["a_win_rate"]),
                     f"{_pct(ci[0])}-{_pct(ci[1])}" if ci else "-", _p(p["sign_test_p"])])
    lines += ["  " + line for line in _table(rows, {1, 2, 3, 4, 5})]
    lines += ["  wins, losses and win rate are the first system's: win rate = wins / (wins + "
              "losses);", "  ties and both-bad are left out of the win rate and the sign test."]
    if summary.get("ranking"):
        boot = summary["bootstrap"]
        lines += ["", f"Ranking (Bradley-Terry strength, log-odds, mean 0; {level} bootstrap CI, "
                      f"{boot['resamples']} resamples, seed {boot['seed']})"]
        rows = [["rank", "system", "strength", f"{level} CI", "ratings"]]
        for r in summary["ranking"]:
            ci = r["ci"]
            rows.append([str(r["rank"]), f"{number[r['system']]} {r['system']}",
                         f"{r['strength']:+.2f}",
                         f"{ci[0]:+.2f} to {ci[1]:+.2f}" if ci else "-", str(r["ratings"])])
        lines += ["  " + line for line in _table(rows, {0, 2, 4})]
        lines += ["  a difference of 1.0 means the stronger one is preferred about 73% of the "
                  "time; ties count half to each."]
    for note in summary.get("notes", []):
        lines += [""] + textwrap.wrap(f"note: {note}", 88, subsequent_indent="      ")
    return "\n".join(lines)


def _json_safe(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


# --- commands ----------------------------------------------------------------------------

def human(
    a: str = typer.Option(..., "--a", help="First system: " + SPEC_HELP),
    b: str = typer.Option(..., "--b", help="Second system, same form (may be the same model "
                          "with other settings)."),
    mode: str = typer.Option("story", "--mode", help=MODES_HELP),
    genre: Optional[str] = typer.Option(None, "--genre", "-g", help="Story genre: general, "
                                        "fantasy, sci-fi, mystery, romance or horror."),
    prompts: Optional[Path] = typer.Option(None, "--prompts", help="Prompts file: one per line, "
                                           "or JSON lines {\"prompt\": ...} (default: a built-in "
                                           "set for the mode)."),
    n: int = typer.Option(20, "--n", help="Pairs to rate; prompts repeat with new samples when "
                          "there are fewer."),
    out: Path = typer.Option(Path("ratings.jsonl"), "--out", "-o", help="Ratings file (JSON "
                             "lines). Each rating is saved at once; running the same command "
                             "again continues where it stopped."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed for the left/right order and "
                                       "the samples (default: a new one, reused on resume)."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Length of each text "
                                             "(default: the mode's own).",
                                             show_default="per mode"),
) -> None:
    """Rate two systems blind, side by side, one key per pair.

    Keys: 1/← left better, 2/→ right better, t tie, b both bad, s skip,
    c comment, u undo, q quit. Which side is which is revealed at the end.
    Example: textgen eval human --a models/gpt:temperature=0.7
    --b models/gpt:temperature=1.0 --genre fantasy --n 10
    """
    from textgen.core.errors import TextgenError
    from textgen.train.human_eval import HumanEvalConfig

    config = HumanEvalConfig(a=a, b=b, mode=mode, genre=genre,
                             prompts=str(prompts) if prompts else None, n=n, out=str(out),
                             seed=seed, max_tokens=max_tokens)
    check_config(config)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise TextgenError("textgen eval human is interactive: run it in a terminal "
                           "(use textgen eval report to read a ratings file)")
    print("Loading both systems...", file=sys.stderr, flush=True)
    session = open_session(config)
    try:
        from textgen.tui.human_eval_screen import HumanEvalApp

        result = HumanEvalApp(session).run() or {}
    finally:
        session.close()
    done, total = session.done, session.total
    print(f"{done} of {total} pairs rated; ratings in {session.file.path}")
    if result.get("finished") or done == total:
        print()
        print(format_summary(session.summary()))
    else:
        print("Run the same command again to continue where you stopped.")


def report(
    files: List[Path] = typer.Argument(..., help="Ratings files written by textgen eval human."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for scripts."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap (same seed, same "
                             "intervals)."),
    resamples: int = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for the "
                                  "ranking's intervals."),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the "
                                     "intervals."),
) -> None:
    """Summarise ratings: win/tie/loss per pair with Wilson intervals and a
    sign test; with more than two systems, a Bradley-Terry ranking."""
    from textgen.core.errors import TextgenError
    from textgen.train.human_eval import read_ratings
    from textgen.train.rating_stats import summarize

    if not 0 < confidence < 1:
        raise TextgenError(f"--confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise TextgenError(f"--bootstrap must be at least 1, got {resamples}")
    ratings = read_ratings(files)
    if not ratings:
        raise TextgenError(f"no ratings in {', '.join(map(str, files))}")
    summary = summarize(ratings, confidence=confidence, resamples=resamples, seed=seed)
    if as_json:
        print(json.dumps(_json_safe({"files": [str(f) for f in files], **summary}), indent=2,
                         ensure_ascii=False))
        return
    print(f"{len(ratings)} ratings from {len(files)} file{'s' if len(files) != 1 else ''}\n")
    print(format_summary(summary))


def register_eval(eval_app: typer.Typer) -> None:
    """Add `human` and `report` to the `eval` command group."""
    eval_app.command("human")(human)
    eval_app.command("report")(report)
