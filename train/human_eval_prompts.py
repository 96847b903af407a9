"""Prompts for human evaluation: a built-in dozen per mode, or the user's file.

The built-in ones are short openings in plain letters and common
punctuation, so that even a character-level model trained on a small corpus
can read every one of them.
"""
from __future__ import annotations

import json
from pathlib import Path

from textgen.core.errors import TextgenError

STORY = [
    "The old king walked alone in the garden at night, and the moon was red.",
    "When the ship came back to the harbour, no one was on board.",
    "She found the letter under the floor of her mother's house.",
    "The wizard looked at the boy and said nothing for a long time.",
    "Every door in the village was open, but the streets were empty.",
    "The knight had one more river to cross before the sun went down.",
    "In the morning the snow had covered every road out of the valley.",
    "He woke in a strange bed, with a sword beside him that was not his.",
    "The machine in the cellar began to sing as soon as the lights went out.",
    "My brother never came home from the fair, and nobody would say why.",
    "The queen called her council together and told them the truth at last.",
    "A stranger with a lantern knocked at the gate of the abbey.",
]

CODE = [
    "Return the sum of the squares of a list of numbers.",
    "Check whether a word reads the same backwards.",
    "Count how often each word appears in a text.",
    "Return the largest value in a list, or None if it is empty.",
    "Merge two sorted lists into one sorted list.",
    "Remove duplicate items from a list, keeping the first of each.",
    "Return the n-th Fibonacci number.",
    "Split a list into chunks of a given size.",
    "Convert a temperature from Celsius to Fahrenheit.",
    "Return the words of a sentence in reverse order.",
    "Check whether a number is prime.",
    "Flatten a list of lists into one list.",
]

CHAT = [
    "What is a good name for a black cat?",
    "How do I keep my bread fresh for longer?",
    "Tell me a short riddle.",
    "Why is the sky blue?",
    "What should I pack for a week of walking in the hills?",
    "Can you explain what a poem's metre is?",
    "Give me three ideas for a rainy afternoon.",
    "How do I make a simple tomato soup?",
    "What is the difference between weather and climate?",
    "Write a kind note to a friend who is ill.",
    "How can I learn to draw faces?",
    "What makes a story end well?",
]

BUILTIN_PROMPTS = {
    "story": STORY,
    "code": CODE,
    "chat": CHAT,
    "plain": STORY,
}


def builtin_prompts(mode: str) -> list[str]:
    if mode not in BUILTIN_PROMPTS:
        raise TextgenError(f"unknown mode {mode!r}; choose one of: {', '.join(BUILTIN_PROMPTS)}")
    return list(BUILTIN_PROMPTS[mode])


def load_prompts(path: str | Path) -> list[str]:
    """Prompts from a file: one per line, or JSON lines (``{"prompt": ...}``
    or a JSON string, for prompts with line breaks). Blank lines are skipped."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise TextgenError(f"no such prompts file: {path}")
    strict = path.suffix.lower() in (".jsonl", ".json", ".ndjson")
    prompts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            if strict:
                raise TextgenError(f"{path} line {number} is not valid JSON") from None
            value = line
        if isinstance(value, dict):
            value = value.get("prompt", value.get("text"))
            if not isinstance(value, str):
                raise TextgenError(f"{path} line {number}: a JSON object needs a \"prompt\" text")
        elif not isinstance(value, str):
            if strict:
                raise TextgenError(f"{path} line {number}: expected a JSON object or string")
            value = line
        if value.strip():
            prompts.append(value)
    if not prompts:
        raise TextgenError(f"{path} holds no prompts; write one prompt per line")
    return prompts
