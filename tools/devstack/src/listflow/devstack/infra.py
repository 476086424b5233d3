"""Real Kafka (KRaft, one node) and FerretDB as local processes: fetch, start, wait, stop, wipe.

Downloads live in the cache (`$XDG_CACHE_HOME/listflow`), shared by every clone on the
machine; runtime state lives in the clone's git-ignored `.local/<profile>/`.
"""

import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[5]
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "listflow"
KAFKA_VERSION = "4.1.2"
FERRETDB_VERSION = "v1.24.2"


@dataclass(frozen=True)
class Profile:
    """One independent stack: `dev` for make run, `test` for make test (other ports)."""

    name: str
    kafka_port: int
    controller_port: int
    mongo_port: int
    postgres_port: int
    gateway_port: int
    # Ingest, contacts, leads and campaigns listen on the four ports after this one.
    services_base: int
    # Where profiles keep their state; tests point it at a folder of their own.
    root: Path = field(default=REPO / ".local", compare=False)

    @property
    def state(self) -> Path:
        return self.root / self.name

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongodb_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    @property
    def service_ports(self) -> dict[str, int]:
        """The HTTP port of each service of this profile."""
        return {
            "ingest": self.services_base + 1,
            "contacts": self.services_base + 2,
            "leads": self.services_base + 3,
            "campaigns": self.services_base + 4,
            "portal": self.services_base + 5,
        }

    @property
    def smtp_port(self) -> int:
        """Mailpit's SMTP server (campaigns' email relay in tests and runs)."""
        return self.services_base + 6

    @property
    def mailpit_port(self) -> int:
        """Mailpit's HTTP API and web inbox."""
        return self.services_base + 7

    @property
    def sms_simulator_port(self) -> int:
        """The local SMS provider simulator (campaigns' provider in tests and runs)."""
        return self.services_base + 8

    @property
    def payments_simulator_port(self) -> int:
        """The local card-payment provider simulator (portal's provider in tests and runs)."""
        return self.services_base + 9

    @property
    def listening_ports(self) -> tuple[int, ...]:
        """Every port a stack of this profile listens on (scaled-out instances aside)."""
        return (
            self.kafka_port,
            self.controller_port,
            self.mongo_port,
            self.postgres_port,
            self.gateway_port,
            *self.service_ports.values(),
            self.smtp_port,
            self.mailpit_port,
            self.sms_simulator_port,
            self.payments_simulator_port,
        )


# Several clones on one machine (parallel work in git worktrees) each run their own stack:
# LISTFLOW_PORT_OFFSET shifts every port of every profile; state is per clone already.
PORT_OFFSET = int(os.environ.get("LISTFLOW_PORT_OFFSET", "0"))

# Linux hands out local ports for outgoing connections from 32768 up (the default
# net.ipv4.ip_local_port_range): a server port in that range can be held by any client's
# connection when the server starts (a `make bench` once hung that way on Kafka's 39092),
# so every listening port of every profile, offsets included, stays below it.
EPHEMERAL_FIRST = 32768


def _profile(
    name: str, kafka: int, controller: int, mongo: int, postgres: int, gateway: int, services: int
) -> Profile:
    o = PORT_OFFSET
    profile = Profile(
        name, kafka + o, controller + o, mongo + o, postgres + o, gateway + o, services + o
    )
    inside = [port for port in profile.listening_ports if not 0 < port < EPHEMERAL_FIRST]
    if inside:
        raise ValueError(
            f"LISTFLOW_PORT_OFFSET={PORT_OFFSET} puts port(s) {inside} of profile {name!r} "
            f"outside 1-{EPHEMERAL_FIRST - 1} (from {EPHEMERAL_FIRST} up, Linux lends ports "
            f"to outgoing connections); choose an offset from 0 to {MAX_PORT_OFFSET}"
        )
    return profile


# dev: Kafka 9092, gateway 8000, services 8101-8103; test: 29092 and 18100-18103; bench:
# 19092 and 28100-28103. The highest base port, test's controller (29093), bounds the offset.
MAX_PORT_OFFSET = EPHEMERAL_FIRST - 1 - 29093
PROFILES = {
    "dev": _profile("dev", 9092, 9093, 27017, 5442, 8000, 8100),
    "test": _profile("test", 29092, 29093, 27027, 5443, 18100, 18100),
    "bench": _profile("bench", 19092, 19093, 27037, 5444, 28100, 28100),
}


def local_pii_secret(profile: Profile) -> str:
    """The PII secret of this profile's data: made on first use, then read back.

    It lives beside the data it protects (git-ignored `.local/`, mode 0600, wiped with the
    data), so no two clones share it and the built-in default never encrypts a local run's ids.
    """
    path = profile.state / "pii-secret"
    profile.state.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL never overwrites a secret that data depends on; 0600 from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
    else:
        secret = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as f:
            f.write(secret + "\n")
    if len(secret) < 32:
        raise RuntimeError(f"{path} holds no usable PII secret; delete it to make a new one")
    return secret


def log(message: str) -> None:
    print(f"[infra] {message}", flush=True)


class PortTaken(RuntimeError):
    """A port a server of the stack must listen on is held by another socket."""


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_free(port: int, what: str) -> None:
    """Fail at once, naming the port, when `what` could not bind it; a server that cannot
    bind its port would otherwise leave its start waiting for a port that never opens."""
    with socket.socket() as s:
        # As servers do: a connection of an earlier run left in TIME_WAIT does not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortTaken(
                f"{what} cannot listen on 127.0.0.1:{port}: the port is taken ({exc.strerror}) "
                f"by a socket that does not accept connections, such as another program's "
                f"outgoing connection; free it (see `ss -tanp | grep :{port}`) or set "
                f"LISTFLOW_PORT_OFFSET to move this stack's ports"
            ) from exc


def port_open(port: int, what: str = "a server") -> bool:
    """Whether a server already listens on the port (then the stack reuses it); raises
    PortTaken when nothing listens but the port cannot be bound either."""
    if listening(port):
        return True
    ensure_free(port, what)
    return False


def _start_daemon(
    state: Path, command: list[str], *, logname: str, env: dict[str, str] | None = None
) -> tuple[int, Path]:
    """Start a server of the stack in a session of its own (so that `_stop` ends it with its
    children), its output appended to state/logname and its pid in state/pid; the caller
    waits for its ports. Returns the pid and the log file."""
    state.mkdir(parents=True, exist_ok=True)
    logfile = state / logname
    with logfile.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    (state / "pid").write_text(str(process.pid))
    return process.pid, logfile


def wait_port(port: int, what: str, timeout: float, logfile: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Only connect: probing with a bind here could take the port from the starting server.
        if listening(port):
            return
        time.sleep(0.3)
    tail = logfile.read_text(errors="replace")[-3000:] if logfile.exists() else ""
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f}s\n{tail}")


# --- Kafka --------------------------------------------------------------------------------


@contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Hold the machine-wide lock of one cached build: clones sharing the cache (and their
    test runs started at once) wait for one another instead of building over each other."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def kafka_libs() -> Path:
    """The broker's jars, resolved from Maven Central once per machine."""
    with cache_lock("kafka"):
        libs = CACHE / f"kafka-{KAFKA_VERSION}" / "libs"
        marker = libs / ".complete"
        if marker.exists():
            return libs
        log(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central")
        shutil.rmtree(libs, ignore_errors=True)
        libs.mkdir(parents=True)
        subprocess.run(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(REPO / "infra" / "kafka" / "pom.xml"),
                f"-Dmaven.repo.local={CACHE / 'm2'}",
                "dependency:copy-dependencies",
                f"-DoutputDirectory={libs}",
            ],
            check=True,
        )
        marker.touch()
        return libs


def _go_binary(
    what: str, binary: Path, package: str, *, module: str, lock: str, how_long: str
) -> Path:
    """`package` built once per machine inside our small Go module `infra/<module>` (its go.mod
    pins the version; the Go module proxy serves the code), under the machine-wide lock of
    the build; written to a partial file first, so a build cut short is never taken for one."""
    with cache_lock(lock):
        if binary.exists():
            return binary
        started = time.monotonic()
        log(f"building {what} from the Go module proxy ({how_long})")
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(f"{binary.name}.partial")
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
        subprocess.run(
            ["go", "build", "-trimpath", "-o", str(partial), package],
            cwd=REPO / "infra" / module,
            env=env,
            check=True,
        )
        partial.rename(binary)
        log(f"{what} built in {time.monotonic() - started:.0f}s")
        return binary


def _java_cmd(libs: Path, log4j: Path, *args: str, heap: str = "256m") -> list[str]:
    return [
        "java",
        f"-Xmx{heap}",
        "-Xms128m",
        "-XX:+UseG1GC",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        f"{libs}/*",
        *args,
    ]


def _kafka_config(profile: Profile) -> tuple[Path, Path]:
    state = profile.state / "kafka"
    state.mkdir(parents=True, exist_ok=True)
    props = state / "server.properties"
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{profile.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{profile.kafka_port},CONTROLLER://127.0.0.1:{profile.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{profile.kafka_port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAINTEXT",
                f"log.dirs={state / 'data'}",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=10",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "min.insync.replicas=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "num.partitions=3",
                "log.retention.hours=168",
                "",
            ]
        )
    )
    log4j = state / "log4j2.properties"
    log4j.write_text(
        "\n".join(
            [
                "status = warn",
                "appender.file.type = File",
                "appender.file.name = file",
                f"appender.file.fileName = {state / 'server.log'}",
                "appender.file.layout.type = PatternLayout",
                "appender.file.layout.pattern = [%d] %p %m (%c)%n",
                "rootLogger.level = WARN",
                "rootLogger.appenderRef.file.ref = file",
                "logger.started.name = kafka.server.KafkaRaftServer",
                "logger.started.level = INFO",
                "",
            ]
        )
    )
    return props, log4j


def start_kafka(profile: Profile) -> None:
    if port_open(profile.kafka_port, "Kafka"):
        log(f"Kafka already listening on {profile.kafka_bootstrap}")
        return
    ensure_free(profile.controller_port, "Kafka's controller")
    libs = kafka_libs()
    props, log4j = _kafka_config(profile)
    state = props.parent
    if not (state / "data" / "meta.properties").exists():
        cluster = (
            subprocess.run(
                _java_cmd(libs, log4j, "kafka.tools.StorageTool", "random-uuid"),
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            _java_cmd(
                libs,
                log4j,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster,
                "-c",
                str(props),
            ),
            check=True,
            capture_output=True,
        )
    pid, _ = _start_daemon(
        state, _java_cmd(libs, log4j, "kafka.Kafka", str(props), heap="1g"), logname="stdout.log"
    )
    # A JVM starting on two cores at load 20 (a bench beside several suites) took over 90 s.
    wait_port(profile.kafka_port, "Kafka", 240, state / "server.log")
    log(f"Kafka {KAFKA_VERSION} up on {profile.kafka_bootstrap} (pid {pid})")


# --- PostgreSQL (FerretDB's backend) ------------------------------------------------------


def postgres_bin() -> Path:
    """Debian's PostgreSQL server binaries, installed with apt-get when missing (as root)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        if os.geteuid() != 0:
            raise RuntimeError("PostgreSQL is missing: apt-get install postgresql (as root)")
        log("installing PostgreSQL from Debian's packages")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI and this machine run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


# FerretDB 1.24 looks documents up by `_jsonb->'_id' @> '"value"'`, which its own btree
# index on `_jsonb->'_id'` cannot serve, so every lookup, update and upsert by _id scans the
# whole table. A GIN index on the same expression serves that operator; this event trigger
# gives every table FerretDB creates one (measured in docs/performance.md). Local only:
# production runs MongoDB itself.
ID_INDEX_SQL = """
CREATE OR REPLACE FUNCTION listflow_ferretdb_id_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE created record;
BEGIN
  FOR created IN SELECT * FROM pg_event_trigger_ddl_commands()
                 WHERE command_tag = 'CREATE TABLE' LOOP
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = created.objid AND attname = '_jsonb')
    THEN
      -- fastupdate off: a pending list would grow with every insert of an import and be
      -- scanned by every lookup until the next vacuum.
      EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb->''_id'') jsonb_path_ops) '
                     'WITH (fastupdate = off)', created.object_identity);
      -- The same for `match_keys`, the multikey field contacts are found by.
      EXECUTE format('CREATE INDEX ON %s USING gin ((_jsonb->''match_keys'') jsonb_path_ops) '
                     'WITH (fastupdate = off)', created.object_identity);
    END IF;
  END LOOP;
END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'listflow_ferretdb_id_index')
  THEN
    CREATE EVENT TRIGGER listflow_ferretdb_id_index ON ddl_command_end
      WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION listflow_ferretdb_id_index();
  END IF;
END $$;
"""


def start_postgres(profile: Profile) -> None:
    if port_open(profile.postgres_port, "PostgreSQL"):
        return
    binaries = postgres_bin()
    state = profile.state / "postgres"
    data = state / "data"
    state.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(state, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_postgres(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    options = (
        f"-p {profile.postgres_port} -k {state} -c listen_addresses=127.0.0.1 "
        # A local stack trades the last moments of durability for speed; production uses
        # MongoDB itself.
        "-c synchronous_commit=off -c shared_buffers=256MB -c max_connections=200 "
        # Tables grow from empty during an import, faster than statistics follow: without
        # these the planner keeps scanning tables that the _id index would answer.
        "-c enable_seqscan=off -c plan_cache_mode=force_custom_plan -c random_page_cost=1.1"
    )
    subprocess.run(
        _as_postgres(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(state / "postgres.log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        _as_postgres(
            [
                str(binaries / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(profile.postgres_port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                ID_INDEX_SQL,
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(f"PostgreSQL up on port {profile.postgres_port}")


def stop_postgres(profile: Profile) -> None:
    data = profile.state / "postgres" / "data"
    if not (data / "postmaster.pid").exists():
        return
    subprocess.run(
        _as_postgres([str(postgres_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
        check=False,
        stdout=subprocess.DEVNULL,
    )
    log("PostgreSQL stopped")


# --- FerretDB ------------------------------------------------------------------------------


def ferretdb_binary() -> Path:
    """FerretDB built from the Go module proxy once per machine (see infra/ferretdb/main.go)."""
    return _go_binary(
        f"FerretDB {FERRETDB_VERSION}",
        CACHE / "bin" / f"ferretdb-{FERRETDB_VERSION}",
        ".",
        module="ferretdb",
        lock="ferretdb1",
        how_long="a minute or two, once",
    )


def start_ferretdb(profile: Profile) -> None:
    if port_open(profile.mongo_port, "FerretDB"):
        log(f"MongoDB wire protocol already listening on {profile.mongodb_url}")
        return
    binary = ferretdb_binary()
    state = profile.state / "ferretdb"
    state.mkdir(parents=True, exist_ok=True)
    # PostgreSQL is the default: the SQLite backend scans a whole collection even for an
    # _id lookup (its _id index does not match the query's expression), see docs/performance.md.
    backend = os.environ.get("LISTFLOW_FERRETDB_BACKEND", "postgresql")
    if backend == "postgresql":
        start_postgres(profile)
        flags = [
            "--handler=postgresql",
            f"--postgresql-url=postgres://postgres@127.0.0.1:{profile.postgres_port}/postgres",
        ]
    else:
        (state / "data").mkdir(exist_ok=True)
        flags = ["--handler=sqlite", f"--sqlite-url=file:{state / 'data'}/"]
    pid, logfile = _start_daemon(
        state,
        [str(binary), f"--listen-addr=127.0.0.1:{profile.mongo_port}", *flags],
        logname="ferretdb.log",
    )
    wait_port(profile.mongo_port, "FerretDB", 30, logfile)
    log(f"FerretDB {FERRETDB_VERSION} ({backend}) up on {profile.mongodb_url} (pid {pid})")


# --- FerretDB 2 on PostgreSQL 18 with DocumentDB -------------------------------------------
#
# DocumentDB (`postgresql-18-documentdb`) is packaged in Debian's sid only and needs a newer
# libc than the host's Debian 12, so PostgreSQL 18 runs inside a minimal sid root built with
# debootstrap once per machine, in a private mount namespace (proc, dev, sys and shm mounted;
# the profile's state directory bound at /srv). Networking is the host's: FerretDB 2 runs on
# the host and talks to it over TCP.

FERRETDB2_VERSION = "v2.7.0"
SID_MIRROR = os.environ.get("LISTFLOW_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SID_PACKAGES = ("postgresql-18", "postgresql-18-documentdb", "postgresql-18-cron")
APT_LOCK = ("-o", "DPkg::Lock::Timeout=600")


def store() -> str:
    """The local MongoDB-compatible store: `ferretdb2` (FerretDB 2, DocumentDB) or `ferretdb1`."""
    name = os.environ.get("LISTFLOW_STORE", DEFAULT_STORE)
    if name not in STORES:
        raise RuntimeError(f"LISTFLOW_STORE={name!r}: expected one of {', '.join(STORES)}")
    return name


STORES = ("ferretdb1", "ferretdb2")
DEFAULT_STORE = "ferretdb2"


def store_description() -> str:
    if store() == "ferretdb2":
        return f"FerretDB {FERRETDB2_VERSION} on PostgreSQL 18 with DocumentDB"
    backend = os.environ.get("LISTFLOW_FERRETDB_BACKEND", "postgresql")
    return f"FerretDB {FERRETDB_VERSION} on {backend}"


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0:
        raise RuntimeError(f"{' '.join(packages)} missing: apt-get install them (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", *APT_LOCK, "install", "-y", "-qq", "--no-install-recommends"]
    if subprocess.run([*install, *packages], env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", *APT_LOCK, "update", "-qq"], check=True, env=env)
        subprocess.run([*install, *packages], check=True, env=env, stdout=subprocess.DEVNULL)


def _in_root(
    root: Path, command: list[str], *, bind: Path | None = None, user: str = ""
) -> list[str]:
    """`command` run inside `root` in a private mount namespace (gone when it exits)."""
    mounts = [
        f"mount -t proc proc {root}/proc",
        f"mount --rbind /dev {root}/dev",
        f"mount -t tmpfs -o mode=1777 shm {root}/dev/shm",  # noqa: S108 (inside the root)
        f"mount --rbind /sys {root}/sys",
    ]
    if bind is not None:
        mounts.append(f"mount --bind {bind} {root}/srv")
    userspec = f"--userspec={user} " if user else ""
    script = " && ".join(mounts) + f' && exec chroot {userspec}"$0" "$@"'
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        str(root),
        *command,
    ]


def documentdb_root() -> Path:
    """A Debian sid minbase root holding PostgreSQL 18 and DocumentDB, built once per machine."""
    with cache_lock("documentdb-root"):
        root = CACHE / "debian-sid-documentdb"
        marker = CACHE / "debian-sid-documentdb.complete"
        if marker.exists():
            return root
        if os.geteuid() != 0:
            raise RuntimeError("building the DocumentDB root needs root (debootstrap, chroot)")
        started = time.monotonic()
        if shutil.which("debootstrap") is None:
            log("installing debootstrap from Debian's packages")
            _apt_install("debootstrap")
        log(f"building a Debian sid root for DocumentDB in {root} (several minutes, once)")
        mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        if any(point.startswith(f"{root}/") for point in mounted):
            raise RuntimeError(f"something is mounted under {root}: unmount it, then retry")
        shutil.rmtree(root, ignore_errors=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        # In a mount namespace of its own: the proc and sys debootstrap mounts in the root
        # vanish with it, even if it is interrupted.
        subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "debootstrap",
                "--variant=minbase",
                "sid",
                str(root),
                SID_MIRROR,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # The archive's sid Release file can be past its Valid-Until (a frozen mirror).
        (root / "etc/apt/apt.conf.d/99listflow").write_text(
            'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n'
        )
        # No cluster of its own and no service start: the profile's data directory is the cluster.
        (root / "etc/postgresql-common/createcluster.d").mkdir(parents=True, exist_ok=True)
        (root / "etc/postgresql-common/createcluster.d/listflow.conf").write_text(
            "create_main_cluster = false\n"
        )
        policy = root / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(_in_root(root, ["apt-get", "update", "-qq"]), check=True, env=env)
        subprocess.run(
            _in_root(root, ["apt-get", "install", "-y", "-qq", *SID_PACKAGES]),
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(_in_root(root, ["apt-get", "clean"]), check=True)
        marker.touch()
        log(f"DocumentDB root built in {time.monotonic() - started:.0f}s")
        return root


def _root_postgres_ids(root: Path) -> tuple[int, int]:
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "postgres":
            return int(fields[2]), int(fields[3])
    raise RuntimeError(f"no postgres user in {root}")


def start_postgres18(profile: Profile) -> None:
    if port_open(profile.postgres_port, "PostgreSQL 18"):
        return
    root = documentdb_root()
    state = profile.state / "postgres18"
    state.mkdir(parents=True, exist_ok=True)
    uid, gid = _root_postgres_ids(root)
    os.chown(state, uid, gid)
    binaries = "/usr/lib/postgresql/18/bin"
    user = f"{uid}:{gid}"
    if not (state / "data" / "PG_VERSION").exists():
        initdb = [f"{binaries}/initdb", "-D", "/srv/data", "-U", "postgres", "--auth=trust"]
        subprocess.run(
            _in_root(root, [*initdb, "-E", "UTF8", "--no-sync"], bind=state, user=user),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    settings = {
        "port": str(profile.postgres_port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "/srv",
        "shared_preload_libraries": "pg_cron,pg_documentdb_core,pg_documentdb",
        "cron.database_name": "postgres",
        # DocumentDB's cron jobs run every second; their log lines would fill the log.
        "cron.log_run": "off",
        "cron.log_statement": "off",
        # A local stack trades the last moments of durability for speed.
        "synchronous_commit": "off",
        "shared_buffers": "256MB",
        "max_connections": "200",
        "random_page_cost": "1.1",
    }
    options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
    pid, logfile = _start_daemon(
        state,
        _in_root(
            root, [f"{binaries}/postgres", "-D", "/srv/data", *options], bind=state, user=user
        ),
        logname="postgres.log",
    )
    wait_port(profile.postgres_port, "PostgreSQL 18", 120, logfile)
    psql = [f"{binaries}/psql", "-h", "127.0.0.1", "-p", str(profile.postgres_port)]
    sql = "CREATE EXTENSION IF NOT EXISTS documentdb CASCADE"
    for _ in range(50):  # the port opens a moment before connections are accepted
        done = subprocess.run(
            _in_root(root, [*psql, "-U", "postgres", "-d", "postgres", "-q", "-c", sql]),
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError(f"CREATE EXTENSION documentdb failed: {done.stderr}")
    log(f"PostgreSQL 18 with DocumentDB up on port {profile.postgres_port} (pid {pid})")


def ferretdb2_binary() -> Path:
    """FerretDB 2 built from the Go module proxy once per machine (see infra/ferretdb2/go.mod)."""
    return _go_binary(
        f"FerretDB {FERRETDB2_VERSION}",
        CACHE / "bin" / f"ferretdb-{FERRETDB2_VERSION}",
        "github.com/FerretDB/FerretDB/v2/cmd/ferretdb",
        module="ferretdb2",
        lock="ferretdb2",
        how_long="minutes, once",
    )


def start_ferretdb2(profile: Profile) -> None:
    if port_open(profile.mongo_port, "FerretDB 2"):
        log(f"MongoDB wire protocol already listening on {profile.mongodb_url}")
        return
    # On first use the Go build and the root's build take minutes each: side by side.
    with ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(ferretdb2_binary)
        start_postgres18(profile)
        binary = building.result()
    state = profile.state / "ferretdb2"
    state.mkdir(parents=True, exist_ok=True)
    flags = [
        f"--listen-addr=127.0.0.1:{profile.mongo_port}",
        f"--postgresql-url=postgres://postgres@127.0.0.1:{profile.postgres_port}/postgres",
        f"--state-dir={state}",
        "--debug-addr=",  # its default 127.0.0.1:8088 would collide between stacks
        "--no-auth",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    pid, logfile = _start_daemon(state, [str(binary), *flags], logname="ferretdb.log")
    wait_port(profile.mongo_port, "FerretDB 2", 120, logfile)
    log(f"FerretDB {FERRETDB2_VERSION} (DocumentDB) up on {profile.mongodb_url} (pid {pid})")


# --- Mailpit (the SMTP server and inbox of local runs and tests) ----------------------------

MAILPIT_VERSION = "v1.33.1"  # infra/mailpit/go.mod


def mailpit_binary() -> Path:
    """Mailpit built from the Go module proxy once per machine (see infra/mailpit/go.mod)."""
    return _go_binary(
        f"Mailpit {MAILPIT_VERSION}",
        CACHE / "bin" / f"mailpit-{MAILPIT_VERSION}",
        "github.com/axllent/mailpit",
        module="mailpit",
        lock="mailpit",
        how_long="a minute or two, once",
    )


def start_mailpit(profile: Profile) -> None:
    if port_open(profile.smtp_port, "Mailpit's SMTP server") and port_open(
        profile.mailpit_port, "Mailpit's HTTP API"
    ):
        log(f"Mailpit already listening on SMTP {profile.smtp_port}, HTTP {profile.mailpit_port}")
        return
    binary = mailpit_binary()
    state = profile.state / "mailpit"
    state.mkdir(parents=True, exist_ok=True)
    flags = [
        f"--smtp=127.0.0.1:{profile.smtp_port}",
        f"--listen=127.0.0.1:{profile.mailpit_port}",
        f"--database={state / 'mailpit.db'}",
        "--smtp-auth-accept-any",
        "--smtp-auth-allow-insecure",
        # A test run leaves thousands of emails; the oldest go beyond this. The bench keeps
        # all of its campaign's (it counts them), in a profile wiped before each run.
        "--max=0" if profile.name == "bench" else "--max=50000",
        "--disable-version-check",
        "--quiet",
    ]
    # Go's collector paced at GOGC=400 (it collects once the heap has grown to five times
    # what is live, rather than twice). 10,000 emails over 32 connections, three runs each
    # way, one after the other: 455-503 against 528-540 us of Mailpit's CPU an email, its
    # peak RSS 52 against 37 MB (docs/performance.md, s14).
    env = {**os.environ, "GOGC": "400"}
    _, logfile = _start_daemon(state, [str(binary), *flags], logname="mailpit.log", env=env)
    wait_port(profile.smtp_port, "Mailpit's SMTP server", 60, logfile)
    wait_port(profile.mailpit_port, "Mailpit's HTTP API", 60, logfile)
    log(f"Mailpit up: SMTP 127.0.0.1:{profile.smtp_port}, inbox {mailpit_url(profile)}")


def mailpit_url(profile: Profile) -> str:
    return f"http://127.0.0.1:{profile.mailpit_port}"


def stop_mailpit(profile: Profile) -> None:
    _stop(profile.state / "mailpit" / "pid", "Mailpit")


# --- the payment provider simulator --------------------------------------------------------

# Local only (the portal refuses these outside local runs); services get them from
# processes.service_env, the simulator from its environment.
PAYMENTS_WEBHOOK_SECRET = "whsec_bG9jYWwtb25seS1wYXltZW50cy13ZWJob29rLXNlY3JldA=="  # noqa: S105
PAYMENTS_PROVIDER_KEY = "sk_test_local_simulator"


def _start_simulator(
    profile: Profile, name: str, port: int, args: list[str], secrets: dict[str, str]
) -> None:
    """A provider simulator (listflow.devstack.<name>_simulator) as a process of its own;
    its secrets go in its environment, not on its command line (which every `ps` shows)."""
    what = f"the {name} simulator"
    if port_open(port, what):
        log(f"{name} simulator already listening on 127.0.0.1:{port}")
        return
    pid, logfile = _start_daemon(
        profile.state / name,
        [sys.executable, "-m", f"listflow.devstack.{name}_simulator", f"--port={port}", *args],
        logname="simulator.log",
        env={**os.environ, **secrets},
    )
    wait_port(port, what, 30, logfile)
    log(f"{name} simulator up on http://127.0.0.1:{port} (pid {pid})")


def start_payments_simulator(profile: Profile) -> None:
    """The card provider the portal talks to (hosted page, test cards, signed webhooks)."""
    portal = profile.service_ports["portal"]
    _start_simulator(
        profile,
        "payments",
        profile.payments_simulator_port,
        [f"--webhook-url=http://127.0.0.1:{portal}/p/webhooks/payments"],
        {
            "LISTFLOW_PAYMENTS_WEBHOOK_SECRET": PAYMENTS_WEBHOOK_SECRET,
            "LISTFLOW_PAYMENTS_PROVIDER_KEY": PAYMENTS_PROVIDER_KEY,
        },
    )


def stop_payments_simulator(profile: Profile) -> None:
    _stop(profile.state / "payments" / "pid", "payments simulator")


# --- the SMS provider simulator ------------------------------------------------------------

# Local only, like the payment provider's; campaigns gets them from processes.service_env.
SMS_WEBHOOK_SECRET = "whsec_bG9jYWwtb25seS1zbXMtcHJvdmlkZXItd2ViaG9vay1zZWNyZXQ="  # noqa: S105
SMS_PROVIDER_KEY = "sms_test_local_simulator"


def start_sms_simulator(profile: Profile) -> None:
    """The SMS provider campaigns sends through (signed status callbacks, injected replies
    delivered to the tenant's inbound webhook)."""
    campaigns = profile.service_ports["campaigns"]
    _start_simulator(
        profile,
        "sms",
        profile.sms_simulator_port,
        [f"--inbound-url=http://127.0.0.1:{campaigns}/hooks/sms/inbound/{{tenant}}"],
        {
            "LISTFLOW_SMS_WEBHOOK_SECRET": SMS_WEBHOOK_SECRET,
            "LISTFLOW_SMS_PROVIDER_KEY": SMS_PROVIDER_KEY,
        },
    )


def stop_sms_simulator(profile: Profile) -> None:
    _stop(profile.state / "sms" / "pid", "SMS simulator")


# --- lifecycle -----------------------------------------------------------------------------


def up(profile: Profile) -> None:
    selected = store()
    marker = profile.state / "store"
    if marker.exists() and marker.read_text().strip() != selected:
        _stop_stores(profile)  # the other store holds the mongo and postgres ports
    profile.state.mkdir(parents=True, exist_ok=True)
    marker.write_text(selected)
    if selected == "ferretdb2":
        start_ferretdb2(profile)
    else:
        start_ferretdb(profile)
    start_kafka(profile)
    start_mailpit(profile)
    start_sms_simulator(profile)
    start_payments_simulator(profile)


def _stop(pidfile: Path, what: str) -> None:
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pidfile.unlink()
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    log(f"{what} stopped")


def _stop_stores(profile: Profile) -> None:
    _stop(profile.state / "ferretdb" / "pid", "FerretDB")
    _stop(profile.state / "ferretdb2" / "pid", "FerretDB 2")
    stop_postgres(profile)
    # SIGTERM: PostgreSQL's smart shutdown (its clients, FerretDB, are gone already).
    _stop(profile.state / "postgres18" / "pid", "PostgreSQL 18")


def down(profile: Profile) -> None:
    stop_sms_simulator(profile)
    stop_payments_simulator(profile)
    stop_mailpit(profile)
    _stop(profile.state / "kafka" / "pid", "Kafka")
    _stop_stores(profile)


def wipe(profile: Profile) -> None:
    down(profile)
    shutil.rmtree(profile.state, ignore_errors=True)
    log(f"state of profile {profile.name} wiped")
