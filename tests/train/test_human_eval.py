"""Human evaluation sessions: specs, prompts, the plan, the ratings file, resume and undo.

Sessions run real tiny models (plain continuation) from the shared fixture.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from textgen.core import SamplingParams, TextgenError, load
from textgen.train.human_eval import (HumanEvalSession, Side, SystemSpec, continuation_runner,
                                      load_prompts, parse_spec, plan_items, read_ratings)
from textgen.train.ratings_file import RatingsFile, read_records

PROMPTS = ["The king said", "A ship came to the harbour", "She opened the door",
           "The night was cold"]


# --- specs -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, path, settings", [
    ("models/gpt", "models/gpt", {}),
    ("models/gpt:temperature=0.7", "models/gpt", {"temperature": 0.7}),
    ("models/gpt:temperature=0.7, top-p=0.9,max_tokens=50", "models/gpt",
     {"temperature": 0.7, "top_p": 0.9, "max_tokens": 50}),
    (r"C:\models\gpt:temperature=1", r"C:\models\gpt", {"temperature": 1}),
    (r"C:\models\gpt", r"C:\models\gpt", {}),
    ('runs/a:b/gpt:stop=",:",seed=3', "runs/a:b/gpt", {"stop": ",:", "seed": 3}),
    ('m:stop=["\\n\\n", "END"]', "m", {"stop": ["\n\n", "END"]}),
    ("m:stop=THE END", "m", {"stop": "THE END"}),
    ("hf:gpt2", "hf:gpt2", {}),
])
def test_parse_spec(text, path, settings):
    spec = parse_spec(text)
    assert (spec.path, spec.settings) == (path, settings)
    assert parse_spec(spec.label) == spec            # the label spells the same system


def test_parse_spec_takes_an_existing_path_whole(tmp_path):
    odd = tmp_path / "gpt:temperature=0.7"
    odd.mkdir()
    assert parse_spec(str(odd)) == SystemSpec(str(odd), {})


@pytest.mark.parametrize("text, message", [
    ("models/gpt:temp=0.7", "unknown sampling parameter(s): temp"),
    ("models/gpt:temperature=-1", "temperature"),
    ("models/gpt:top_k=0.5", "top_k"),
    ("  ", "empty"),
])
def test_parse_spec_rejects_bad_settings(text, message):
    with pytest.raises(TextgenError, match="--a") as e:
        parse_spec(text, "--a")
    assert message in str(e.value)


def test_spec_settings_override_mode_defaults():
    base = SamplingParams(max_tokens=200, temperature=0.8, top_p=0.95)
    params = parse_spec("m:temperature=0.3").params(base)
    assert (params.temperature, params.top_p, params.max_tokens) == (0.3, 0.95, 200)


# --- prompts -----------------------------------------------------------------------------

def test_prompts_one_per_line_or_json_lines(tmp_path):
    plain = tmp_path / "prompts.txt"
    plain.write_text("First prompt\n\n  \nSecond: with a colon\n{\"prompt\": \"Third\\nline\"}\n")
    assert load_prompts(plain) == ["First prompt", "Second: with a colon", "Third\nline"]
    jsonl = tmp_path / "prompts.jsonl"
    jsonl.write_text('{"prompt": "One"}\n"Two\\nlines"\n{"text": "Three"}\n')
    assert load_prompts(jsonl) == ["One", "Two\nlines", "Three"]


@pytest.mark.parametrize("name, content, message", [
    ("bad.jsonl", '{"prompt": "ok"}\nnot json\n', "line 2 is not valid JSON"),
    ("obj.txt", '{"title": "x"}\n', "line 1"),
    ("empty.txt", "\n\n", "no prompts"),
])
def test_bad_prompt_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TextgenError, match=message):
        load_prompts(path)
    with pytest.raises(TextgenError, match="no such prompts file"):
        load_prompts(tmp_path / "missing.txt")


# --- the plan ----------------------------------------------------------------------------

def test_plan_is_reproducible_balanced_and_cycles():
    plan = plan_items(PROMPTS, 10, seed=42)
    assert plan == plan_items(PROMPTS, 10, seed=42)
    assert [i.left for i in plan] != [i.left for i in plan_items(PROMPTS, 10, seed=43)]
    assert sorted(i.left for i in plan) == ["A"] * 5 + ["B"] * 5
    assert [(i.prompt, i.round) for i in plan[:5]] == [(p, 0) for p in PROMPTS] + [(PROMPTS[0], 1)]
    assert plan[0].generation_seed != plan[4].generation_seed    # a repeat gets new samples
    assert len({i.key for i in plan}) == 10
    twice = plan_items(PROMPTS[:2] + PROMPTS[:1], 3, seed=1)   # a duplicate line counts once
    assert [(i.prompt, i.round) for i in twice] == [(PROMPTS[0], 0), (PROMPTS[1], 0),
                                                   (PROMPTS[0], 1)]


# --- sessions on real models -------------------------------------------------------------

@pytest.fixture(scope="module")
def generators(trained_models):
    return {arch: load(trained_models[arch][0]) for arch in ("gpt", "char_rnn")}


def make_sides(trained_models, generators, runner=continuation_runner, a="gpt", b="char_rnn"):
    base = SamplingParams(max_tokens=12, temperature=0.9)
    sides = {}
    for name, arch, extra in (("A", a, ":temperature=0.7"), ("B", b, "")):
        spec = parse_spec(f"{trained_models[arch][0]}{extra}")
        sides[name] = Side(spec, spec.params(base), runner(generators[arch]))
    return sides


def open_session(trained_models, generators, out, **kw):
    kw.setdefault("n", 4)
    kw.setdefault("seed", 5)
    return HumanEvalSession(make_sides(trained_models, generators), PROMPTS, out, mode="plain",
                            **kw)


def rate_next(session, choice, comment=""):
    item = session.current()
    pair = session.wait_pair(item, timeout=60)
    assert pair is not None
    return pair, session.rate(pair, choice, comment, seconds=1.5)


def test_ratings_land_in_the_file_one_by_one(tmp_path, trained_models, generators):
    out = tmp_path / "ratings.jsonl"
    with open_session(trained_models, generators, out) as session:
        for count, choice in enumerate(["left", "right", "tie"], start=1):
            pair, record = rate_next(session, choice, comment=f"c{count}")
            on_disk = read_records(out)             # read by another reader, not the session
            assert len(on_disk) == count and on_disk[-1] == record
            assert record["texts"][record["left"]] == pair.left_text
            assert record["texts"][record["right"]] == pair.right_text
            assert record["winner"] == {"left": pair.item.left, "right": pair.item.right,
                                        "tie": "tie"}[choice]
            assert record["comment"] == f"c{count}" and record["seconds"] == 1.5
        labels = {n: record["systems"][n]["label"] for n in "AB"}
        assert labels["A"].endswith("gpt:temperature=0.7") and labels["B"].endswith("char_rnn")
        params = {n: record["systems"][n]["params"] for n in "AB"}
        assert params["A"]["temperature"] == 0.7 and params["B"]["temperature"] == 0.9
        assert params["A"]["seed"] == params["B"]["seed"] == record["generation_seed"]
        assert session.done == 3 and session.current().position == 3
    ratings = read_ratings([out])
    assert [r.verdict for r in ratings] == [
        {"A": "a", "B": "b", "tie": "tie"}[r["winner"]] for r in read_records(out)]


def test_texts_follow_the_seed_and_the_sides_order(tmp_path, trained_models, generators):
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    with open_session(trained_models, generators, first, seed=9) as s1, \
            open_session(trained_models, generators, second, seed=9) as s2:
        r1, r2 = rate_next(s1, "skip")[1], rate_next(s2, "skip")[1]
    assert r1["texts"] == r2["texts"] and r1["left"] == r2["left"]
    expected = generators["gpt"].generate(PROMPTS[0], SamplingParams(
        max_tokens=12, temperature=0.7, seed=r1["generation_seed"])).text
    assert r1["texts"]["A"] == expected


def test_resume_continues_at_the_next_prompt_with_the_same_plan(tmp_path, trained_models,
                                                                generators):
    out = tmp_path / "ratings.jsonl"
    with open_session(trained_models, generators, out, seed=None) as session:
        seed, plan = session.seed, session.items
        rate_next(session, "left")
        rate_next(session, "both_bad")
    with open_session(trained_models, generators, out, seed=None) as again:
        assert again.seed == seed and again.items == plan
        assert again.done == 2 and again.current() == plan[2]
        rate_next(again, "right")
    assert [r["position"] for r in read_records(out)] == [0, 1, 2]


def test_undo_removes_the_last_rating_atomically(tmp_path, trained_models, generators):
    out = tmp_path / "ratings.jsonl"
    other = {"prompt": "x", "round": 0, "mode": "plain", "genre": None, "winner": "A",
             "systems": {"A": {"label": "m1"}, "B": {"label": "m2"}}}
    with RatingsFile(out) as f:                    # another comparison in the same file
        f.append(other)
    with open_session(trained_models, generators, out) as session:
        assert session.undo() is None              # nothing of this comparison yet
        pair1, _ = rate_next(session, "left")
        pair2, rec2 = rate_next(session, "right", comment="hmm")
        inode = out.stat().st_ino
        removed = session.undo()
        assert removed == rec2
        on_disk = read_records(out)
        assert [r["prompt"] for r in on_disk] == ["x", pair1.item.prompt]
        assert out.stat().st_ino != inode          # swapped in whole, via os.replace
        assert sorted(p.name for p in tmp_path.iterdir()) == ["ratings.jsonl"]
        # the same pair, as shown before, is current again
        assert session.current().key == pair2.item.key
        again = session.wait_pair(session.current(), timeout=0)
        assert (again.left_text, again.right_text) == (pair2.left_text, pair2.right_text)
        session.rate(again, "tie")
        session.undo()
        session.undo()
        assert [r["prompt"] for r in read_records(out)] == ["x"]
        assert session.undo() is None
        rate_next(session, "tie")                  # the file still takes appends
    assert len(read_records(out)) == 2


def test_prefetch_writes_ahead_in_the_background(tmp_path, trained_models, generators):
    calls = []

    def recording(generator):
        run = continuation_runner(generator)

        def wrapped(prompt, params, stopped):
            calls.append((prompt, threading.current_thread().name))
            return run(prompt, params, stopped)
        return wrapped

    sides = make_sides(trained_models, generators, runner=recording)
    with HumanEvalSession(sides, PROMPTS, tmp_path / "r.jsonl", n=4, seed=1, mode="plain",
                          ahead=2) as session:
        first = session.wait_pair(session.current(), timeout=60)
        deadline = time.monotonic() + 60
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        # the second pair is written before the first is rated, off the caller's thread
        assert [p for p, _ in calls] == [PROMPTS[0]] * 2 + [PROMPTS[1]] * 2
        assert {t for _, t in calls} == {"human-eval-prefetch"}
        time.sleep(0.2)
        assert len(calls) == 4                     # and no further than `ahead`
        session.rate(first, "left")
        assert session.wait_pair(session.current(), timeout=60).item.prompt == PROMPTS[1]


def test_generation_errors_are_shown_without_model_names(tmp_path, trained_models, generators):
    sides = make_sides(trained_models, generators)
    with HumanEvalSession(sides, ["Zebra 42"], tmp_path / "r.jsonl", n=1, seed=1,
                          mode="plain") as session:
        pair = session.wait_pair(session.current(), timeout=60)
        assert "not in this model's vocabulary" in pair.left_error
        for error in (pair.left_error, pair.right_error):
            assert str(trained_models["gpt"][0]) not in error
        record = session.rate(pair, "skip")
    assert record["errors"]["A"] and record["winner"] == "skip"


def test_same_system_twice_and_a_busy_file_are_refused(tmp_path, trained_models, generators):
    sides = make_sides(trained_models, generators, a="gpt", b="gpt")
    sides["B"] = sides["A"]
    with pytest.raises(TextgenError, match="same system"):
        HumanEvalSession(sides, PROMPTS, tmp_path / "r.jsonl", mode="plain")
    out = tmp_path / "busy.jsonl"
    with open_session(trained_models, generators, out):
        with pytest.raises(TextgenError, match="in use by another rating session"):
            open_session(trained_models, generators, out)


def test_a_torn_last_line_is_dropped_and_other_files_are_refused(tmp_path):
    out = tmp_path / "ratings.jsonl"
    with RatingsFile(out) as f:
        f.append({"prompt": "p", "winner": "A"})
    with open(out, "ab") as raw:                   # the process died mid-write
        raw.write(b'{"format": "textgen-ratings", "version": 1, "prompt": "q", "te')
    assert len(read_records(out)) == 1
    with RatingsFile(out) as f:
        assert [r["prompt"] for r in f.records] == ["p"]
        f.append({"prompt": "r", "winner": "B"})
    assert [r["prompt"] for r in read_records(out)] == ["p", "r"]
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, no newline")
    with pytest.raises(TextgenError, match="not a textgen ratings file"):
        RatingsFile(notes)
    assert notes.read_text() == "my notes, no newline"


def test_unused_new_file_is_not_left_behind(tmp_path, trained_models, generators):
    out = tmp_path / "never.jsonl"
    with open_session(trained_models, generators, out):
        pass
    assert not out.exists()


KILLED_SESSION = textwrap.dedent("""
    import sys, time
    from textgen.core import SamplingParams, load
    from textgen.train.human_eval import HumanEvalSession, Side, continuation_runner, parse_spec
    gpt, rnn, out, prompts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    base = SamplingParams(max_tokens=12, temperature=0.9)
    sides = {}
    for name, text in (("A", gpt + ":temperature=0.7"), ("B", rnn)):
        spec = parse_spec(text)
        sides[name] = Side(spec, spec.params(base), continuation_runner(load(spec.path)))
    session = HumanEvalSession(sides, prompts, out, n=4, seed=5, mode="plain")
    for choice in ("left", "tie"):
        session.rate(session.wait_pair(session.current()), choice)
    print("rated", flush=True)
    time.sleep(120)
""")


def test_a_killed_session_resumes_at_the_next_prompt(tmp_path, trained_models, generators):
    out = tmp_path / "ratings.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SESSION, str(trained_models["gpt"][0]),
                             str(trained_models["char_rnn"][0]), str(out), *PROMPTS],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "rated", proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with open_session(trained_models, generators, out) as session:   # same command again
        assert session.done == 2 and session.current().position == 2
        _, record = rate_next(session, "right")
    assert [r["choice"] for r in read_records(out)] == ["left", "tie", "right"]
    assert json.loads(out.read_text().splitlines()[-1]) == record
