"""Where a mode's output appears: prose as Markdown, code highlighted.

Text arrives in batches from the app (never per token): ``begin`` shows what
stays on screen, ``append`` adds a batch, ``finish`` shows the final text
(or redraws after an undo). ``text`` is always the full document; the
widgets catch up with it.

Textual's Markdown widget mounts one widget per block, a few milliseconds
each, so a fast model writing many short paragraphs could keep the event
loop busy for seconds if a whole backlog were mounted at once. Small
changes are applied at once; a large backlog is fed in steps of a few
blocks, yielding to the event loop between steps, so keys and redraws are
never held up. Code is re-highlighted at most a few times a second.
"""
from __future__ import annotations

import asyncio

from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

BLOCKS_PER_STEP = 12        # Markdown blocks mounted before yielding to the event loop
CODE_REFRESH_SECONDS = 0.1


def blocks(text: str) -> int:
    """A cheap estimate of how many Markdown blocks ``text`` makes."""
    return text.count("\n\n") + 1 if text else 0


def first_blocks(text: str, count: int) -> str:
    """The start of ``text`` holding about ``count`` blocks (up to a paragraph break)."""
    end = -1
    for _ in range(count):
        end = text.find("\n\n", end + 2 if end >= 0 else 0)
        if end < 0:
            return text
    return text[:end + 2]


class OutputView(VerticalScroll, can_focus=True):
    """A scrolling output pane; ``language`` None means prose (Markdown)."""

    DEFAULT_CSS = """
    OutputView { height: 1fr; border: round $primary 40%; padding: 0 1; }
    OutputView:focus { border: round $primary; }
    OutputView > Markdown { margin: 0; padding: 0; }
    OutputView > Markdown > MarkdownParagraph { margin: 0 0 1 0; }
    OutputView > .code { width: auto; min-width: 100%; }
    OutputView > .placeholder { color: $text-muted; }
    """

    def __init__(self, placeholder: str = "", *, id: str | None = None):
        super().__init__(id=id)
        self.placeholder = placeholder
        self.language: str | None = None
        self.text = ""             # the whole document
        self._shown = ""           # what the Markdown widget holds
        self._feeding = False
        self._code_timer = None

    def compose(self):
        yield Static(self.placeholder, classes="placeholder")
        yield Markdown()
        yield Static("", classes="code")

    def on_mount(self) -> None:
        self._show_kind()

    # --- what is shown ----------------------------------------------------------
    @property
    def markdown(self) -> Markdown:
        return self.query_one(Markdown)

    @property
    def code_widget(self) -> Static:
        return self.query_one(".code", Static)

    @property
    def idle(self) -> bool:
        """Whether the widgets show all of ``text``."""
        if self.language is not None:
            return self._code_timer is None
        return self._shown == self.text and not self._feeding

    def _show_kind(self) -> None:
        code = self.language is not None
        self.query_one(".placeholder").display = not self.text
        self.markdown.display = not code and bool(self.text)
        self.code_widget.display = code and bool(self.text)

    def _render_code(self) -> None:
        from rich.syntax import Syntax

        self._code_timer = None
        self.code_widget.update(Syntax(self.text, self.language or "text", theme="ansi_dark",
                                       line_numbers=True, word_wrap=False,
                                       background_color="default"))

    def _code_soon(self) -> None:
        if self._code_timer is None:
            self._code_timer = self.set_timer(CODE_REFRESH_SECONDS, self._render_code)

    # --- the document -------------------------------------------------------------
    async def begin(self, prefix: str, language: str | None = None) -> None:
        """A run starts: ``prefix`` stays on screen, its text will follow."""
        await self._set(prefix, language)
        self.anchor(False)
        self.scroll_home(animate=False)

    async def append(self, text: str) -> None:
        if text:
            await self._set(self.text + text, self.language, streaming=True)
            if not self.is_anchored:
                self.call_after_refresh(self._follow_when_full)

    async def finish(self, document: str, language: str | None = None) -> None:
        """Show the final document (also used to redraw after undo or reopening)."""
        await self._set(document, language)

    async def _set(self, document: str, language: str | None, streaming: bool = False) -> None:
        self.language = language or None
        self.text = document
        self._show_kind()
        if self.language is not None:
            if streaming:
                self._code_soon()
            else:
                if self._code_timer is not None:
                    self._code_timer.stop()
                self._render_code()
            return
        if self._feeding:
            return                  # the feeder picks up the new text
        if self.text.startswith(self._shown) \
                and blocks(self.text[len(self._shown):]) <= BLOCKS_PER_STEP:
            rest = self.text[len(self._shown):]
            if rest:
                self._shown = self.text
                await self.markdown.append(rest)
        elif blocks(self.text) <= BLOCKS_PER_STEP:
            self._shown = self.text
            await self.markdown.update(self.text)
        else:
            self._feeding = True
            self.run_worker(self._feed(), group="feed", exit_on_error=False)

    async def _feed(self) -> None:
        """Bring the Markdown widget up to ``text`` a few blocks at a time."""
        try:
            while self._shown != self.text and self.language is None:
                if not self.text.startswith(self._shown):
                    self._shown = ""
                    await self.markdown.update("")
                chunk = first_blocks(self.text[len(self._shown):], BLOCKS_PER_STEP)
                self._shown += chunk
                await self.markdown.append(chunk)
                if not self.is_anchored:
                    self._follow_when_full()
                await asyncio.sleep(0.01)      # let keys and redraws through
        finally:
            self._feeding = False

    def _follow_when_full(self) -> None:
        """Stay at the bottom as text arrives, once the text fills the pane.

        (Anchoring earlier would push short text to the bottom of the pane.)"""
        if not self.is_anchored and self.max_scroll_y > 0:
            self.anchor()
