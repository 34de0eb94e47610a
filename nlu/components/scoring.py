"""A fitted TF-IDF + logistic regression pipeline (nlu/components/classifier.py) scored without
scikit-learn's per-call machinery.

``Pipeline.predict_proba`` checks its input, runs the ColumnTransformer through joblib, slices
the blocks out of one matrix and stacks them back: about a tenth of Rasa's CPU for a typed
message (py-spy under load, bench/REPORT.md), for arithmetic that takes a few microseconds on
one message. ``Scorer`` does the same arithmetic block by block from the fitted weights: the
same TF-IDF steps in the same order, each block's scores against its own slice of the weights,
then the same softmax. The probabilities equal the pipeline's to rounding (the blocks' scores
are summed in another order); tests/nlu/test_classifier.py compares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from scipy.sparse import csr_matrix, issparse
from sklearn.pipeline import Pipeline
from sklearn.utils.extmath import softmax


@dataclass(frozen=True)
class BlockWeights:
    """One featurizer block's TF-IDF step (none for a dense block, passed through) and weights."""

    idf: Optional[np.ndarray]
    sublinear: bool
    normalised: bool
    # (block width, classes), row-major: a sparse row times it costs its non-zero features.
    weights: np.ndarray


@dataclass(frozen=True)
class Scorer:
    blocks: Tuple[BlockWeights, ...]
    intercept: np.ndarray
    classes: np.ndarray

    @classmethod
    def of(cls, model: Pipeline) -> Optional["Scorer"]:
        """The scorer of a fitted pipeline from ``build_model``; None where the pipeline's
        arithmetic is other than this (two classes: one-vs-rest), which is then used as it is."""
        classifier = model.named_steps["classifier"]
        if len(classifier.classes_) <= 2 or classifier.multi_class not in ("auto", "multinomial"):
            return None
        blocks = []
        for _, step, columns in model.named_steps["tfidf"].transformers_:
            weights = np.ascontiguousarray(classifier.coef_[:, columns].T)
            if step == "passthrough":
                blocks.append(BlockWeights(None, False, False, weights))
            else:
                if step.norm not in ("l2", None) or not step.use_idf:
                    return None
                blocks.append(BlockWeights(step.idf_.copy(), step.sublinear_tf, step.norm == "l2", weights))
        return cls(tuple(blocks), classifier.intercept_.copy(), classifier.classes_)

    def probabilities(self, rows: Sequence[Sequence[Union[csr_matrix, np.ndarray]]]) -> np.ndarray:
        """Each message's class probabilities; a message is its blocks' sentence features, in
        the order the pipeline was fitted with (a dense block may come as an array)."""
        if any(len(row) != len(self.blocks) for row in rows):
            raise ValueError(f"a message has other feature blocks than the {len(self.blocks)} the classifier was trained on")
        scores = np.tile(self.intercept, (len(rows), 1))
        for index, block in enumerate(self.blocks):
            parts = [row[index] for row in rows]
            if block.idf is None:
                # A dense block (build_model passes only those through): its rows times the
                # weights as they are, no sparse matrix made.
                dense = np.vstack([part.toarray() if issparse(part) else np.asarray(part, dtype=np.float64) for part in parts])
                self._check_width(index, dense.shape[1], block)
                scores += dense @ block.weights
                continue
            # Each message's row (Rasa parses one at a time): the TF-IDF steps on its non-zero
            # entries in numpy, meeting only the weight rows they touch.
            for position, part in enumerate(parts):
                row = csr_matrix(part)
                if row.shape[0] != 1:
                    raise ValueError(f"feature block {index} of a message has {row.shape[0]} rows, not one sentence's")
                self._check_width(index, row.shape[1], block)
                scores[position] += self._row_scores(row.data.astype(np.float64), row.indices, block)
        return softmax(scores, copy=False)

    @staticmethod
    def _row_scores(data: np.ndarray, indices: np.ndarray, block: BlockWeights) -> np.ndarray:
        """One sparse row's scores: ``data`` (its own copy) at ``indices``, through the block's
        TF-IDF steps in TfidfTransformer.transform's order (log, idf, l2 norm)."""
        if block.idf is not None:
            if block.sublinear:
                np.log(data, data)
                data += 1
            data *= block.idf[indices]
            if block.normalised:
                norm = np.sqrt(np.dot(data, data))
                if norm > 0:
                    data /= norm
        return data @ block.weights[indices]

    @staticmethod
    def _check_width(index: int, width: int, block: BlockWeights) -> None:
        if width != block.weights.shape[0]:
            raise ValueError(f"feature block {index} has {width} columns, trained with {block.weights.shape[0]}")
