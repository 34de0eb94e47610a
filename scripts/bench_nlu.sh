#!/usr/bin/env bash
# NLU benchmark of the pipeline in config.yml: MASSIVE fa-IR, own held-out data, robustness,
# out of scope, latency (bench/nlu_benchmark.py). Arguments are passed on, e.g. --skip-massive.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ensure_debian /usr/share/hunspell/fa_IR.dic:myspell-fa
ensure_environments
# config.finetuned.yml fine-tunes the encoder in TensorFlow, which the default pipeline never calls.
if [[ " $* " == *finetuned* ]]; then export HAMYAR_RASA_TENSORFLOW=1; ensure_rasa_tensorflow; fi
exec "$VENVS/rasa/bin/python" -m bench.nlu_benchmark "$@"
