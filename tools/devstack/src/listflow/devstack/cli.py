"""`listflow-dev`: the local stack behind `make run`, `make test` and `make bench`."""

import argparse
import asyncio
import os
import secrets
import signal
import sys

import uvicorn
from listflow.devstack import infra
from listflow.devstack.gateway import create_gateway
from listflow.devstack.processes import CONSOLE_DIST, ServiceProcess, service_env, stop_all
from listflow.devstack.topics import ensure_topics

DEMO_TENANT = "demo"
EXAMPLE_OPTIONS = 'options={"target":{"kind":"group","name":"March list"}}'


def _infra(args: argparse.Namespace) -> None:
    profile = infra.PROFILES[args.profile]
    match args.action:
        case "up":
            infra.up(profile)
            created = asyncio.run(ensure_topics(profile.kafka_bootstrap))
            if created:
                infra.log(f"created {len(created)} topics")
        case "down":
            infra.down(profile)
        case "wipe":
            infra.wipe(profile)
        case "status":
            print(f"store: {infra.store()} (LISTFLOW_STORE)")
            for name, port in (
                ("kafka", profile.kafka_port),
                ("mongodb", profile.mongo_port),
                ("mailpit smtp", profile.smtp_port),
            ):
                print(f"{name}: {'up' if infra.listening(port) else 'down'} (port {port})")


def run_env(profile: infra.Profile, key: str, ports: dict[str, int]) -> dict[str, str]:
    """The services' environment under `make run`: the demo tenant's key, and the PII secret
    of this data folder unless LISTFLOW_PII_SECRET chooses one."""
    secret = os.environ.get("LISTFLOW_PII_SECRET") or infra.local_pii_secret(profile)
    return service_env(
        profile, tenants={key: DEMO_TENANT}, ports=ports, extra={"LISTFLOW_PII_SECRET": secret}
    )


def _run(args: argparse.Namespace) -> None:
    profile = infra.PROFILES["dev"]
    infra.up(profile)
    asyncio.run(ensure_topics(profile.kafka_bootstrap))
    key = os.environ.get("LISTFLOW_API_KEY") or f"lf_{secrets.token_urlsafe(24)}"
    gateway_port = int(os.environ.get("LISTFLOW_GATEWAY_PORT", str(profile.gateway_port)))
    ports = profile.service_ports
    env = run_env(profile, key, ports)
    services = [
        ServiceProcess(name, port, env, profile.state / "logs") for name, port in ports.items()
    ]
    for service in services:
        service.start()
    try:
        for service in services:
            service.wait_ready()
        gateway = create_gateway({s.name: s.url for s in services}, console_dir=CONSOLE_DIST)
        url = f"http://127.0.0.1:{gateway_port}"
        print(
            f"\nListflow is running.\n"
            f"  console:   {url}/   (sign in with the API key)\n"
            f"  gateway:   {url}/v1\n"
            f"  API key:   {key}   (tenant '{DEMO_TENANT}')\n"
            f"  API docs:  {services[0].url}/docs (ingest), {services[1].url}/docs (contacts), "
            f"{services[2].url}/docs (leads), {services[3].url}/docs (campaigns), "
            f"{services[4].url}/docs (portal)\n"
            f"  inbox:     {infra.mailpit_url(profile)}/   (Mailpit: every email campaigns "
            f"sends, SMTP 127.0.0.1:{profile.smtp_port})\n"
            f"  SMS:       http://127.0.0.1:{profile.sms_simulator_port}/test/messages "
            f"(the SMS provider simulator; POST /test/inbound injects a reply)\n"
            f"  logs:      {profile.state / 'logs'}\n"
            f"  try:       curl -H 'X-API-Key: {key}' -F file=@examples/contacts.csv "
            f"-F '{EXAMPLE_OPTIONS}' {url}/v1/uploads\n"
            f"Stop with Ctrl-C (Kafka and FerretDB keep running: make infra-down).\n",
            flush=True,
        )
        uvicorn.run(gateway, host="127.0.0.1", port=gateway_port, log_level="warning")
    finally:
        stop_all(services)


def main() -> None:
    parser = argparse.ArgumentParser(prog="listflow-dev")
    sub = parser.add_subparsers(dest="command", required=True)
    p_infra = sub.add_parser("infra", help="local Kafka and FerretDB")
    p_infra.add_argument("action", choices=["up", "down", "wipe", "status"])
    p_infra.add_argument("--profile", choices=sorted(infra.PROFILES), default="dev")
    p_infra.set_defaults(func=_infra)
    p_run = sub.add_parser("run", help="infrastructure, every service and the gateway")
    p_run.set_defaults(func=_run)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args.func(args)


if __name__ == "__main__":
    main()
