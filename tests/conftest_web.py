"""Shared helpers of the web tests (not a pytest conftest: import it explicitly).

``make_assistant(root)`` indexes, under ``root``, a copy of the five bundled articles plus
one planted article full of HTML (``<script>``, ``<img onerror>``) with the offline
hashing embedder and no LLM, and returns the :class:`Assistant`. ``with_llm(assistant,
url)`` is the same index served with an LLM at ``url`` (the fake OpenAI-compatible
server); :class:`RoutedLLMServer` is that fake answering translation requests with
:data:`TRANSLATION` and every other request (answers, summaries) with :data:`LLM_ANSWER`
citing the passage of the prompt that holds Wang Yi's quote.
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.fake_openai_server import FakeLLMServer

BUNDLED = PROJECT_ROOT / "data" / "articles"
LAVROV = "001_2a0015d8fffb9b77.txt"
PHONE_CALL = "004_86293efd93ced441.txt"
HTML_ARTICLE = "900_html_test.txt"
HTML_TEXT = """مقال اختبار عن وسوم الويب في الأخبار

قال خبير الأمن الرقمي سامي الحداد إن المواقع الإخبارية تتلقى نصوصاً تحتوي على وسوم خطيرة مثل <script>alert(1)</script> داخل التعليقات.

وأضاف الحداد أن وسم الصورة <img src=x onerror=alert(1)> يجب أن يظهر نصاً عادياً في عارض المصادر وليس صورة.

وأكد الخبير أن تعقيم المحتوى واجب على كل منصة تعرض مقالات الأخبار للقراء.
"""
AR_QUESTION = "ماذا قال لافروف عن أمن أوراسيا؟"
EN_QUESTION = "What did Wang Yi say about Ukraine?"
HTML_QUESTION = "ماذا قال سامي الحداد عن وسم الصورة؟"


def web_settings(root: Path) -> Settings:
    """Offline settings over ``root/articles`` and ``root/store``."""
    return Settings(
        store_dir=root / "store",
        data_dir=root / "articles",
        embedder="hashing",
        allow_downloads=False,
        llm_provider="none",
    )


def make_assistant(root: Path) -> Assistant:
    """An offline Assistant over the bundled articles plus the planted HTML article."""
    data = root / "articles"
    shutil.copytree(BUNDLED, data)
    (data / HTML_ARTICLE).write_text(HTML_TEXT, encoding="utf-8")
    return Assistant.from_settings(web_settings(root))


WANG_YI_QUOTE = "ستواصل “اتخاذ موقف مستقل وعادل” ودعوة الأطراف المعنية لبدء محادثات السلام"
LLM_ANSWER = "Wang Yi said China will keep an independent and fair position [{n}: «{quote}»]"
TRANSLATION = (
    "will continue to “take an independent and fair position” and call on the parties"
    " concerned to start peace talks <b>[sic]</b>"
)
TRANSLATE_PROMPT = "You translate one quoted sentence"


_PASSAGE = re.compile(r"^\[(\d+)\] \(source:", re.M)


class RoutedLLMServer(FakeLLMServer):
    """The fake OpenAI-compatible server, replying by what is asked: a translation request
    (the ``translate_quote`` prompt) gets ``translation``; any other request gets
    ``answer`` citing, as ``[n: «quote»]``, the prompt's passage ``n`` holding ``quote``."""

    def __init__(
        self, answer: str = LLM_ANSWER, translation: str = TRANSLATION, quote: str = WANG_YI_QUOTE
    ) -> None:
        super().__init__([answer])
        self.answer, self.translation, self.quote = answer, translation, quote
        self._prompt = threading.local()  # record() and next_reply() run in one handler thread

    def record(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        super().record(path, body, headers)
        messages = body.get("messages", [])
        self._prompt.text = "\n".join(str(m.get("content", "")) for m in messages)

    def next_reply(self) -> str:
        super().next_reply()
        prompt = getattr(self._prompt, "text", "")
        if TRANSLATE_PROMPT in prompt:
            return self.translation
        at = prompt.find(self.quote)
        numbers = [m.group(1) for m in _PASSAGE.finditer(prompt, 0, max(at, 0))]
        return self.answer.format(n=numbers[-1] if numbers else 1, quote=self.quote)


def with_llm(assistant: Assistant, base_url: str) -> Assistant:
    """An Assistant over ``assistant``'s index with the OpenAI-compatible LLM at ``base_url``."""
    update = {
        "llm_provider": "openai",
        "llm_model": "fake",
        "llm_base_url": base_url,
        "llm_timeout_s": 60.0,  # the fake answers at once: long, so load never times it out
    }
    settings = assistant.settings.model_copy(update=update)
    return Assistant.from_settings(settings, auto_ingest=False)
