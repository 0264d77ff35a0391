"""The one Python API that the web page, the CLI and the evaluation share.

``Assistant`` combines the index (retrieval), the answerers (LLM chain with verified
citations, or offline extractive quotes), summaries, follow-up handling and ingestion.
Every method returns structured results (:class:`Answer`); interfaces only format them.
User errors (empty question, missing index, server down) are :class:`UserError`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import shutil
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant import followups
from assistant.arabic import detect_language
from assistant.documents import load_article
from assistant.errors import BackendError, UserError
from assistant.extractive import (
    ABSTAIN,
    SentenceSimilarity,
    coverage,
    extractive_answer,
    filled_slots,
)
from assistant.index import Index, open_index
from assistant.ingest import IngestReport, ingest
from assistant.models import Answer, Article, Mode, Retrieved
from assistant.retrieval import QueryAnalysis, dense_query_text, retrieve
from assistant.sentence_vectors import sentence_cache
from assistant.settings import Settings
from assistant.summaries import (
    TOPIC_NOT_FOUND,
    described_article,
    is_summary_request,
    summarise_articles,
    summary_topic,
)
from assistant.translation import Translation

log = logging.getLogger(__name__)
History = list[tuple[str, str]]
LANGUAGE_NAMES = {"ar": "Arabic", "en": "English"}
MAX_NAME_BYTES = 240
TOPIC_RELATIVE_COVERAGE = 0.8  # file systems allow 255 bytes per name; Arabic letters take 2
_BIDI_AND_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def clean_question(question: str, max_chars: int) -> str:
    """The question without control, bidi-override and lone surrogate characters; UserError
    when unusable. (A lone surrogate, e.g. from undecodable CLI bytes, crashes tokenizers
    and UTF-8 encoders downstream.)"""
    if not isinstance(question, str):
        raise UserError("The question must be text.")
    if len(question) > max_chars:
        raise UserError(f"The question is too long ({len(question):,} characters; the limit is {max_chars:,}).")
    text = _BIDI_AND_CONTROL.sub("", question)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs") else " " for ch in text)
    text = " ".join(text.split())
    if not text:
        raise UserError("The question is empty. Ask about the articles, in Arabic or English.")
    if not any(ch.isalnum() for ch in text):  # "???" or an emoji: nothing to search for
        raise UserError(
            "The question has no words, only punctuation or symbols. Ask about the articles, "
            "in Arabic or English."
        )
    return text


def empty_index_message(data_dir: Path) -> str:
    """Why nothing can be answered: the index is empty, and ``ingest`` alone helps only
    when the articles folder holds articles (an empty or missing folder is named)."""
    if not data_dir.is_dir():
        return f"The index is empty and the articles folder {data_dir} does not exist (ASSISTANT_DATA_DIR)."
    if not any(data_dir.glob("*.txt")):
        return (
            f"The index is empty and the articles folder {data_dir} holds no .txt article: "
            "put articles there, then run `python -m assistant ingest`."
        )
    return "The index is empty: run `python -m assistant ingest` first."


def clean_topic(topic: str, max_chars: int) -> str:
    """A summary topic cleaned like a question (:func:`clean_question`); UserError when it is
    empty or too long, rather than summarising everything or nothing without saying why."""
    try:
        return clean_question(topic, max_chars)
    except UserError as exc:
        message = str(exc).replace("question", "topic").replace("Ask about", "Name a subject of")
        raise UserError(message) from exc


def standalone_question(question: str, history: History | None, language: str | None = None) -> str:
    """Offline follow-up rule (:mod:`assistant.followups`): a follow-up with a topic of its
    own inherits the previous question's subject, in its own language; one without
    ("What else did he say?") is joined with the previous question."""
    if not history:
        return question
    return followups.standalone_question(question, history[-1][0], language)


class Assistant:
    """Answers and summaries over one index, offline or with an LLM."""

    def __init__(self, settings: Settings, index: Index, llm: Any = None) -> None:
        self.settings = settings
        self.index = index
        self.llm = llm
        self._lock = threading.RLock()
        self._sentences = sentence_cache(settings, index)
        self._countries: dict[tuple[str, str], frozenset[str]] = {}
        self._texts: dict[tuple[str, str], str] = {}

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, auto_ingest: bool = True, progress: Callable | None = None
    ) -> Assistant:
        """Open the index (ingesting ``data_dir`` first when it is empty) and the LLM."""
        from assistant.llm import make_llm

        settings = settings or Settings()
        index = open_index(settings)
        if index.is_empty() and auto_ingest:
            from assistant.embedder_guard import refuse_if_built_by_another_embedder

            refuse_if_built_by_another_embedder(index)
            # With a Chroma server another instance may be filling the index right now: wait
            # for it rather than fail to start, and then leave what it ingested alone.
            served = bool(settings.chroma_host)
            wait_s = 20 * settings.lease_seconds if served else 0.0
            ingest(settings, embedder=index.embedder, progress=progress, wait_s=wait_s, only_if_empty=served)
            index = open_index(settings, embedder=index.embedder)
        return cls(settings, index, make_llm(settings))

    @property
    def mode(self) -> Mode:
        """Which embedder and LLM answer (``llm`` is ``none`` offline)."""
        from assistant.llm import describe_llm

        return Mode(embedder=self.index.embedder.id, llm=describe_llm(self.settings))

    def _names(self) -> dict[str, list[str]]:
        return {s: e.get("names", []) for s, e in self.index.manifest.files.items()}

    def _sync(self) -> None:
        """With a Chroma server, pick up what other instances ingested (one small read)."""
        with self._store_errors(), self._lock:
            self.index.sync()

    def _retrieve(
        self, text: str, language: str | None = None, reply_language: str | None = None
    ) -> tuple[QueryAnalysis, list[Retrieved]]:
        """The question's one :class:`QueryAnalysis` and its passages. ``language`` is the
        already detected language of ``text``; ``reply_language`` that of the user's words."""
        self._sync()
        with self._store_errors():
            if self.index.is_empty():
                raise UserError(empty_index_message(self.settings.data_dir))
            translation = self._translation if self.llm is not None else ""
            with self._lock:
                return retrieve(self.index, text, self.settings.top_k, translation, language, reply_language)

    def _translation(self, question: str) -> str:
        """With an LLM, an Arabic search line for an English question (called by the
        analysis only for an English question; "" when the LLM fails)."""
        if self.llm is None:
            return ""
        from assistant.llm_chain import translate_query

        try:
            return translate_query(self.llm, question, self.settings)
        except BackendError as exc:
            log.warning("query translation failed, using the lexicon bridge only: %s", exc)
            return ""

    @contextlib.contextmanager
    def _store_errors(self) -> Iterator[None]:
        """Turn a Chroma *server* that stops answering mid-session into a clear BackendError
        (its client raises raw ``httpx`` errors); embedded-store errors pass unchanged."""
        try:
            yield
        except UserError:
            raise
        except Exception as exc:
            if not self.settings.chroma_host:
                raise
            raise BackendError(
                f"Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port} stopped "
                f"answering ({type(exc).__name__}); restart it with `chroma run`"
            ) from exc

    def ask(self, question: str, history: History | None = None) -> Answer:
        """Answer ``question`` (with chat ``history`` of (question, answer) pairs)."""
        final: Answer | None = None
        for event in self.ask_stream(question, history):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    def ask_stream(self, question: str, history: History | None = None) -> Iterator[str | Answer]:
        """Text deltas as they are produced, then the final :class:`Answer`."""
        question = clean_question(question, self.settings.max_question_chars)
        if is_summary_request(question):
            answer = self.summarize(topic=summary_topic(question) or None, question=question)
            yield answer.text
            yield answer
            return
        language = detect_language(question)  # the one detection of what the user typed
        standalone = self._standalone(question, history, language)
        same = standalone == question
        analysis, retrieved = self._retrieve(standalone, language if same else None, language)
        if self.llm is not None:
            try:
                yield from self._llm_stream(question, standalone, analysis, retrieved, history)
                return
            except BackendError as exc:
                note = f"The language model failed ({exc}); showing quoted passages instead."
                answer = self._extractive(question, analysis, retrieved, (note,))
                yield answer.text
                yield answer
                return
        answer = self._extractive(question, analysis, retrieved)
        yield answer.text
        yield answer

    def _standalone(self, question: str, history: History | None, language: str) -> str:
        if not history:
            return question
        if self.llm is not None:
            try:
                from assistant.llm_chain import rewrite_followup

                return rewrite_followup(self.llm, question, history, self.settings) or question
            except BackendError as exc:
                log.warning("follow-up rewrite failed: %s", exc)
        return standalone_question(question, history, language)

    def _extractive(
        self, question: str, analysis: QueryAnalysis, retrieved: list[Retrieved], notes: tuple[str, ...] = ()
    ) -> Answer:
        dense = self._sentence_similarity(analysis)
        text, citations, abstained = extractive_answer(
            analysis,
            retrieved,
            self._names(),
            dense=dense,
            mentioned=self._article_countries,
            article_text=self._article_text,
            every_source=lambda: list(self.index.manifest.files),
        )
        return Answer(
            question=question,
            text=text,
            language=analysis.reply_language,
            abstained=abstained,
            citations=citations,
            retrieved=tuple(retrieved),
            mode=self.mode,
            notes=notes,
        )

    def _article_countries(self, source: str) -> frozenset[str]:
        """The countries the indexed article ``source`` mentions (read once per version of
        the article, then kept)."""
        from assistant.countries import mentioned_countries

        key = self._article_key(source)
        if key not in self._countries:
            self._countries[key] = mentioned_countries(self._article_text(source))
        return self._countries[key]

    def _article_key(self, source: str) -> tuple[str, str]:
        """``(source, content hash)``: what a cached reading of one article is kept under."""
        return source, str(self.index.manifest.files.get(source, {}).get("hash", ""))

    def _article_text(self, source: str) -> str:
        """The indexed text of article ``source``, its chunks joined (one store read of a few
        ms per version of the article, then kept)."""
        key = self._article_key(source)
        if key not in self._texts:
            entry = self.index.manifest.files.get(source, {})
            chunks = self.index.store.get_many(list(entry.get("chunk_ids", []))) if self.index.store else []
            self._texts[key] = "\n".join(c.text for c in chunks)
        return self._texts[key]

    def _sentence_similarity(self, analysis: QueryAnalysis) -> SentenceSimilarity | None:
        """The model's similarity of the question to candidate sentences (None without one)."""
        cache = self._sentences
        if cache is None:
            return None
        vector = analysis.dense_vector(self.index.embedder, dense_query_text(self.index, analysis))
        return lambda texts: cache.similarities(vector, texts)

    def _llm_stream(
        self, question: str, standalone: str, analysis: QueryAnalysis, retrieved: list[Retrieved], history: History | None
    ) -> Iterator[str | Answer]:
        from assistant.llm_chain import stream_answer
        from assistant.tokens import get_token_counter

        counter = get_token_counter(self.settings)
        chunks = [r.chunk for r in retrieved]
        language = analysis.reply_language
        events = stream_answer(self.llm, standalone, chunks, history or [], self.settings, counter.count, language)
        for event in events:
            if isinstance(event, str):
                yield event
                continue
            yield self._checked_answer(question, language, event, retrieved)

    def summary_languages(self) -> tuple[str, ...]:
        """Languages a summary can be *written* in: Arabic and English with an LLM; none
        offline, where a summary quotes the Arabic sources (only its intro line follows
        the reader's language), so a "summary language" choice must not be offered."""
        return ("ar", "en") if self.llm is not None else ()

    @property
    def can_translate(self) -> bool:
        """True when quotes can be machine-translated (an LLM is configured)."""
        return self.llm is not None

    def translate(self, quote: str) -> Translation:
        """An English machine translation of one quote, labelled as such and checked to keep
        its names and numbers (:mod:`assistant.translation`); needs an LLM."""
        if self.llm is None:
            raise UserError(
                "Translating a quote needs a language model (set ASSISTANT_LLM_PROVIDER); offline, "
                "each quote is introduced in English by its speaker and article."
            )
        if not isinstance(quote, str) or not quote.strip():
            raise UserError("Nothing to translate: the quote is empty.")
        from assistant.translation import translate_quote

        return translate_quote(self.llm, quote, self.settings)

    def summarize(
        self,
        sources: list[str] | None = None,
        topic: str | None = None,
        question: str | None = None,
        language: str | None = None,
    ) -> Answer:
        """Cited summary of ``sources`` (all when None and no topic) or of ``topic`` across
        them; a topic that describes one article ("the article about Lavrov's visit in April
        2024") summarises that article only. ``language`` asks for a summary written in that
        language, which needs an LLM (see :meth:`summary_languages`)."""
        if language is not None and language not in self.summary_languages():
            raise UserError(
                f"A summary written in {LANGUAGE_NAMES.get(language, language)} needs a language model "
                "(set ASSISTANT_LLM_PROVIDER); offline, summaries quote the Arabic articles."
            )
        detected = detect_language(question or topic or "") if (question or topic) else "en"
        language = language or detected
        self._sync()
        known = set(self.index.manifest.files)
        unknown = [s for s in sources or [] if s not in known]
        if unknown:
            raise UserError(f"Not in the index: {', '.join(unknown)}. Indexed: {', '.join(sorted(known))}")
        retrieved: list[Retrieved] = []
        topic_terms: set[str] | None = None
        notes: tuple[str, ...] = ()
        if topic is not None:
            topic = clean_topic(topic, self.settings.max_question_chars)
            same = not question or question == topic
            analysis, retrieved = self._retrieve(topic, detected if same else None, detected)
            allowed = set(sources) if sources else known
            retrieved = [r for r in retrieved if r.chunk.source in allowed]
            described, chosen = self._summary_sources(analysis, retrieved, question or topic)
            topic_terms = None if described else set(analysis.terms)
            if not topic_words_found(analysis, retrieved, self._names()):
                notes = (TOPIC_NOT_FOUND.get(language, TOPIC_NOT_FOUND["en"]).format(topic=topic),)
        else:
            chosen = sorted(sources or known)
        with self._store_errors():
            chunks = {s: self.index.store.get_source(s) for s in chosen} if self.index.store else {}
        chunks = {s: c for s, c in chunks.items() if c}
        if not chunks:
            raise UserError("Nothing to summarise: no indexed article matches.")
        if self.llm is not None:
            answer = self._llm_summary(chunks, topic, language, question, retrieved)
            if answer is not None:
                return dataclasses.replace(answer, notes=answer.notes + notes)
        text, citations = summarise_articles(chunks, language, topic_terms)
        return Answer(
            question=question or topic or "summary",
            text=text,
            language=language,
            abstained=False,
            citations=citations,
            retrieved=tuple(retrieved),
            mode=self.mode,
            notes=notes,
        )

    def _summary_sources(
        self, analysis: QueryAnalysis, retrieved: list[Retrieved], request: str
    ) -> tuple[bool, list[str]]:
        """``(True, [article])`` when the topic describes one article (summarised whole);
        else ``(False, the articles about the topic)``."""
        names = self._names()
        matches: dict[str, float] = {}
        for item in retrieved:
            entry = self.index.manifest.files.get(item.chunk.source, {})
            text_match = coverage(analysis, item.chunk.text, names.get(item.chunk.source, []))
            title_match = coverage(analysis, entry.get("title", ""), names.get(item.chunk.source, []))
            matches[item.chunk.source] = max(matches.get(item.chunk.source, 0.0), text_match + title_match)
        dates = {s: self.index.manifest.files.get(s, {}).get("date") for s in matches}
        one = described_article(request, matches, dates)
        return (True, [one]) if one else (False, topic_sources(analysis, retrieved, names))

    def _llm_summary(
        self, chunks: dict, topic: str | None, language: str, question: str | None, retrieved: list[Retrieved]
    ) -> Answer | None:
        from assistant.llm_chain import summarize as llm_summarize
        from assistant.tokens import get_token_counter

        try:
            result = llm_summarize(
                self.llm, chunks, topic, language, self.settings, get_token_counter(self.settings).count
            )
        except BackendError as exc:
            log.warning("LLM summary failed, using extractive: %s", exc)
            return None
        return self._checked_answer(question or topic or "summary", language, result, retrieved)

    def _checked_answer(self, question: str, language: str, checked: Any, retrieved: list[Retrieved]) -> Answer:
        """An :class:`Answer` from the LLM chain's citation-checked result."""
        return Answer(
            question=question,
            text=checked.text or (ABSTAIN[language] if checked.abstained else ""),
            language=language,
            abstained=checked.abstained,
            citations=tuple(checked.citations),
            retrieved=tuple(retrieved),
            mode=self.mode,
            notes=tuple(checked.notes),
        )

    def articles(self) -> list[dict[str, Any]]:
        """The indexed articles: source, title, date, language, characters, chunk count."""
        self._sync()
        rows = []
        for source, entry in sorted(self.index.manifest.files.items()):
            rows.append(
                {
                    "source": source,
                    "title": entry.get("title", ""),
                    "date": entry.get("date") or "",
                    "language": entry.get("language", ""),
                    "chars": entry.get("chars", 0),
                    "chunks": len(entry.get("chunk_ids", [])),
                    "status": "indexed",
                }
            )
        return rows

    def article(self, source: str) -> Article:
        """The full original text of an *indexed* article (no other path can be read)."""
        if source not in self.index.manifest.files:
            raise UserError(f"{source!r} is not an indexed article.")
        return load_article(self.settings.data_dir / source, self.settings.max_file_bytes)

    def reindex(self, progress: Callable | None = None, rebuild: bool = False) -> IngestReport:
        """Ingest ``data_dir`` again (incremental) and reopen the index."""
        with self._lock:
            report = ingest(self.settings, embedder=self.index.embedder, rebuild=rebuild, progress=progress, wait_s=30)
            self.index = open_index(self.settings, embedder=self.index.embedder)
            self._sentences = sentence_cache(self.settings, self.index)  # ingest warmed it
        return report

    def add_files(self, paths: list[Path], progress: Callable | None = None) -> tuple[IngestReport, list[str]]:
        """Copy uploaded ``.txt`` files into ``data_dir`` under safe names, then ingest.

        Returns the report and per-file messages for files refused before copying.
        """
        messages = []
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        for path in paths:
            name = safe_filename(Path(path).name)
            if not name.lower().endswith(".txt"):
                messages.append(f"{Path(path).name}: refused, only .txt articles are accepted")
                continue
            try:
                load_article(Path(path), self.settings.max_file_bytes)
            except UserError as exc:
                messages.append(str(exc).replace(Path(path).name, name, 1))
                continue
            target = unused_name(self.settings.data_dir, name, Path(path).read_bytes())
            if target.name != name:
                messages.append(
                    f"{name}: an article of this name already holds other text; both are kept, "
                    f"the upload as {target.name}"
                )
            shutil.copyfile(path, target)
        return self.reindex(progress), messages

    def status(self) -> dict[str, Any]:
        """What is indexed, with which embedder, in which mode."""
        from assistant.tokens import get_token_counter
        from vectorstore.embedders import FALLBACK_REASONS

        chunks = self.index.store.count() if self.index.store else 0
        return {
            "mode": self.mode.to_dict(),
            "articles": len(self.index.manifest.files),
            "chunks": chunks,
            "collection": self.index.name,
            "store": self.settings.chroma_host or str(self.settings.store_dir),
            "tokens": get_token_counter(self.settings).name,
            "embedder_fallback": FALLBACK_REASONS[-1] if FALLBACK_REASONS else None,
            "other_embedders": None if chunks else self._other_embedders(),
        }

    def _other_embedders(self) -> dict[str, int] | None:
        """``{embedder id: passages}`` of the indexes other embedders built in this store,
        so that ``status`` on an empty index says why ``ask`` refuses; None when none."""
        from assistant.embedder_guard import other_embedder_indexes

        with self._store_errors():
            others = other_embedder_indexes(self.index.client, self.settings.collection, self.index.name)
        return others or None


def topic_sources(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]], limit: int = 3
) -> list[str]:
    """Articles a topic summary draws on, best first: those whose best passage covers at
    least ``TOPIC_RELATIVE_COVERAGE`` of what the top passage covers, at most ``limit``,
    so a topic that one article is about stays in that article.
    (Fused rank scores are too flat to separate articles; question coverage is not.)"""
    best: dict[str, float] = {}
    for item in retrieved:
        value = coverage(analysis, item.chunk.text, names.get(item.chunk.source, []))
        best[item.chunk.source] = max(best.get(item.chunk.source, 0.0), value)
    if not best:
        return []
    if not topic_words_found(analysis, retrieved, names):  # coverage cannot tell them apart
        return list(best)[:1]  # so only the article the retriever (by meaning) put first
    top = max(best.values())
    strong = [s for s in dict.fromkeys(r.chunk.source for r in retrieved) if best[s] >= TOPIC_RELATIVE_COVERAGE * top]
    return strong[:limit]


def topic_words_found(
    analysis: QueryAnalysis, retrieved: list[Retrieved], names: dict[str, list[str]]
) -> bool:
    """Whether a retrieved passage holds a word or named speaker of the topic. When none
    does ("chess", which the bridge cannot put into Arabic), the articles were ranked by
    meaning alone (coverage then reads 1 everywhere, see ``QueryAnalysis.coverage``)."""
    return any(filled_slots(analysis, r.chunk.text, names.get(r.chunk.source, [])) for r in retrieved)


def unused_name(folder: Path, name: str, content: bytes) -> Path:
    """Where an upload named ``name`` goes in ``folder``: ``name`` when it is free or already
    holds ``content``; else the first free ``stem-2.txt``, ``stem-3.txt`` …, so that an upload
    never overwrites another article that happens to have the same file name."""
    target = folder / name
    stem, suffix = target.stem, target.suffix
    number = 1
    while target.exists() and target.read_bytes() != content:
        number += 1
        target = folder / f"{stem}-{number}{suffix}"
    return target


def safe_filename(name: str) -> str:
    """A file name with no path parts or control characters; Arabic letters and spaces kept.

    A long name is shortened before its extension, to at most ``MAX_NAME_BYTES`` of UTF-8.

    >>> safe_filename("../../etc/passwd.txt"), safe_filename("مقال جديد.txt")
    ('passwd.txt', 'مقال جديد.txt')
    >>> len(safe_filename("a" * 300 + ".txt")), safe_filename("a" * 300 + ".txt")[-5:]
    (200, 'a.txt')
    """
    base = name.replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    stem, dot, ext = base.rpartition(".")
    suffix = f".{ext}" if dot and len(ext) <= 10 else ""
    stem = stem if suffix else base
    while stem and (len(stem) + len(suffix) > 200 or len((stem + suffix).encode()) > MAX_NAME_BYTES):
        stem = stem[:-1]
    return (stem.rstrip() + suffix) if stem.strip() else "article.txt"
