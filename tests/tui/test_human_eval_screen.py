"""The blind rating screen driven by key presses, and the `eval human` / `eval report` commands."""
from __future__ import annotations

import asyncio
import json

import pytest
import typer
from textual.app import App
from typer.testing import CliRunner

from textgen.core import TextgenError
from textgen.train.human_eval import HumanEvalConfig, read_ratings
from textgen.train.rating_stats import summarize
from textgen.train.ratings_file import read_records
from textgen.tui.commands.human_eval import format_summary, open_session, register_eval
from textgen.tui.human_eval_screen import HumanEvalApp, HumanEvalScreen

PROMPTS = ["The old king walked alone", "A ship came back to the harbour", "She found a letter"]


@pytest.fixture
def config(tmp_path, trained_models):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("\n".join(PROMPTS) + "\n")
    return HumanEvalConfig(a=f"{trained_models['gpt'][0]}:temperature=0.7",
                           b=f"{trained_models['char_rnn'][0]}:temperature=1.0",
                           mode="story", genre="fantasy", prompts=str(prompts), n=3,
                           out=str(tmp_path / "ratings.jsonl"), seed=11, max_tokens=16)


def screen_text(app) -> str:
    """Everything painted on the terminal, plus every Static's full content."""
    from textual.widgets import Static

    painted = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
    contents = "\n".join(str(w.visual) for w in app.screen.query(Static))
    return painted + "\n" + contents


def assert_blind(app, config):
    text = screen_text(app)
    for secret in (config.a, config.b, config.a.split(":")[0], config.b.split(":")[0],
                   "gpt", "char_rnn", "temperature", "models0"):
        assert secret not in text, secret


async def settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown(app) -> tuple[str, str]:
    return tuple(str(app.screen.query_one(f"#he-{s}-text").visual) for s in ("left", "right"))


def test_a_whole_session_blind_with_undo_comment_quit_and_resume(config):
    asyncio.run(_a_whole_session_blind_with_undo_comment_quit_and_resume(config))


async def _a_whole_session_blind_with_undo_comment_quit_and_resume(config):
    out = config.out
    session = open_session(config)
    app = HumanEvalApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert_blind(app, config)
        assert "pair 1 of 3" in screen_text(app) and PROMPTS[0] in screen_text(app)
        left, right = shown(app)
        await pilot.press("1")                              # left better
        await settle(pilot)
        (first,) = read_records(out)
        assert first["choice"] == "left" and first["winner"] == first["left"]
        assert (first["texts"][first["left"]].strip("\n") or "(nothing written)") == \
            left.strip("\n")
        assert first["prompt"] == PROMPTS[0] and first["genre"] == "fantasy"
        assert_blind(app, config)
        assert "pair 2 of 3" in screen_text(app)
        second_pair = shown(app)
        await pilot.press("c", *"too short", "enter", "t")   # a comment, then a tie
        await settle(pilot)
        records = read_records(out)
        assert [r["choice"] for r in records] == ["left", "tie"]
        assert records[1]["comment"] == "too short"
        await pilot.press("u")                              # undo the tie
        await settle(pilot)
        assert [r["choice"] for r in read_records(out)] == ["left"]
        assert "pair 2 of 3" in screen_text(app) and shown(app) == second_pair
        assert app.screen.query_one("#he-comment").value == "too short"
        await pilot.press("right")                          # right better, keeping the comment
        await settle(pilot)
        assert [(r["choice"], r["comment"]) for r in read_records(out)] == [
            ("left", ""), ("right", "too short")]
        await pilot.press("q")                              # quit with one pair to go
        await pilot.pause()
    assert app.return_value == {"done": 2, "total": 3, "finished": False, "out": out}
    assert session.closed

    # the same command again: it continues at the third prompt
    app = HumanEvalApp(open_session(config))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "pair 3 of 3" in text and "2 rated" in text and PROMPTS[2] in text
        assert_blind(app, config)
        await pilot.press("b")                              # both bad: the last pair
        await settle(pilot)
        revealed = screen_text(app)                         # now the names are shown
        assert "All 3 pairs are rated" in revealed
        assert f"A = {config.a}" in revealed and f"B = {config.b}" in revealed
        await pilot.press("1")                              # nothing left to rate
        await settle(pilot)
        assert len(read_records(out)) == 3
        await pilot.press("u")                              # undo from the results
        await settle(pilot)
        assert len(read_records(out)) == 2 and "pair 3 of 3" in screen_text(app)
        assert_blind(app, config)
        await pilot.press("b")
        await settle(pilot)
        assert "All 3 pairs are rated" in screen_text(app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value["finished"] is True
    records = read_records(out)
    assert [r["choice"] for r in records] == ["left", "right", "both_bad"]
    assert [r["position"] for r in records] == [0, 1, 2]
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in records)


def test_order_is_random_and_reproducible_with_the_seed(config, tmp_path):
    asyncio.run(_order_is_random_and_reproducible_with_the_seed(config, tmp_path))


async def _order_is_random_and_reproducible_with_the_seed(config, tmp_path):
    lefts = {}
    for run, seed in (("one", 11), ("two", 11), ("three", 12)):
        config.out, config.seed, config.n = str(tmp_path / f"{run}.jsonl"), seed, 3
        app = HumanEvalApp(open_session(config))
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(3):
                await settle(pilot)
                await pilot.press("s")
            await settle(pilot)
            await pilot.press("q")
        lefts[run] = [(r["left"], r["texts"]) for r in read_records(config.out)]
    assert lefts["one"] == lefts["two"]
    assert sorted(left for left, _ in lefts["one"]) in (["A", "A", "B"], ["A", "B", "B"])
    assert lefts["one"] != lefts["three"]


def test_narrow_terminals_stack_the_pair(config):
    asyncio.run(_narrow_terminals_stack_the_pair(config))


async def _narrow_terminals_stack_the_pair(config):
    for size, side_by_side in (((70, 40), False), ((130, 40), True)):
        app = HumanEvalApp(open_session(config))
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            left = app.screen.query_one("#he-left").region
            right = app.screen.query_one("#he-right").region
            if side_by_side:
                assert left.y == right.y and left.right <= right.x
            else:
                assert left.x == right.x and left.bottom <= right.y
                assert app.screen.has_class("-narrow")
            await pilot.press("q")


def test_screen_loads_from_a_config_and_reports_failures(config, tmp_path):
    asyncio.run(_screen_loads_from_a_config_and_reports_failures(config, tmp_path))


async def _screen_loads_from_a_config_and_reports_failures(config, tmp_path):
    class Host(App):
        """As the full TUI would: push the screen with a config and keep running."""
        def __init__(self, source):
            super().__init__()
            self.source, self.results = source, []

        def on_mount(self) -> None:
            self.push_screen(HumanEvalScreen(self.source), callback=self.results.append)

    app = Host(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "pair 1 of 3" in screen_text(app)
        assert_blind(app, config)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert app.results == [{"done": 1, "total": 3, "finished": False, "out": config.out}]
    bad = HumanEvalConfig(a=str(tmp_path / "missing"), b=config.b, out=str(tmp_path / "x.jsonl"))
    app = Host(bad)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Could not start" in screen_text(app)
        await pilot.press("1", "u")                         # nothing to rate, nothing to undo
        await pilot.press("q")
        await pilot.pause()
        assert app.results[0]["done"] == 0
    assert not (tmp_path / "x.jsonl").exists()


# --- commands ----------------------------------------------------------------------------

@pytest.fixture
def eval_cli():
    group = typer.Typer()
    register_eval(group)
    return group


def write_ratings(path, verdicts, a="models/x", b="models/y"):
    with open(path, "w") as f:
        for i, winner in enumerate(verdicts):
            f.write(json.dumps({"format": "textgen-ratings", "version": 1, "prompt": f"p{i}",
                                "round": 0, "mode": "story", "genre": "general",
                                "winner": winner, "systems": {"A": {"label": a},
                                                              "B": {"label": b}}}) + "\n")


def test_report_json_and_table_over_many_files(eval_cli, tmp_path):
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    write_ratings(first, ["A"] * 9 + ["B"] * 3 + ["tie"] * 2 + ["skip"])
    write_ratings(second, ["A"] * 4 + ["B"] * 6 + ["both_bad"], b="models/z")
    result = CliRunner().invoke(eval_cli, ["report", str(first), str(second), "--json",
                                           "--bootstrap", "50", "--seed", "4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = summarize(read_ratings([first, second]), resamples=50, seed=4)
    assert data["pairs"] == json.loads(json.dumps(expected["pairs"]))
    assert data["files"] == [str(first), str(second)]
    # z beat x 6-4, x beat y 9-3: one scale puts them z > x > y
    assert [r["system"] for r in data["ranking"]] == ["models/z", "models/x", "models/y"]
    assert data["ranking"] == json.loads(json.dumps(expected["ranking"]))
    xy = data["pairs"][0]
    assert (xy["a_wins"], xy["b_wins"], xy["ties"], xy["skipped"]) == (9, 3, 2, 1)

    result = CliRunner().invoke(eval_cli, ["report", str(first)])
    assert result.exit_code == 0, result.output
    assert "[1] models/x" in result.output and "[2] models/y" in result.output
    assert "[1] vs [2]" in result.output and "75%" in result.output    # 9 of 12 decisive
    assert "Ranking" not in result.output
    assert result.output.strip().endswith(format_summary(summarize(read_ratings([first]))))


@pytest.mark.parametrize("args, message", [
    (["report", "missing.jsonl"], "no such ratings file"),
    (["human", "--a", "m:temp=1", "--b", "n"], "unknown sampling parameter(s): temp"),
    (["human", "--a", "m", "--b", "m"], "same system"),
    (["human", "--a", "m", "--b", "n", "--mode", "poem"], "unknown mode 'poem'"),
    (["human", "--a", "m", "--b", "n", "--mode", "code", "--genre", "horror"], "--genre applies"),
    (["human", "--a", "m", "--b", "n", "--genre", "western"], "unknown genre"),
    (["human", "--a", "m", "--b", "n"], "interactive"),      # not a terminal under the runner
])
def test_command_errors_are_one_line_textgen_errors(eval_cli, tmp_path, monkeypatch, args,
                                                    message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(eval_cli, args)
    assert isinstance(result.exception, TextgenError), result.output
    assert message in str(result.exception) and "\n" not in str(result.exception)


def test_report_of_an_empty_file_is_an_error(eval_cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = CliRunner().invoke(eval_cli, ["report", str(empty)])
    assert isinstance(result.exception, TextgenError) and "no ratings" in str(result.exception)
