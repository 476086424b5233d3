"""The portal phase of `make bench` (issue 13): pages per second and p99 latency of the ID&V
page and of the accounts page (a signed-in session), under wrk.

wrk (Debian's package, installed with apt-get when missing, as the project installs
chromium and PostgreSQL) rather than locust: on two shared cores the load generator competes
with the portal for the CPU it measures, and wrk's event loop in C costs a small fraction of
what locust's Python users do per request, so the figure is the portal's, not the
generator's. wrk reports the latency distribution (`--latency`) itself.

The requests go to the portal's own port, not through the bench's gateway (a development
proxy in a thread of the bench process; Ingress routes `/p` in production).
"""

import os
import re
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from listflow.devstack import infra

TARGET_PAGES_PER_S = 500
TARGET_P99_MS = 100.0
CUSTOMERS = 20


@dataclass(frozen=True)
class PageLoad:
    page: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    seconds: float
    connections: int
    # CPU of the portal's processes (all its workers) per page served: the figure the other
    # sessions' load on the machine disturbs least.
    portal_cpu_us_per_page: float | None = None
    # wrk's own CPU (user + system) per request: what the load generator takes from the
    # two cores the portal, FerretDB and PostgreSQL share.
    load_generator_cpu_us_per_request: float | None = None


def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        infra._apt_install("wrk")
        found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing after apt-get install wrk")
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests per second, p50 and p99 (ms), requests and failed ones, from wrk --latency."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"(\d+) requests in", output)
    if not (rate and p50 and p99 and total):
        raise ValueError(f"wrk printed no figures:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    return {
        "requests_per_s": float(rate.group(1)),
        "p50_ms": _ms(p50.group(1)),
        "p99_ms": _ms(p99.group(1)),
        "requests": float(total.group(1)),
        "errors": float(errors),
    }


def _session(portal: str, token: str, *, verify: bool) -> str:
    """The session cookie of a customer who opened the link (and passed ID&V if `verify`)."""
    with httpx.Client(base_url=portal, timeout=30) as browser:
        opened = browser.get(f"/p/{token}")
        if opened.status_code != 303:
            raise RuntimeError(f"opening a link answered {opened.status_code}")
        if verify:
            form = browser.get("/p/verify")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None
            answers = {"date_of_birth": "1980-05-17", "postcode": "94103"}
            passed = browser.post("/p/verify", data={"csrf": csrf.group(1), **answers})
            if passed.status_code != 303:
                raise RuntimeError(f"ID&V answered {passed.status_code}")
        return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def _tokens(client: httpx.Client, count: int) -> list[str]:
    """Customers made by hand; each one's link issued on demand once the portal knows it."""
    tokens: list[str] = []
    for i in range(count):
        made = client.post(
            "/v1/contacts",
            json={
                "first_name": f"Bench{i}",
                "date_of_birth": "1980-05-17",
                "postcode": "94103",
                "accounts": [{"number": f"BP-{os.getpid()}-{i}", "balance": "120.50",
                              "currency": "USD"}],
            },
        )  # fmt: skip
        made.raise_for_status()
        contact_id = made.json()["id"]
        deadline = time.monotonic() + 120
        while True:
            issued = client.post(f"/v1/portal/links/{contact_id}/reissue")
            if issued.is_success or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the portal learns the contact from its change event
        issued.raise_for_status()
        tokens.append(issued.json()["url"].split("/p/", 1)[1])
    return tokens


def _load(
    binary: str,
    url: str,
    cookie: str,
    *,
    page: str,
    seconds: int,
    connections: int,
    portal_cpu_s: Callable[[], float] | None = None,
) -> PageLoad:
    command = [
        binary,
        f"--threads={min(2, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=5s",
        "--latency",
        "--header",
        f"Cookie: {cookie}",
        url,
    ]
    cpu_before = portal_cpu_s() if portal_cpu_s is not None else None
    wrk_before = _children_cpu_s()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wrk_cpu_s = _children_cpu_s() - wrk_before
    figures = parse_wrk(done.stdout)
    cpu_per_page = (
        round((portal_cpu_s() - cpu_before) / max(figures["requests"], 1) * 1e6, 1)
        if portal_cpu_s is not None and cpu_before is not None
        else None
    )
    return PageLoad(
        page=page,
        requests_per_s=figures["requests_per_s"],
        p50_ms=figures["p50_ms"],
        p99_ms=figures["p99_ms"],
        requests=int(figures["requests"]),
        errors=int(figures["errors"]),
        seconds=seconds,
        connections=connections,
        portal_cpu_us_per_page=cpu_per_page,
        load_generator_cpu_us_per_request=round(wrk_cpu_s / max(figures["requests"], 1) * 1e6, 1),
    )


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished children (wrk, once it has exited)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def portal_phase(
    client: httpx.Client, portal_url: str, portal_cpu_s: Callable[[], float] | None = None
) -> dict[str, Any]:
    """Both pages under load, one after the other. wrk sends one cookie, so each page is
    one customer's session; every request still reads the link, the customer and the
    tenant's settings from FerretDB, as any page view does."""
    seconds = int(os.environ.get("BENCH_PORTAL_SECONDS", "15"))
    connections = int(os.environ.get("BENCH_PORTAL_CONNECTIONS", "32"))
    binary = wrk()
    tokens = _tokens(client, int(os.environ.get("BENCH_PORTAL_CUSTOMERS", str(CUSTOMERS))))
    idv_cookie = _session(portal_url, tokens[0], verify=False)
    accounts_cookie = _session(portal_url, tokens[-1], verify=True)
    load_before = os.getloadavg()[0]
    idv = _load(
        binary,
        f"{portal_url}/p/verify",
        idv_cookie,
        page="ID&V page",
        seconds=seconds,
        connections=connections,
        portal_cpu_s=portal_cpu_s,
    )
    accounts = _load(
        binary,
        f"{portal_url}/p/accounts",
        accounts_cookie,
        page="accounts page",
        seconds=seconds,
        connections=connections,
        portal_cpu_s=portal_cpu_s,
    )
    return {
        "pages": [asdict(idv), asdict(accounts)],
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},
        "target": {"pages_per_s": TARGET_PAGES_PER_S, "p99_ms": TARGET_P99_MS},
        "load_generator": "wrk",
        "portal_workers": int(os.environ.get("LISTFLOW_PORTAL_WORKERS", "1")),
    }


def portal_lines(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The phase's rows in the bench's table style."""
    rows = []
    for p in result["pages"]:
        met = (
            "meets"
            if p["requests_per_s"] >= TARGET_PAGES_PER_S and p["p99_ms"] <= TARGET_P99_MS
            else "misses"
        )
        rows.append(
            (
                f"portal {p['page']} (wrk, {p['connections']} connections)",
                f"{p['requests_per_s']:,.0f} pages/s, p50 {p['p50_ms']:.1f} ms, "
                f"p99 {p['p99_ms']:.1f} ms, {p['errors']} errors ({met} "
                f"{TARGET_PAGES_PER_S} pages/s, p99 {TARGET_P99_MS:.0f} ms)",
            )
        )
        if p.get("portal_cpu_us_per_page") is not None:
            rows.append(
                (
                    f"portal CPU per {p['page']} ({result.get('portal_workers', 1)} worker(s))",
                    f"{p['portal_cpu_us_per_page']:,.0f} us",
                )
            )
        if p.get("load_generator_cpu_us_per_request") is not None:
            rows.append(
                (
                    f"wrk's own CPU per {p['page']} request",
                    f"{p['load_generator_cpu_us_per_request']:,.0f} us",
                )
            )
    load = result["load_average"]
    rows.append(("portal phase load average", f"{load['before']:.1f} -> {load['after']:.1f}"))
    return rows
