"""Genres: their names, how a prompt hints at them, and lexical steering.

A model trained with genre control codes (``generator.info.control_codes``,
such as ``"<|fantasy|>"``) is steered by putting the code first. Any other
model gets a short cue line and, optionally, a logit bias towards a small
genre vocabulary: each word that the model's tokenizer holds as a single
token gets ``strength`` added to its logit.
"""
from __future__ import annotations

import re

from textgen.core.errors import TextgenError

GENRES = ("general", "fantasy", "sci-fi", "mystery", "romance", "horror")

_ALIASES = {
    "scifi": "sci-fi", "science-fiction": "sci-fi", "sf": "sci-fi", "sciencefiction": "sci-fi",
    "crime": "mystery", "detective": "mystery", "love": "romance", "none": "general",
}

GENRE_CUES = {
    "general": "",
    "fantasy": "A fantasy tale of magic, kingdoms and quests.",
    "sci-fi": "A science-fiction story of starships, machines and distant worlds.",
    "mystery": "A mystery: a crime, clues, suspects and a detective.",
    "romance": "A romance of longing, hearts and love.",
    "horror": "A horror story of dread, darkness and death.",
}

# Small, common words, so that many tokenizers hold them as single tokens.
GENRE_WORDS = {
    "general": [],
    "fantasy": ["dragon", "sword", "magic", "king", "queen", "castle", "spell", "wizard",
                "crown", "quest", "realm", "knight", "elf", "prince", "throne", "enchanted"],
    "sci-fi": ["ship", "star", "stars", "space", "planet", "robot", "machine", "signal",
               "orbit", "engine", "light", "future", "alien", "laser", "station", "world"],
    "mystery": ["clue", "murder", "detective", "secret", "truth", "letter", "door", "night",
                "blood", "suspect", "key", "knife", "hidden", "strange", "why", "who"],
    "romance": ["love", "heart", "kiss", "sweet", "dear", "fair", "gentle", "smile",
                "beauty", "desire", "lips", "soft", "tender", "beloved", "eyes", "embrace"],
    "horror": ["death", "dead", "blood", "grave", "fear", "dark", "darkness", "ghost",
               "scream", "cold", "night", "shadow", "tomb", "terror", "corpse", "hell"],
}


def normalize_genre(genre: str | None) -> str:
    """The canonical genre name; a clear error listing the choices otherwise."""
    key = re.sub(r"[\s_]+", "-", (genre or "general").strip().lower())
    key = _ALIASES.get(key.replace("-", ""), _ALIASES.get(key, key))
    if key not in GENRES:
        raise TextgenError(f"unknown genre {genre!r}; choose one of: {', '.join(GENRES)}")
    return key


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def control_code_for(genre: str, control_codes: list[str]) -> str | None:
    """The model's control code for ``genre`` (matching "<|sci-fi|>", "<|scifi|>",
    "[Fantasy]", ...), or None when the model has none for it."""
    wanted = {_squash(genre)} | {_squash(a) for a, g in _ALIASES.items() if g == genre}
    for code in control_codes:
        if _squash(code) in wanted:
            return code
    return None


def steering_bias(generator, genre: str, strength: float,
                  words: list[str] | None = None) -> dict[int, float]:
    """Logit bias {token id: strength} for the genre's words.

    Only words the tokenizer encodes as one token that decodes back to the
    word are used (with and without a leading space), so the bias never
    lands on an unknown-word id or on a single letter of a longer word.
    """
    if not strength:
        return {}
    bias: dict[int, float] = {}
    for word in (GENRE_WORDS.get(genre, []) if words is None else words):
        for form in (word, " " + word, word.capitalize(), " " + word.capitalize()):
            try:
                ids = generator.encode(form)
            except Exception:   # a fixed vocabulary may refuse unseen characters
                continue
            if len(ids) == 1 and generator.decode(ids).strip() == form.strip():
                bias[ids[0]] = strength
    return bias
