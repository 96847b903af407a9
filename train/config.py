"""Training configuration: YAML files loaded into typed dataclasses.

Every field can be overridden from the command line with ``--set
section.key=value`` (the value is read as YAML, so ``3e-4``, ``true`` and
``[a, b]`` work). Unknown keys are rejected with a message that names them
and suggests the closest known key, so a typo never trains silently with a
default. The ``model`` section holds ``architecture`` plus that
architecture's own fields, checked against its config dataclass in core.
"""
from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textgen.core.errors import TextgenError

EOS = "<|endoftext|>"


@dataclass
class ModelSection:
    """Which architecture and its settings (vocab_size comes from the tokenizer)."""
    architecture: str = "gpt"
    settings: dict = field(default_factory=dict)


@dataclass
class TokenizerSection:
    kind: str = "char"              # char | word | bpe (fine-tuning keeps the model's own)
    vocab_size: int = 2048          # bpe: size of the learned vocabulary
    max_vocab: int = 10000          # word: most frequent words kept, the rest become <unk>
    min_freq: int = 1               # word: rarer words become <unk>
    lowercase: bool = False         # word
    unknown: str = "replace"        # char: characters unseen in training -> error | replace
    specials: list = field(default_factory=lambda: [EOS])


@dataclass
class DataSection:
    dataset: str | None = None      # shakespeare, gutenberg:<id>, code[:PATH|stdlib], hf:<name>
    path: str | None = None         # text file, folder, glob or JSONL (a `text` field)
    val_fraction: float = 0.1       # the last part of the corpus is held out
    encoding_errors: str = "replace"  # non-UTF-8 bytes: replace (U+FFFD) | ignore | strict
    max_chars: int | None = None    # cap on corpus size (large datasets)
    text_field: str = "text"        # JSONL / datasets field holding the text
    genre_field: str = "genre"      # JSONL field holding a genre label (-> control code)
    cache_dir: str | None = None    # token cache (default: the user cache folder)


@dataclass
class OptimSection:
    lr: float = 1e-3
    min_lr: float = 1e-4            # where the cosine/linear decay ends
    weight_decay: float = 0.1       # on weight matrices only
    beta1: float = 0.9
    beta2: float = 0.99
    eps: float = 1e-8
    grad_clip: float = 1.0          # 0 turns clipping off
    schedule: str = "cosine"        # cosine | linear | constant
    warmup_steps: int = 100
    decay_steps: int | None = None  # default: max_steps


@dataclass
class TrainSection:
    max_steps: int = 2000
    batch_size: int = 12
    seq_len: int | None = None      # default: the context length (128 for recurrent models)
    grad_accum: int = 1
    eval_interval: int = 250
    eval_batches: int = 20          # 0: the whole validation split
    log_interval: int = 10
    checkpoint_interval: int = 250  # how often `last/` is refreshed
    precision: str = "auto"         # auto | fp32 | bf16 | fp16 (fp16: CUDA only)
    device: str = "auto"            # auto | cpu | cuda | cuda:N
    seed: int = 1337
    early_stopping_patience: int = 0   # evaluations without improvement; 0 = off
    curriculum_start: int = 0       # first sequence length of a curriculum; 0 = off
    curriculum_steps: int = 0       # steps over which it grows to seq_len
    threads: int = 0                # torch CPU threads; 0 = torch's default
    compile: bool = False           # torch.compile the model


@dataclass
class LoraSection:
    enabled: bool = False
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list | None = None   # default: every linear projection but the head


@dataclass
class DistillSection:
    temperature: float = 2.0
    alpha: float = 0.5              # weight of the soft-target KL; 1 - alpha on cross-entropy


@dataclass
class TrainConfig:
    name: str = ""
    model: ModelSection = field(default_factory=ModelSection)
    tokenizer: TokenizerSection = field(default_factory=TokenizerSection)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    lora: LoraSection = field(default_factory=LoraSection)
    distill: DistillSection = field(default_factory=DistillSection)
    init_from: str | None = None    # one of our checkpoints to continue training
    base: str | None = None         # a Hugging Face causal LM (local folder or hub name)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        model = data.pop("model")
        data["model"] = {"architecture": model["architecture"], **model["settings"]}
        return data

    def validate(self) -> "TrainConfig":
        """Check values that cannot be right, with messages that say which and why."""
        checks = [
            (self.tokenizer.kind in ("char", "word", "bpe"), "tokenizer.kind",
             "char, word or bpe"),
            (self.tokenizer.unknown in ("error", "replace"), "tokenizer.unknown",
             "error or replace"),
            (0.0 <= self.data.val_fraction < 1.0, "data.val_fraction", "in [0, 1)"),
            (self.data.encoding_errors in ("replace", "ignore", "strict"),
             "data.encoding_errors", "replace, ignore or strict"),
            (self.optim.schedule in ("cosine", "linear", "constant"), "optim.schedule",
             "cosine, linear or constant"),
            (self.optim.lr > 0, "optim.lr", "> 0"),
            (self.optim.min_lr >= 0, "optim.min_lr", ">= 0"),
            (self.optim.warmup_steps >= 0, "optim.warmup_steps", ">= 0"),
            (self.train.max_steps >= 1, "train.max_steps", ">= 1"),
            (self.train.batch_size >= 1, "train.batch_size", ">= 1"),
            (self.train.seq_len is None or self.train.seq_len >= 2, "train.seq_len", ">= 2"),
            (self.train.grad_accum >= 1, "train.grad_accum", ">= 1"),
            (self.train.eval_interval >= 1, "train.eval_interval", ">= 1"),
            (self.train.log_interval >= 1, "train.log_interval", ">= 1"),
            (self.train.checkpoint_interval >= 1, "train.checkpoint_interval", ">= 1"),
            (self.train.precision in ("auto", "fp32", "bf16", "fp16"), "train.precision",
             "auto, fp32, bf16 or fp16"),
            (self.train.early_stopping_patience >= 0, "train.early_stopping_patience", ">= 0"),
            (self.distill.temperature > 0, "distill.temperature", "> 0"),
            (0.0 <= self.distill.alpha <= 1.0, "distill.alpha", "in [0, 1]"),
            (self.lora.r >= 1, "lora.r", ">= 1"),
        ]
        for ok, key, expected in checks:
            if not ok:
                raise TextgenError(f"config: {key} must be {expected}, got "
                                   f"{_lookup(self, key)!r}")
        if self.base is None and self.init_from is None:
            from textgen.core.models import get_architecture

            get_architecture(self.model.architecture)   # unknown name -> clear error
        return self


def _lookup(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# --- loading -------------------------------------------------------------------------

def load_config(path: str | Path, overrides: list[str] = ()) -> TrainConfig:
    """Read a YAML config, apply ``key=value`` overrides, validate."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise TextgenError(f"{path}: no such config file (see configs/ for examples)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()
        raise TextgenError(f"{path}: not valid YAML ({' '.join(first[:3])})") from None
    if not isinstance(raw, dict):
        raise TextgenError(f"{path}: expected a mapping of sections (model:, train:, ...)")
    raw.setdefault("name", path.stem)
    config = config_from_dict(raw, where=str(path))
    return apply_overrides(config, overrides).validate()


def config_from_dict(raw: dict, where: str = "config") -> TrainConfig:
    raw = dict(raw)
    model_raw = raw.pop("model", None) or {}
    if not isinstance(model_raw, dict):
        raise TextgenError(f"{where}: `model` must be a mapping")
    config = _build(TrainConfig, {k: v for k, v in raw.items()}, where, "")
    model_raw = dict(model_raw)
    architecture = model_raw.pop("architecture", "gpt")
    config.model = ModelSection(str(architecture), {})
    for key, value in model_raw.items():
        _set_model_setting(config, key, value, where)
    return config


def apply_overrides(config: TrainConfig, overrides: list[str]) -> TrainConfig:
    """Apply ``section.key=value`` strings (values parsed as YAML)."""
    import yaml

    for item in overrides or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise TextgenError(f"--set {item!r}: expected key=value, e.g. optim.lr=3e-4")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError:
            value = text
        set_value(config, key, value, where="--set")
    return config


def set_value(config: TrainConfig, key: str, value: Any, where: str = "--set") -> None:
    parts = key.split(".")
    if parts[0] == "model":
        if len(parts) != 2:
            raise TextgenError(f"{where}: {key!r}: use model.<field>, e.g. model.n_layer=6")
        if parts[1] == "architecture":
            config.model.architecture = str(value)
            return
        _set_model_setting(config, parts[1], value, where)
        return
    target, hints = config, typing.get_type_hints(TrainConfig)
    for depth, part in enumerate(parts):
        names = [f.name for f in dataclasses.fields(target)]
        if part not in names or (depth < len(parts) - 1 and
                                 not dataclasses.is_dataclass(getattr(target, part))):
            prefix = ".".join(parts[:depth])
            raise TextgenError(f"{where}: unknown key {key!r}{_suggest(part, names, prefix)}")
        if depth == len(parts) - 1:
            setattr(target, part, _coerce(value, hints[part], key, where))
        else:
            target = getattr(target, part)
            hints = typing.get_type_hints(type(target))


def _set_model_setting(config: TrainConfig, key: str, value: Any, where: str) -> None:
    if key == "vocab_size":
        raise TextgenError(f"{where}: model.vocab_size is set from the tokenizer; remove it")
    from textgen.core.models import get_architecture

    config_cls, _ = get_architecture(config.model.architecture)
    hints = typing.get_type_hints(config_cls)
    known = [f.name for f in dataclasses.fields(config_cls) if f.name != "vocab_size"]
    if key not in known:
        raise TextgenError(f"{where}: unknown key 'model.{key}' for architecture "
                           f"{config.model.architecture!r}{_suggest(key, known, 'model')}")
    config.model.settings[key] = _coerce(value, hints[key], f"model.{key}", where)


def _build(cls, raw: Any, where: str, prefix: str):
    if not isinstance(raw, dict):
        raise TextgenError(f"{where}: {prefix or 'config'} must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in raw if k not in names]
    if unknown:
        shown = ", ".join(f"{prefix + '.' if prefix else ''}{k}" for k in unknown)
        hint = _suggest(str(unknown[0]), names, prefix)
        raise TextgenError(f"{where}: unknown key(s) {shown}{hint}")
    values = {}
    for name, value in raw.items():
        key = f"{prefix}.{name}" if prefix else name
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            values[name] = _build(kind, value or {}, where, key)
        else:
            values[name] = _coerce(value, kind, key, where)
    return cls(**values)


def _suggest(word: str, names: list[str], prefix: str) -> str:
    close = difflib.get_close_matches(word, names, n=1)
    dotted = f"{prefix}.{close[0]}" if close and prefix else (close[0] if close else "")
    known = ", ".join(names)
    where = f" in {prefix}" if prefix else ""
    return (f" (did you mean {dotted!r}?)" if close else "") + f"; known{where}: {known}"


def _coerce(value: Any, kind, key: str, where: str):
    """Turn a YAML value into the field's type, or say what was expected."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], key, where)
    expected = getattr(kind, "__name__", str(kind))
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
                return value.lower() in ("true", "yes")
            raise ValueError
        if kind is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                return int(float(value)) if float(value).is_integer() else int(value)
            if isinstance(value, int):
                return value
            raise ValueError
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind is str:
            if isinstance(value, (dict, list)) or value is None:
                raise ValueError
            return str(value)
        if kind is list or origin is list:
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise ValueError
            return list(value)
        if kind is dict or origin is dict:
            if not isinstance(value, dict):
                raise ValueError
            return dict(value)
    except (TypeError, ValueError):
        raise TextgenError(f"{where}: {key} must be {expected}, got {value!r}") from None
    return value


def save_resolved(config: TrainConfig, path: Path) -> None:
    """Write the config as it was used, so a run can be repeated or resumed."""
    import yaml

    text = yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
