# The app environment (Python 3.11): the gateway, the action server and the sandbox agency, one
# image for the three (deploy/kubernetes/ runs each with its own command). From the repository's
# root, after `make test`:
#   docker build -f deploy/docker/app.Dockerfile -t registry.example.org/hamyar/app:v1 .
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    PATH=/venv/bin:$PATH \
    HOME=/tmp

# Spoken replies (connectors/voice.py): espeak-ng's Persian voice and the OGG/Opus encoder, as
# `make run` installs them.
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng opus-tools \
 && rm -rf /var/lib/apt/lists/*

# Exactly what the tests ran with: the lock file, installed without resolving again (as
# scripts/common.sh's ensure_venv does).
COPY requirements/app.lock /tmp/app.lock
RUN python -m venv /venv \
 && /venv/bin/pip install --upgrade pip==24.0 \
 && /venv/bin/pip install --no-deps -r /tmp/app.lock \
 && rm /tmp/app.lock

WORKDIR /app
# Every package the three processes import (tests/deploy checks none is left out), and the
# replies the gateway and the actions read (HAMYAR_REPLIES).
COPY agencies/ agencies/
COPY actions/ actions/
COPY config/ config/
COPY connectors/ connectors/
COPY content/ content/
COPY desk/ desk/
COPY nlu/ nlu/
COPY notifications/ notifications/
COPY sandbox/ sandbox/
COPY bot/replies.yml bot/replies.yml

# Not root; the manifests also make the root filesystem read-only (writes go to /tmp).
USER 10001:10001
EXPOSE 8080 5055 8090
CMD ["python", "-m", "connectors.gateway"]
