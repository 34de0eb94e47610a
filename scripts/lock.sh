#!/usr/bin/env bash
# `make lock`: each environment's lock file, `pip freeze` of it after installing requirements/*.in.
# The Rasa environment's TensorFlow family goes to requirements/rasa-tensorflow.lock, installed
# only with HAMYAR_RASA_TENSORFLOW=1 (scripts/common.sh, ensure_rasa_without_tensorflow).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
tensorflow='^(jax|jaxlib|keras|libclang|ml_dtypes|opt_einsum|tensorboard|tensorboard-data-server|tensorflow|tensorflow-[a-z-]+)=='
"$VENVS/app/bin/pip" install -q -r requirements/app.in
"$VENVS/app/bin/pip" freeze | grep -v '^-e' > requirements/app.lock
"$VENVS/rasa/bin/pip" install -q -r requirements/rasa.in
frozen="$("$VENVS/rasa/bin/pip" freeze | grep -v '^-e')"
grep -vE "$tensorflow" <<<"$frozen" > requirements/rasa.lock
{
  echo "# Rasa environment's TensorFlow, installed only with HAMYAR_RASA_TENSORFLOW=1 (scripts/common.sh):"
  echo "# Hamyar's pipeline never calls it, and bot/tensorflow_stand_in.py answers Rasa's imports of it."
  grep -E "$tensorflow" <<<"$frozen"
} > requirements/rasa-tensorflow.lock
