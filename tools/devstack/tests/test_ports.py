"""The local stacks' ports: below the ephemeral range, and a taken port fails the start."""

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from listflow.devstack import infra
from listflow.devstack.processes import ServiceProcess


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port bound by a socket that does not listen, as an outgoing connection holds one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def test_every_port_of_every_profile_is_below_the_ephemeral_range() -> None:
    for profile in infra.PROFILES.values():
        assert max(profile.listening_ports) < infra.EPHEMERAL_FIRST, profile.name
        assert len(set(profile.listening_ports)) == len(profile.listening_ports), profile.name


def test_the_largest_allowed_offset_keeps_every_port_below_the_range_and_one_more_does_not() -> (
    None
):
    def profiles(offset: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from listflow.devstack import infra; print(infra.PROFILES)"],
            env={"LISTFLOW_PORT_OFFSET": str(offset), "PATH": ""},
            capture_output=True,
            text=True,
        )

    assert profiles(infra.MAX_PORT_OFFSET).returncode == 0
    refused = profiles(infra.MAX_PORT_OFFSET + 1)
    assert refused.returncode != 0
    assert "32768" in refused.stderr
    assert f"LISTFLOW_PORT_OFFSET={infra.MAX_PORT_OFFSET + 1}" in refused.stderr


def test_a_port_held_without_a_listener_fails_the_check_naming_the_port(held_port: int) -> None:
    with pytest.raises(infra.PortTaken, match=f"Kafka cannot listen on 127.0.0.1:{held_port}"):
        infra.port_open(held_port, "Kafka")


def test_a_listening_port_is_reused_and_a_free_one_reported_closed() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert infra.port_open(port, "FerretDB") is True
    assert infra.port_open(port, "FerretDB") is False


def test_a_service_whose_port_is_taken_does_not_start(held_port: int, tmp_path: Path) -> None:
    service = ServiceProcess("contacts", held_port, {}, tmp_path)
    with pytest.raises(infra.PortTaken, match=str(held_port)):
        service.start()
    assert service.process is None
