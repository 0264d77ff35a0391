"""Offline extractive summaries of one article, several, all, or a topic across them.

An article's summary is its most central sentences (those sharing the most analysed
terms with the rest of the article, with a lead bonus since news puts the gist first),
in reading order, each cited. A topic summary scores the sentences of the passages
retrieved for the topic by topic coverage plus centrality. Summaries also route from
the chat: "لخص …", "summarise …" questions come here.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.arabic import analyse, normalize
from assistant.extractive import Sentence, cite, english_date, is_heading
from assistant.models import Chunk, Citation, Span
from assistant.splitter import sentence_spans

SUMMARY_INTRO = {
    "en": "Summary in quotes from {what} (offline mode: the sentences below are quoted from the Arabic sources):",
    "ar": "ملخص مقتبس من {what} (وضع دون نموذج لغوي: الجمل التالية مقتبسة حرفياً من المصادر):",
}
TOPIC_NOT_FOUND = {
    "en": (
        'No article uses the words of the topic "{topic}": this summarises only the article '
        "closest to it in meaning, which may not be about it."
    ),
    "ar": "لا ترد كلمات الموضوع «{topic}» في أي مقال: هذا ملخص المقال الأقرب إليه في المعنى وحده، وقد لا يكون عنه.",
}
_SUMMARY_RE = re.compile(
    r"^\s*(please\s+)?(summari[sz]e|sum up|give( me)? (a |an )?(short |brief )?(summary|overview) of)\b"
    r"|^\s*(can you |could you )?(write |provide )?(a |an )?(short |brief )?(summary|overview) of\b"
    r"|^\s*(من فضلك\s+)?((قدم|قدّم|اعط|أعط|أعطني|اعطني|اكتب) ملخصا?ً?|لخّص|لخص|ملخص|تلخيص|اختصر)",
    re.IGNORECASE,
)
MIN_SENTENCE_CHARS = 40
REPEAT_OVERLAP = 0.6  # a sentence sharing this much of its terms with a chosen one repeats it


def is_summary_request(question: str) -> bool:
    """True for chat messages that ask for a summary ("Summarise …", "لخص …")."""
    return bool(_SUMMARY_RE.search(question))


def summary_topic(question: str) -> str:
    """The topic part of a summary request ("لخص ما قاله لافروف" → "ما قاله لافروف")."""
    return _SUMMARY_RE.sub("", question, count=1).strip(" :،,.؟?")


def _after_title(text: str, title: str) -> int:
    """Characters of ``text`` taken by the article's headline when a sentence starts with it
    (and its separator), so that the point quoted is what follows; 0 otherwise.

    >>> _after_title("عنوان الخبر ، ناقش الوزيران الأزمة.", "عنوان الخبر")
    14
    """
    if not title or not normalize(text).startswith(normalize(title)):
        return 0
    cut = len(title)
    while cut < len(text) and (text[cut].isspace() or text[cut] in "،,:-–.."):
        cut += 1
    return cut if cut < len(text) else 0


def article_sentences(chunks: list[Chunk]) -> list[tuple[Chunk, Span, str]]:
    """Distinct prose sentences of an article's chunks, as spans of the original file.

    Never a headline, sub-heading, byline or caption (:func:`assistant.extractive.is_heading`),
    never the title again, and a sentence that opens with the title is quoted from after it.
    """
    seen: set[int] = set()
    texts: set[str] = set()
    out = []
    for chunk in sorted(chunks, key=lambda c: c.start):
        for s in sentence_spans(chunk.text, Span(0, len(chunk.text)), 10**9, len):
            start = s.start + _after_title(chunk.text[s.start : s.end], chunk.title)
            text = chunk.text[start : s.end]
            key = normalize(text)
            if chunk.start + start in seen or key in texts or is_heading(text) or key == normalize(chunk.title):
                continue
            if len(text) >= MIN_SENTENCE_CHARS:
                seen.add(chunk.start + start)
                texts.add(key)
                out.append((chunk, Span(chunk.start + start, chunk.start + s.end), text))
    return out


def central_sentences(chunks: list[Chunk], limit: int, topic_terms: set[str] | None = None) -> list[Sentence]:
    """The ``limit`` most central (and on-topic) sentences of ``chunks``, in reading order."""
    items = article_sentences(chunks)
    if not items:
        return []
    bags = [set(analyse(text)) for _, _, text in items]
    freq = Counter(t for bag in bags for t in bag)
    scored = []
    for position, ((chunk, span, text), bag) in enumerate(zip(items, bags, strict=True)):
        centrality = sum(freq[t] - 1 for t in bag) / (len(bag) + 5)
        score = centrality + (0.5 if position == 0 else 0.0)
        if topic_terms:
            score += 3.0 * len(bag & topic_terms) / len(topic_terms)
        scored.append(Sentence(chunk, span, text, score, position))
    best: list[Sentence] = []
    kept: list[set[str]] = []
    for sentence in sorted(scored, key=lambda s: -s.score):
        bag = bags[sentence.rank]
        if len(best) < limit and not any(_overlap(bag, other) >= REPEAT_OVERLAP for other in kept):
            best.append(sentence)
            kept.append(bag)
    return sorted(best, key=lambda s: (s.chunk.source, s.span.start))


def _overlap(a: set[str], b: set[str]) -> float:
    """Jaccard overlap of two term sets (0 when both are empty)."""
    return len(a & b) / len(a | b) if a | b else 0.0


def summarise_articles(
    chunks_by_source: dict[str, list[Chunk]], language: str, topic_terms: set[str] | None = None
) -> tuple[str, tuple[Citation, ...]]:
    """Extractive summary of each article, in the order given (the caller's: by relevance
    for a topic, by file name otherwise); fewer sentences each when many."""
    per_article = max(2, 6 // max(1, len(chunks_by_source))) if len(chunks_by_source) > 1 else 4
    chosen: list[Sentence] = []
    for source in chunks_by_source:
        chosen.extend(central_sentences(chunks_by_source[source], per_article, topic_terms))
    citations = cite(chosen)
    what = _what(language, list(chunks_by_source), chosen)
    return render_summary(language, what, citations), citations


def render_summary(language: str, what: str, citations: tuple[Citation, ...]) -> str:
    """Summary text: an intro line, then one quoted sentence per line with ``[n]``, grouped by file."""
    lines = [SUMMARY_INTRO.get(language, SUMMARY_INTRO["en"]).format(what=what)]
    current = None
    for n, c in enumerate(citations, start=1):
        if c.source != current and len({x.source for x in citations}) > 1:
            current = c.source
            lines.append(f"\n**{c.title or c.source}** ({c.source})")
        lines.append(f"- «{c.quote}» [{n}]")
    return "\n".join(lines)


def _what(language: str, sources: list[str], chosen: list[Sentence]) -> str:
    """What is summarised: "3 articles", or one article by title, date and file name."""
    if len(sources) > 1:
        return f"{len(sources)} مقالات" if language == "ar" else f"{len(sources)} articles"
    chunk = chosen[0].chunk if chosen else None
    title = f"«{chunk.title}» " if chunk is not None and chunk.title else ""
    date = (chunk.date or "") if chunk is not None else ""
    if language == "ar":
        return f"المقال {title}{f'({date}) ' if date else ''}[{sources[0]}]"
    return f"the article {title}{f'({english_date(date)}) ' if date else ''}[{sources[0]}]"


_PLURAL_RE = re.compile(r"\b(articles|reports|stories|sources)\b|المقالات|التقارير|المصادر|الأخبار", re.IGNORECASE)
_SINGULAR_RE = re.compile(
    r"\b(the|this|that|one) (article|report|story|piece|news item)\b|(^|\s)(المقال|مقال|الخبر|خبر|التقرير)(\s|$)",
    re.IGNORECASE,
)
MONTHS_AR = (
    ("يناير", "كانون الثاني"), ("فبراير", "شباط"), ("مارس", "آذار"), ("أبريل", "نيسان"),
    ("مايو", "أيار"), ("يونيو", "حزيران"), ("يوليو", "تموز"), ("أغسطس", "آب"),
    ("سبتمبر", "أيلول"), ("أكتوبر", "تشرين الأول"), ("نوفمبر", "تشرين الثاني"), ("ديسمبر", "كانون الأول"),
)  # fmt: skip
CLEAR_LEAD = 1.25  # the best-described article must match this much better than the next


def named_date(text: str) -> tuple[int | None, int | None]:
    """The year and month a request names ("in April 2024", "في أبريل 2024"), if any.

    >>> named_date("Lavrov's visit to China in April 2024"), named_date("لقاء نيسان")
    ((2024, 4), (None, 4))
    """
    from assistant.extractive import MONTHS

    year = re.search(r"\b(19|20)\d\d\b", text)
    norm, month = normalize(text), None
    for number, (english, (arabic, levantine)) in enumerate(zip(MONTHS, MONTHS_AR, strict=True), start=1):
        if re.search(rf"\b{english}\b", text) or any(
            re.search(rf"(^|\s|ف|ب)(ال)?{normalize(name)}(\s|$|[.,،؟?])", norm) for name in (arabic, levantine)
        ):
            month = number
            break
    return (int(year.group()) if year else None), month


def date_agrees(date: str | None, year: int | None, month: int | None) -> bool | None:
    """Whether an article's ISO ``date`` fits a named year/month (None: nothing to compare)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-\d{2}", date or "")
    if match is None or (year is None and month is None):
        return None
    return (year is None or int(match.group(1)) == year) and (month is None or int(match.group(2)) == month)


def described_article(request: str, matches: dict[str, float], dates: dict[str, str | None]) -> str | None:
    """The one article a summary request describes ("the article about Lavrov's visit in
    April 2024"), or None for a topic across articles. ``matches`` is how well each
    candidate article matches the description (best first); an article whose date
    contradicts a named month or year is out, one whose date fits it is chosen; otherwise
    the best one when the request says "the article" or when it leads clearly (a lead
    over nothing, when no article matches at all, is no lead)."""
    if _PLURAL_RE.search(request) or not matches:
        return None
    year, month = named_date(request)
    fits = {s: date_agrees(dates.get(s), year, month) for s in matches}
    ranked = sorted((s for s in matches if fits[s] is not False), key=lambda s: -matches[s])
    if not ranked:
        return None
    dated = [s for s in ranked if fits[s]]
    if dated:
        return dated[0]
    runner_up = matches[ranked[1]] if len(ranked) > 1 else 0.0
    if _SINGULAR_RE.search(request) or 0 < matches[ranked[0]] >= CLEAR_LEAD * runner_up:
        return ranked[0]
    return None
