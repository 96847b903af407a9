"""`textgen train`, `textgen distill` and `textgen plot`.

Training itself is `textgen.train.run.train_run`; this module reads the
command line, shows a progress bar (rank 0 only under torchrun), turns
Ctrl-C / SIGTERM into "save and stop", and prints where the result went.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

SET_HELP = ("Override a config value, e.g. --set optim.lr=3e-4 --set model.n_layer=6 "
            "(repeatable; values are read as YAML).")
DATA_HELP = "Training text: a file, a folder, a glob, or JSONL with a `text` (and `genre`) field."
DATASET_HELP = ("A dataset by name: shakespeare, gutenberg:<id>, code[:<folder>|stdlib], "
                "hf:<name>[:<config>], news, wikipedia, reddit.")
OUT_HELP = "Output folder (default: experiments/<config name>)."
RESUME_HELP = ("Continue the run saved in the output folder exactly where it stopped "
               "(its saved config is used; --set / --max-steps still apply).")


def _resolve(config_path: Path, data: Optional[str], dataset: Optional[str], out: Optional[Path],
             max_steps: Optional[int], sets: List[str], resume: bool, suffix: str = ""):
    from textgen.core.errors import TextgenError
    from textgen.train.config import apply_overrides, load_config
    from textgen.train.run_folder import RunFolder

    if data and dataset:
        raise TextgenError("give either --data PATH or --dataset NAME, not both")
    config = load_config(config_path, sets)
    out_dir = out or Path("experiments") / (config.name + suffix)
    saved = RunFolder(out_dir).config
    if resume and saved.is_file():
        config = load_config(saved, sets)
    extra = []
    if data:
        extra += [f"data.path={data}", "data.dataset=null"]
    if dataset:
        extra += [f"data.dataset={dataset}", "data.path=null"]
    if max_steps is not None:
        extra.append(f"train.max_steps={max_steps}")
    return apply_overrides(config, extra).validate(), out_dir


class ProgressView:
    """A rich progress bar on a terminal; a few plain lines otherwise."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.progress = self.task = None
        self.last_printed = 0
        self.tty = sys.stderr.isatty()

    def __enter__(self):
        if self.enabled and self.tty:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self.progress = Progress(
                TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"), TextColumn("val {task.fields[val]}"),
                TextColumn("{task.fields[speed]} tok/s"), TimeElapsedColumn(),
                TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self.progress.__enter__()
            self.task = self.progress.add_task("train", total=self.total, loss="-", val="-",
                                               speed="-")
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def notify(self, message: str) -> None:
        if not self.enabled:
            return
        if self.progress is not None:
            self.progress.console.print(message)
        else:
            print(message, file=sys.stderr, flush=True)

    def update(self, p) -> None:
        if not self.enabled:
            return
        val = f"{p.val_loss:.4f}" if p.val_loss is not None else "-"
        if self.progress is not None:
            self.progress.update(self.task, completed=p.step, total=p.total,
                                 loss=f"{p.loss:.4f}", val=val, speed=f"{p.tokens_per_s:,.0f}")
            return
        every = max(1, p.total // 10)
        if p.step - self.last_printed >= every or p.step == p.total:
            self.last_printed = p.step
            print(f"step {p.step}/{p.total}  loss {p.loss:.4f}  val {val}  "
                  f"{p.tokens_per_s:,.0f} tok/s  ETA {p.eta:.0f}s", file=sys.stderr, flush=True)


def _run(config, out_dir: Path, resume: bool, command: str, teacher: Optional[str] = None):
    from textgen.train.interrupts import StopOnSignals
    from textgen.train.run import train_run

    main_rank = os.environ.get("RANK", "0") == "0"
    with ProgressView(config.train.max_steps, main_rank) as view:
        with StopOnSignals(lambda name: view.notify(
                f"{name}: saving a checkpoint and stopping after this step "
                "(Ctrl-C again to quit at once)")) as stop:
            outcome = train_run(config, out_dir, resume=resume, notify=view.notify,
                                on_progress=view.update, should_stop=stop, teacher_path=teacher)
    if main_rank:
        _summary(outcome, out_dir, command)
    if stop.signal_name:
        raise typer.Exit(stop.exit_code)


def _summary(outcome, out_dir: Path, command: str) -> None:
    import math

    r = outcome.result
    lines = [f"{r.stop_reason} at step {r.step} in {r.elapsed:.0f}s "
             f"({outcome.parameters:,} parameters, {outcome.device}, {outcome.precision})"]
    if r.best_val_loss is not None:
        bpc = r.best_val_loss * outcome.val_tokens / max(outcome.val_chars, 1) / math.log(2)
        lines.append(f"best validation loss {r.best_val_loss:.4f} (about {bpc:.3f} bits per "
                     "character)")
    lines.append(f"checkpoints: {out_dir / 'best'} (best), {out_dir / 'last'} (last); "
                 f"metrics: {out_dir / 'metrics.jsonl'}")
    if r.stop_reason == "interrupted":
        lines.append(f"continue with: {command} --out {out_dir} --resume")
    else:
        lines.append(f"try it: textgen generate --model {out_dir / 'best'} --prompt ...")
    print("\n".join(lines))


def train(
    config: Path = typer.Argument(..., help="A YAML config, e.g. configs/gpt.yaml."),
    data: Optional[str] = typer.Option(None, "--data", help=DATA_HELP),
    dataset: Optional[str] = typer.Option(None, "--dataset", help=DATASET_HELP),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help=OUT_HELP),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Number of updates."),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    sets: List[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Train a model (char_rnn, word_lstm, transformer, gpt) or fine-tune one.

    Writes best/ and last/ checkpoints, metrics.jsonl and the resolved config to
    the output folder. Ctrl-C or SIGTERM saves and stops; --resume continues.
    Several processes: torchrun --nproc_per_node=N $(which textgen) train CONFIG.
    """
    cfg, out_dir = _resolve(config, data, dataset, out, max_steps, sets, resume)
    _run(cfg, out_dir, resume, f"textgen train {config}")


def distill(
    teacher: str = typer.Option(..., "--teacher", help="The trained model to learn from "
                                "(one of our checkpoints)."),
    student: Path = typer.Option(..., "--student", help="Config of the student model; it uses "
                                 "the teacher's tokenizer."),
    data: Optional[str] = typer.Option(None, "--data", help=DATA_HELP),
    dataset: Optional[str] = typer.Option(None, "--dataset", help=DATASET_HELP),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: "
                                       "experiments/<student config>-distilled)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Number of updates."),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="Softening of "
                                                "both distributions (distill.temperature)."),
    alpha: Optional[float] = typer.Option(None, "--alpha", help="Weight of the teacher's soft "
                                          "targets; 1 - alpha goes to the data (distill.alpha)."),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    sets: List[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Train a small student model to imitate a larger teacher (knowledge distillation)."""
    extra = list(sets)
    if temperature is not None:
        extra.append(f"distill.temperature={temperature}")
    if alpha is not None:
        extra.append(f"distill.alpha={alpha}")
    cfg, out_dir = _resolve(student, data, dataset, out, max_steps, extra, resume, "-distilled")
    _run(cfg, out_dir, resume, f"textgen distill --teacher {teacher} --student {student}",
         teacher=teacher)


def plot(
    run: Path = typer.Argument(..., help="A training output folder (or its metrics.jsonl)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="PNG to write (default: "
                                       "RUN/loss.png)."),
) -> None:
    """Draw a run's training and validation loss curves to a PNG."""
    from textgen.train.plot import plot_run

    print(plot_run(run, out))


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(distill)
    app.command()(plot)
