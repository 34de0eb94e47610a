# The Rasa environment (Python 3.10, Rasa 3.6.21) with Hamyar's components and a trained model.
# Train first (`make run` does, or scripts/train.py writes models/hamyar.tar.gz), then from the
# repository's root:
#   docker build -f deploy/docker/rasa.Dockerfile -t registry.example.org/hamyar/rasa:v1 .
# Another model: --build-arg MODEL=path/in/the/context.tar.gz, or mount one over
# /app/models/hamyar.tar.gz (docs/kubernetes.md).
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONPATH=/app \
    PATH=/venv/bin:$PATH \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=2

# Without TensorFlow, which bot.serve answers with stand-ins (a model with DIET or TED needs
# requirements/rasa-tensorflow.lock installed too, and HAMYAR_RASA_TENSORFLOW=1).
COPY requirements/rasa.lock /tmp/rasa.lock
RUN python -m venv /venv \
 && /venv/bin/pip install --upgrade pip==24.0 \
 && /venv/bin/pip install --no-deps -r /tmp/rasa.lock \
 && rm /tmp/rasa.lock

WORKDIR /app
# What Rasa imports (bot/, nlu/, agencies/), the catalogue it reads names from, and its endpoints
# and channel (both read their values from the environment).
COPY agencies/ agencies/
COPY bot/ bot/
COPY nlu/ nlu/
COPY config/ config/
COPY endpoints.yml credentials.yml ./
ARG MODEL=models/hamyar.tar.gz
COPY ${MODEL} models/hamyar.tar.gz

USER 10001:10001
EXPOSE 5005
CMD ["python", "-m", "bot.serve", "--model", "models/hamyar.tar.gz", "--endpoints", "endpoints.yml", \
     "--credentials", "credentials.yml", "-i", "0.0.0.0", "-p", "5005", "--enable-api"]
