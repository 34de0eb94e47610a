#!/usr/bin/env bash
# `make fuzz`: 100,000 generated bodies (HAMYAR_FUZZ_BODIES) against a running gateway's webhooks,
# through the integration stack the tests start (Redis, sandbox, action server, Rasa, gateway).
# Prints the rate, the answers by status, the gateway's memory and any unhandled exception; fails
# on one answer of 5xx or one traceback. Uses HAMYAR_TEST_MODEL if set, else trains if needed.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ensure_debian redis-server:redis-server /usr/share/hunspell/fa_IR.dic:myspell-fa
ensure_environments
# 0.3% of the bodies are made for Rasa (about 300 turns): Rasa answers under one turn a second on
# a busy 2-core machine, the gateway about 200 refusals; so both lanes take about 8 minutes.
export HAMYAR_RASA_BIN="$RASA_BIN" HAMYAR_FUZZ_BODIES="${HAMYAR_FUZZ_BODIES:-100000}" HAMYAR_FUZZ_VALID_SHARE="${HAMYAR_FUZZ_VALID_SHARE:-0.003}"
say "Fuzzing the gateway with $HAMYAR_FUZZ_BODIES bodies"
exec "$APP_PY" -m pytest tests/security/test_fuzz_gateway.py -q -s -p no:cacheprovider "$@"
