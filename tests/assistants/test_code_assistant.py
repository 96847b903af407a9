"""Code: prompts, trimming to the last complete statement, formatting."""
from __future__ import annotations

import ast

import pytest

from assistant_models import chat_template_checkpoint, code_checkpoint, load_cached
from textgen.assistants import CodeAssistant
from textgen.assistants.code_cleanup import (definition_end, extract_fenced_code, format_python,
                                             trim_partial_line, trim_python)
from textgen.core import SamplingParams, TextgenError


@pytest.fixture(scope="module")
def code_model():
    return load_cached(code_checkpoint())


@pytest.mark.parametrize("code, partial, expected", [
    ("x = 1\ny = (2 +\n", False, "x = 1\n"),                               # unclosed bracket
    ("def f(a):\n    b = a\n    return b +", True, "def f(a):\n    b = a\n"),  # cut mid-line
    ("def f(a):\n    return a\n\ndef g(", False, "def f(a):\n    return a\n"),
    ("def f(a):\n    return a\nprint(f(1))", False, "def f(a):\n    return a\nprint(f(1))\n"),
    ("import os\n\n\n", False, "import os\n"),
])
def test_trim_python_to_last_complete_statement(code, partial, expected):
    trimmed, valid = trim_python(code, partial_last_line=partial)
    assert (trimmed, valid) == (expected, True)
    ast.parse(trimmed)


def test_trim_python_never_cuts_into_kept_lines():
    code = "def f(a):\n    return (a +\n"
    assert trim_python(code, keep_lines=2) == (code, False)
    assert trim_python("def f(:\n", keep_lines=0) == ("def f(:\n", False)


def test_definition_end():
    text = "import os\n\ndef f(\n    a,\n):\n    if a:\n        return 1\n    else:\n" \
           "        return 2\n\n\nprint(f(1))\n"
    assert text[:definition_end(text)].endswith("return 2\n\n\n")
    assert definition_end("def f():\n    return 1\n") is None        # may still go on
    assert definition_end("x = 1\n") is None
    assert definition_end("class A:\n    x = 1\n# note\n@decorator") == len(
        "class A:\n    x = 1\n# note\n")


def test_fenced_code_and_other_languages():
    assert extract_fenced_code("Sure:\n```python\nx = 1\n```\nDone.") == "x = 1"
    assert extract_fenced_code("no fence") == "no fence"
    assert trim_partial_line("a();\nb(", True) == "a();\n"
    assert trim_partial_line("a();\nb(", False) == "a();\nb("


def test_format_python_with_black():
    pytest.importorskip("black")
    assert format_python("def f( a ):\n  return a") == ("def f(a):\n    return a\n", "black")
    assert format_python("def (") == ("def (", None)


def test_write_prompt_and_valid_result(code_model):
    assistant = CodeAssistant(code_model)
    assert assistant.params.temperature == 0.2                  # low by default
    stream = assistant.write("Return the sum of a and b", SamplingParams(max_tokens=150, seed=1,
                                                                        temperature=0.8))
    assert stream.context.prompt == "# Language: python\n# Task: Return the sum of a and b\n\n"
    result = stream.finish()
    check_cleaned(result, raw=result.raw_text)


def check_cleaned(result, raw):
    """A result is either valid Python (black-stable when black is present) or flagged."""
    extra = result.extra
    if extra["valid"]:
        ast.parse(result.text)
        if extra["formatter"] == "black":
            assert format_python(result.text)[0] == result.text
    else:
        assert result.text == raw and extra["formatter"] is None


def test_complete_keeps_the_users_code(code_model):
    code = "def add(a, b):\n    total = a + b\n    return"
    result = CodeAssistant(code_model).complete(code, SamplingParams(max_tokens=80, seed=2)).finish()
    assert result.context.prompt == code
    assert result.raw_text.startswith(result.extra["completion"])
    assert result.extra["valid"]                     # at worst trimmed back to the user's code
    tree = ast.parse(result.text)
    assert isinstance(tree.body[0], ast.FunctionDef) and tree.body[0].name == "add"
    assert "\n\n\n" not in result.raw_text           # stopped at the end of the block


def test_explain_prompt_and_answer(code_model):
    code = "def add(a, b):\n    return a + b\n"
    stream = CodeAssistant(code_model).explain(code, SamplingParams(max_tokens=40, seed=0))
    assert stream.context.prompt == code.rstrip() + \
        "\n\nQuestion: What does the code above do?\nAnswer:"
    result = stream.finish()
    assert result.text == result.raw_text.strip()
    assert "\nQuestion:" not in result.raw_text


def test_task_dispatch_and_errors(code_model):
    assistant = CodeAssistant(code_model)
    with pytest.raises(TextgenError, match="unknown code task"):
        assistant.stream("x", task="refactor")
    with pytest.raises(TextgenError, match="no description"):
        assistant.write("   ")


def test_other_language_only_loses_a_partial_line(code_model):
    assistant = CodeAssistant(code_model, language="javascript")
    stream = assistant.write("add two numbers", SamplingParams(max_tokens=30, seed=0))
    assert stream.context.prompt.startswith("// Language: javascript\n// Task: add two numbers")
    result = stream.finish()
    assert result.extra["valid"] is None
    assert result.raw_text.startswith(result.text.rstrip("\n"))


def test_chat_template_code_messages():
    g = load_cached(chat_template_checkpoint())
    stream = CodeAssistant(g).write("add numbers", SamplingParams(max_tokens=5, seed=0))
    system, user = stream.context.messages
    assert system["role"] == "system" and "python" in system["content"]
    assert user["role"] == "user" and user["content"].startswith("Write python code")
    result = stream.finish()
    check_cleaned(result, raw=extract_fenced_code(result.raw_text))
