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
# TensorFlow's CPU build of the same version (a third of the download); JAX and libclang, which
# its package names but which nothing here imports, left out.
{
  echo "# Rasa environment's TensorFlow (the CPU build), installed only for fine-tuning the encoder and"
  echo "# with HAMYAR_RASA_TENSORFLOW=1 (scripts/common.sh); bot/tensorflow_stand_in.py answers Rasa's imports otherwise."
  grep -E "$tensorflow" <<<"$frozen" | grep -vE '^(jax|jaxlib|libclang)==' | sed 's/^tensorflow==/tensorflow-cpu==/' | sort -f
} > requirements/rasa-tensorflow.lock
