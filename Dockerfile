# One image for the four services and the `init` job (see docker-compose.yml).
# Dependencies are installed with the same pins as local development (requirements.lock).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The CJK TrueType font settlement prints its slips (结算单) with (slip_pdf.KNOWN_FONTS).
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml requirements.lock ./
COPY contracts ./contracts
COPY services ./services
COPY infra ./infra
COPY ops ./ops
COPY bench ./bench
COPY wic ./wic
# Runtime dependencies only (no dev tools), pinned by the same lock as local development.
RUN pip install -c requirements.lock -e .

# Compose overrides this per service: `python -m services.<svc> worker`.
CMD ["wic", "--help"]
