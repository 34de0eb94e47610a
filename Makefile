# The two commands of the README, and a few for developers.
.PHONY: run status test fuzz bench-nlu bench-load bench-bending bench-normaliser bench-voice bench-speech voice-sample lock validate

run:
	@bash scripts/run.sh

# While `make run` runs: each process (running, restarting, stopped) and each part the gateway sees.
status:
	@bash scripts/status.sh

test:
	@bash scripts/test.sh

# 100,000 generated bodies at the running gateway's webhooks (make test sends 2,000).
fuzz:
	@bash scripts/fuzz.sh

validate:
	@bash scripts/validate.sh

bench-nlu:
	@bash scripts/bench_nlu.sh

# The whole path under load, and one conversation to 1,010 turns (at most about 13 min; ARGS=--quick: 8).
bench-load:
	@bash scripts/bench_load.sh $(ARGS)

# Task success over 47 scripted conversations that bend (bench/bending.yml; ARGS=--only NAME,...).
bench-bending:
	@bash scripts/bench_bending.sh $(ARGS)

bench-normaliser:
	@bash scripts/bench_normaliser.sh

# The voice engine's real-time factor and a cache hit's cost (espeak-ng + opusenc, Debian).
bench-voice:
	.venvs/app/bin/python -m bench.voice

# Voice in: whisper-base's real-time factor and word error rate on tests/connectors/speech_clips.
bench-speech:
	@bash -c 'source scripts/common.sh && ensure_speech_environment' && .venvs/app/bin/python -m bench.speech_in $(ARGS)

# One reply said aloud, to play: .run/voice-sample.ogg.
voice-sample:
	.venvs/app/bin/python -m bench.voice --sample

lock:
	@bash scripts/lock.sh
