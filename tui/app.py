"""The textgen terminal app: five modes, live streaming, controls, fine-tuning.

Layout: the mode tabs (each an output pane above its inputs), a side panel
(sampling controls, story/chat notes), a fine-tune progress strip, a status
bar and the footer. Nothing here calls a model: loading runs in a thread
worker (so the first screen paints before torch is imported), generation
runs in a thread worker that only fills an ``ActiveRun``, and a UI timer
moves what piled up onto the screen in batches.

For tests and embedding, everything heavy is injectable: pass a loaded
``generator``, a ``loader(path) -> Generator``, a fine-tune ``trainer``
(``textgen.train.finetune.finetune``'s signature), and ``data_dir`` for
the recent-models list and fine-tuned copies.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, TabbedContent, TabPane

from textgen.core.errors import TextgenError
from textgen.tui.app_commands import SlashCommandProvider, parse_slash
from textgen.tui.app_keys import KEYS, PALETTE
from textgen.tui.app_generation import GenerationMixin
from textgen.tui.app_model_actions import ModelActionsMixin
from textgen.tui.app_models import RecentModels, default_model_path
from textgen.tui.app_run import ActiveRun
from textgen.tui.app_sessions import MODES, new_sessions
from textgen.tui.app_slash import SlashCommandsMixin
from textgen.tui.widgets.controls import ControlsPanel
from textgen.tui.widgets.finetune_panel import FinetunePanel
from textgen.tui.widgets.mode_panels import PANEL_CLASSES, ModePanel
from textgen.tui.widgets.notes_panel import NotesPanel
from textgen.tui.widgets.status_bar import StatusBar

DRAIN_INTERVAL = 0.05   # seconds between screen updates while a model writes


class TextgenApp(GenerationMixin, ModelActionsMixin, SlashCommandsMixin, App):
    CSS_PATH = "app.tcss"
    TITLE = "textgen"
    COMMANDS = App.COMMANDS | {SlashCommandProvider}
    BINDINGS = [Binding(k.keys, k.action, k.label or k.description, show=k.footer,
                        tooltip=k.description) for k in KEYS if k.action != "command_palette"]

    def __init__(self, model_path: str | Path | None = None, *, mode: str = "story",
                 generator=None, loader: Callable | None = None, trainer: Callable | None = None,
                 data_dir: str | Path | None = None, session_file: str | Path | None = None):
        super().__init__()
        if mode not in MODES:
            raise TextgenError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
        self.start_mode = mode
        self.model_path = str(model_path) if model_path else None
        self.generator = generator
        self.loader = loader
        self.trainer = trainer
        self.data_dir = Path(data_dir) if data_dir else None
        self.sessions = new_sessions()
        self.active_run: ActiveRun | None = None
        self.last_run: ActiveRun | None = None
        self.finetune_job = None
        self.session_path: str | None = None
        self.session_file = str(session_file) if session_file else None
        self._model_lock = threading.Lock()    # held while a generation uses the model
        self._load_serial = 0
        self._recent: RecentModels | None = None

    # --- layout ---------------------------------------------------------------------
    def compose(self):
        with Horizontal(id="body"):
            with TabbedContent(initial=self.start_mode, id="modes"):
                for mode in MODES:
                    with TabPane(self.sessions[mode].title, id=mode):
                        yield PANEL_CLASSES[mode](id=f"panel-{mode}")
            with Vertical(id="side"):
                with TabbedContent(id="side-tabs"):
                    with TabPane("Controls", id="side-controls"):
                        with VerticalScroll():
                            yield ControlsPanel(self.sessions[self.start_mode].params,
                                                owner=self.start_mode, id="controls")
                    with TabPane("Notes", id="side-notes"):
                        with VerticalScroll():
                            yield NotesPanel(id="notes")
        yield FinetunePanel(id="finetune")
        yield StatusBar(id="status")
        yield Footer()

    @property
    def mode(self) -> str:
        return self.query_one("#modes", TabbedContent).active or self.start_mode

    def panel(self, mode: str | None = None) -> ModePanel:
        return self.query_one(f"#panel-{mode or self.mode}", ModePanel)

    @property
    def controls(self) -> ControlsPanel:
        return self.query_one("#controls", ControlsPanel)

    @property
    def notes(self) -> NotesPanel:
        return self.query_one("#notes", NotesPanel)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    @property
    def recent(self) -> RecentModels:
        if self._recent is None:
            self._recent = RecentModels(self.data_dir / "recent_models.json"
                                        if self.data_dir else None)
        return self._recent

    def on_mount(self) -> None:
        for mode in MODES:
            self.panel(mode).show_inputs(self.sessions[mode].inputs)
        self.notes.show_notes("story", self.sessions["story"].inputs)
        self.notes.show_notes("chat", self.sessions["chat"].inputs)
        self._show_mode_side(self.start_mode)
        self._drain_timer = self.set_interval(DRAIN_INTERVAL, self._drain, pause=True)
        if self.generator is not None:
            self._use_generator(self.generator, self.model_path or self.generator.info.path)
        else:
            self.status.set_state("starting")
            # after the first paint: loading imports torch, which takes a while
            self.call_after_refresh(self._initial_load)
        self.panel().focus_input()
        if self.session_file:
            self.run_worker(self.open_session_from(self.session_file))

    def on_unmount(self) -> None:
        """Leaving: stop the work in threads (the process waits for them) and
        give PyTorch its threads back."""
        if self.active_run is not None:
            self.active_run.cancel()
        if self.finetune_job is not None:
            self.finetune_job.cancel()
        self.restore_model_threads()

    def _initial_load(self) -> None:
        path = self.model_path or default_model_path()
        if path is None:
            self.status.set_state("no model: F2 chooses one")
            self.notify("No model yet: press F2 to choose one, or start with --model PATH.",
                        severity="warning", timeout=8)
            return
        self.load_model(str(path))

    def notify(self, message: str, *, markup: bool = False, **options) -> None:
        """Notices quote paths and model text: plain text unless asked otherwise."""
        super().notify(message, markup=markup, **options)

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for title, help, action in PALETTE:
            yield SystemCommand(title, help, lambda action=action: self.run_action(action))

    def action_preset(self, name: str) -> None:
        self.controls.apply_preset(name)

    # --- modes -------------------------------------------------------------------------
    def action_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise TextgenError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
        self.query_one("#modes", TabbedContent).active = mode
        self._show_mode_side(mode)
        self.panel(mode).focus_input()

    @on(TabbedContent.TabActivated, "#modes")
    def _mode_tab(self, event: TabbedContent.TabActivated) -> None:
        self._show_mode_side(event.pane.id)

    def _show_mode_side(self, mode: str) -> None:
        self.controls.show_params(self.sessions[mode].params, owner=mode)
        self.notes.show_mode(mode)

    @on(ControlsPanel.Changed)
    def _params_changed(self, event: ControlsPanel.Changed) -> None:
        self.sessions[event.owner or self.mode].params = event.params

    # --- output actions -------------------------------------------------------------------
    async def action_undo(self) -> None:
        if self.active_run is not None:
            self.notify("Stop the generation first (Esc).", severity="warning")
            return
        session = self.sessions[self.mode]
        if not session.undo():
            self.notify("Nothing to undo.")
            return
        await self.redraw_mode(self.mode)

    async def redraw_mode(self, mode: str) -> None:
        session = self.sessions[mode]
        language = None
        if mode == "code" and session.segments and not session.is_explanation:
            language = session.inputs.get("language") or "python"
        await self.panel(mode).output.finish(session.document(), language)

    def action_copy(self) -> None:
        text = self.sessions[self.mode].plain_text()
        if not text:
            self.notify("Nothing to copy yet.")
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters.", timeout=2)

    def action_help(self) -> None:
        from textgen.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_inspect(self) -> None:
        from textgen.tui.screens.inspector import InspectorScreen

        session = self.sessions[self.mode]
        run = self.active_run
        tokens = list(run.tokens) if run is not None and run.mode == self.mode \
            else session.last_tokens
        p = session.segments[-1].seed if session.segments else None
        params = session.params
        title = (f"Token inspector · temperature {params.temperature:g} · top-k {params.top_k} "
                 f"· top-p {params.top_p:g} · min-p {params.min_p:g}"
                 + (f" · seed {p}" if p is not None else ""))
        self.push_screen(InspectorScreen(tokens, title))

    def action_toggle_side(self) -> None:
        side = self.query_one("#side")
        side.display = not side.display

    # --- chat and command input --------------------------------------------------------------
    @on(Input.Submitted, "#chat-message")
    async def _chat_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if text.startswith("/") and not text.startswith("//"):
            event.input.value = ""
            self.run_slash(text)
        elif text:
            if text.startswith("//"):
                event.input.value = event.value.replace("/", "", 1)
            await self.start("new")

    @on(Input.Submitted, "#dialogue-character, #dialogue-name, #twist-count, #code-language")
    async def _form_submitted(self) -> None:
        await self.start("new")

    def run_slash(self, text: str) -> None:
        """Run a '/command args' line; errors become a notice."""
        try:
            command, arg = parse_slash(text)
            result = getattr(self, f"command_{command.name}")(arg)
        except TextgenError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        if hasattr(result, "__await__"):
            self.run_worker(result, exclusive=False)
