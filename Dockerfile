# One image for every Fieldline service. The entrypoint is `python`; the Helm chart passes
# `-m fieldline_<service> serve` (or `migrate`, or `-m fieldline_kit.messaging.topology apply`).
# Build it with `./fl image` (docs/operations/image.md): it picks docker or buildah, makes a
# Debian base where no base image can be pulled, and mounts the machine's pip configuration.
# By hand, with a registry at hand:
#   docker build -t fieldline:dev .
#   docker run --rm -e CLIENTS_DATABASE_URL=... -e CLIENTS_NATS_URL=... fieldline:dev -m fieldline_clients serve
# Any base with Python >= 3.11, `python3 -m venv` and useradd works: python:3.11-slim, or the
# Debian 12 minbase + python3 python3-venv passwd that `./fl image` makes (both Python 3.11).
# No `# syntax=` line: it would pull the Dockerfile frontend from a registry; the one built
# into BuildKit (Docker 23+) and buildah's both know RUN --mount.
ARG PYTHON_IMAGE=python:3.11-slim

# --- sources: the packages to install and, from their pyproject files, what they depend on ---
FROM ${PYTHON_IMAGE} AS sources
WORKDIR /src
# .dockerignore is an allow-list (constraints, libs/kit, libs/contracts, services minus tests),
# so one COPY is one layer.
COPY . .
# The third-party requirements of every package here (a new service needs no edit), written
# apart so that the layer installing them is rebuilt only when they change, not on every edit.
RUN python3 -c 'import glob, re, tomllib; \
files = glob.glob("libs/*/pyproject.toml") + glob.glob("services/*/pyproject.toml"); \
deps = {d for f in files for d in tomllib.load(open(f, "rb"))["project"].get("dependencies", [])}; \
print("\n".join(sorted(d for d in deps if not re.match("fieldline[-_]", d))))' \
    > /requirements.txt

# --- builder: every local package and its pinned dependencies, in /opt/venv -------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# `python3`, not `python`: Debian's own Python (the base `./fl image` makes) has no `python`.
RUN python3 -m venv /opt/venv
# Versions come from requirements/constraints.txt. Where packages come from is the build
# machine's business, never this file's: `./fl image` hands its pip configuration in as the
# secret `pip.conf` (and its CA bundle as `pip-ca.crt`), mounted for the install steps only, so
# neither lands in a layer. Without them pip uses its defaults. setuptools (our packages' build
# backend) is installed here so that the next step builds them without an isolated build
# environment each, and removed there.
COPY requirements/constraints.txt /src/requirements/constraints.txt
COPY --from=sources /requirements.txt /src/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip.conf,required=false \
    --mount=type=secret,id=pip-ca.crt,required=false \
    set -eu; \
    if [ -s /run/secrets/pip.conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip.conf; fi; \
    /opt/venv/bin/python -m pip install -c /src/requirements/constraints.txt \
        -r /src/requirements.txt setuptools
COPY --from=sources /src /src
WORKDIR /src
# Every services/<name>/ with a pyproject.toml is installed: a new service needs no edit here.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=secret,id=pip.conf,required=false \
    --mount=type=secret,id=pip-ca.crt,required=false \
    set -eu; \
    if [ -s /run/secrets/pip.conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip.conf; fi; \
    pkgs="./libs/kit ./libs/contracts"; \
    for dir in services/*/; do \
        if [ -f "${dir}pyproject.toml" ]; then pkgs="$pkgs ./${dir%/}"; fi; \
    done; \
    echo "installing: $pkgs"; \
    /opt/venv/bin/python -m pip install --no-deps --no-build-isolation \
        -c requirements/constraints.txt $pkgs; \
    /opt/venv/bin/python -m pip uninstall -y -q setuptools; \
    /opt/venv/bin/python -m pip check

# --- runtime: the venv only, as uid 10001 ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="fieldline" \
      org.opencontainers.image.description="Fieldline SFA back end services (one image, pick with -m fieldline_<service>)"
# Not --system: a system account's uid is below 1000, and useradd warns about 10001.
RUN groupadd --gid 10001 fieldline \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin fieldline
COPY --from=builder /opt/venv /opt/venv
# The chart's `command: ["python", ...]` finds the venv's python through PATH.
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
