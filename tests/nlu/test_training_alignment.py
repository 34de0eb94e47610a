"""Entity annotations in the training data stay on the same words after normalising."""

import json
import re

import pytest
import yaml

from nlu.persian import normalize, normalize_with_map
from tests.conftest import ROOT

ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def annotated_examples():
    for path in (*sorted((ROOT / "nlu" / "data").glob("*.yml")), ROOT / "nlu" / "heldout" / "nlu.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data["nlu"]:
            for line in block["examples"].splitlines():
                line = line.strip()[2:]
                if ANNOTATION.search(line):
                    yield line


def plain_with_spans(example: str):
    text, spans, position = "", [], 0
    for match in ANNOTATION.finditer(example):
        text += example[position : match.start()]
        start = len(text)
        text += match.group(1)
        meta = match.group(2)
        entity = json.loads(meta)["entity"] if meta.startswith("{") else meta[1:-1]
        spans.append((start, len(text), entity))
        position = match.end()
    return text + example[position:], spans


EXAMPLES = list(annotated_examples())


def test_there_are_annotated_examples():
    assert len(EXAMPLES) > 100


@pytest.mark.parametrize("example", EXAMPLES)
def test_spans_stay_aligned(example):
    text, spans = plain_with_spans(example)
    normalised, mapping = normalize_with_map(text)
    for start, end, entity in spans:
        new_start, new_end = mapping[start], mapping[end]
        assert normalised[new_start:new_end] == normalize(text[start:end]), (entity, example)
        # On word boundaries, so the whitespace tokenizer sees whole tokens.
        assert new_start == 0 or normalised[new_start - 1] == " ", example
        assert new_end == len(normalised) or not normalised[new_end].isalnum(), example
