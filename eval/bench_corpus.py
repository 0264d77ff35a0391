"""Deterministic synthetic Arabic news corpus for the scale benchmark (:mod:`eval.bench`).

What it does: cut the real articles of ``data/articles`` into clauses, then write
synthetic article files (a headline line, a date line, 10-20 chunks of paragraphs) made of
sentences recombined from real clauses in which most content words (four letters or more) are swapped
for synthetic Arabic word forms (root + pattern + clitics + suffix), while the short
function words keep the real syntax. A sentence so keeps a fifth of its real content
words: enough to make partial-match distractors, not so many that thousands of
near-copies of each real sentence drown the real articles. The synthetic vocabulary grows with
the corpus like real text does (Heaps' law, ``V = K * n ** beta`` over the swapped words)
and is drawn with a Zipf law, so BM25 postings, Chroma's HNSW graph and the stemmer see a
realistic, growing term distribution. The five real articles are copied in under their own
names, so file-level hit@3 on the real evaluation questions stays measurable at every size.
It also samples word spans of synthetic articles to serve as extra Arabic queries.

What it does not do: produce meaningful text, or split exactly: chunk counts are
estimated from characters (calibrated on the real splitter); the index reports the truth.
Everything is a pure function of ``seed`` and the size.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 20261120
REPLACE_RATE = 0.8  # share of content words swapped
CONTENT_SHARE = 0.65  # content words among all words of the real sentences, measured
CHUNKS_PER_ARTICLE = (10, 20)
CHARS_PER_CHUNK = (
    505  # characters of article text per chunk (chunk_tokens=490, overlap 80, cl100k_base), measured
)
WORDS_PER_CHUNK = 90
HEAPS_K = 30.0
HEAPS_BETA = 0.5
ZIPF_S = 1.05
ZIPF_OFFSET = 20  # Zipf-Mandelbrot offset: no single synthetic word dominates the head
REAL_CHUNKS = 25  # chunks of the five real articles at the default settings

_CONSONANTS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"
_PATTERNS = ("{0}{1}{2}", "{0}ا{1}{2}", "م{0}{1}{2}", "م{0}{1}و{2}", "ت{0}{1}ي{2}", "{0}{1}ي{2}",
             "است{0}{1}{2}", "{0}{1}ا{2}")  # fmt: skip
_PREFIXES = ("", "", "", "ال", "ال", "و", "وال", "ب", "بال", "لل")
_SUFFIXES = ("", "", "", "ة", "ات", "ون", "ين", "ي", "ية", "ها")
_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
           "أكتوبر", "نوفمبر", "ديسمبر")  # fmt: skip
_CLAUSE_RE = re.compile(r"[.!?؟،؛\n]+")
_CONTENT_WORD_RE = re.compile(r"^[\u0621-\u064A]{4,}$")


@dataclass
class Corpus:
    """What :func:`write_corpus` wrote: files, estimated chunks, vocabulary, queries."""

    data_dir: Path
    files: int
    estimated_chunks: int
    vocabulary: int
    seconds: float
    queries: list[str] = field(default_factory=list)


def real_clauses(articles_dir: Path) -> list[list[str]]:
    """Clauses (word lists cut at . ! ? ؟ ، ؛ and line ends) of every real article, 3+ words.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); _ = (d / "a.txt").write_text("قال لافروف إن روسيا، والصين متفقتان تماما. لا")
    >>> real_clauses(d)
    [['قال', 'لافروف', 'إن', 'روسيا'], ['والصين', 'متفقتان', 'تماما']]
    """
    clauses = []
    for path in sorted(articles_dir.glob("*.txt")):
        for piece in _CLAUSE_RE.split(path.read_text(encoding="utf-8")):
            words = piece.split()
            if len(words) >= 3:
                clauses.append(words)
    return clauses


def vocabulary_size(target_chunks: int) -> int:
    """Synthetic word forms for a corpus of ``target_chunks`` (Heaps' law over swapped words).

    >>> vocabulary_size(1000) < vocabulary_size(10000) < vocabulary_size(100000)
    True
    """
    swapped = target_chunks * WORDS_PER_CHUNK * CONTENT_SHARE * REPLACE_RATE
    return max(100, int(HEAPS_K * swapped**HEAPS_BETA))


def synthetic_vocabulary(size: int, seed: int = SEED) -> list[str]:
    """``size`` distinct Arabic-looking word forms; a smaller size gives a prefix of a larger.

    >>> v = synthetic_vocabulary(50); v == synthetic_vocabulary(80)[:50], len(set(v))
    (True, 50)
    """
    rng = np.random.default_rng(seed)
    forms: dict[str, None] = {}
    while len(forms) < size:
        root = rng.integers(0, len(_CONSONANTS), size=3)
        pattern = _PATTERNS[int(rng.integers(len(_PATTERNS)))]
        prefix = _PREFIXES[int(rng.integers(len(_PREFIXES)))]
        suffix = _SUFFIXES[int(rng.integers(len(_SUFFIXES)))]
        stem = pattern.format(*(_CONSONANTS[int(i)] for i in root))
        forms.setdefault(prefix + stem + suffix, None)
    return list(forms)


def zipf_cumulative(size: int, s: float = ZIPF_S, offset: float = ZIPF_OFFSET) -> np.ndarray:
    """Cumulative Zipf-Mandelbrot probabilities ``1 / (rank + offset) ** s`` over ``size`` ranks.

    >>> c = zipf_cumulative(3, 1.0, 0.0); [round(float(x), 3) for x in c]
    [0.545, 0.818, 1.0]
    """
    weights = 1.0 / (np.arange(1, size + 1, dtype=np.float64) + offset) ** s
    cumulative = np.cumsum(weights)
    return cumulative / cumulative[-1]


@dataclass
class _Sampler:
    """Random source and word tables shared by every article of one corpus."""

    rng: np.random.Generator
    clauses: list[list[str]]
    replaceable: list[np.ndarray]
    vocabulary: list[str]
    cumulative: np.ndarray

    def sentence(self) -> str:
        """1-3 real clauses joined into a sentence, ``REPLACE_RATE`` of content words swapped."""
        clauses = [self.clause() for _ in range(int(self.rng.integers(1, 4)))]
        return "، ".join(clauses) + "."

    def clause(self) -> str:
        """One real clause with about ``REPLACE_RATE`` of its content words swapped."""
        index = int(self.rng.integers(len(self.clauses)))
        words = list(self.clauses[index])
        slots = self.replaceable[index]
        chosen = slots[self.rng.random(len(slots)) < REPLACE_RATE]
        picks = np.searchsorted(self.cumulative, self.rng.random(len(chosen)))
        for slot, pick in zip(chosen, picks, strict=True):
            words[slot] = self.vocabulary[min(int(pick), len(self.vocabulary) - 1)]
        return " ".join(words)


def make_article(sampler: _Sampler, chunks: int) -> str:
    """Text of one synthetic article: headline, date line, paragraphs of 2-4 sentences."""
    rng = sampler.rng
    headline = " ".join(sampler.clause().split()[:9])
    date = f"{int(rng.integers(1, 29))} {_MONTHS[int(rng.integers(12))]} {int(rng.integers(2019, 2026))}"
    paragraphs: list[str] = []
    length, wanted = 0, chunks * CHARS_PER_CHUNK
    while length < wanted:
        paragraph = " ".join(sampler.sentence() for _ in range(int(rng.integers(2, 5))))
        paragraphs.append(paragraph)
        length += len(paragraph) + 1
    return "\n".join([headline, date, *paragraphs]) + "\n"


def make_sampler(articles_dir: Path, target_chunks: int, seed: int) -> _Sampler:
    """The shared sampler for a corpus of ``target_chunks`` built from ``articles_dir``."""
    clauses = real_clauses(articles_dir)
    if not clauses:
        raise ValueError(f"{articles_dir}: no clauses to recombine")
    replaceable = [
        np.array([i for i, w in enumerate(s) if _CONTENT_WORD_RE.match(w)], dtype=np.int64)
        for s in clauses
    ]
    vocabulary = synthetic_vocabulary(vocabulary_size(target_chunks), seed)
    return _Sampler(
        rng=np.random.default_rng([seed, target_chunks]),
        clauses=clauses,
        replaceable=replaceable,
        vocabulary=vocabulary,
        cumulative=zipf_cumulative(len(vocabulary)),
    )


def sample_query(sampler: _Sampler, text: str) -> str:
    """A span of 5-10 consecutive words from the body of an article (a lexical query)."""
    body = text.split("\n", 2)[2].split()
    size = int(sampler.rng.integers(5, 11))
    start = int(sampler.rng.integers(0, max(1, len(body) - size)))
    return " ".join(body[start : start + size]).strip('.،:"')


def write_corpus(
    out_dir: Path,
    target_chunks: int,
    articles_dir: Path,
    seed: int = SEED,
    queries: int = 60,
) -> Corpus:
    """Write the real articles plus synthetic ones worth about ``target_chunks`` chunks.

    ``out_dir`` is emptied first. Returns what was written and ``queries`` sampled spans.
    """
    started = time.perf_counter()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    for path in sorted(articles_dir.glob("*.txt")):
        shutil.copyfile(path, out_dir / path.name)
    sampler = make_sampler(articles_dir, target_chunks, seed)
    reservoir = np.random.default_rng([seed, target_chunks, 1])
    estimated, written, texts = REAL_CHUNKS, 0, []
    low, high = CHUNKS_PER_ARTICLE
    while estimated < target_chunks:
        chunks = min(int(sampler.rng.integers(low, high + 1)), max(1, target_chunks - estimated))
        text = make_article(sampler, chunks)
        (out_dir / f"syn_{written:06d}.txt").write_text(text, encoding="utf-8")
        _keep_sample(texts, text, written, queries, reservoir)
        estimated += chunks
        written += 1
    return Corpus(
        data_dir=out_dir,
        files=written + len(list(articles_dir.glob("*.txt"))),
        estimated_chunks=estimated,
        vocabulary=len(sampler.vocabulary),
        seconds=time.perf_counter() - started,
        queries=[sample_query(sampler, t) for t in texts],
    )


def _keep_sample(
    kept: list[str], text: str, seen: int, size: int, rng: np.random.Generator
) -> None:
    """Reservoir sampling: ``kept`` stays a uniform sample of ``size`` of the texts seen."""
    if len(kept) < size:
        kept.append(text)
        return
    slot = int(rng.integers(0, seen + 1))
    if slot < size:
        kept[slot] = text
