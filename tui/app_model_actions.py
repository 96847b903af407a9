"""The app's side of models: loading in a worker, switching, the picker.

A model loads in a thread worker (its library is imported there, never on
the UI thread); the current model stays in use until the new one is ready,
and a path that fails to load leaves it in use. The model a running
generation still holds is closed only after that generation lets go.
"""
from __future__ import annotations

from textual import work

from textgen.core.errors import TextgenError
from textgen.tui.app_messages import ModelFailed, ModelLoaded
from textgen.tui.app_models import (default_model_path, display_path, info_facts,
                                    leave_a_core_for_the_screen, restore_threads)


class ModelActionsMixin:
    _threads_before: int | None = None     # PyTorch's thread count before the app capped it
    loading: str | None = None             # the path being loaded, if any

    def restore_model_threads(self) -> None:
        restore_threads(self._threads_before)
    def load_model(self, path: str) -> None:
        """Load ``path`` in a worker; the current model stays until it is ready."""
        self._load_serial += 1
        self.loading = str(path)
        self.status.set_state(f"loading {display_path(path)}...")
        self._load_worker(str(path), self._load_serial)

    @work(thread=True, group="model", exit_on_error=False)
    def _load_worker(self, path: str, serial: int) -> None:
        try:
            if self.loader is not None:
                generator = self.loader(path)
            else:
                from textgen.core import load

                generator = load(path)
        except TextgenError as e:
            self.post_message(ModelFailed(path, str(e), serial))
        except Exception as e:   # a broken file can raise anything; the app stays up
            self.post_message(ModelFailed(path, f"{type(e).__name__}: {e}", serial))
        else:
            self.post_message(ModelLoaded(path, generator, serial))

    def on_model_loaded(self, message: ModelLoaded) -> None:
        if message.serial != self._load_serial:   # a newer request superseded this one
            self._close_model(message.generator)
            return
        self.loading = None
        self._use_generator(message.generator, message.path)
        self.notify(f"Model loaded: {display_path(message.path)}", timeout=3)

    def _use_generator(self, generator, path: str) -> None:
        old, self.generator = self.generator, generator
        self.model_path = str(path)
        before = leave_a_core_for_the_screen()
        if before is not None and self._threads_before is None:
            self._threads_before = before
        if self.active_run is not None:
            self.active_run.cancel()
        if old is not None and old is not generator:
            self._close_model(old)
        self.status.set_model(generator.info)
        self.status.set_state("ready")
        self.recent.add(info_facts(generator.info))

    def on_model_failed(self, message: ModelFailed) -> None:
        if message.serial == self._load_serial:
            self.loading = None
        self.notify(f"Could not load {message.path}: {message.error}", severity="error",
                    timeout=10)
        self.status.set_state("ready" if self.generator is not None
                              else "no model: F2 chooses one")

    @work(thread=True, group="close", exit_on_error=False)
    def _close_model(self, generator) -> None:
        with self._model_lock:   # wait for a generation that still uses it
            generator.close()

    def action_pick_model(self) -> None:
        from textgen.tui.screens.model_picker import ModelPickerScreen

        current = info_facts(self.generator.info) if self.generator is not None else None
        screen = ModelPickerScreen(current, default_model_path(), self.recent.entries)
        self.push_screen(screen, lambda path: path and self.load_model(path))
