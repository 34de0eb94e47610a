# Shared by scripts/run.sh and scripts/test.sh: where things are, and installing what is missing.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENVS="$ROOT/.venvs"
APP_PY="$VENVS/app/bin/python"
RASA_BIN="$VENVS/rasa/bin/rasa"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mhamyar:\033[0m %s\n' "$*" >&2; exit 1; }

# Python 3.10 for Rasa: RASA_PYTHON, else pyenv's 3.10 (its shim needs PYENV_VERSION), else PATH.
find_rasa_python() {
  if [ -n "${RASA_PYTHON:-}" ]; then
    "$RASA_PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null \
      || die "RASA_PYTHON=$RASA_PYTHON is not a working Python 3.10"
    echo "$RASA_PYTHON"; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for candidate in "$root"/versions/3.10*/bin/python3.10; do
      [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
  fi
  for candidate in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate"; return
    fi
  done
  die "Rasa 3.6 needs Python 3.10 and none was found. Install it (e.g. 'pyenv install 3.10.13') or set RASA_PYTHON=/path/to/python3.10."
}

find_app_python() {
  for candidate in "${APP_PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
      command -v "$candidate"; return
    fi
  done
  die "The app needs Python 3.11 and none was found. Install it or set APP_PYTHON=/path/to/python3.11."
}

# A venv built from a lock file; rebuilt only when the lock file changes.
ensure_venv() {
  local name="$1" python="$2" lock="$ROOT/requirements/$1.lock"
  local stamp="$VENVS/$name/.lock.sha256" want
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "Installing the $name environment from requirements/$name.lock (first time: several minutes)"
  rm -rf "${VENVS:?}/$name"
  "$python" -m venv "$VENVS/$name"
  "$VENVS/$name/bin/pip" install --quiet --no-cache-dir --upgrade pip==24.0
  # No cache: a wheel kept there as well as installed is disk a fresh machine may not have.
  "$VENVS/$name/bin/pip" install --progress-bar on --no-cache-dir --no-deps -r "$lock"
  echo "$want" > "$stamp"
}

ensure_debian() {
  local missing=()
  for pair in "$@"; do
    local command="${pair%%:*}" package="${pair#*:}"
    if [[ "$command" == /* ]]; then [ -e "$command" ] || missing+=("$package")  # a file the package installs
    else command -v "$command" >/dev/null 2>&1 || missing+=("$package"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "Installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_environments() {
  ensure_venv app "$(find_app_python)"
  ensure_venv rasa "$(find_rasa_python)"
  ensure_rasa_without_tensorflow
}

# Rasa 3.6 imports TensorFlow whatever the model holds; Hamyar's model never calls it, so it is
# not installed by default, and every process of the Rasa environment (serving, `rasa train`,
# `rasa data validate`) starts with bot/tensorflow_stand_in.py answering its imports, by a .pth
# file that also puts this checkout on that environment's path.
ensure_rasa_without_tensorflow() {
  local site
  site="$("$VENVS/rasa/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf '%s\n%s\n' "$ROOT" \
    'import bot.tensorflow_stand_in as stand_in; stand_in.leave_tensorflow_out_unless_asked()' > "$site/hamyar.pth"
  if [ "${HAMYAR_RASA_TENSORFLOW:-}" = "1" ]; then ensure_rasa_tensorflow; fi
}

# TensorFlow's CPU build in the Rasa environment (requirements/rasa-tensorflow.lock): for
# HAMYAR_RASA_TENSORFLOW=1 (a model with DIET or TED), and for fine-tuning the encoder
# (config.finetuned.yml, whose tests run in `make test`); the stand-ins stay first without it.
ensure_rasa_tensorflow() {
  local lock="$ROOT/requirements/rasa-tensorflow.lock" stamp="$VENVS/rasa/.tensorflow.sha256" want
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "Installing TensorFlow (CPU) into the Rasa environment"
  "$VENVS/rasa/bin/pip" install --progress-bar on --no-cache-dir --no-deps -r "$lock"
  echo "$want" > "$stamp"
}

# The offline recogniser's own environment (connectors/speech_worker.py; HAMYAR_RECOGNISER=whisper-base).
ensure_speech_environment() {
  ensure_venv speech "$(find_app_python)"
}

# Every secret the configuration names (connectors/required_secrets.py), generated once per
# checkout into .env (mode 600, not committed); one set in the environment is kept.
ensure_secrets() {
  local file="$ROOT/.env"
  touch "$file"; chmod 600 "$file"
  "$APP_PY" -m connectors.required_secrets --env-file "$file"
  set -a; . "$file"; set +a
}

# Redis for `make run`: its password in a config file only this user reads, not on a command
# line; data (the AOF) in .run/redis, mode 700.
write_redis_config() {
  local run="$ROOT/.run"
  mkdir -p "$run/redis"
  chmod 700 "$run" "$run/redis"
  chmod -R go-rwx "$run/redis"  # files written before the run script set umask 077
  ( umask 077; cat > "$run/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
dir "$run/redis"
appendonly yes
save ""
requirepass "$REDIS_PASSWORD"
CONF
  )
  chmod 600 "$run/redis.conf"
}

train_if_needed() {
  "$APP_PY" "$ROOT/scripts/train.py" --rasa "$RASA_BIN" "$@"
}

# A benchmark on the whole stack (bench/load_stack.py): Redis, the Persian dictionary, both
# environments and the model the code expects, unless one is given (HAMYAR_TEST_MODEL or --model);
# then `python -m <module> <arguments>`.
run_stack_bench() {
  local module="$1"; shift
  ensure_debian redis-server:redis-server /usr/share/hunspell/fa_IR.dic:myspell-fa
  ensure_environments
  if [ -z "${HAMYAR_TEST_MODEL:-}" ] && [[ " $* " != *" --model"* ]]; then train_if_needed; fi
  exec "$APP_PY" -m "$module" "$@"
}
