# syntax=docker/dockerfile:1
# schoolit image: the web app, the CLI (migrate, backup, restore) and the probe agent.
# Build: docker build -t schoolit .      Run: see docker-compose.yml and docs/operations.md.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install the project and its dependencies into a venv --------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/schoolit
WORKDIR /src
# Dependencies first, so a code change does not reinstall them (the layer is cached on pyproject.toml).
COPY pyproject.toml README.md ./
RUN mkdir schoolit && touch schoolit/__init__.py \
    && /opt/schoolit/bin/pip install . \
    && /opt/schoolit/bin/pip uninstall --yes schoolit
COPY schoolit ./schoolit
# A regular (non-editable) install: the runtime stage needs no source tree.
RUN /opt/schoolit/bin/pip install --no-deps . \
    && /opt/schoolit/bin/schoolit --help >/dev/null \
    && /opt/schoolit/bin/schoolit-probe --help >/dev/null

# --- runtime: the venv only, run as an unprivileged user ------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="schoolit" \
      org.opencontainers.image.description="School-IT fleet inventory and support tickets for German counties" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
RUN groupadd --system --gid 10001 schoolit \
    && useradd --system --uid 10001 --gid schoolit --home-dir /var/lib/schoolit --shell /usr/sbin/nologin schoolit \
    && install -d -o schoolit -g schoolit -m 0750 /var/lib/schoolit /var/lib/schoolit-probe
COPY --from=build /opt/schoolit /opt/schoolit
# pg_dump/pg_restore/psql for `schoolit backup`/`restore` come with the pgserver package (PostgreSQL 16,
# matching the compose database); Debian 12's own client is 15 and cannot dump a 16 server.
ENV PATH=/opt/schoolit/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/var/lib/schoolit \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json
USER schoolit:schoolit
WORKDIR /var/lib/schoolit
EXPOSE 8000
# /health answers 200 only while the database answers (urlopen raises on 503: exit 1). python is the
# only HTTP client in a slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=4)"]
CMD ["schoolit", "serve"]
