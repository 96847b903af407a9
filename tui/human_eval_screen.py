"""Blind side-by-side rating as a Textual screen, and a small app around it.

``HumanEvalScreen`` is what the full TUI pushes (from its command palette)
and what ``textgen eval human`` runs inside :class:`HumanEvalApp`. Both sides
of a pair are written in the session's background thread; the screen only
waits for them in a thread worker, never calling a model itself. The rater
sees "left" and "right", never a model name, path or setting, until every
pair is rated.

Keys: 1 / left arrow = left better, 2 / right arrow = right better,
t = tie, b = both bad, s = skip, c = write a comment (Enter keeps it),
u = undo the last rating, q = quit (every rating is already saved).
"""
from __future__ import annotations

import time

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, LoadingIndicator, Static
from textual.worker import get_current_worker

from textgen.core.errors import TextgenError
from textgen.train.human_eval import HumanEvalConfig, HumanEvalSession, Pair

_RATING_NAMES = {"left": "left better", "right": "right better", "tie": "tie",
                 "both_bad": "both bad", "skip": "skipped"}


class HumanEvalScreen(Screen):
    """Rate pairs of texts blind; results are revealed when all are rated.

    ``HumanEvalScreen(session)`` with an open :class:`HumanEvalSession`, or
    ``HumanEvalScreen(config)`` with a :class:`HumanEvalConfig`, in which
    case the models load in a worker while the screen shows progress. The
    screen closes the session when it is dismissed; its dismiss result is
    ``{"done": int, "total": int, "finished": bool, "out": str}``.
    """

    BINDINGS = [
        Binding("1,left", "rate('left')", "Left better", key_display="1/←"),
        Binding("2,right", "rate('right')", "Right better", key_display="2/→"),
        Binding("t", "rate('tie')", "Tie"),
        Binding("b", "rate('both_bad')", "Both bad"),
        Binding("s", "rate('skip')", "Skip"),
        Binding("c", "comment", "Comment"),
        Binding("u", "undo", "Undo"),
        Binding("pageup", "scroll_panes(-1)", "Scroll up", show=False),
        Binding("pagedown,space", "scroll_panes(1)", "Scroll down", show=False),
        Binding("q", "quit_session", "Quit"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    AUTO_FOCUS = ""        # keys rate; the comment box takes focus only on "c"

    DEFAULT_CSS = """
    HumanEvalScreen { layout: vertical; }
    HumanEvalScreen #he-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    HumanEvalScreen #he-prompt { height: auto; max-height: 6; padding: 0 1; margin: 1 0 0 0;
                                 color: $text-muted; text-style: italic; }
    HumanEvalScreen #he-pair { height: 1fr; layout: horizontal; }
    HumanEvalScreen.-narrow #he-pair { layout: vertical; }
    HumanEvalScreen .he-pane { width: 1fr; height: 1fr; border: round $primary-darken-2;
                               padding: 0 1; }
    HumanEvalScreen .he-pane .he-text { width: 1fr; }
    HumanEvalScreen .he-error { color: $error; }
    HumanEvalScreen #he-wait { height: 1fr; }
    HumanEvalScreen #he-wait LoadingIndicator { height: 3; }
    HumanEvalScreen #he-wait-text { width: 1fr; content-align: center middle; }
    HumanEvalScreen #he-comment { margin: 0 1; }
    HumanEvalScreen #he-reveal { height: 1fr; padding: 1 2; overflow-x: auto; }
    HumanEvalScreen #he-reveal-text { width: auto; }
    HumanEvalScreen .hidden { display: none; }
    """

    def __init__(self, source: HumanEvalSession | HumanEvalConfig, *, name: str | None = None):
        super().__init__(name=name)
        self.session = source if isinstance(source, HumanEvalSession) else None
        self.config = source if isinstance(source, HumanEvalConfig) else None
        self.pair: Pair | None = None
        self.shown_at = 0.0
        self._state = "loading"

    @property
    def state(self) -> str:
        """loading | waiting | rating | done | failed"""
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        if self.is_attached:
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Rating keys show only while a pair can be rated (dimmed while one is written)."""
        if action in ("rate", "comment"):
            if self.state == "rating":
                return True
            return None if self.state in ("loading", "waiting") else False
        if action == "undo" and self.state == "failed":
            return False
        return True

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="he-status")
        yield Static("", id="he-prompt", markup=False)
        with Vertical(id="he-wait"):
            yield LoadingIndicator()
            yield Static("", id="he-wait-text", markup=False)
        with Horizontal(id="he-pair", classes="hidden"):
            for side in ("left", "right"):
                pane = VerticalScroll(id=f"he-{side}", classes="he-pane")
                pane.can_focus = False
                pane.border_title = side.capitalize()
                with pane:
                    yield Static("", id=f"he-{side}-text", classes="he-text", markup=False)
        yield Input(placeholder="Comment (optional); Enter keeps it for this rating",
                    id="he-comment", classes="hidden")
        yield VerticalScroll(Static("", id="he-reveal-text", markup=False), id="he-reveal",
                             classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        if self.session is not None:
            self.session.start()
            self.advance()
        else:
            self._wait_text("Loading the two systems...")
            self.load_session()

    @work(thread=True, exclusive=True, group="he-load", exit_on_error=False)
    def load_session(self) -> None:
        from textgen.tui.commands.human_eval import open_session

        try:
            session = open_session(self.config)
        except Exception as e:   # a bad spec or path, or a model that fails to load
            message = str(e) if isinstance(e, TextgenError) else f"{type(e).__name__}: {e}"
            self.app.call_from_thread(self._failed, message)
            return
        try:
            self.app.call_from_thread(self._loaded, session)
        except Exception:        # the app closed while the models loaded
            session.close()
            raise

    def _loaded(self, session: HumanEvalSession) -> None:
        if not self.is_attached:
            session.close()
            return
        self.session = session
        session.start()
        self.advance()

    def _failed(self, message: str) -> None:
        self.state = "failed"
        self._wait_text(f"Could not start: {message}\nPress q to go back.")
        self.query_one(LoadingIndicator).display = False

    # --- flow ---------------------------------------------------------------------------
    def advance(self) -> None:
        """Show the current pair, wait for it, or reveal the results."""
        session = self.session
        item = session.current()
        self._update_status()
        if item is None:
            self._reveal()
            return
        self.query_one("#he-prompt", Static).update(Content(item.prompt))
        pair = session.wait_pair(item, timeout=0)
        if pair is not None:
            self._show(pair)
            return
        self.state = "waiting"
        self.pair = None
        self._wait_text(f"Both sides are writing pair {item.position + 1}...")
        self.wait_for_pair(item)

    @work(thread=True, exclusive=True, group="he-pair", exit_on_error=False)
    def wait_for_pair(self, item) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            pair = self.session.wait_pair(item, timeout=0.2)
            if pair is not None:
                self.app.call_from_thread(self._show, pair)
                return
            if self.session.closed:
                return

    def _show(self, pair: Pair) -> None:
        current = self.session.current()
        if current is None or current.key != pair.item.key or self.state in ("done", "failed"):
            return
        self.pair = pair
        for side, text, error in (("left", pair.left_text, pair.left_error),
                                  ("right", pair.right_text, pair.right_error)):
            widget = self.query_one(f"#he-{side}-text", Static)
            widget.set_class(bool(error), "he-error")
            widget.update(Content(f"This side could not write: {error}" if error else
                                  (text.lstrip("\n") if text.strip() else "(nothing written)")))
            self.query_one(f"#he-{side}", VerticalScroll).scroll_home(animate=False)
        self.query_one("#he-wait").add_class("hidden")
        self.query_one("#he-pair").remove_class("hidden")
        self.query_one("#he-comment").remove_class("hidden")
        self.state = "rating"
        self.shown_at = time.monotonic()

    def _wait_text(self, text: str) -> None:
        self.query_one("#he-wait-text", Static).update(Content(text))
        self.query_one("#he-wait").remove_class("hidden")
        self.query_one("#he-pair").add_class("hidden")
        self.query_one("#he-comment").add_class("hidden")

    def _update_status(self) -> None:
        s = self.session
        item = s.current()
        where = f"pair {item.position + 1} of {s.total}" if item else f"all {s.total} pairs"
        self.query_one("#he-status", Static).update(
            Content(f"Blind comparison · {where} · {s.done} rated · "
                    f"ratings saved as you go"))

    def _reveal(self) -> None:
        from textgen.tui.commands.human_eval import format_summary

        self.state = "done"
        self.pair = None
        for selector in ("#he-wait", "#he-pair", "#he-comment"):
            self.query_one(selector).add_class("hidden")
        self.query_one("#he-prompt", Static).update(Content(""))
        summary = self.session.summary()
        labels = {side: self.session.sides[side].spec.label for side in ("A", "B")}
        text = (f"All {self.session.total} pairs are rated. The systems were:\n"
                f"  A = {labels['A']}\n  B = {labels['B']}\n\n" + format_summary(summary)
                + f"\n\nRatings: {self.session.file.path}\nPress u to undo the last rating, "
                "q to leave.")
        self.query_one("#he-reveal-text", Static).update(Content(text))
        reveal = self.query_one("#he-reveal")
        reveal.remove_class("hidden")
        reveal.focus()              # arrow keys scroll a table wider than the terminal

    # --- actions ------------------------------------------------------------------------
    def action_rate(self, choice: str) -> None:
        if self.state != "rating" or self.pair is None:
            return
        comment_box = self.query_one("#he-comment", Input)
        seconds = time.monotonic() - self.shown_at
        try:
            self.session.rate(self.pair, choice, comment_box.value, seconds)
        except (TextgenError, OSError) as e:
            self.notify(f"Could not save the rating: {e}", severity="error")
            return
        comment_box.value = ""
        self.notify(f"Saved: {_RATING_NAMES[choice]}", timeout=1.5)
        self.advance()

    def action_comment(self) -> None:
        if self.state == "rating":
            self.query_one("#he-comment", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_focus(None)

    def on_key(self, event) -> None:
        if event.key == "escape" and isinstance(self.focused, Input):
            event.stop()
            self.set_focus(None)

    def action_undo(self) -> None:
        if self.session is None or self.state in ("loading", "failed"):
            return
        try:
            record = self.session.undo()
        except (TextgenError, OSError) as e:
            self.notify(f"Could not undo: {e}", severity="error")
            return
        if record is None:
            self.notify("Nothing to undo.", timeout=2)
            return
        self.query_one("#he-reveal").add_class("hidden")
        self.query_one("#he-reveal-text", Static).update("")    # the names go back under cover
        self.set_focus(None)
        self.query_one("#he-comment", Input).value = record.get("comment", "")
        self.state = "loading"
        self.notify(f"Undone: {_RATING_NAMES.get(record.get('choice'), 'rating')}", timeout=2)
        self.advance()

    def action_scroll_panes(self, direction: int) -> None:
        for side in ("left", "right"):
            pane = self.query_one(f"#he-{side}", VerticalScroll)
            (pane.scroll_page_down if direction > 0 else pane.scroll_page_up)(animate=False)

    def action_quit_session(self) -> None:
        result = {"done": 0, "total": 0, "finished": False, "out": None}
        if self.session is not None:
            result = {"done": self.session.done, "total": self.session.total,
                      "finished": self.session.current() is None,
                      "out": str(self.session.file.path)}
            self.session.close()
        self.workers.cancel_group(self, "he-pair")
        self.dismiss(result)


class HumanEvalApp(App):
    """The screen alone, for ``textgen eval human``; ``run()`` returns the screen's result."""

    TITLE = "textgen · blind comparison"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, source: HumanEvalSession | HumanEvalConfig):
        super().__init__()
        self.source = source

    def on_mount(self) -> None:
        self.push_screen(HumanEvalScreen(self.source), callback=self.exit)
