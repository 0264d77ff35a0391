"""LLM backends through their real clients: OpenAI and Ollama over HTTP, a tiny local model."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest

from assistant import llm as llm_module
from assistant.citations import CheckedAnswer
from assistant.errors import BackendError, UserError
from assistant.llm import describe_llm, make_llm
from assistant.llm_chain import answer, rewrite_followup, stream_answer
from assistant.models import Chunk
from assistant.settings import Settings
from tests.fake_openai_server import FakeLLMServer, closed_port_url

SECRET = "sk-test-secret-0123456789"
TEXT = "عقد وزير الخارجية الروسي سيرجي لافروف ونظيره الصيني اجتماعاً في الهند."
CHUNKS = [Chunk("c0", "000_x.txt", TEXT, 100, 100 + len(TEXT), title="لقاء")]
GROUNDED = "The ministers met in India [1: «اجتماعاً في الهند»]."


def words(text: str) -> int:
    return len(text.split())


@pytest.fixture(autouse=True)
def no_openai_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's OpenAI variables out of these tests."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "OLLAMA_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> FakeLLMServer:
    with FakeLLMServer([GROUNDED]) as fake:
        yield fake


def openai_settings(url: str, **extra: object) -> Settings:
    return Settings(llm_provider="openai", llm_model="fake-gpt", llm_base_url=url, **extra)


def ollama_settings(url: str, **extra: object) -> Settings:
    return Settings(llm_provider="ollama", llm_model="fake-llama", llm_base_url=url, **extra)


def test_the_openai_backend_answers_through_the_real_client_without_streaming(server):
    settings = openai_settings(server.openai_url, llm_temperature=0.3)
    reply = make_llm(settings).invoke([("system", "Be brief."), ("user", "مرحبا")])
    assert reply.content == GROUNDED
    request = server.requests[-1]
    assert server.paths[-1] == "/v1/chat/completions" and not request.get("stream")
    assert request["model"] == "fake-gpt" and request["temperature"] == 0.3
    assert request["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "مرحبا"},
    ]
    assert server.headers[-1]["authorization"] == "Bearer not-needed"


def test_the_openai_backend_streams_deltas_over_server_sent_events(server):
    model = make_llm(openai_settings(server.openai_url))
    deltas = [chunk.content for chunk in model.stream("hi")]
    assert server.requests[-1]["stream"] is True
    assert len([d for d in deltas if d]) > 3 and "".join(deltas) == GROUNDED


def test_a_streamed_answer_through_the_openai_backend_is_citation_checked(server):
    model = make_llm(openai_settings(server.openai_url))
    events = list(stream_answer(model, "Where did they meet?", CHUNKS, [], Settings(), words))
    final = events[-1]
    assert isinstance(final, CheckedAnswer) and final.text == "The ministers met in India [1]."
    assert final.citations[0].start == 100 + TEXT.index("اجتماعاً")
    sent = server.prompt_text()
    assert f"<passages>\n[1] (source: 000_x.txt; title: لقاء)\n{TEXT}\n</passages>" in sent


def test_the_base_url_and_key_come_from_the_openai_environment_variables(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    settings = Settings(llm_provider="openai", llm_model="fake-gpt")
    assert make_llm(settings).invoke("hi").content == GROUNDED
    assert server.headers[-1]["authorization"] == f"Bearer {SECRET}"
    assert describe_llm(settings) == f"openai:fake-gpt @ {server.openai_url}"


def test_the_api_key_is_sent_but_never_logged_or_described(server, caplog):
    settings = openai_settings(server.openai_url, llm_api_key=SECRET)
    with caplog.at_level(logging.DEBUG):
        make_llm(settings).invoke("hi")
    assert server.headers[-1]["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in caplog.text and SECRET not in describe_llm(settings)


def test_a_server_error_becomes_a_backend_error(server):
    server.mode = "error"
    model = make_llm(openai_settings(server.openai_url))
    with pytest.raises(BackendError, match="500"):
        answer(model, "Where?", CHUNKS, None, Settings(), words)
    with pytest.raises(BackendError, match="500"):
        list(stream_answer(model, "Where?", CHUNKS, None, Settings(), words))


def test_a_response_that_is_not_json_becomes_a_backend_error(server):
    server.mode = "garbage"
    model = make_llm(openai_settings(server.openai_url))
    with pytest.raises(BackendError, match="not valid JSON"):
        answer(model, "Where?", CHUNKS, None, Settings(), words)


# The fake "slow" server holds each request this long; the product must give up after its
# own 1 s timeout (and one retry), so a deadline far below it and far above ~3 s tells the
# two apart whatever the machine's load: it measures the product's bound, not the CPU.
SLOW_SERVER_S = 300.0
GENEROUS_S = 60.0


def test_a_slow_server_times_out_as_a_backend_error_after_one_retry(server):
    server.mode, server.slow_s = "slow", SLOW_SERVER_S
    settings = openai_settings(server.openai_url, llm_timeout_s=1)
    model = make_llm(settings)
    started = time.monotonic()
    with pytest.raises(BackendError, match="did not answer within 1 s"):
        answer(model, "Where?", CHUNKS, None, settings, words)
    assert time.monotonic() - started < GENEROUS_S
    assert len(server.requests) == 2  # the request and its one retry, then it gave up


def test_a_server_that_is_down_fails_fast_as_a_backend_error():
    settings = openai_settings(closed_port_url() + "/v1", llm_timeout_s=5)
    model = make_llm(settings)
    started = time.monotonic()
    with pytest.raises(BackendError, match="could not connect"):
        rewrite_followup(model, "And then?", [("Q", "A")], settings)
    assert time.monotonic() - started < GENEROUS_S  # refused at once, not a hang


def test_the_ollama_backend_answers_and_streams_through_chat_ollama(server):
    model = make_llm(ollama_settings(server.url))
    assert model.invoke("hi").content == GROUNDED
    deltas = [chunk.content for chunk in model.stream("hi")]
    assert "".join(deltas) == GROUNDED and len([d for d in deltas if d]) > 3
    assert server.paths[-1] == "/api/chat" and server.requests[-1]["model"] == "fake-llama"
    result = answer(model, "Where?", CHUNKS, None, Settings(), words)
    assert result.text == "The ministers met in India [1]."
    assert "<passages>" in server.prompt_text()


@pytest.mark.parametrize(("mode", "message"), [("error", "500"), ("slow", "did not answer")])
def test_ollama_failures_become_backend_errors(server, mode, message):
    server.mode, server.slow_s = mode, SLOW_SERVER_S
    settings = ollama_settings(server.url, llm_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(BackendError, match=message):
        answer(make_llm(settings), "Where?", CHUNKS, None, settings, words)
    assert time.monotonic() - started < GENEROUS_S  # its own 1 s timeout, not the server's 300 s


def test_ollama_down_is_a_backend_error():
    settings = ollama_settings(closed_port_url(), llm_timeout_s=2)
    with pytest.raises(BackendError, match="could not connect"):
        answer(make_llm(settings), "Where?", CHUNKS, None, settings, words)


def build_tiny_chat_model(folder: Path) -> Path:
    """A tiny random GPT-2 with a byte-level BPE tokenizer and a chat template (wiring only)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator([TEXT, "The ministers met in India.", "user assistant"], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>")
    fast.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    fast.save_pretrained(folder)
    config = GPT2Config(
        vocab_size=len(fast), n_embd=64, n_layer=2, n_head=2, n_positions=1024,
        bos_token_id=fast.eos_token_id, eos_token_id=fast.eos_token_id,
    )  # fmt: skip
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_the_transformers_backend_loads_a_local_folder_and_generates_text(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(llm_module, "MAX_NEW_TOKENS", 16)
    folder = build_tiny_chat_model(tmp_path / "tiny-chat")
    settings = Settings(llm_provider="transformers", llm_model=str(folder))
    model = make_llm(settings)
    reply = model.invoke([("system", "Answer briefly."), ("user", "أين عقد الاجتماع؟")])
    assert isinstance(reply.content, str)
    assert "<|user|>" not in reply.content  # only new text, not the prompt
    assert describe_llm(settings) == f"transformers:{folder}"


def test_the_transformers_backend_refuses_a_folder_that_does_not_exist(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(UserError, match="no-such-model"):
        make_llm(Settings(llm_provider="transformers", llm_model=str(missing)))
    with pytest.raises(UserError, match="not a local model folder"):
        make_llm(Settings(llm_provider="transformers", llm_model="Qwen/Qwen2.5-0.5B-Instruct"))


def test_provider_none_gives_no_model():
    settings = Settings(llm_provider="none")
    assert make_llm(settings) is None and describe_llm(settings) == "none"


def test_an_empty_model_name_is_a_user_error():
    with pytest.raises(UserError, match="ASSISTANT_LLM_MODEL"):
        make_llm(Settings(llm_provider="openai", llm_model=""))


@pytest.mark.parametrize(
    ("provider", "module", "package"),
    [
        ("openai", "langchain_openai", "langchain-openai"),
        ("ollama", "langchain_ollama", "langchain-ollama"),
    ],
)
def test_a_missing_backend_package_says_what_to_pip_install(monkeypatch, provider, module, package):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(UserError, match=f"pip install {package}"):
        make_llm(Settings(llm_provider=provider, llm_model="m"))


def test_describe_llm_hides_credentials_in_the_url_and_names_the_defaults():
    with_creds = Settings(
        llm_provider="openai",
        llm_model="gpt-4o-mini",
        llm_base_url="http://me:pw@127.0.0.1:8080/v1",
    )
    assert describe_llm(with_creds) == "openai:gpt-4o-mini @ http://127.0.0.1:8080/v1"
    ollama = Settings(llm_provider="ollama", llm_model="qwen2.5:7b")
    assert describe_llm(ollama) == "ollama:qwen2.5:7b @ http://127.0.0.1:11434"
    default = Settings(llm_provider="openai", llm_model="gpt-4o-mini")
    assert describe_llm(default) == "openai:gpt-4o-mini @ https://api.openai.com/v1"
