"""The model's reading of candidate sentences (issues 13 and 14): English questions over
Arabic articles whose words the hand-written lexicon does not know.

Unit tests use a recording fake at the model boundary; the service tests use the real
bundled e5 engine over two small planted Arabic articles (written here, not the eval's),
since which sentence is quoted depends on what the model reads.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from assistant.extractive import Sentence, dense_ranks, dense_weight, model_passage
from assistant.models import Chunk, Retrieved, Span
from assistant.retrieval import QueryAnalysis
from assistant.sentence_vectors import SentenceVectors, sentence_cache, sentence_key


class RecordingEmbedder:
    """A fake model: a unit vector from the text's hash; records every text it embeds."""

    id = "fake-model"
    dim = 8

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        rows = []
        for text in texts:
            seed = int(hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:8], 16)
            row = np.random.default_rng(seed).normal(size=self.dim)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32)


EDGE_TEXTS = ["", "كلمة", "وقال Lavrov إن ...", "7300", "Sfax صفاقس 2025"]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_each_edge_text_gets_one_unit_vector_and_is_embedded_once(text: str) -> None:
    embedder = RecordingEmbedder()
    cache = SentenceVectors(embedder)
    first = cache.vectors([text])
    again = cache.vectors([text, text])
    assert first.shape == (1, embedder.dim)
    assert np.allclose(again[0], first[0]) and np.allclose(again[1], first[0])
    assert np.isclose(np.linalg.norm(first[0]), 1.0)
    assert embedder.embedded == [text]


def test_no_texts_give_an_empty_matrix_and_no_similarities() -> None:
    cache = SentenceVectors(RecordingEmbedder())
    assert cache.vectors([]).shape == (0, 8)
    assert cache.similarities(np.ones(8), []) == []


def test_vectors_saved_beside_the_index_are_read_back_without_embedding_again(tmp_path: Path) -> None:
    path = tmp_path / "c.sentences.npz"
    texts = ["وباع المنظمون 7300 تذكرة.", "one word", "مختلط mixed"]
    assert SentenceVectors(RecordingEmbedder(), path).warm(texts) == 3
    later = RecordingEmbedder()
    reread = SentenceVectors(later, path)
    assert reread.warm(texts) == 0
    assert np.allclose(reread.vectors(texts), SentenceVectors(RecordingEmbedder()).vectors(texts))
    assert later.embedded == []


def test_an_unreadable_cache_file_is_rebuilt_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "c.sentences.npz"
    path.write_bytes(b"not a numpy file")
    embedder = RecordingEmbedder()
    assert SentenceVectors(embedder, path).vectors(["نص"]).shape == (1, 8)
    assert embedder.embedded == ["نص"]
    assert SentenceVectors(RecordingEmbedder(), path).warm(["نص"]) == 0


def test_decomposed_and_composed_arabic_share_one_key() -> None:
    composed = "أعلن المغرب"
    assert sentence_key("m", composed) == sentence_key("m", unicodedata.normalize("NFD", composed))
    assert sentence_key("m", composed) != sentence_key("other", composed)


def test_similarities_are_cosines_to_the_query() -> None:
    cache = SentenceVectors(RecordingEmbedder())
    texts = ["أ", "ب"]
    query = cache.vectors(["أ"])[0]
    similarity = cache.similarities(query, texts)
    assert similarity[0] == pytest.approx(1.0, abs=1e-5) and similarity[1] < similarity[0]


def _english(untranslated: list[str], slots: int = 1) -> QueryAnalysis:
    analysis = QueryAnalysis(
        "q", "en", "", [], slots=[frozenset({f"t{i}"}) for i in range(slots)], untranslated=untranslated
    )
    analysis.slot_weights = [2.0] * slots
    analysis.dense_reads_words = True
    analysis.untranslated_weight = 0.0
    return analysis


@pytest.mark.parametrize("texts", [[], ["one"], ["a", "b", "c"]])
def test_an_arabic_question_or_no_model_gives_no_dense_rank(texts: list[str]) -> None:
    arabic = QueryAnalysis("س", "ar", "س", [])
    assert dense_ranks(arabic, texts, lambda t: [1.0] * len(t)) == [None] * len(texts)
    assert dense_ranks(_english(["x"]), texts, None) == [None] * len(texts)


def test_english_sentences_are_ranked_by_the_models_similarity() -> None:
    assert dense_ranks(_english(["x"]), ["a", "b", "c"], lambda t: [0.7, 0.9, 0.8]) == [2, 0, 1]


def test_the_model_weighs_more_the_more_words_the_lexicon_missed() -> None:
    assert dense_weight(_english(["a", "b", "c"], slots=1)) > dense_weight(_english(["a"], slots=3))
    assert dense_weight(_english([], slots=2)) > 0  # a known word may have the wrong sense


def test_untranslated_words_count_as_read_only_in_the_models_passage() -> None:
    analysis = _english(["tender", "visitors", "export"], slots=1)
    unread = analysis.coverage(set(), 0)  # the lexical slot is not in the text
    read = analysis.coverage(set(), 0, model_read=True)
    assert unread == 0.0 and read == pytest.approx(0.75)
    assert analysis.coverage({"t0"}, 0, model_read=True) == 1.0


def test_without_a_multilingual_model_untranslated_words_are_never_read() -> None:
    analysis = _english(["tender"], slots=1)
    analysis.dense_reads_words = False
    analysis.untranslated_weight = 5.0
    assert analysis.coverage(set(), 0, model_read=True) == 0.0


def _sentence(chunk: Chunk, dense_rank: int | None) -> Sentence:
    return Sentence(chunk, Span(chunk.start, chunk.end), chunk.text, 1.0, 0, dense_rank=dense_rank)


@pytest.mark.parametrize(
    ("model_best", "expected"), [("first", "first"), ("second", None), (None, None)]
)
def test_words_count_as_read_only_where_the_model_and_retrieval_agree_on_the_passage(
    model_best: str | None, expected: str | None
) -> None:
    first, second = (Chunk(name, "f.txt", "نص.", 0, 3) for name in ("first", "second"))
    sentences = [
        _sentence(first, 0 if model_best == "first" else 1),
        _sentence(second, 0 if model_best == "second" else 2 if model_best else None),
    ]
    retrieved = [Retrieved(first, 1.0), Retrieved(second, 0.5)]
    assert model_passage(sentences, retrieved) == expected
    assert model_passage([], []) is None


def test_the_hashing_embedder_has_no_sentence_cache(tmp_path: Path) -> None:
    class Index:
        name = "c"

        class embedder:  # noqa: N801 - a stand-in with only what the factory reads
            id = "hashing-384"

    class Settings:
        store_dir = tmp_path

    assert sentence_cache(Settings(), Index()) is None


# --- through the service, with the real e5 engine ------------------------------------------

KITES = """السبت 3 مايو / أيار 2025

مهرجان الطائرات الورقية يعود إلى بلدة الوردية بعد غياب خمس سنوات

عاد مهرجان الطائرات الورقية إلى بلدة الوردية الساحلية، صباح الجمعة، بعد غياب دام خمس سنوات بسبب أعمال ترميم الشاطئ.

وقال رئيس البلدية سليم النجار إن البلدية أنفقت نحو مليون دينار على تجهيز الشاطئ ومواقف السيارات.

وباع المنظمون 7300 تذكرة في اليوم الأول، وهو رقم فاق توقعاتهم بكثير.

وشارك في المسابقة الرئيسية 85 فريقاً من 12 بلداً، وفاز فريق من جزيرة قرقنة بالجائزة الأولى عن طائرة على شكل سمكة عملاقة.

وأشار النجار إلى أن الرياح القوية أجبرت المنظمين على تأجيل العروض الليلية إلى مساء السبت.
"""
HARBOUR = """الأحد 4 مايو / أيار 2025

ميناء الوردية يستقبل أول سفينة سياحية هذا العام

استقبل ميناء الوردية، صباح الأحد، أول سفينة سياحية في الموسم الحالي وعلى متنها نحو 900 سائح من أوروبا.

وقالت مديرة الميناء هدى العلي إن الميناء يتوقع وصول 40 سفينة حتى نهاية الصيف.

وأضافت أن أعمال توسيع الرصيف الجنوبي ستنتهي في سبتمبر المقبل بكلفة تبلغ 20 مليون دينار.
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """An assistant with the real e5 engine over two planted articles (lexicon-free words)."""
    from tests.conftest import e5_assistant_over

    return e5_assistant_over(tmp_path_factory.mktemp("planted"), {"kites.txt": KITES, "harbour.txt": HARBOUR})


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("How many tickets were sold on the first day?", "7300"),
        ("Which team won the main kite competition?", "قرقنة"),
        ("Why were the night shows postponed?", "الرياح القوية"),
        ("How many cruise ships does the harbour expect?", "40 سفينة"),
    ],
)
def test_an_english_question_in_words_the_lexicon_lacks_quotes_the_sentence_with_the_fact(
    planted, question: str, fact: str
) -> None:  # type: ignore[no-untyped-def]
    answer = planted.ask(question)
    assert not answer.abstained
    assert fact in answer.citations[0].quote


@pytest.mark.parametrize(
    "question",
    [
        "What did the foreign minister say about the war in Ukraine?",
        "What did the mayor say about the sanctions on Russia?",
    ],
)
def test_an_english_question_the_articles_do_not_answer_is_refused(planted, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = planted.ask(question)
    assert answer.abstained and not answer.citations


def test_ingest_leaves_every_quotable_sentence_embedded_beside_the_index(planted) -> None:  # type: ignore[no-untyped-def]
    from assistant.sentence_vectors import indexed_sentences

    cache = sentence_cache(planted.settings, planted.index)
    assert cache is not None and cache.path is not None and cache.path.exists()
    assert cache.warm(indexed_sentences(planted.index)) == 0  # nothing left to embed


def test_a_store_folder_that_cannot_be_written_keeps_vectors_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")  # a file where the store folder should be
    cache = SentenceVectors(RecordingEmbedder(), blocker / "store" / "c.sentences.npz")
    assert cache.warm(["نص", "text"]) == 2
    assert cache.vectors(["نص"]).shape == (1, 8)


def test_ingest_caches_sentence_vectors_reports_them_and_forgets_removed_articles(tmp_path: Path) -> None:
    """The CLI's ``ingest`` (not only the service) leaves the sentences embedded, says how
    many, embeds nothing on a second run, and drops a removed article's sentences."""
    from assistant.index import open_index
    from assistant.ingest import ingest
    from assistant.sentence_vectors import STAGE, indexed_sentences
    from tests.conftest import offline_settings

    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "kites.txt").write_text(KITES, "utf-8")
    (articles / "harbour.txt").write_text(HARBOUR, "utf-8")
    settings = offline_settings(articles, tmp_path / "store").model_copy(update={"embedder": "e5-engine"})
    steps: list[tuple[int, int, str]] = []
    first = ingest(settings, progress=lambda done, total, name: steps.append((done, total, name)))
    index = open_index(settings)
    if not index.embedder.id.startswith("e5-engine"):
        pytest.skip(f"the bundled e5 engine is not usable here ({index.embedder.id})")
    sentences = set(indexed_sentences(index))
    assert first.sentence_vectors == len(sentences) > 5
    assert f"{len(sentences)} sentence vectors cached" in first.summary()
    assert steps[-1] == (len(sentences), len(sentences), STAGE)
    assert ingest(settings).sentence_vectors == 0

    (articles / "harbour.txt").unlink()
    ingest(settings)
    kept = set(indexed_sentences(open_index(settings)))
    cache = sentence_cache(settings, open_index(settings))
    assert cache is not None and cache.path is not None
    with np.load(cache.path, allow_pickle=False) as saved:
        assert len(saved["keys"]) == len(kept) < len(sentences)


def test_the_progress_line_counts_sentences_in_the_sentence_vector_stage() -> None:
    from assistant.sentence_vectors import STAGE
    from assistant.web_progress import Step, progress_html

    assert "32/74 sentences" in progress_html("Indexing", Step(32, 74, STAGE))
    assert "2/5 files" in progress_html("Indexing", Step(2, 5, "a.txt"))
