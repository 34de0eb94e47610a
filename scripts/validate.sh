#!/usr/bin/env bash
# `make validate`: Rasa's own check of domain, rules and NLU data, warnings counted as failures.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
ensure_environments
exec "$RASA_BIN" data validate --config config.yml --domain bot/domain.yml --data nlu/data bot/data --fail-on-warnings
