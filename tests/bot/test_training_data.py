"""Rasa's own validation of the domain, rules and NLU data passes with warnings as failures."""

import subprocess

from scripts.train import TRAINING_FILES
from tests.conftest import RASA_BIN, RASA_ENV, ROOT


def test_rasa_data_validate_fail_on_warnings():
    result = subprocess.run(
        [RASA_BIN, "data", "validate", *TRAINING_FILES, "--fail-on-warnings"],
        cwd=ROOT,
        env=RASA_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_heldout_data_is_not_in_training():
    import yaml

    from nlu.persian import normalize

    def examples(path):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    yield normalize(line.strip()[2:])

    training = set(examples(ROOT / "nlu" / "data" / "nlu.yml"))
    heldout = set(examples(ROOT / "nlu" / "heldout" / "nlu.yml")) | set(examples(ROOT / "nlu" / "heldout" / "out_of_scope.yml"))
    assert len(training) > 700 and len(heldout) > 300
    assert not training & heldout
