"""textgen's engine: models, tokenizers, checkpoints, sampling and generation.

Importing this package is cheap: torch, transformers and llama_cpp load only
when a model is loaded.
"""
from textgen.core.backends import load
from textgen.core.errors import TextgenError
from textgen.core.sampling import SamplingParams

__all__ = ["load", "SamplingParams", "TextgenError"]
