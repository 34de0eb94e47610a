#!/usr/bin/env bash
# Hamyar's normaliser beside hazm's Normalizer (bench/normaliser_vs_hazm.py), in its own
# environment (.venvs/hazm, from requirements/hazm.lock).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ensure_venv hazm "$(find_app_python)"
exec "$VENVS/hazm/bin/python" -m bench.normaliser_vs_hazm "$@"
