"""Shared helpers of the web tests (not a pytest conftest: import it explicitly).

``make_assistant(root)`` indexes, under ``root``, a copy of the five bundled articles plus
one planted article full of HTML (``<script>``, ``<img onerror>``) with the offline
hashing embedder and no LLM, and returns the :class:`Assistant`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings

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
