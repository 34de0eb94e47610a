#!/usr/bin/env bash
# NLU benchmark of the pipeline in config.yml: MASSIVE fa-IR, own held-out data, robustness,
# out of scope, latency (bench/nlu_benchmark.py). Arguments are passed on, e.g. --skip-massive.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ensure_debian /usr/share/hunspell/fa_IR.dic:myspell-fa
ensure_environments
exec "$VENVS/rasa/bin/python" -m bench.nlu_benchmark "$@"
