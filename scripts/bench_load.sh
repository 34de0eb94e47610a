#!/usr/bin/env bash
# Load benchmark of the whole path through the signed generic webhook (bench/load.py): mixed and
# typed loads at 1-64 conversations, one conversation to 1,010 turns, the stock tracker store
# beside the project's own. Arguments are passed on, e.g. --quick. Writes bench/out/load.md, .png.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
run_stack_bench bench.load "$@"
