"""The web page in a real headless Chromium (Debian's), driven by Playwright.

Skipped when /usr/bin/chromium or Playwright is absent. The browser only
ever talks to the test server on 127.0.0.1.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)",
                allow_module_level=True)

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
KEY = "browser-key-7"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def keyed_server(models_dir, tmp_path_factory):
    import server_harness

    config = server_harness.make_config(models_dir, tmp_path_factory.mktemp("web"),
                                        api_key=KEY)
    running = server_harness.start_server(config)
    yield running
    running.stop()


@pytest.fixture
def page(browser, keyed_server):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(keyed_server.url + "/")
    # the page asks for the key once, then lists the models
    page.wait_for_selector("#key-dialog[open]")
    page.fill("#key-input", KEY)
    page.click("#key-save")
    page.wait_for_function("document.querySelectorAll('#model option').length >= 2")
    yield page
    context.close()
    assert not errors


def test_tokens_stream_in_and_stop_halts_the_server(page, keyed_server):
    worker = keyed_server.services.registry.workers["gpt"]
    page.select_option("#model", "gpt")
    page.select_option("#mode", "story")
    page.select_option("#genre", "fantasy")
    page.fill("#prompt", "ROMEO:")
    page.click("#sampling summary")
    page.fill("#max_tokens", "50000")
    page.fill("#seed", "1")     # this seed writes 2,000+ tokens before the tiny model's EOS
    page.click("#generate")
    page.wait_for_function("document.querySelector('#output').textContent.length > 40")
    assert worker.active == 1
    assert page.is_enabled("#stop") and page.is_disabled("#generate")
    page.click("#stop")
    page.wait_for_function("document.querySelector('#status').textContent === 'stopped'")
    keyed_server.wait_idle(5)
    tokens = keyed_server.services.metrics.tokens.value(model="gpt")
    shown = page.text_content("#output")
    time.sleep(0.3)
    assert keyed_server.services.metrics.tokens.value(model="gpt") == tokens   # stopped
    assert 40 < len(shown) and tokens < 50_000
    assert page.is_enabled("#generate")


def test_a_short_story_finishes_and_the_fields_follow_the_mode(page):
    assert page.is_visible("#genre") and not page.is_visible("#character")
    page.select_option("#mode", "dialogue")
    assert page.is_visible("#character") and not page.is_visible("#genre")
    page.select_option("#mode", "story")
    page.select_option("#model", "char_rnn")
    page.fill("#prompt", "The king rode out.")
    page.click("#sampling summary")
    page.fill("#max_tokens", "15")
    page.fill("#seed", "3")
    page.click("#generate")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('done')")
    assert "15 tokens" in page.text_content("#status")
    assert page.text_content("#output")


def test_chat_keeps_the_conversation(page):
    page.select_option("#model", "char_rnn")
    page.select_option("#mode", "chat")
    for message in ("Hail, friend", "How art thou"):
        page.fill("#prompt", message)
        page.click("#generate")
        page.wait_for_function("['done', 'error'].some(word => "
                               "document.querySelector('#status').textContent.startsWith(word))")
        assert page.text_content("#status").startswith("done"), page.text_content("#status")
        page.wait_for_function("!document.querySelector('#generate').disabled")
    bubbles = page.locator("#chat-log .msg")
    assert bubbles.count() == 4
    assert bubbles.nth(2).text_content() == "How art thou"


def test_finetune_form_shows_progress_and_adds_the_model(page, shakespeare_text):
    pytest.importorskip("textgen.train.finetune")
    page.select_option("#model", "gpt")
    page.set_input_files("#ft-file", files=[{"name": "plays.txt", "mimeType": "text/plain",
                                             "buffer": shakespeare_text[:6000].encode()}])
    page.fill("#ft-steps", "2")
    page.fill("#ft-name", "web-tuned")
    page.click("#ft-start")
    page.wait_for_function("document.querySelector('#ft-status').textContent.includes('succeeded')",
                           timeout=90_000)
    status = page.text_content("#ft-status")
    assert "step 2/2" in status and "web-tuned" in status
    page.wait_for_function("[...document.querySelectorAll('#model option')]"
                           ".some(o => o.value === 'web-tuned')")
