# syntax=docker/dockerfile:1
# One image recipe for every Python service; build from the repo root, e.g.
#   docker build --build-arg SERVICE=contacts --build-arg PORT=8102 -t listflow-contacts .
# SERVICE is ingest, contacts, leads, campaigns or portal; PORT its HTTP port (8101 to 8105).
# The console has its own image: console/Dockerfile.
ARG SERVICE
ARG PORT

# --- build: resolve and install into /app/.venv -----------------------------------------
FROM python:3.11-slim AS builder
ARG SERVICE

COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /usr/local/bin/uv

# Bytecode is compiled here because the runtime filesystem is read-only;
# copy mode because the cache is a separate mount; never fetch a Python, use the image's.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src

# Third-party dependencies first: this layer changes only with the lock or the manifests.
COPY pyproject.toml uv.lock ./
COPY libs/schemas/pyproject.toml libs/schemas/
COPY libs/kit/pyproject.toml libs/kit/
COPY services/${SERVICE}/pyproject.toml services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    test -n "${SERVICE}" \
 && uv sync --frozen --no-dev --no-install-workspace --package "listflow-${SERVICE}"

# Then the workspace packages, installed as wheels (not editable) so /src is not needed at runtime.
COPY libs/schemas/src libs/schemas/src
COPY libs/kit/src libs/kit/src
COPY services/${SERVICE}/src services/${SERVICE}/src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "listflow-${SERVICE}"

# --- runtime: the interpreter and the venv, nothing else ----------------------------------
FROM python:3.11-slim
ARG SERVICE
ARG PORT

# Numeric ids so that Kubernetes runAsNonRoot can verify the user. The spool directory is
# where ingest copies a file while it reads it, and campaigns writes an XLSX campaign file
# before sending it (an emptyDir volume in Kubernetes).
RUN groupadd --system --gid 10001 listflow \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin listflow \
 && mkdir -p /var/lib/listflow/spool \
 && chown -R 10001:10001 /var/lib/listflow

COPY --from=builder /app/.venv /app/.venv

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LISTFLOW_HTTP_HOST=0.0.0.0 \
    LISTFLOW_INGEST_SPOOL_DIR=/var/lib/listflow/spool \
    LISTFLOW_CAMPAIGNS_SPOOL_DIR=/var/lib/listflow/spool \
    LISTFLOW_SERVICE=${SERVICE} \
    LISTFLOW_SERVICE_PORT=${PORT}

WORKDIR /app
USER 10001:10001
EXPOSE ${PORT}

# slim has no curl; urlopen raises (exit 1) on refusal or any non-2xx answer.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['LISTFLOW_SERVICE_PORT'], timeout=4)"]

# `python -m listflow.<service>` (each service's __main__); a shell form would lose signals.
CMD ["sh", "-c", "exec python -m listflow.${LISTFLOW_SERVICE}"]
