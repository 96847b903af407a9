"""The app's side of generation: start a run, stream it, settle it.

``start`` reads the form in the UI thread and checks it (no model calls);
a thread worker opens the assistant's stream and only pushes its events
into the ``ActiveRun``; a UI timer moves what piled up onto the screen
(``_drain``); ``on_generation_ended`` records the result in the mode's
session and draws the final text. A lock keeps a model from being closed
while a run still uses it.
"""
from __future__ import annotations

from textual import work

from textgen.core.errors import TextgenError
from textgen.tui.app_messages import GenerationEnded
from textgen.tui.app_run import ActiveRun
from textgen.tui.app_sessions import Segment
from textgen.tui.widgets.mode_panels import ChatPanel


class GenerationMixin:
    async def action_generate(self) -> None:
        await self.start("new")

    async def action_regenerate(self) -> None:
        await self.start("regenerate")

    async def action_continue(self) -> None:
        await self.start("continue")

    def sync_inputs(self, mode: str) -> None:
        """Copy the mode's form and notes into its session (UI thread)."""
        session = self.sessions[mode]
        session.inputs = {**session.inputs, **self.panel(mode).read_inputs(),
                          **self.notes.read_notes(mode)}

    async def start(self, action: str) -> bool:
        """Start ``action`` in the current mode; False (with a notice) when it cannot."""
        mode = self.mode
        session = self.sessions[mode]
        try:
            if self.generator is None:
                raise TextgenError("the model is still loading; try again in a moment"
                                   if self.loading else
                                   "no model loaded yet: press F2 to choose one")
            if self.active_run is not None:
                raise TextgenError("already generating: Esc stops it")
            if self.controls.error:
                raise TextgenError(f"fix the controls first: {self.controls.error}")
            self.sync_inputs(mode)
            session.check(action)
        except TextgenError as e:
            self.notify(str(e), severity="error")
            return False
        seed = None
        if action == "regenerate" and session.params.seed is not None:
            seed = (session.segments[-1].seed or session.params.seed) + 1
        params = session.request_params(seed)
        before = len(session.all_candidates(-1 if action == "regenerate" else None)) \
            if mode == "twist" and action != "new" else 0
        run = ActiveRun(mode, action, params, session.live_prefix(action), before)
        self.active_run = run
        if isinstance(self.panel(mode), ChatPanel) and action == "new":
            self.panel(mode).clear_message()
        self.status.set_figures(0, None, None)
        self.status.set_state(f"generating · seed {params.seed}")
        await self.panel(mode).output.begin(run.prefix, self._language(mode, action))
        self._drain_timer.resume()
        self._generate_worker(run, session, self.generator)
        return True

    def _language(self, mode: str, action: str) -> str | None:
        if mode != "code":
            return None
        session = self.sessions["code"]
        task = session.inputs.get("task")
        if action == "continue" and session.segments:
            task = session.segments[-1].extra.get("task", "write")
        return None if task == "explain" else (session.inputs.get("language") or "python")

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def _generate_worker(self, run: ActiveRun, session, generator) -> None:
        result, error = None, None
        with self._model_lock:
            try:
                stream = session.open_stream(generator, run.action, run.params)
                run.context = stream.context
                run.attach(stream)
                for event in stream:
                    run.push(event)
                result = stream.result
            except TextgenError as e:
                error = str(e)
            except Exception as e:   # a model failing mid-run must not take the app down
                error = f"{type(e).__name__}: {e}"
        self.post_message(GenerationEnded(run, result, error))

    async def _drain(self) -> None:
        run = self.active_run
        if run is None:
            return
        events = run.take()
        if events:
            await self._show_events(run, events)
        self.status.set_figures(*run.figures())

    async def _show_events(self, run: ActiveRun, events: list) -> None:
        text = run.apply(events)
        if text:
            await self.panel(run.mode).output.append(text)

    async def on_generation_ended(self, message: GenerationEnded) -> None:
        run = message.run
        self._drain_timer.pause()
        events = run.take()
        if events:
            await self._show_events(run, events)
        session = self.sessions[run.mode]
        if message.error:
            self.notify(message.error, severity="error", timeout=8)
            self.status.set_state("error")
        else:
            result = message.result
            segment = Segment(result.text, result.raw_text, run.params.seed,
                              result.stats.to_dict(), run.tokens, list(result.candidates),
                              dict(result.extra))
            if result.text.strip() or run.mode == "chat":
                session.record(run.action, segment)
            else:
                self.notify("The model wrote nothing this time; try again or change the "
                            "controls.", severity="warning")
            stats = result.stats
            self.status.set_figures(stats.completion_tokens, stats.tokens_per_second or None,
                                    stats.time_to_first_token if stats.completion_tokens else None)
            self.status.set_state(("stopped" if stats.stop_reason == "cancelled"
                                   else f"done: {stats.stop_reason}") + f" · seed {run.params.seed}")
        await self.panel(run.mode).output.finish(session.document(),
                                                 self._language(run.mode, run.action))
        run.finished = True
        self.active_run = None
        self.last_run = run

    def action_stop(self) -> None:
        if self.active_run is not None:
            self.active_run.cancel()
            self.status.set_state("stopping...")
