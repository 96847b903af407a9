"""Loss curves of a run (``metrics.jsonl``) drawn to a PNG with matplotlib
(an optional extra: ``pip install matplotlib``)."""
from __future__ import annotations

from pathlib import Path

from textgen.core.errors import TextgenError
from textgen.train.run_folder import METRICS_FILE, read_metrics


def loss_series(records: list[dict]) -> tuple[list, list, list, list]:
    """(train steps, train losses, eval steps, validation losses); a resumed run's
    repeated steps keep their latest value."""
    train, val = {}, {}
    for r in records:
        if r.get("event") == "train" and r.get("loss") is not None:
            train[r["step"]] = r["loss"]
        elif r.get("event") == "eval" and r.get("val_loss") is not None:
            val[r["step"]] = r["val_loss"]
    ts, vs = sorted(train), sorted(val)
    return ts, [train[s] for s in ts], vs, [val[s] for s in vs]


def plot_run(run: str | Path, out: str | Path | None = None) -> Path:
    run = Path(run)
    metrics = run / METRICS_FILE if run.is_dir() else run
    if not metrics.is_file():
        raise TextgenError(f"{run}: no {METRICS_FILE} (is this a `textgen train` output folder?)")
    t_steps, t_loss, v_steps, v_loss = loss_series(read_metrics(metrics))
    if not t_steps and not v_steps:
        raise TextgenError(f"{metrics}: no loss values yet")
    try:
        import matplotlib
    except ImportError:
        raise TextgenError("plotting needs matplotlib: pip install 'textgen[plot]' "
                           "(or pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out) if out else metrics.parent / "loss.png"
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    if t_steps:
        ax.plot(t_steps, t_loss, label="training loss", color="#4c72b0", linewidth=1.2)
    if v_steps:
        ax.plot(v_steps, v_loss, label="validation loss", color="#dd8452", marker="o",
                markersize=3, linewidth=1.5)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per token)")
    ax.set_title(metrics.parent.name)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
