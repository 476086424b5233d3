"""Predefined tags: a row or a request may only name tags the tenant has defined, unless the
upload allows creating them."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from listflow.schemas.values import deterministic_id

MAX_TAG_LENGTH = 64


def tag_key(name: str) -> str:
    """Tags are told apart case-insensitively ("VIP" and "vip" are one tag)."""
    return name.strip().casefold()


def tag_id(tenant_id: str, name: str) -> str:
    return deterministic_id("tag", tenant_id, tag_key(name))


@dataclass(frozen=True, slots=True)
class TagCheck:
    tags: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def reason(self) -> str:
        names = ", ".join(repr(t) for t in self.missing)
        noun = "tag" if len(self.missing) == 1 else "tags"
        return (
            f"{noun} {names} not defined; create it under /v1/tags or upload with "
            '"create_missing_tags": true'
        )


def check_tags(names: Iterable[str], defined: Mapping[str, str]) -> TagCheck:
    """The names spelled as defined (`defined` maps tag_key to the defined name), and those
    not defined at all."""
    tags: list[str] = []
    missing: list[str] = []
    for name in names:
        known = defined.get(tag_key(name))
        if known is None:
            missing.append(name)
        elif known not in tags:
            tags.append(known)
    return TagCheck(tuple(tags), tuple(missing))
