"""Which columns of an upload hold national ids, and its sample rows as answers show them."""

from typing import Any

from .fields import MappingError, guess_field, resolve_mapping
from .reports import masked_cells, national_id_columns
from .templates import TEMPLATES
from .upload import UploadOptions


def id_columns(doc: dict[str, Any]) -> frozenset[int]:
    """The columns of an upload whose cells are national ids, by every mapping it has: each
    header's own reading, the suggested mapping, the one its options give (with a template's)
    and, once started, the one in force."""
    headers: list[str] = doc.get("headers", [])
    mappings: list[dict[int, str | None]] = [
        {i: guess_field(h) for i, h in enumerate(headers)},
        {i: s.get("field") for i, s in enumerate(doc.get("suggested_mapping", []))},
        {int(i): f for i, f in (doc.get("mapping") or {}).items()},
    ]
    try:
        options = UploadOptions.model_validate(doc.get("options") or {})
        template = TEMPLATES.get(options.template) if options.template else None
        explicit = {
            **({h: f for h, f in template.mapping.items() if h in headers} if template else {}),
            **(options.mapping or {}),
        }
        if explicit:
            mappings.append(dict(resolve_mapping(headers, explicit)))
    except (ValueError, MappingError):
        pass  # options that cannot start an import map nothing; the other readings stand
    return national_id_columns(mappings)


def public_sample(doc: dict[str, Any]) -> list[list[str | None]]:
    """The sample rows an upload's answers show, national ids masked (last four only)."""
    columns = id_columns(doc)
    return [masked_cells(row["cells"], columns) for row in doc.get("sample", [])]
