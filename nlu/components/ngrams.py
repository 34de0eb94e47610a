"""Rasa's CountVectorsFeaturizer, making only the sentence-level counts.

Rasa's featurizer also counts each token on its own (sequence features, one row per token) for
components that tag tokens, such as DIET. Nothing in this pipeline reads them: the intent
classifier reads sentence features, the entities come from configuration. Counting them was about
half of the featurizers' time on every typed message (py-spy, issue 26), so they are not made.
"""

from __future__ import annotations

from typing import List, Optional, Text, Tuple

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountsFeaturizer(CountVectorsFeaturizer):
    """Word or character n-gram counts of the whole message, as Rasa's featurizer makes them."""

    def _create_features(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> Tuple[List[Optional[scipy.sparse.spmatrix]], List[Optional[scipy.sparse.spmatrix]]]:
        vectorizer = self.vectorizers.get(attribute)
        nothing: List[Optional[scipy.sparse.spmatrix]] = [None] * max(len(all_tokens), 1)
        if not vectorizer or attribute not in DENSE_FEATURIZABLE_ATTRIBUTES:
            return nothing, list(nothing)
        sentences: List[Optional[scipy.sparse.spmatrix]] = []
        for tokens in all_tokens:
            if not tokens:
                sentences.append(None)
                continue
            sentence = vectorizer.transform([" ".join(tokens)])
            sentence.sort_indices()
            sentences.append(sentence.tocoo())
        return [None] * len(all_tokens), sentences
