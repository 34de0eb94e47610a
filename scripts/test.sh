#!/usr/bin/env bash
# `make test`: install what the tests need (Redis, Chromium, both environments), then ruff,
# mypy and pytest.
# The integration tests train the model once per session and start every process themselves.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
# PostgreSQL for the desk's database tests, which start their own server (tests/desk/conftest.py).
initdb="$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | head -n1 || true)"
ensure_debian redis-server:redis-server espeak-ng:espeak-ng opusenc:opus-tools chromium:chromium fc-list:fontconfig /usr/share/hunspell/fa_IR.dic:myspell-fa \
  "${initdb:-/usr/lib/postgresql/bin/initdb}:postgresql"
ensure_environments
ensure_rasa_tensorflow  # tests/nlu/test_finetuning.py fine-tunes the encoder in TensorFlow
ensure_speech_environment  # tests/integration/test_voice_recognised.py
export HAMYAR_RASA_BIN="$RASA_BIN" HAMYAR_CHROMIUM="${HAMYAR_CHROMIUM:-$(command -v chromium)}"
# Lint and types first: a finding fails the run (settings in pyproject.toml).
"$VENVS/app/bin/ruff" check .
"$VENVS/app/bin/ruff" format --check .
"$VENVS/app/bin/mypy"
exec "$APP_PY" -m pytest "$@"
