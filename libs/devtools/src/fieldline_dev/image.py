"""Build the one Fieldline image from the root Dockerfile, with whatever builder the machine has.

    python -m fieldline_dev.image [--tag REF] [--base auto|pull|debian] [--no-install]

- Builder: `docker build` where a Docker daemon answers (`docker info`: a client alone is not
  enough), else `buildah bud --isolation chroot --layers`. As root, a machine with neither gets
  `buildah`, `mmdebstrap` and `runc` from Debian packages (apt-get), so a fresh machine and CI
  build too. buildah's storage is overlay where the kernel mounts it, else vfs (full copies,
  several times slower); either persists under /var/lib/containers, so layers are reused.
- Base: `python:3.11-slim` where it can be pulled (or is already there). Where no registry is
  reachable, the base is made from Debian packages: `mmdebstrap --variant=minbase` of Debian
  12 (bookworm: Python 3.11) with python3, python3-venv and passwd, imported as a local image
  and passed as the build-arg PYTHON_IMAGE. It is kept under a key of the ISO week and the
  recipe, so it is made at most once a week (picking up Debian's security updates) and never
  per build.
- pip: the build uses this machine's own pip configuration (`pip config list`: its files and
  PIP_* variables) and its CA bundle, handed to the build as the secrets `pip.conf` and
  `pip-ca.crt`: mounted read-only for the install steps only, never copied into a layer, never
  printed (only option names are). Local paths in it (find-links directories, file:// indexes,
  constraint files) are left out: a bind mount would leave its mount point in the image.

The run side (`runtime`) starts a process from the built image the way a kubelet would: as uid
10001, read-only root filesystem, a tmpfs /tmp (the chart's emptyDir), no capabilities, with the
image's own entrypoint and environment. With docker that is `docker run --read-only`; with
buildah it is runc, Kubernetes' usual OCI runtime, on the image's root filesystem from
`buildah mount`, with a generated config.json (`root.readonly`). Both use the host network,
so the processes reach the machine's PostgreSQL and NATS on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fieldline_dev.paths import ROOT

DESCRIPTION = (
    "Build the Fieldline image from the Dockerfile: docker where a daemon answers, else buildah "
    "(installed from Debian packages when root); docs/operations/image.md"
)
DEFAULT_TAG = "localhost/fieldline:dev"
# As the Dockerfile names it: which registry serves it is the builder's configuration.
PULLED_BASE = "python:3.11-slim"
DEBIAN_BASE = "localhost/fieldline-base"
# Debian 12: its python3 is 3.11, the Python the project is built and tested on (Debian 13,
# stable since 2025, has 3.13). Its security updates come from Debian LTS until 2028-06.
DEBIAN_SUITE = "bookworm"
# passwd: the Dockerfile's groupadd/useradd (Priority: required today, named so it stays).
DEBIAN_PACKAGES = ("python3", "python3-venv", "passwd")
# As Debian's slim images do: no manuals, docs (but their copyright files) or translations.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
)
# Dependencies only, and /usr merged by mmdebstrap's own hook rather than Debian 12's usrmerge
# package, which would bring perl (~50 MB) that nothing here runs.
APT_OPTIONS = ('APT::Install-Recommends "false"',)
MMDEBSTRAP_HOOKS = ("/usr/share/mmdebstrap/hooks/merged-usr",)
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Debian package → the command it brings, for a machine that has to install its builder.
BUILDAH_TOOLS = {"buildah": "buildah", "mmdebstrap": "mmdebstrap", "runc": "runc"}
# The image's user (the Dockerfile's USER, the chart's runAsUser).
APP_UID = 10001
PULL_TIMEOUT = 120.0
# Untagged leftovers of earlier builds are removed once this old: by then the weekly base has
# replaced them anyway, and younger ones may still be the layer cache of the current sources.
PRUNE_AFTER = "168h"
# The build's secrets (Dockerfile: RUN --mount=type=secret,id=...), under /run/secrets.
PIP_CONF_ID = "pip.conf"
PIP_CA_ID = "pip-ca.crt"
# pip options that would install somewhere else than the build's venv: never taken.
PIP_INSTALL_TARGETS = frozenset({"user", "target", "prefix", "root"})
# The one writable place in a container, as the chart's emptyDir is (the container's /tmp).
CONTAINER_TMP = "/tmp"  # noqa: S108
DEV_SHM = "/dev/shm"  # noqa: S108 (the container's, as every OCI runtime gives it)
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LOCK_FILE = Path(tempfile.gettempdir()) / "fieldline-image.lock"


class ImageError(RuntimeError):
    """The image could not be built or run; the message says why."""


class NoBuilder(ImageError):
    """Neither a Docker daemon nor buildah, and none can be installed here."""


def _say(message: str) -> None:
    print(message, flush=True)


def _run(cmd: Sequence[str], timeout: float | None = None) -> str:
    """Run `cmd`; its stdout, or ImageError with the tail of its output."""
    result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        raise ImageError(f"{' '.join(cmd[:3])} … failed ({result.returncode}):\n{output}")
    return result.stdout


def _succeeds(cmd: Sequence[str], timeout: float | None = None) -> bool:
    """Whether `cmd` exits 0 (within `timeout` seconds); its output is dropped."""
    try:
        done = subprocess.run(list(cmd), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


# --- tools ------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    """The full path of a command (found on PATH)."""
    path = shutil.which(name)
    if path is None:
        raise ImageError(f"{name} not found on PATH")
    return path


def docker_daemon() -> bool:
    """Whether a Docker daemon answers: the client alone (as on these machines) is not enough."""
    return shutil.which("docker") is not None and _succeeds([_tool("docker"), "info"], 20)


def ensure_debian_packages(tools: Mapping[str, str], install: bool = True) -> None:
    """Make each command of `tools` (package → command) available, installing the missing
    packages with apt-get when running as root; NoBuilder when they cannot be had."""
    missing = [pkg for pkg, cmd in tools.items() if shutil.which(cmd) is None]
    if not missing:
        return
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise NoBuilder(
            f"no Docker daemon and no {', '.join(missing)}: install them (Debian: apt-get install "
            f"{' '.join(missing)}) or run as root, where ./fl image installs them itself"
        )
    _say(f"installing {' '.join(missing)} from Debian packages …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Wait for another apt-get (a colleague's, a timer's) instead of failing on its lock.
    apt = [_tool("apt-get"), "-q", "-o", "DPkg::Lock::Timeout=300"]
    for cmd in ([*apt, "update"], [*apt, "install", "-y", "--no-install-recommends", *missing]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise NoBuilder(f"{' '.join(cmd)} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    still = [pkg for pkg in missing if shutil.which(tools[pkg]) is None]
    if still:
        raise NoBuilder(f"installed, yet not found on PATH: {', '.join(still)}")


def overlay_works(storage_root: Path = Path("/var/lib/containers")) -> bool:
    """Whether an overlay filesystem mounts on the storage root's filesystem (root only)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    storage_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=storage_root, prefix=".overlay-probe-") as tmp:
        dirs = {name: Path(tmp) / name for name in ("lower", "upper", "work", "merged")}
        for d in dirs.values():
            d.mkdir()
        options = f"lowerdir={dirs['lower']},upperdir={dirs['upper']},workdir={dirs['work']}"
        mounted = subprocess.run(
            [_tool("mount"), "-t", "overlay", "overlay", "-o", options, str(dirs["merged"])],
            capture_output=True,
            check=False,
        )
        if mounted.returncode != 0:
            return False
        subprocess.run([_tool("umount"), str(dirs["merged"])], capture_output=True, check=False)
        return True


# --- the machine's pip configuration ----------------------------------------------------------


@dataclass
class PipSettings:
    """What the build gets of this machine's pip configuration (files in a private temp dir)."""

    conf: Path | None = None  # the `pip.conf` secret
    ca: Path | None = None  # the `pip-ca.crt` secret: the machine's CA bundle, as it is
    taken: list[str] = field(default_factory=list)  # option names, never values
    left_out: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"pip options {', '.join(self.taken)}" if self.taken else "pip's defaults"]
        if self.ca is not None:
            parts.append(f"CA bundle {self.ca}")
        text = "; ".join(parts)
        if self.left_out:
            text += f" (left out: {'; '.join(self.left_out)})"
        return text


def _pip_config_items() -> dict[tuple[str, str], str]:
    """This machine's pip configuration as pip itself sees it: (section, option) → value.

    `pip config list` gives the merged files and the PIP_* variables (as `:env:.option`); a
    variable wins over every file, as it does when pip runs."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        # Building with pip's defaults instead would hide why the machine's index is not used.
        raise ImageError(f"pip config list failed:\n{listed.stderr[-2000:]}")
    files: dict[tuple[str, str], str] = {}
    env: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        key, sep, raw = line.partition("=")
        section, _, option = key.rpartition(".")
        if not sep or not section:
            continue
        try:
            value = ast.literal_eval(raw)  # pip prints repr() of each value
        except (ValueError, SyntaxError):
            continue
        if section == ":env:":
            env[option] = str(value)
        else:
            files[(section, option)] = str(value)
    for option, value in env.items():
        files = {k: v for k, v in files.items() if k[1] != option}
        files[("global", option)] = value
    return files


def machine_pip_settings(workdir: Path) -> PipSettings:
    """Write the build's pip.conf into `workdir` (private) from this machine's configuration."""
    items = _pip_config_items()
    settings = PipSettings()
    conf = configparser.ConfigParser(interpolation=None)
    ca: Path | None = None
    for (section, option), value in sorted(items.items()):
        if option == "cert":
            ca = Path(value)
            continue
        if option in PIP_INSTALL_TARGETS or option == "client-cert":
            settings.left_out.append(option)
            continue
        # A location on this machine (a find-links directory, a file:// index, a constraints
        # or cache path) is not there in a build: the option keeps its remote entries only.
        entries = value.split()
        remote = [e for e in entries if not e.startswith(("/", "~", "file:"))]
        if len(remote) < len(entries):
            settings.left_out.append(f"{option}: {len(entries) - len(remote)} local path(s)")
            if not remote:
                continue
            value = " ".join(remote)
        if not conf.has_section(section):
            conf.add_section(section)
        conf.set(section, option, value)
        settings.taken.append(option if section == "global" else f"{section}.{option}")
    if ca is None:
        # No `cert` option: what pip's HTTP stack would take from the environment, else the
        # system bundle (a machine whose proxy re-signs TLS has its CA there).
        named = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
        ca = Path(named) if named else SYSTEM_CA_BUNDLE
    if ca.is_file():
        if not conf.has_section("global"):
            conf.add_section("global")
        conf.set("global", "cert", f"/run/secrets/{PIP_CA_ID}")
        settings.ca = ca
    if conf.sections():
        path = workdir / PIP_CONF_ID
        # Created private: an index URL may carry credentials.
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            conf.write(f)
        settings.conf = path
    return settings


# --- builders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageConfig:
    """What a runtime takes from an image's config."""

    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    workdir: str
    user: str

    @classmethod
    def from_oci(cls, config: Mapping[str, Any]) -> ImageConfig:
        env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
        return cls(
            entrypoint=list(config.get("Entrypoint") or []),
            cmd=list(config.get("Cmd") or []),
            env=env,
            workdir=config.get("WorkingDir") or "/",
            user=config.get("User") or "",
        )


@dataclass(frozen=True)
class Bind:
    """A host path mounted into a container."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Launch:
    """A container to start: its name, the arguments after the image's entrypoint, the
    environment it gets on top of the image's, its mounts and its user."""

    container: str
    args: Sequence[str]
    env: Mapping[str, str]
    binds: Sequence[Bind]
    uid: int


class Runtime(ABC):
    """Starts processes from one image as the chart's pods run them (see the module doc)."""

    def __init__(self, image: str, config: ImageConfig) -> None:
        self.image = image
        self.config = config
        self._names: dict[str, str] = {}

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        binds: Sequence[Bind] = (),
        log: IO[bytes] | None = None,
        uid: int = APP_UID,
    ) -> subprocess.Popen[bytes]:
        """Start `args` (after the image's entrypoint) in a new container called `name`."""
        container = self._names[name] = f"fieldline-{name}-{uuid.uuid4().hex[:8]}"
        cmd, process_env = self._prepare(Launch(container, args, env, binds, uid))
        return subprocess.Popen(
            cmd,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT if log is not None else None,
            stdin=subprocess.DEVNULL,
        )

    @abstractmethod
    def _prepare(self, launch: Launch) -> tuple[list[str], dict[str, str] | None]:
        """The command that starts the container, and the environment it runs with (None:
        this process's)."""

    @abstractmethod
    def signal(self, name: str, signal: str) -> None:
        """Send `signal` (e.g. "TERM") to the container's main process, as a kubelet does."""

    @abstractmethod
    def pid(self, name: str) -> int:
        """The host pid of the container's main process."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Kill and forget the container if it is still there."""

    def run(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        binds: Sequence[Bind] = (),
        uid: int = APP_UID,
        timeout: float = 120.0,
    ) -> tuple[int, str]:
        """Run a container to its end: its exit code and output."""
        with tempfile.TemporaryFile() as log:
            process = self.start(name, args, env, binds, log, uid)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.remove(name)
                process.wait()
                raise
            log.seek(0)
            return code, log.read().decode(errors="replace")


class Builder(ABC):
    name: str

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def has_image(self, ref: str) -> bool: ...

    @abstractmethod
    def pull(self, ref: str) -> bool: ...

    @abstractmethod
    def import_rootfs(self, tarball: Path, ref: str, labels: Mapping[str, str]) -> None: ...

    @abstractmethod
    def build(
        self, tag: str, build_args: Mapping[str, str], pip: PipSettings, out: IO[str] | None
    ) -> None: ...

    @abstractmethod
    def image_config(self, ref: str) -> ImageConfig: ...

    @abstractmethod
    def size(self, ref: str) -> str:
        """The image's size as the builder reports it (uncompressed layers)."""

    @abstractmethod
    def tags(self, repository: str) -> list[str]: ...

    @abstractmethod
    def remove(self, ref: str) -> None: ...

    @abstractmethod
    def prune(self) -> None:
        """Remove untagged leftovers of earlier builds older than PRUNE_AFTER."""

    @abstractmethod
    def runtime(self, ref: str) -> contextlib.AbstractContextManager[Runtime]: ...


class Docker(Builder):
    name = "docker"

    def describe(self) -> str:
        return "docker build (BuildKit)"

    def has_image(self, ref: str) -> bool:
        return _succeeds([_tool("docker"), "image", "inspect", ref])

    def pull(self, ref: str) -> bool:
        return _succeeds([_tool("docker"), "pull", "-q", ref], PULL_TIMEOUT)

    def import_rootfs(self, tarball: Path, ref: str, labels: Mapping[str, str]) -> None:
        changes = [f"ENV PATH={BASE_PATH}", 'CMD ["/bin/sh"]']
        changes += [f"LABEL {k}={json.dumps(v)}" for k, v in labels.items()]
        _run(
            [
                _tool("docker"),
                "import",
                *(a for c in changes for a in ("--change", c)),
                str(tarball),
                ref,
            ]
        )

    def build(
        self, tag: str, build_args: Mapping[str, str], pip: PipSettings, out: IO[str] | None
    ) -> None:
        cmd = [_tool("docker"), "build", "-t", tag, *_build_options(build_args, pip)]
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}  # RUN --mount needs BuildKit
        result = subprocess.run([*cmd, str(ROOT)], env=env, stdout=out, stderr=out, check=False)
        if result.returncode != 0:
            raise ImageError(f"docker build failed ({result.returncode})")

    def image_config(self, ref: str) -> ImageConfig:
        inspected = json.loads(_run([_tool("docker"), "image", "inspect", ref]))
        return ImageConfig.from_oci(inspected[0]["Config"])

    def size(self, ref: str) -> str:
        size = int(
            _run([_tool("docker"), "image", "inspect", "--format", "{{.Size}}", ref]).strip()
        )
        return f"{size / 1e6:.0f} MB"

    def tags(self, repository: str) -> list[str]:
        listed = _run(
            [_tool("docker"), "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository]
        )
        return [line for line in listed.splitlines() if line and not line.endswith(":<none>")]

    def remove(self, ref: str) -> None:
        subprocess.run([_tool("docker"), "image", "rm", ref], capture_output=True, check=False)

    def prune(self) -> None:
        subprocess.run(
            [_tool("docker"), "image", "prune", "-f", "--filter", f"until={PRUNE_AFTER}"],
            capture_output=True,
            check=False,
        )

    @contextlib.contextmanager
    def runtime(self, ref: str) -> Iterator[Runtime]:
        yield DockerRuntime(ref, self.image_config(ref))


class DockerRuntime(Runtime):
    def _prepare(self, launch: Launch) -> tuple[list[str], dict[str, str] | None]:
        uid = launch.uid
        cmd = [
            "docker", "run", "--rm", "--name", launch.container, "--read-only",
            "--user", f"{uid}:{uid}", "--network", "host", "--tmpfs", f"{CONTAINER_TMP}:mode=1777",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        ]  # fmt: skip
        # `-e NAME` takes the value from the client's environment: values (database URLs)
        # stay out of argv, which every user of the machine can read.
        cmd += [a for k in launch.env for a in ("-e", k)]
        for b in launch.binds:
            cmd += ["-v", f"{b.source}:{b.target}:{_mode(b)}"]
        return [*cmd, self.image, *launch.args], {**os.environ, **launch.env}

    def signal(self, name: str, signal: str) -> None:
        _run([_tool("docker"), "kill", "--signal", signal, self._names[name]])

    def pid(self, name: str) -> int:
        return int(
            _run([_tool("docker"), "inspect", "-f", "{{.State.Pid}}", self._names[name]]).strip()
        )

    def remove(self, name: str) -> None:
        if name in self._names:
            subprocess.run(
                [_tool("docker"), "rm", "-f", self._names[name]], capture_output=True, check=False
            )


class Buildah(Builder):
    name = "buildah"

    def __init__(self, driver: str) -> None:
        self.driver = driver

    def describe(self) -> str:
        return f"buildah bud (--isolation chroot, {self.driver} storage)"

    def cmd(self, *args: str) -> list[str]:
        return [_tool("buildah"), "--storage-driver", self.driver, *args]

    def has_image(self, ref: str) -> bool:
        return _succeeds(self.cmd("inspect", "--type", "image", ref))

    def pull(self, ref: str) -> bool:
        return _succeeds(self.cmd("pull", "-q", ref), PULL_TIMEOUT)

    def import_rootfs(self, tarball: Path, ref: str, labels: Mapping[str, str]) -> None:
        container = _run(self.cmd("from", "scratch")).strip()
        try:
            _run(self.cmd("add", container, str(tarball), "/"))
            config = ["--env", f"PATH={BASE_PATH}", "--cmd", "/bin/sh"]
            config += [a for k, v in labels.items() for a in ("--label", f"{k}={v}")]
            _run(self.cmd("config", *config, container))
            _run(self.cmd("commit", "-q", container, ref))
        finally:
            subprocess.run(self.cmd("rm", container), capture_output=True, check=False)

    def build(
        self, tag: str, build_args: Mapping[str, str], pip: PipSettings, out: IO[str] | None
    ) -> None:
        cmd = self.cmd("bud", "--isolation", "chroot", "--layers", "-t", tag)
        cmd += _build_options(build_args, pip)
        result = subprocess.run([*cmd, str(ROOT)], stdout=out, stderr=out, check=False)
        if result.returncode != 0:
            raise ImageError(f"buildah bud failed ({result.returncode})")

    def image_config(self, ref: str) -> ImageConfig:
        inspected = json.loads(_run(self.cmd("inspect", "--type", "image", ref)))
        return ImageConfig.from_oci(inspected["OCIv1"]["config"])

    def size(self, ref: str) -> str:
        return _run(self.cmd("images", "--noheading", "--format", "{{.Size}}", ref)).strip()

    def tags(self, repository: str) -> list[str]:
        listed = json.loads(_run(self.cmd("images", "--json")) or "[]")
        return [
            n
            for image in listed
            for n in image.get("names") or []
            if n.startswith(repository + ":")
        ]

    def remove(self, ref: str) -> None:
        subprocess.run(self.cmd("rmi", ref), capture_output=True, check=False)

    def prune(self) -> None:
        listed = subprocess.run(
            self.cmd(
                "images", "-q", "--filter", "dangling=true", "--filter", f"until={PRUNE_AFTER}"
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        ids = listed.stdout.split()
        if ids:
            subprocess.run(self.cmd("rmi", *ids), capture_output=True, check=False)

    @contextlib.contextmanager
    def runtime(self, ref: str) -> Iterator[Runtime]:
        ensure_debian_packages({"runc": "runc"})
        config = self.image_config(ref)
        container = _run(self.cmd("from", "--name", f"fieldline-run-{uuid.uuid4().hex[:8]}", ref))
        container = container.strip()
        try:
            rootfs = Path(_run(self.cmd("mount", container)).strip())
            with tempfile.TemporaryDirectory(prefix="fieldline-oci-") as bundles:
                runtime = RuncRuntime(ref, config, rootfs, Path(bundles))
                try:
                    yield runtime
                finally:
                    runtime.remove_all()
        finally:
            subprocess.run(self.cmd("umount", container), capture_output=True, check=False)
            subprocess.run(self.cmd("rm", container), capture_output=True, check=False)


def _build_options(build_args: Mapping[str, str], pip: PipSettings) -> list[str]:
    """What docker build and buildah bud both take: the Dockerfile, the build args, the pip
    secrets."""
    args = ["-f", str(ROOT / "Dockerfile")]
    args += [a for k, v in build_args.items() for a in ("--build-arg", f"{k}={v}")]
    if pip.conf is not None:
        args += ["--secret", f"id={PIP_CONF_ID},src={pip.conf}"]
    if pip.ca is not None:
        args += ["--secret", f"id={PIP_CA_ID},src={pip.ca}"]
    return args


def _mount(destination: str, kind: str, source: str, *options: str) -> dict[str, Any]:
    return {"destination": destination, "type": kind, "source": source, "options": list(options)}


def _mode(bind: Bind) -> str:
    return "rw" if bind.writable else "ro"


class RuncRuntime(Runtime):
    """Containers on one image root filesystem (from `buildah mount`), each started by runc."""

    def __init__(self, image: str, config: ImageConfig, rootfs: Path, bundles: Path) -> None:
        super().__init__(image, config)
        self.rootfs = rootfs
        self.bundles = bundles

    def spec(self, launch: Launch) -> dict[str, Any]:
        """The OCI runtime config: what `runc spec` gives, made to match the chart's pods."""
        nodev = ("nosuid", "nodev", "noexec")
        mounts = [
            _mount("/proc", "proc", "proc"),
            _mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            _mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "mode=0620"),
            _mount(DEV_SHM, "tmpfs", "shm", *nodev, "mode=1777", "size=65536k"),
            _mount("/dev/mqueue", "mqueue", "mqueue", *nodev),
            _mount("/sys", "sysfs", "sysfs", *nodev, "ro"),
            _mount(CONTAINER_TMP, "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=256m"),
        ]
        mounts += [
            _mount(b.target, "bind", str(b.source), "rbind", "nosuid", "nodev", _mode(b))
            for b in launch.binds
        ]
        merged_env = {**self.config.env, **launch.env}
        return {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False,
                "user": {"uid": launch.uid, "gid": launch.uid},
                "args": [*self.config.entrypoint, *launch.args],
                "env": [f"{k}={v}" for k, v in merged_env.items()],
                "cwd": self.config.workdir,
                # The chart drops every capability and forbids privilege escalation.
                "capabilities": {"bounding": [], "effective": [], "permitted": [], "ambient": []},
                "noNewPrivileges": True,
            },
            "root": {"path": str(self.rootfs), "readonly": True},
            "hostname": "fieldline",
            "mounts": mounts,
            "linux": {
                "resources": {"devices": [{"allow": False, "access": "rwm"}]},
                # No network namespace: the host's, to reach PostgreSQL and NATS on 127.0.0.1.
                "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount")],
                "maskedPaths": [
                    "/proc/acpi",
                    "/proc/kcore",
                    "/proc/keys",
                    "/proc/latency_stats",
                    "/proc/timer_list",
                    "/proc/sched_debug",
                    "/sys/firmware",
                    "/proc/scsi",
                ],
                "readonlyPaths": [
                    "/proc/bus",
                    "/proc/fs",
                    "/proc/irq",
                    "/proc/sys",
                    "/proc/sysrq-trigger",
                ],
            },
        }

    def _prepare(self, launch: Launch) -> tuple[list[str], dict[str, str] | None]:
        bundle = self.bundles / launch.container
        bundle.mkdir(mode=0o700)  # the config holds the env, database URLs included
        (bundle / "config.json").write_text(json.dumps(self.spec(launch)))
        return [_tool("runc"), "run", "--bundle", str(bundle), launch.container], None

    def signal(self, name: str, signal: str) -> None:
        _run([_tool("runc"), "kill", self._names[name], signal])

    def pid(self, name: str) -> int:
        return int(json.loads(_run([_tool("runc"), "state", self._names[name]]))["pid"])

    def remove(self, name: str) -> None:
        container = self._names.get(name)
        if container is not None:
            subprocess.run(
                [_tool("runc"), "delete", "--force", container], capture_output=True, check=False
            )

    def remove_all(self) -> None:
        for name in list(self._names):
            self.remove(name)


# --- choosing and building --------------------------------------------------------------------


def find_builder(install: bool = True) -> Builder:
    """docker where its daemon answers, else buildah (installed first when root and missing)."""
    if docker_daemon():
        return Docker()
    ensure_debian_packages(BUILDAH_TOOLS, install)
    return Buildah("overlay" if overlay_works() else "vfs")


def debian_base_key(today: datetime.date) -> str:
    """The base's tag: the ISO week (a weekly refresh brings Debian's security updates) and a
    digest of what goes in, so a changed package list makes a new base at once."""
    year, week, _ = today.isocalendar()
    recipe = json.dumps(
        [DEBIAN_SUITE, DEBIAN_PACKAGES, DPKG_OPTIONS, APT_OPTIONS, MMDEBSTRAP_HOOKS]
    ).encode()
    return f"{DEBIAN_SUITE}-{year}w{week:02d}-{hashlib.sha256(recipe).hexdigest()[:10]}"


def _base_release(tarball: Path) -> dict[str, str]:
    """Debian and Python versions of a base tarball (for its labels and the report)."""
    found: dict[str, str] = {}
    with tarfile.open(tarball) as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if name == "etc/debian_version" and member.isfile():
                extracted = tar.extractfile(member)
                if extracted is not None:
                    found["debian"] = extracted.read().decode().strip()
            elif name.startswith("usr/bin/python3.") and name[len("usr/bin/python3.") :].isdigit():
                found["python"] = name.removeprefix("usr/bin/python")
    return found


def debian_base(builder: Builder, install: bool = True) -> str:
    """The Debian base of this week: reused when there, else made with mmdebstrap (~20-40 s)."""
    ref = f"{DEBIAN_BASE}:{debian_base_key(datetime.date.today())}"
    if builder.has_image(ref):
        return ref
    ensure_debian_packages({"mmdebstrap": "mmdebstrap"}, install)
    _say(f"making the base {ref} from Debian packages (mmdebstrap {DEBIAN_SUITE}) …")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fieldline-base-", dir="/var/tmp") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        cmd = [
            _tool("mmdebstrap"),
            "--quiet",
            "--variant=minbase",
            "--include=" + ",".join(DEBIAN_PACKAGES),
        ]
        cmd += [f"--dpkgopt={o}" for o in DPKG_OPTIONS]
        cmd += [f"--aptopt={o}" for o in APT_OPTIONS]
        cmd += [f"--hook-dir={h}" for h in MMDEBSTRAP_HOOKS if Path(h).is_dir()]
        _run([*cmd, DEBIAN_SUITE, str(tarball)])
        release = _base_release(tarball)
        labels = {f"org.fieldline.base.{k}": v for k, v in release.items()}
        builder.import_rootfs(tarball, ref, labels)
    _say(
        f"base {ref} made in {time.monotonic() - started:.0f} s (Debian "
        f"{release.get('debian', '?')}, Python {release.get('python', '?')})"
    )
    for old in builder.tags(DEBIAN_BASE):
        if old != ref:
            builder.remove(old)
    return ref


def choose_base(builder: Builder, base: str, install: bool = True) -> str:
    if base in ("auto", "pull"):
        if builder.has_image(PULLED_BASE) or builder.pull(PULLED_BASE):
            return PULLED_BASE
        if base == "pull":
            raise ImageError(f"{PULLED_BASE} cannot be pulled here")
        _say(f"{PULLED_BASE} cannot be pulled here: the base comes from Debian packages")
    return debian_base(builder, install)


@dataclass(frozen=True)
class Built:
    builder: Builder
    tag: str
    base: str
    seconds: float
    size: str

    def describe(self) -> str:
        return (
            f"image {self.tag} built in {self.seconds:.1f} s with {self.builder.describe()}, "
            f"base {self.base}; size {self.size}"
        )


@contextlib.contextmanager
def _build_lock() -> Iterator[None]:
    """One build at a time on this machine (./fl image beside ./fl test's image check)."""
    with LOCK_FILE.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_image(
    builder: Builder,
    tag: str = DEFAULT_TAG,
    base: str = "auto",
    install: bool = True,
    out: IO[str] | None = None,
) -> Built:
    """Build the image from the root Dockerfile; `out` gets the builder's output (None: the
    console)."""
    with _build_lock():
        started = time.monotonic()
        base_ref = choose_base(builder, base, install)
        with tempfile.TemporaryDirectory(prefix="fieldline-pip-") as workdir:
            pip = machine_pip_settings(Path(workdir))
            _say(f"building {tag} with {builder.describe()} from {base_ref}; {pip.describe()}")
            builder.build(tag, {"PYTHON_IMAGE": base_ref}, pip, out)
        seconds = time.monotonic() - started
        builder.prune()
        return Built(builder, tag, base_ref, seconds, builder.size(tag))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `./fl image` (and `python -m fieldline_dev.image`)."""
    parser.add_argument("--tag", default=DEFAULT_TAG, help=f"image name (default {DEFAULT_TAG})")
    parser.add_argument(
        "--base",
        choices=("auto", "pull", "debian"),
        default="auto",
        help=f"auto: {PULLED_BASE} if it can be pulled, else a Debian base made with mmdebstrap",
    )
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="never install buildah/mmdebstrap/runc with apt-get",
    )


def run(args: argparse.Namespace) -> int:
    try:
        builder = find_builder(install=not args.no_install)
        built = build_image(builder, args.tag, args.base, install=not args.no_install)
    except ImageError as exc:
        print(f"./fl image: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, NoBuilder) else 1
    _say(built.describe())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./fl image", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
