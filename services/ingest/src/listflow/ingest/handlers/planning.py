"""How an upload is imported with given options: the mapping, match key, target and date
orders (an `ImportPlan`), and what the row checkers need of it (a `CheckSpec`). Accepting,
starting, importing and previewing all plan through here, so they refuse alike."""

import secrets
from dataclasses import dataclass, field

from listflow.ingest.domain.batches import CheckSpec, LeadSpec
from listflow.ingest.domain.date_orders import ColumnDateOrder, evidence_of, orders_for
from listflow.ingest.domain.fields import EXTRA, IGNORE, MappingError, resolve_mapping
from listflow.ingest.domain.lead_rows import (
    LeadConverter,
    LeadListInfo,
    lead_explicit_mapping,
    narrow_mapping,
)
from listflow.ingest.domain.rows import RowOptions
from listflow.ingest.domain.templates import TEMPLATES, Template
from listflow.ingest.domain.upload import Upload, UploadOptions
from listflow.ingest.ports import UploadRepository
from listflow.kit.errors import Invalid, NotFound
from listflow.schemas.leads import DuplicatePolicy
from listflow.schemas.matching import MATCH_KEY_FIELDS, default_match_key
from listflow.schemas.normalize import DateOrder
from listflow.schemas.values import Consents, MatchKey, MatchPolicy, TargetRef, list_id_for


@dataclass(frozen=True)
class ImportPlan:
    headers: list[str]
    required: tuple[str, ...]
    mapping: dict[int, str]
    match: MatchPolicy
    key: MatchKey
    target: TargetRef
    options: UploadOptions
    lead_list: LeadListInfo | None = None
    renames: dict[str, str] = field(default_factory=dict)
    template: Template | None = None
    # The order of each date column (by index), and the birth date's and custom fields'.
    date_orders: dict[int, ColumnDateOrder] = field(default_factory=dict)
    birth_order: DateOrder | None = None
    custom_date_orders: dict[str, DateOrder] = field(default_factory=dict)


async def tenant_upload(uploads: UploadRepository, tenant_id: str, upload_id: str) -> Upload:
    """The tenant's upload as its aggregate; another tenant's is not found either."""
    doc = await uploads.get(tenant_id, upload_id)
    if doc is None:
        raise NotFound("Not Found", f"No upload {upload_id} in this tenant.")
    return Upload.from_document(doc)


def check_target(options: UploadOptions) -> None:
    assert options.target is not None
    if not options.target.name and not options.target.id:
        raise Invalid("Invalid target", "A target needs a name or an id.")


@dataclass(frozen=True)
class Planner:
    default_region: str

    def plan(self, upload: Upload, options: UploadOptions) -> ImportPlan:
        assert options.target is not None
        tenant_id = upload.tenant_id
        headers = upload.headers
        template = TEMPLATES[options.template] if options.template else None
        explicit = dict(options.mapping or {})
        if template is not None:
            # The template's own headers map to its fields unless the operator says otherwise.
            explicit = {
                **{h: f for h, f in template.mapping.items() if h in headers},
                **explicit,
            }
        lead_list = upload.lead_list
        renames: dict[str, str] = {}
        if lead_list is not None:
            explicit, renames = lead_explicit_mapping(headers, explicit, lead_list)
        try:
            mapping = resolve_mapping(headers, explicit or None)
        except MappingError as exc:
            raise Invalid("Invalid mapping", str(exc)) from exc
        if lead_list is not None:
            mapping = narrow_mapping(mapping)
        fields = set(mapping.values()) - {EXTRA, IGNORE}
        if not fields and not renames:
            raise Invalid(
                "No column maps to a field",
                "None of the file's columns maps to a contact field, so no row could import; "
                f"columns are: {_columns_text(headers)}. Map them with the `mapping` option "
                "(column header to field) or a saved mapping.",
            )
        required = template.required_fields if template is not None else ()
        if missing := [f for f in required if f not in fields]:
            assert template is not None
            columns = ", ".join(c.header for c in template.columns if c.field in missing)
            raise Invalid(
                "Missing columns",
                f"The {template.name} template needs these columns: {columns}.",
            )
        if template is not None:
            _check_rules_can_hold(template, headers, mapping)
        key = options.match.key
        preferred = template.match_key if template is not None else None
        if key is None and preferred is not None and fields & set(MATCH_KEY_FIELDS[preferred]):
            key = preferred
        key = key or default_match_key(fields)
        if lead_list is not None:
            key = MatchKey.PHONE  # leads are matched by any of their phones
        if not any(f in fields for f in MATCH_KEY_FIELDS[key]):
            raise Invalid(
                "No column for the match key",
                f"Rows are matched by {key.value}, but no column maps to it, so no row could "
                f"import; columns are: {_columns_text(headers)}. Map a column to it, or choose "
                "another key in `match.key`.",
            )
        match = options.match.model_copy(update={"key": key})
        name = options.target.name or options.target.id or ""
        target_id = options.target.id or list_id_for(tenant_id, options.target.kind, name)
        if lead_list is not None:
            name, target_id = lead_list.name, lead_list.id
        target = TargetRef(kind=options.target.kind, id=target_id, name=name)
        date_columns = {i: headers[i] for i, f in mapping.items() if f == "date_of_birth"}
        custom_dates: dict[int, str] = {}
        if lead_list is not None:
            dated = {f.name for f in lead_list.fields if f.type == "date"}
            for i, header in enumerate(headers):
                if mapping.get(i) == EXTRA and renames.get(header, header) in dated:
                    custom_dates[i] = renames.get(header, header)
        date_orders = orders_for(
            {**date_columns, **{i: headers[i] for i in custom_dates}},
            evidence_of(upload.date_evidence),
            options.default_region or self.default_region,
            options.date_order,
        )
        return ImportPlan(
            headers=headers,
            required=required,
            template=template,
            date_orders=date_orders,
            birth_order=next((date_orders[i].order for i in date_columns), None),
            custom_date_orders={name: date_orders[i].order for i, name in custom_dates.items()},
            mapping=mapping,
            match=match,
            key=key,
            target=target,
            options=options,
            lead_list=lead_list,
            renames=renames,
        )

    def check_spec(self, upload: Upload, plan: ImportPlan, *, events: bool = True) -> CheckSpec:
        """What the row checkers need to know of one run over an upload's file (without
        `events`, a preview's: valid rows keyed, not encoded)."""
        return CheckSpec(
            run_id=f"{upload.id}:{secrets.token_hex(4)}",
            upload_id=upload.id,
            tenant_id=upload.tenant_id,
            headers=tuple(plan.headers),
            mapping=plan.mapping,
            row_options=RowOptions(
                default_region=plan.options.default_region or self.default_region,
                date_order=plan.options.date_order,
                date_orders={"date_of_birth": plan.birth_order} if plan.birth_order else {},
                required_fields=plan.required,
                template=plan.template.name if plan.template is not None else None,
                rules=plan.template.rules if plan.template is not None else (),
            ),
            key=plan.key,
            match=plan.match,
            target=plan.target,
            tags=tuple(plan.options.tags),
            consents=_consents(plan.options),
            create_missing_tags=plan.options.create_missing_tags,
            lead=_lead_spec(plan),
            events=events,
        )


def _columns_text(headers: list[str]) -> str:
    shown = ", ".join(repr(h[:60]) for h in headers[:20])
    return shown + (f" and {len(headers) - 20} more" if len(headers) > 20 else "")


def _check_rules_can_hold(template: Template, headers: list[str], mapping: dict[int, str]) -> None:
    """Refuse a file in which a rule of the template that every row keeps has no column."""
    present = {f for f in mapping.values() if f not in (EXTRA, IGNORE)}
    present |= {headers[i].casefold() for i, f in mapping.items() if f == EXTRA}
    for rule in template.rules:
        if rule.customer_type is not None or not rule.any_of:
            continue
        if not any(o in present or o.casefold() in present for o in rule.any_of):
            raise Invalid(
                "Missing columns",
                f"The {template.name} template's rule '{rule.text}' needs one of these "
                f"columns, and the file has none: {', '.join(rule.any_of)}.",
            )


def _consents(options: UploadOptions) -> Consents | None:
    given = options.consents
    if given is None:
        return None
    return Consents(email=given.email, sms=given.sms, call=given.call)


def _lead_spec(plan: ImportPlan) -> LeadSpec | None:
    """For an import into a lead list, how its rows become leads."""
    if plan.lead_list is None:
        return None
    given = plan.options.duplicates
    return LeadSpec(
        converter=LeadConverter(
            plan.lead_list, dict(plan.renames), date_orders=dict(plan.custom_date_orders)
        ),
        duplicates=(
            DuplicatePolicy(scope=given.scope, action=given.action)
            if given is not None
            else DuplicatePolicy()
        ),
        churn=plan.options.churn,
    )
