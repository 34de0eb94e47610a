#!/usr/bin/env bash
# `make run`: install what is missing, train if needed, start every process on loopback.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

if [ -z "${REDIS_URL:-}" ]; then ensure_debian redis-server:redis-server; fi
ensure_debian espeak-ng:espeak-ng opusenc:opus-tools  # replies as voice (connectors/voice.py)
ensure_debian /usr/share/hunspell/fa_IR.dic:myspell-fa  # the speller's Persian word list, read when training
ensure_environments
if [ "${HAMYAR_RECOGNISER:-none}" = whisper-base ]; then ensure_speech_environment; fi  # voice in (docs/voice.md)
ensure_secrets
train_if_needed
# Whatever the processes write from here on (.run/, Redis data and its AOF) is this user's only.
umask 077

export GATEWAY_PORT="${GATEWAY_PORT:-8080}" RASA_PORT="${RASA_PORT:-5005}" ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export SANDBOX_PORT="${SANDBOX_PORT:-8090}" REDIS_PORT="${REDIS_PORT:-6379}"
redis_option=--no-redis
if [ -z "${REDIS_URL:-}" ]; then
  export REDIS_URL="redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
  redis_option=""
  write_redis_config
fi
# The processes and what they reach each other by (Rasa's Redis stores included) are listed once,
# in scripts/processes.py; the integration tests start the same. RASA_WORKERS, ACTIONS_WORKERS and
# GATEWAY_WORKERS (default 1) start that many of each on consecutive ports.
exports="$("$APP_PY" -m scripts.processes env)"  # fails on a bad count, which eval "$(…)" would hide
eval "$exports"
mkdir -p "$ROOT/.run"
# The desk's database (DATABASE_URL; default the SQLite file .run/hamyar.db) at the latest
# migration before any gateway starts, so several gateways never race to create it.
"$APP_PY" -m desk.db upgrade || die "could not bring the database (DATABASE_URL) to the latest migration"
# shellcheck disable=SC2086
mapfile -t logs < <("$APP_PY" -m scripts.processes supervisord $redis_option)
[ ${#logs[@]} -gt 0 ] || die "could not write .run/supervisord.conf"

cat <<INFO

  Hamyar is starting. When Rasa has loaded its model (about half a minute):
    web chat (Persian):  http://127.0.0.1:$GATEWAY_PORT/
    gateway health:      http://127.0.0.1:$GATEWAY_PORT/health  (each part up or down; also: make status)
    Rasa HTTP API:       http://127.0.0.1:$RASA_PORT/  (token RASA_API_TOKEN in .env)
    sandbox agency:      http://127.0.0.1:$SANDBOX_PORT/openapi.yaml
    staff desk:          http://127.0.0.1:$GATEWAY_PORT/desk/  (first user, password on standard input:
                         .venvs/app/bin/python -m desk.users create NAME --role admin)
  A process that exits is started again; each one's output is also in .run/logs/.
  Demo codes are in the README. Ctrl-C stops everything.

INFO
# Each process's output as it comes (tail names the file when the process changes). Run in the
# background by a script, tail ignores Ctrl-C: it is stopped when supervisord has stopped the rest.
tail -n 0 -F "${logs[@]}" &
follower=$!
trap 'kill "$follower" 2>/dev/null || true' EXIT
# supervisord runs every process in the foreground, restarts one that exits, and stops them all
# on Ctrl-C (make status: which are running).
"$VENVS/app/bin/supervisord" -c "$ROOT/.run/supervisord.conf"
