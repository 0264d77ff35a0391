"""The real page in real Chromium: chat, citations, viewer, summaries, upload, escaping.

The app (``build_app`` + ``launch`` with the production ``launch_options``) serves a temp
store holding the bundled articles plus one article full of HTML. Playwright drives the
Debian ``/usr/bin/chromium`` (never a downloaded browser). Screenshots of every step go to
``tests/screenshots/`` (git-ignored). One test starts ``python app.py`` itself on a fresh
store and reports the time to a ready page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT
from assistant.web import build_app, launch_options
from tests.conftest_web import (
    AR_QUESTION,
    EN_QUESTION,
    HTML_ARTICLE,
    HTML_QUESTION,
    LAVROV,
    PHONE_CALL,
    make_assistant,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
sync_api.expect.set_options(timeout=TIMEOUT_MS)  # expect()'s own 5 s default fails under load
READY_DEADLINE_S = 300  # for `python app.py` to say Ready: catches a hang, not a busy machine


@dataclass
class Server:
    """The running app: its URL and the Assistant it serves."""

    url: str
    assistant: Assistant
    root: Path


@dataclass
class Watched:
    """A page plus what it did that it must not: dialogs, requests off this machine."""

    page: sync_api.Page
    dialogs: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shot(page: sync_api.Page, name: str) -> Path:
    """Save a screenshot of the viewport as tests/screenshots/<name>.png."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assistant = make_assistant(tmp_path_factory.mktemp("web-browser"))
    demo = build_app(assistant)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **launch_options(assistant.settings),
    )
    yield Server(f"http://127.0.0.1:{port}/", assistant, assistant.settings.data_dir.parent)
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: sync_api.Browser, url: str) -> tuple[sync_api.BrowserContext, Watched]:
    """A fresh browser session on the app, watching for dialogs and external requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    watched = Watched(page)
    page.on("dialog", lambda d: (watched.dialogs.append(d.message), d.dismiss()))
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else watched.external.append(r.url)
        ),
    )
    page.goto(url)
    page.wait_for_selector("#chat")
    page.wait_for_selector("#mode-banner .mode-banner")
    return context, watched


@pytest.fixture
def watched(browser: sync_api.Browser, server: Server) -> Iterator[Watched]:
    context, result = open_page(browser, server.url)
    yield result
    assert result.dialogs == [], "the page opened a dialog (script injection?)"
    context.close()


def ask(page: sync_api.Page, question: str) -> sync_api.Locator:
    """Type ``question``, press Enter, wait for the finished answer; return its locator."""
    done = "#chat .answer:not(.streaming), #chat .error-msg"
    before = page.locator(done).count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n",
        arg=[done, before],
        timeout=TIMEOUT_MS,
    )
    return page.locator(done).last


def cited_sources(answer: sync_api.Locator) -> list[str]:
    """Files the answer's sources list links to, in order."""
    hrefs = answer.locator("a.cite").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return [re.match(r"#cite=([^:]+):", h).group(1) for h in hrefs]  # type: ignore[union-attr]


def direction(locator: sync_api.Locator) -> str:
    return str(locator.evaluate("el => getComputedStyle(el).direction"))


def click(page: sync_api.Page, locator: sync_api.Locator) -> None:
    """A real mouse click at the middle of ``locator``.

    ``Locator.click`` re-scrolls before it checks the hit target, and the chat's
    autoscroll then moves the element back: for the links inside the chat, click where
    the element is, as a person would.
    """
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None, "element not visible"
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def open_tab(page: sync_api.Page, label: str) -> None:
    page.get_by_role("tab", name=re.compile(label)).click()


# --- tests ----------------------------------------------------------------------------


def test_the_page_shows_the_mode_banner_and_fetches_nothing_from_the_internet(
    watched: Watched,
) -> None:
    page = watched.page
    banner = page.locator("#mode-banner")
    assert "hashing" in banner.inner_text() and "LLM" in banner.inner_text()
    page.locator("#mode-banner summary").click()
    assert "ASSISTANT_LLM_PROVIDER" in banner.inner_text()
    shot(page, "01-home")
    fonts = page.evaluate(
        "getComputedStyle(document.querySelector('#question textarea')).fontFamily"
    )
    assert "Noto Naskh Arabic" in fonts
    assert watched.external == []


def test_an_arabic_question_is_answered_right_to_left_with_a_citation(watched: Watched) -> None:
    page = watched.page
    answer = ask(page, AR_QUESTION)
    assert cited_sources(answer)[0] == LAVROV
    assert direction(answer.locator("p").first) == "rtl"
    assert direction(page.locator("#chat .question").last) == "rtl"
    assert answer.locator("a.cite-marker").count() >= 1
    shot(page, "02-arabic-answer")


def test_an_english_question_is_answered_left_to_right_with_arabic_quotes(watched: Watched) -> None:
    page = watched.page
    answer = ask(page, EN_QUESTION)
    assert PHONE_CALL in cited_sources(answer)
    assert direction(answer.locator("p").first) == "ltr"
    assert direction(answer.locator("li").first) == "rtl"
    shot(page, "03-english-answer")


def test_the_question_box_follows_the_typed_language(watched: Watched) -> None:
    box = watched.page.locator("#question textarea")
    box.fill(AR_QUESTION)
    assert box.evaluate("el => el.matches(':dir(rtl)')")
    box.fill(EN_QUESTION)
    assert box.evaluate("el => el.matches(':dir(ltr)')")


def test_clicking_a_citation_opens_the_article_with_the_quote_highlighted(
    watched: Watched, server: Server
) -> None:
    page = watched.page
    expected = server.assistant.ask(AR_QUESTION).citations
    answer = ask(page, AR_QUESTION)
    click(page, answer.locator("a.cite-marker").first)
    mark = page.locator("#source-viewer mark.cited")
    sync_api.expect(mark).to_have_count(1)
    assert mark.text_content() == expected[0].quote
    sync_api.expect(mark).to_be_in_viewport()
    assert expected[0].source in page.locator("#source-viewer .viewer-meta").inner_text()
    assert direction(page.locator("#source-viewer .viewer-body")) == "rtl"
    shot(page, "04-citation-1-highlighted")
    last = len(expected)
    click(page, answer.locator("a.cite").nth(last - 1))  # from the sources list under the answer
    sync_api.expect(mark).to_have_text(expected[-1].quote)
    sync_api.expect(mark).to_be_in_viewport()
    shot(page, f"05-citation-{last}-highlighted")


def test_on_a_phone_sized_screen_the_viewer_goes_under_the_chat(
    browser: sync_api.Browser, server: Server
) -> None:
    context = browser.new_context(viewport={"width": 420, "height": 860})
    try:
        page = context.new_page()
        page.goto(server.url)
        answer = ask(page, AR_QUESTION)
        assert page.evaluate("document.documentElement.scrollWidth") <= 420  # no sideways scrolling
        click(page, answer.locator("a.cite-marker").first)
        mark = page.locator("#source-viewer mark.cited")
        sync_api.expect(mark).to_be_in_viewport()
        shot(page, "12-phone-citation")
    finally:
        context.close()


def test_an_article_is_summarised_with_citations(watched: Watched) -> None:
    page = watched.page
    open_tab(page, "Summaries")
    picker = page.locator("#summary-articles input")
    picker.click()
    picker.fill(PHONE_CALL[:12])
    page.get_by_role("option", name=re.compile(PHONE_CALL)).click()
    page.keyboard.press("Escape")
    page.locator("#summarise").click()
    result = page.locator("#summary-result .answer")
    sync_api.expect(result).to_be_visible()
    assert set(cited_sources(result)) == {PHONE_CALL}
    shot(page, "06-summary")
    click(page, result.locator("a.cite-marker").first)
    sync_api.expect(page.locator("#source-viewer mark.cited")).to_be_in_viewport()
    shot(page, "07-summary-citation")


def test_an_article_with_html_in_it_shows_as_text(watched: Watched) -> None:
    page = watched.page
    answer = ask(page, HTML_QUESTION)
    assert "<script>alert(1)</script>" in answer.inner_text()
    assert answer.locator("script, img").count() == 0
    open_tab(page, "Library")
    page.locator("#library a.cite", has_text="مقال اختبار").click()
    viewer = page.locator("#source-viewer .viewer-body")
    sync_api.expect(viewer).to_contain_text("<script>alert(1)</script>")
    sync_api.expect(viewer).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#source-viewer script, #source-viewer img").count() == 0
    assert HTML_ARTICLE in page.locator("#source-viewer .viewer-meta").inner_text()
    page.wait_for_timeout(300)
    shot(page, "08-html-article-as-text")
    assert watched.dialogs == []


def test_uploading_articles_adds_the_good_one_and_explains_the_bad_one(
    watched: Watched, tmp_path: Path
) -> None:
    page = watched.page
    good = tmp_path / "مقال مرفوع.txt"
    good.write_text(
        "وزير الخارجية يزور عمّان\n\nزار وزير الخارجية عمّان وبحث ملف المياه مع نظيره.",
        encoding="utf-8",
    )
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    open_tab(page, "Library")
    page.locator("#upload input[type=file]").set_input_files([str(good), str(binary)])
    sync_api.expect(page.locator("#ingest-report")).to_contain_text("1 added", timeout=TIMEOUT_MS)
    sync_api.expect(page.locator("#ingest-report .error-msg")).to_contain_text("binary.txt")
    sync_api.expect(page.locator("#library")).to_contain_text(good.name)
    sync_api.expect(page.locator("#library")).to_contain_text(LAVROV)
    shot(page, "09-upload")


def test_clearing_the_conversation_empties_the_chat(watched: Watched) -> None:
    page = watched.page
    ask(page, AR_QUESTION)
    page.locator("#clear").click()
    sync_api.expect(page.locator("#chat .question")).to_have_count(0)
    shot(page, "10-cleared")


def test_two_browser_sessions_keep_separate_conversations(
    browser: sync_api.Browser, server: Server
) -> None:
    first_context, first = open_page(browser, server.url)
    second_context, second = open_page(browser, server.url)
    try:
        ask(first.page, AR_QUESTION)
        ask(second.page, EN_QUESTION)
        ask(first.page, "وماذا عن الصين؟")
        assert first.page.locator("#chat .question").count() == 2
        assert second.page.locator("#chat .question").all_inner_texts() == [EN_QUESTION]
    finally:
        first_context.close()
        second_context.close()


def wait_for_line(process: subprocess.Popen[str], needle: str, timeout_s: float) -> str:
    """Read the process's stdout until a line contains ``needle``."""
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if needle in line:
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"app.py did not print {needle!r} (exit code {process.poll()})")


def start_app(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "app.py")],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_ready_page(
    browser: sync_api.Browser, env: dict[str, str], port: int
) -> tuple[float, float]:
    """Seconds from starting ``python app.py`` to a loaded page showing the banner, and the
    CPU seconds the app used for it (what the product costs, whatever else the machine does)."""
    started = time.perf_counter()
    process = start_app(env)
    try:
        line = wait_for_line(process, "Ready", READY_DEADLINE_S)
        assert f"http://127.0.0.1:{port}/" in line
        context, _watched = open_page(browser, f"http://127.0.0.1:{port}/")
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        context.close()
        return seconds, cpu
    finally:
        process.terminate()
        process.wait(timeout=20)


def app_env(store: Path, port: int, **extra: str) -> dict[str, str]:
    """Environment for ``python app.py``: a temp store, hashing embedder, the given port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env |= {
        "ASSISTANT_STORE_DIR": str(store),
        "ASSISTANT_EMBEDDER": "hashing",
        "GRADIO_SERVER_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
    }
    return env | extra


def test_app_py_indexes_an_empty_store_then_serves_on_the_configured_port(
    browser: sync_api.Browser, tmp_path: Path
) -> None:
    port = free_port()
    env = app_env(tmp_path / "store", port)
    cold, cold_cpu = time_to_ready_page(browser, env, port)
    warm, warm_cpu = time_to_ready_page(browser, env, port)
    print(
        f"\npage ready after `python app.py`: {cold:.1f} s ({cold_cpu:.1f} CPU-s) with an empty"
        f" store, {warm:.1f} s ({warm_cpu:.1f} CPU-s) with the index present"
    )
    assert (tmp_path / "store").exists()
    # The app's own CPU time, not the wall time: on a machine busy with other work the
    # wall time measured the machine (64 s at load 16), the CPU time still measures us.
    assert cold_cpu < 60 and warm_cpu < 60


def test_app_py_asks_for_the_password_set_in_assistant_auth(
    browser: sync_api.Browser, tmp_path: Path
) -> None:
    port = free_port()
    process = start_app(app_env(tmp_path / "store", port, ASSISTANT_AUTH="editor:pa55:word"))
    try:
        wait_for_line(process, "Ready", READY_DEADLINE_S)
        with pytest.raises(urllib.error.HTTPError, match="401"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10)
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator("input[type=text]").fill("editor")
        page.locator("input[type=password]").fill("pa55:word")
        shot(page, "11-login")
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#chat", timeout=TIMEOUT_MS)
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
