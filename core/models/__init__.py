"""Architecture registry.

Adding an architecture is one new file in this folder plus one line here:
the name maps to "module:ConfigClass:ModelClass", resolved lazily so that
importing the registry never imports torch.
"""
from __future__ import annotations

import importlib

from textgen.core.errors import TextgenError

ARCHITECTURES: dict[str, str] = {
    "char_rnn": "textgen.core.models.char_rnn:CharRNNConfig:CharRNN",
    "word_lstm": "textgen.core.models.word_lstm:WordLSTMConfig:WordLSTM",
    "transformer": "textgen.core.models.transformer:TransformerConfig:TransformerLM",
    "gpt": "textgen.core.models.gpt:GPTConfig:GPT",
}


def architecture_names() -> list[str]:
    return sorted(ARCHITECTURES)


def get_architecture(name: str):
    """Return (ConfigClass, ModelClass) for an architecture name."""
    try:
        target = ARCHITECTURES[name]
    except KeyError:
        raise TextgenError(
            f"unknown architecture {name!r}; known: {', '.join(architecture_names())}"
        ) from None
    module_name, config_name, model_name = target.split(":")
    module = importlib.import_module(module_name)
    return getattr(module, config_name), getattr(module, model_name)


def build_model(name: str, config: dict):
    """Build a model from its architecture name and a plain config dict."""
    config_cls, model_cls = get_architecture(name)
    return model_cls(config_from_dict(config_cls, config))


def config_from_dict(config_cls, values: dict):
    import dataclasses

    known = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise TextgenError(
            f"unknown {config_cls.__name__} field(s): {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return config_cls(**values)
