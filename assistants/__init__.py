"""Writing and coding assistants on top of any textgen Generator.

Each mode is one class; all share :class:`Assistant` and stream through
:class:`AssistantStream` (live events, ``cancel()``, ``result`` at the end):

    from textgen.core import load
    from textgen.assistants import StoryAssistant

    story = StoryAssistant(load("models/shakespeare"), genre="fantasy",
                           memory="Aria is a young mage.", authors_note="Write tersely.")
    stream = story.stream("The dragon circled the tower.")
    for event in stream:
        print(event.text, end="", flush=True)
    print(stream.result.stats.tokens_per_second)

Modes: StoryAssistant, TwistAssistant, DialogueAssistant, CodeAssistant,
ChatAssistant. Each builds a :class:`PromptContext` (``build_context`` /
``stream(...).context``): the prompt as named parts with token counts.
Nothing here needs a terminal, and importing it does not import torch.
"""
from textgen.assistants.base import (Assistant, AssistantEvent, AssistantResult, AssistantStream,
                                     combine_stats)
from textgen.assistants.chat import DEFAULT_SYSTEM_PROMPT, PERSONALITIES, ChatAssistant
from textgen.assistants.code import CodeAssistant
from textgen.assistants.context import (ContextPart, PromptContext, context_budget,
                                        trim_to_tokens)
from textgen.assistants.conversation import load_conversation, save_conversation
from textgen.assistants.dialogue import DialogueAssistant
from textgen.assistants.genres import GENRES
from textgen.assistants.story import StoryAssistant
from textgen.assistants.twist import TwistAssistant
from textgen.assistants.world_info import WorldInfoEntry, load_world_info

ASSISTANTS = {
    "story": StoryAssistant,
    "twist": TwistAssistant,
    "dialogue": DialogueAssistant,
    "code": CodeAssistant,
    "chat": ChatAssistant,
}

__all__ = [
    "ASSISTANTS", "Assistant", "AssistantEvent", "AssistantResult", "AssistantStream",
    "ChatAssistant", "CodeAssistant", "ContextPart", "DEFAULT_SYSTEM_PROMPT", "DialogueAssistant",
    "GENRES", "PERSONALITIES", "PromptContext", "StoryAssistant", "TwistAssistant",
    "WorldInfoEntry", "combine_stats", "context_budget", "load_conversation", "load_world_info",
    "save_conversation", "trim_to_tokens",
]
