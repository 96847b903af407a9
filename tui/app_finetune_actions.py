"""The app's side of fine-tuning: the dialog, the background job, cancelling.

The job trains a copy (``textgen.train.finetune``) in a thread worker and
reports progress as messages; the app switches to the copy when it is done
and keeps the original model in use when the job is cancelled or fails.
"""
from __future__ import annotations

from textual import work

from textgen.core.errors import TextgenError
from textgen.tui.app_finetune import (FinetuneJob, FinetuneRequest, finetune_support,
                                      new_output_dir)
from textgen.tui.app_messages import FinetuneEnded, FinetuneProgress
from textgen.tui.app_models import display_path
from textgen.tui.widgets.finetune_panel import FinetunePanel


class FinetuneActionsMixin:
    finetune_job: FinetuneJob | None

    def _finetune_check(self) -> tuple[bool, str]:
        if self.generator is None:
            raise TextgenError("no model loaded: load the model to fine-tune first (F2)")
        if self.finetune_job is not None:
            raise TextgenError("a fine-tune is already running (/finetune cancel stops it)")
        return finetune_support(self.generator)

    def action_finetune(self) -> None:
        """Open the fine-tune dialog (F6, the palette, or /finetune without arguments)."""
        from textgen.tui.screens.dialogs import FinetuneDialog

        try:
            lora_required, note = self._finetune_check()
        except TextgenError as e:
            self.notify(str(e), severity="error", timeout=10)
            return
        note = f"{display_path(self.generator.info.path)}: {note}"
        self.push_screen(FinetuneDialog(note, lora_required),
                         lambda request: request and self.start_finetune(request))

    def start_finetune(self, request: FinetuneRequest) -> FinetuneJob | None:
        try:
            lora_required, _ = self._finetune_check()
        except TextgenError as e:
            self.notify(str(e), severity="error", timeout=10)
            return None
        if lora_required and not request.lora:
            request.lora = True
            self.notify("Hugging Face models are fine-tuned with LoRA adapters.", timeout=4)
        model_path = str(self.generator.info.path)
        root = self.data_dir / "finetuned" if self.data_dir else None
        job = FinetuneJob(model_path, request, new_output_dir(model_path, root),
                          on_progress=lambda values: self.post_message(FinetuneProgress(values)),
                          train=self.trainer,
                          on_notice=lambda text: self.call_from_thread(self.notify, text))
        self.finetune_job = job
        epochs = f"{request.epochs} epoch{'s' if request.epochs > 1 else ''}"
        self.query_one(FinetunePanel).start(
            f"fine-tuning on {request.data_path.name} ({epochs}"
            f"{', LoRA' if request.lora else ''})...")
        self._finetune_worker(job)
        return job

    @work(thread=True, exclusive=True, group="finetune", exit_on_error=False)
    def _finetune_worker(self, job: FinetuneJob) -> None:
        try:
            path = job.run()
        except TextgenError as e:
            self.post_message(FinetuneEnded(job, None, str(e)))
        except Exception as e:   # training failing must not take the app down
            self.post_message(FinetuneEnded(job, None, f"{type(e).__name__}: {e}"))
        else:
            self.post_message(FinetuneEnded(job, path, None))

    def action_cancel_finetune(self) -> None:
        self.cancel_finetune()

    def cancel_finetune(self) -> bool:
        if self.finetune_job is None:
            self.notify("No fine-tune is running.")
            return False
        self.finetune_job.cancel()
        self.notify("Cancelling the fine-tune...", timeout=3)
        return True

    def on_finetune_progress(self, message: FinetuneProgress) -> None:
        v = message.values
        self.query_one(FinetunePanel).show_progress(
            int(v.get("step") or 0), v.get("total"), v.get("loss"), v.get("epoch"),
            v.get("epochs"))

    def on_finetune_panel_cancel_requested(self) -> None:
        self.cancel_finetune()

    def on_finetune_ended(self, message: FinetuneEnded) -> None:
        self.finetune_job = None
        self.query_one(FinetunePanel).stop()
        if message.error:
            self.notify(f"Fine-tuning failed: {message.error}", severity="error", timeout=10)
        elif message.path is None:
            self.notify(f"Fine-tuning cancelled; still using {display_path(self.model_path)}.",
                        timeout=5)
        else:
            self.notify(f"Fine-tuned copy saved to {display_path(message.path)}; switching to it.",
                        timeout=6)
            self.load_model(str(message.path))
