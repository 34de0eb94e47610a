#!/usr/bin/env bash
# Task success over scripted bending conversations (bench/bending.py, bench/bending.yml) through
# the signed generic webhook on a stack of its own. Arguments are passed on, e.g. --only NAME.
# Writes bench/out/bending.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
run_stack_bench bench.bending "$@"
