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
        from textgen.tui.widgets.finetune_panel import FinetunePanel

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

    def cancel_finetune(self) -> bool:
        if self.finetune_job is None:
            self.notify("No fine-tune is running.")
            return False
        self.finetune_job.cancel()
        self.notify("Cancelling the fine-tune...", timeout=3)
        return True
