"""Fields typed by hand (API create and update), normalized by the one set of contact rules
(listflow.schemas.contact_fields) that a file's cells go through too; here a wrong field is
the contacts domain's Invalid (a 422 problem naming each field)."""

from collections.abc import Mapping
from typing import Any

from listflow.contacts.domain.errors import Invalid
from listflow.schemas import contact_fields
from listflow.schemas.contact_fields import InvalidFields


class FieldNormalizer(contact_fields.FieldNormalizer):
    """The shared normalizer, refusing with the contacts domain's Invalid."""

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return super().normalize(raw)
        except InvalidFields as error:
            raise Invalid(str(error), error.errors) from error
