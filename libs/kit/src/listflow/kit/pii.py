"""National ids: keyed hash for matching, encryption at rest, last four digits for display."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from listflow.schemas.values import ProtectedId


class Protector:
    """Turns a clear national id into a `ProtectedId` and back (the latter only where allowed).

    One secret derives two keys: an HMAC key (so that equal ids match without storing them)
    and a Fernet key (so that an authorised reader can recover the value). Deriving both from
    one secret keeps the deployment to a single rotated value.
    """

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the PII secret must be at least 16 characters")
        root = secret.encode()
        self._hmac_key = hmac.new(root, b"listflow/pii/match-hash", hashlib.sha256).digest()
        fernet_key = hmac.new(root, b"listflow/pii/encryption", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(fernet_key))

    def match_hash(self, kind: str, normalized: str) -> str:
        """Keyed hash of a normalized id; `kind` keeps equal digits of different ids apart."""
        digest = hmac.new(self._hmac_key, f"{kind}\x1f{normalized}".encode(), hashlib.sha256)
        return digest.hexdigest()

    def protect(self, kind: str, normalized: str) -> ProtectedId:
        return ProtectedId(
            hash=self.match_hash(kind, normalized),
            last4=normalized[-4:],
            ciphertext=self._fernet.encrypt(normalized.encode()).decode(),
        )

    def reveal(self, value: ProtectedId) -> str:
        if value.ciphertext is None:
            raise ValueError("this id was masked and carries no ciphertext")
        return self._fernet.decrypt(value.ciphertext.encode()).decode()
