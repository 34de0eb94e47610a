#!/usr/bin/env bash
# `make run`: install what is missing, train if needed, start every process on loopback.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

if [ -z "${REDIS_URL:-}" ]; then ensure_debian redis-server:redis-server; fi
ensure_debian /usr/share/hunspell/fa_IR.dic:myspell-fa  # the speller's Persian word list, read when training
ensure_environments
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
# in scripts/processes.py; the integration tests start the same.
eval "$("$APP_PY" -m scripts.processes env)"
mkdir -p "$ROOT/.run"
# shellcheck disable=SC2086
"$APP_PY" -m scripts.processes procfile $redis_option > "$ROOT/.run/Procfile"

cat <<INFO

  Hamyar is starting. When Rasa has loaded its model (about half a minute):
    web chat (Persian):  http://127.0.0.1:$GATEWAY_PORT/
    gateway health:      http://127.0.0.1:$GATEWAY_PORT/health
    Rasa HTTP API:       http://127.0.0.1:$RASA_PORT/  (token RASA_API_TOKEN in .env)
    sandbox agency:      http://127.0.0.1:$SANDBOX_PORT/openapi.yaml
  Demo codes are in the README. Ctrl-C stops everything.

INFO
# honcho runs the processes of the Procfile and stops all of them on Ctrl-C.
exec "$VENVS/app/bin/honcho" -f "$ROOT/.run/Procfile" -d "$ROOT" -e /dev/null start
