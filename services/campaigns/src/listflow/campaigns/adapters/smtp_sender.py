"""Email over SMTP (aiosmtplib): one RFC 5322 message per OutgoingEmail, with the RFC 8058
one-click unsubscribe headers, over a small pool of connections kept open."""

import asyncio
import secrets
from email import base64mime, policy
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formatdate, parseaddr

import aiosmtplib
from listflow.campaigns.ports import EmailRefused, EmailUnavailable, OutgoingEmail, SmtpTls

# How the message goes on the wire: SMTP's CRLF, folded only past RFC 5322's hard limit of
# 998 characters. At the usual 78, Python's email package cannot fold an unsubscribe link
# longer than a line and writes the header as RFC 2047 encoded words, which mail clients
# do not read as a List-Unsubscribe link.
#
# The message is built with the email package's compat32 classes (MIMEMultipart and kin):
# they take headers as given, where EmailMessage parses every header it is given and costs
# about four times the CPU per message (~1.1 ms against ~0.3 ms here), which at a thousand
# emails a second is most of a core. A set boundary and no MIME-Version in the parts save
# another quarter.
#
# Even a short ASCII header goes through email.header.Header to be folded under compat32,
# a third of the CPU of building an email; `_Wire` writes a header that needs no folding
# as it is (the same bytes, checked in the tests) and leaves the others to compat32.


class _Wire(policy.Compat32):
    def _as_is(self, name: str, value: object) -> str | None:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and len(name) + 2 + len(value) <= (self.max_line_length or 0)
        ):
            return f"{name}: {value}{self.linesep}"
        return None

    def fold(self, name: str, value: str) -> str:
        line = self._as_is(name, value)
        return line if line is not None else super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        line = self._as_is(name, value)
        return line.encode("ascii") if line is not None else super().fold_binary(name, value)


WIRE = _Wire(linesep="\r\n", max_line_length=998)


def _header(value: str) -> str:
    # compat32 writes a str header as it is: a non-ASCII one goes as RFC 2047 encoded words.
    return value if value.isascii() else Header(value, "utf-8").encode()


def _text_part(body: str, subtype: str) -> Message:
    """What MIMEText(body, subtype, "utf-8") makes, base64 UTF-8, with its headers given:
    MIMEText's set_charset parses back the Content-Type it has just written, ~40% of the
    CPU of building an email."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64mime.body_encode(body.encode("utf-8")))
    return part


def build_message(email: OutgoingEmail, sender: str) -> Message:
    """The message as sent: text and (when the template has one) HTML alternatives; the
    deterministic Message-ID makes a resend after a crash recognisable as the same email."""
    text = _text_part(email.text, "plain")
    message: Message
    if email.html is None:
        message = text
    else:
        html = _text_part(email.html, "html")
        for part in (text, html):
            del part["MIME-Version"]  # the message's own is enough (RFC 2045, 4)
        # Both parts are base64, whose lines never hold "_" or ".": a boundary with them
        # cannot occur in the body, so the generator's search for a collision (a regular
        # expression compiled per message) is not needed.
        boundary = f"=_lf.{secrets.token_hex(12)}"
        message = MIMEMultipart("alternative", boundary=boundary)
        message.attach(text)
        message.attach(html)
    message["From"] = _header(sender)
    message["To"] = _header(email.to)
    message["Subject"] = _header(email.subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = email.message_id
    # RFC 2369 and RFC 8058: an https link a mail client may POST to, and a mailto.
    message["List-Unsubscribe"] = f"<{email.unsubscribe_url}>, <{email.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def wire_bytes(message: Message) -> bytes:
    return message.as_bytes(policy=WIRE)


def _failure(error: Exception) -> Exception:
    """EmailRefused for a 5xx answer (the message fails), EmailUnavailable otherwise (a 4xx,
    a timeout, a dropped connection: tried again later)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        code = max(codes, default=0)
    elif isinstance(error, aiosmtplib.SMTPResponseException):
        code = error.code
    else:
        return EmailUnavailable(type(error).__name__)
    return EmailRefused(f"smtp_{code}") if code >= 500 else EmailUnavailable(f"smtp_{code}")


class SmtpEmailSender:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        connections: int = 4,
        timeout_s: float = 30.0,
        *,
        tls: SmtpTls = "none",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._tls = tls
        self._username = username
        self._password = password
        self._sender = sender
        self._envelope_from = parseaddr(sender)[1]
        self._timeout_s = timeout_s
        self._idle: asyncio.Queue[aiosmtplib.SMTP] = asyncio.Queue()
        self._slots = asyncio.Semaphore(connections)

    async def send(self, email: OutgoingEmail) -> str:
        # Built before taking a connection, which then carries only the SMTP exchange.
        wire = wire_bytes(build_message(email, self._sender))
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            try:
                # One deadline for the whole exchange (a TimeoutError, an OSError, when it
                # passes), rather than aiosmtplib's timer on each of its four commands:
                # ~40 us less of the sender's CPU a message (docs/performance.md, s13).
                async with asyncio.timeout(self._timeout_s):
                    client = await self._connection()
                    await client.sendmail(self._envelope_from, [email.to], wire)
            except (aiosmtplib.SMTPException, OSError) as exc:
                if client is not None:
                    client.close()
                raise _failure(exc) from exc
            self._idle.put_nowait(client)
        return email.message_id

    async def _connection(self) -> aiosmtplib.SMTP:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                return client
        # start_tls=False rather than aiosmtplib's default (upgrade when the relay offers it):
        # "none" means none. With a username, connect() signs in after any TLS.
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._tls == "tls",
            start_tls=self._tls == "starttls",
            username=self._username,
            password=self._password,
            timeout=None,  # the exchange's deadline (send) covers the connection too
        )
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        return client

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                try:
                    async with asyncio.timeout(self._timeout_s):
                        await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
