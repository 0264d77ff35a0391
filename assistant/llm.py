"""The one factory for chat models: ``make_llm(settings)`` and its banner ``describe_llm``.

Backends, chosen by ``settings.llm_provider`` and imported lazily (only the chosen one):

- ``openai``: :class:`langchain_openai.ChatOpenAI` against any OpenAI-compatible server
  (OpenAI, llama.cpp, vLLM, LM Studio …); base URL and key default to ``OPENAI_BASE_URL``
  and ``OPENAI_API_KEY``; a local server without a key gets the dummy ``"not-needed"``.
- ``ollama``: :class:`langchain_ollama.ChatOllama`, by default at ``http://127.0.0.1:11434``.
- ``transformers``: a local model *folder* run with ``transformers.pipeline`` wrapped in
  :class:`langchain_huggingface.ChatHuggingFace`; never a hub name (no network here).
- ``none``: no model (``None``): the service answers extractively.

Every request is bounded by ``settings.llm_timeout_s`` with at most one retry, so a dead
or hanging server fails in bounded time. A missing package or a bad setting raises
:class:`assistant.errors.UserError` naming what to install or set. The API key is never
logged or shown (:func:`describe_llm` also hides credentials inside a URL).

What it does not do: prompts, chains or error translation of requests (see
:mod:`assistant.llm_chain`).
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from assistant.errors import UserError
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"
OPENAI_DEFAULT_URL = "https://api.openai.com/v1"
DUMMY_API_KEY = "not-needed"
MAX_NEW_TOKENS = 512


def _require(module: str, pip_name: str, provider: str) -> ModuleType:
    """Import ``module`` or raise a :class:`UserError` saying what to pip install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise UserError(
            f"The '{provider}' LLM backend needs the package {pip_name}: "
            f"pip install {pip_name}  (or set ASSISTANT_LLM_PROVIDER=none)"
        ) from exc


def _require_model_name(settings: Settings) -> str:
    """``settings.llm_model``, or a :class:`UserError` when it is empty."""
    if not settings.llm_model.strip():
        raise UserError(
            f"ASSISTANT_LLM_MODEL is empty: name the model to use with "
            f"ASSISTANT_LLM_PROVIDER={settings.llm_provider} (e.g. gpt-4o-mini, qwen2.5:7b)"
        )
    return settings.llm_model.strip()


def openai_base_url(settings: Settings) -> str | None:
    """The OpenAI-compatible server URL: setting, then ``OPENAI_BASE_URL``, else ``None``."""
    return settings.llm_base_url or os.environ.get("OPENAI_BASE_URL") or None


def _openai_api_key(settings: Settings) -> str:
    """The API key: setting, then ``OPENAI_API_KEY``, else a dummy for keyless local servers."""
    if settings.llm_api_key is not None and settings.llm_api_key.get_secret_value():
        return settings.llm_api_key.get_secret_value()
    return os.environ.get("OPENAI_API_KEY") or DUMMY_API_KEY


def _make_openai(settings: Settings) -> BaseChatModel:
    """``ChatOpenAI`` for any OpenAI-compatible server, bounded by the timeout."""
    module = _require("langchain_openai", "langchain-openai", "openai")
    return module.ChatOpenAI(
        model=_require_model_name(settings),
        base_url=openai_base_url(settings),
        api_key=_openai_api_key(settings),
        timeout=settings.llm_timeout_s,
        max_retries=1,
        temperature=settings.llm_temperature,
    )


def _make_ollama(settings: Settings) -> BaseChatModel:
    """``ChatOllama`` at ``llm_base_url`` (default: Ollama's local port)."""
    module = _require("langchain_ollama", "langchain-ollama", "ollama")
    return module.ChatOllama(
        model=_require_model_name(settings),
        base_url=settings.llm_base_url or OLLAMA_DEFAULT_URL,
        temperature=settings.llm_temperature,
        client_kwargs={"timeout": settings.llm_timeout_s},
    )


def _model_folder(settings: Settings) -> Path:
    """The local model folder named by ``llm_model``, or a :class:`UserError` naming it."""
    folder = Path(settings.llm_model.strip()).expanduser()
    if not settings.llm_model.strip() or not (folder / "config.json").is_file():
        raise UserError(
            f"ASSISTANT_LLM_MODEL={settings.llm_model!r} is not a local model folder "
            "(a folder with config.json and tokenizer files): the transformers backend "
            "loads models from disk only, never from the hub"
        )
    return folder


def _generation_kwargs(settings: Settings, tokenizer: object) -> dict[str, object]:
    """Generation settings for the pipeline: new text only, bounded length, temperature."""
    kwargs: dict[str, object] = {
        "max_new_tokens": MAX_NEW_TOKENS,
        "return_full_text": False,
        "do_sample": settings.llm_temperature > 0,
    }
    if settings.llm_temperature > 0:
        kwargs["temperature"] = settings.llm_temperature
    pad = getattr(tokenizer, "pad_token_id", None)
    eos = getattr(tokenizer, "eos_token_id", None)
    if pad is None and eos is not None:
        kwargs["pad_token_id"] = eos
    return kwargs


def _make_transformers(settings: Settings) -> BaseChatModel:
    """``ChatHuggingFace`` over a ``text-generation`` pipeline loaded from a local folder."""
    folder = _model_folder(settings)
    transformers = _require("transformers", "transformers", "transformers")
    hf = _require("langchain_huggingface", "langchain-huggingface", "transformers")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise UserError(f"Could not load the model in {folder}: {exc}") from exc
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"The tokenizer in {folder} has no chat_template: use a chat model")
    # Generation settings go to the pipeline itself: HuggingFacePipeline does not pass its
    # own pipeline_kwargs on at call time.
    generation = _generation_kwargs(settings, tokenizer)
    pipe = transformers.pipeline("text-generation", model=model, tokenizer=tokenizer, **generation)
    llm = hf.HuggingFacePipeline(pipeline=pipe, model_id=str(folder))
    with warnings.catch_warnings():  # it probes langchain-community, which warns on import
        warnings.filterwarnings("ignore", message=".*langchain-community.*")
        return hf.ChatHuggingFace(llm=llm, tokenizer=tokenizer, model_id=str(folder))


def make_llm(settings: Settings) -> BaseChatModel | None:
    """The chat model ``settings`` ask for, or ``None`` for ``llm_provider=none``.

    Raises :class:`UserError` for a missing package, an empty model name, or (for
    ``transformers``) a model that is not a local folder.
    """
    provider = settings.llm_provider
    if provider == "none":
        return None
    makers = {"openai": _make_openai, "ollama": _make_ollama, "transformers": _make_transformers}
    if provider not in makers:
        raise UserError(
            f"Unknown ASSISTANT_LLM_PROVIDER={provider!r}: use none|openai|ollama|transformers"
        )
    llm = makers[provider](settings)
    log.info("LLM backend: %s", describe_llm(settings))
    return llm


def _public_url(url: str) -> str:
    """``url`` without a user or password in it (safe to show or log).

    >>> _public_url("http://user:secret@host:8080/v1")
    'http://host:8080/v1'
    """
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def describe_llm(settings: Settings) -> str:
    """A short, secret-free description of the LLM for the mode banner.

    >>> describe_llm(Settings(llm_provider="openai", llm_model="m", llm_base_url="http://h/v1"))
    'openai:m @ http://h/v1'
    >>> describe_llm(Settings(llm_provider="none"))
    'none'
    """
    provider, model = settings.llm_provider, settings.llm_model.strip()
    if provider == "openai":
        return f"openai:{model} @ {_public_url(openai_base_url(settings) or OPENAI_DEFAULT_URL)}"
    if provider == "ollama":
        return f"ollama:{model} @ {_public_url(settings.llm_base_url or OLLAMA_DEFAULT_URL)}"
    if provider == "transformers":
        return f"transformers:{model}"
    return "none"
