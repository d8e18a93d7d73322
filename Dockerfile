# syntax=docker/dockerfile:1
# One image for every Fieldline service. The entrypoint is `python`; the Helm chart passes
# `-m fieldline_<service> serve` (or `migrate`, or `-m fieldline_kit.messaging.topology apply`):
#   docker build -t fieldline:dev .
#   docker run --rm -e CLIENTS_DATABASE_URL=... -e CLIENTS_NATS_URL=... fieldline:dev -m fieldline_clients serve
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: every local package and its pinned dependencies, in /opt/venv -------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements/constraints.txt requirements/constraints.txt
COPY libs/kit libs/kit
COPY libs/contracts libs/contracts
COPY services services
# Every services/<name>/ with a pyproject.toml is installed: a new service needs no edit here.
# Versions come from requirements/constraints.txt; pip's index comes from the build
# environment (pip.conf / PIP_INDEX_URL), never from this file.
RUN --mount=type=cache,target=/root/.cache/pip \
    set -eu; \
    pkgs="./libs/kit ./libs/contracts"; \
    for dir in services/*/; do \
        if [ -f "${dir}pyproject.toml" ]; then pkgs="$pkgs ./${dir%/}"; fi; \
    done; \
    echo "installing: $pkgs"; \
    pip install -c requirements/constraints.txt $pkgs; \
    pip check

# --- runtime: the venv only, as uid 10001 ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="fieldline" \
      org.opencontainers.image.description="Fieldline SFA back end services (one image, pick with -m fieldline_<service>)"
RUN groupadd --system --gid 10001 fieldline \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fieldline
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The root filesystem is read-only in Kubernetes; /tmp is the writable emptyDir.
WORKDIR /tmp
USER 10001:10001
# gRPC, HTTP (device-gateway), Prometheus metrics
EXPOSE 50051 8000 9464
ENTRYPOINT ["python"]
CMD ["-c", "print('usage: -m fieldline_<service> serve|migrate')"]
