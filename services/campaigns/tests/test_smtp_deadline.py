"""The SMTP adapter's one deadline per exchange: a relay that greets, then stops answering,
is given up on (the message is tried again later) and its connection is not reused."""

import asyncio

import pytest
from listflow.campaigns.adapters.smtp_sender import SmtpEmailSender
from listflow.campaigns.ports import EmailUnavailable

from .test_smtp_message import EMAIL


async def test_a_relay_that_stops_answering_is_given_up_on_at_the_deadline() -> None:
    connections = 0
    commands: list[bytes] = []

    async def silent_after_ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.write(b"220 relay.test ESMTP\r\n")
        await writer.drain()
        while line := await reader.readline():
            commands.append(line.split(b" ")[0].strip().upper())
            if line.upper().startswith((b"EHLO", b"HELO")):
                writer.write(b"250 relay.test\r\n")
                await writer.drain()
            # MAIL FROM and anything after it: no answer, ever.
        writer.close()

    server = await asyncio.start_server(silent_after_ehlo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sender = SmtpEmailSender("127.0.0.1", port, "Listflow <noreply@lists.example>", timeout_s=0.3)
    try:
        for _ in range(2):
            with pytest.raises(EmailUnavailable, match=r"^TimeoutError$"):
                await sender.send(EMAIL)
    finally:
        await sender.close()
        server.close()
        await server.wait_closed()
    # The connection left mid-exchange was closed, not handed to the next send.
    assert connections == 2
    assert commands.count(b"MAIL") == 2
