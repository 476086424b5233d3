"""Import templates: the columns a kind of list must have, the rules each of its rows keeps,
with a sample operators can copy."""

from dataclasses import dataclass

from listflow.schemas.values import MatchKey

from .rows import RowRule


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str  # a canonical field, or "extra" for data kept as is
    required: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    sample: tuple[tuple[str, ...], ...]
    rules: tuple[RowRule, ...] = ()
    # The key rows are matched by when the upload names none (and the file has its column).
    match_key: MatchKey | None = None

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def mapping(self) -> dict[str, str]:
        return {c.header: c.field for c in self.columns}

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(c.field for c in self.columns if c.required and c.field != "extra")

    @property
    def rule_texts(self) -> list[str]:
        """Every rule of the template in words: its required columns, then its row rules."""
        required = [c.header for c in self.columns if c.required]
        texts = [f"every row has a value in: {', '.join(required)}"] if required else []
        return texts + [rule.text for rule in self.rules]

    def rules_of(self, column: Column) -> list[str]:
        """The rules that name a column (its header notes in a downloaded template)."""
        texts = ["required"] if column.required else []
        return texts + [
            r.text for r in self.rules if {column.field, column.header} & {*r.any_of, *r.all_of}
        ]


CHANNEL_RULE = RowRule(
    "at least one contact channel: phone, email or social media",
    any_of=("phone", "phone2", "email", "email2", "Social media"),
)
PERSON_RULE = RowRule(
    "a person needs a first surname and a first name",
    all_of=("last_name", "first_name"),
    customer_type="person",
)
COMPANY_RULE = RowRule(
    "a company needs a company name (instead of a person's names)",
    all_of=("company_name",),
    customer_type="company",
)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="basic-contacts",
            title="Basic contacts",
            description="One person per row.",
            columns=(
                Column("First name", "first_name", required=True),
                Column("Last name", "last_name", required=True),
                Column("Phone number", "phone", required=True, note="national or +country code"),
                Column("Social security number", "ssn", note="US SSN; stored encrypted"),
                Column("Date of birth", "date_of_birth", note="YYYY-MM-DD or the upload's order"),
                Column("Account number", "account_number"),
                Column("Email", "email"),
                Column("Zip code", "postcode"),
            ),
            sample=(
                (
                    "Ana",
                    "García",
                    "(415) 555-2671",
                    "123-45-6789",
                    "1984-03-12",
                    "AC-1001",
                    "ana.garcia@example.com",
                    "94103",
                ),
                (
                    "David",
                    "Smith",
                    "+1 212 555 0147",
                    "",
                    "1968-01-30",
                    "AC-1002",
                    "david.smith@example.com",
                    "10001",
                ),
            ),
        ),
        Template(
            name="accounts",
            title="Accounts (persons and companies)",
            description="Customers of either type (Sagicc account import): customer type, "
            "document type and number on every row, a person's first surname and first name "
            "or a company's name, and at least one contact channel. Rows are matched by "
            "document number. Columns beyond these are kept as additional data.",
            columns=(
                Column("Customer type", "customer_type", required=True, note="person or company"),
                Column("Document type", "document_type", required=True, note="CC, NIT, CE..."),
                Column(
                    "Document number",
                    "document_number",
                    required=True,
                    note="stored as hash + last four",
                ),
                Column("First surname", "last_name", note="persons"),
                Column("First name", "first_name", note="persons"),
                Column("Company name", "company_name", note="companies"),
                Column("Phone 1", "phone", note="with country code"),
                Column("Phone 2", "phone2", note="with country code"),
                Column("Email", "email"),
                Column("Social media", "extra"),
                Column("Tags", "tags", note="comma separated; must exist unless allowed"),
            ),
            sample=(
                (
                    "person",
                    "CC",
                    "1032456789",
                    "Pérez",
                    "Lucía",
                    "",
                    "+57 300 1234567",
                    "",
                    "lucia@example.co",
                    "@lucia",
                    "vip",
                ),
                (
                    "company",
                    "NIT",
                    "900123456",
                    "",
                    "",
                    "Acme SAS",
                    "+57 601 7654321",
                    "+57 310 7654321",
                    "pagos@acme.example",
                    "",
                    "",
                ),
            ),
            rules=(CHANNEL_RULE, PERSON_RULE, COMPANY_RULE),
            match_key=MatchKey.DOCUMENT_NUMBER,
        ),
        Template(
            name="debtor-accounts",
            title="Debtor accounts",
            description="One account per row; rows with the same customer id become one "
            "customer with several accounts.",
            columns=(
                Column("Customer ID", "customer_id", required=True),
                Column("First name", "first_name", required=True),
                Column("Last name", "last_name", required=True),
                Column("Date of birth", "date_of_birth"),
                Column("Postcode", "postcode", note="UK postcode"),
                Column("Account number", "account_number", required=True),
                Column("Balance", "balance", required=True),
                Column("Currency", "currency", required=True),
                Column("Payment plans offered", "extra"),
                Column("Phone", "phone"),
                Column("Email", "email"),
            ),
            sample=(
                (
                    "C-100",
                    "Oliver",
                    "Jones",
                    "1979-04-02",
                    "SW1A 1AA",
                    "ACC-1",
                    "1250.00",
                    "GBP",
                    "3;6;12 months",
                    "07400 123456",
                    "oliver@example.co.uk",
                ),
                (
                    "C-100",
                    "Oliver",
                    "Jones",
                    "1979-04-02",
                    "SW1A 1AA",
                    "ACC-2",
                    "89.99",
                    "GBP",
                    "3 months",
                    "07400 123456",
                    "oliver@example.co.uk",
                ),
            ),
        ),
        Template(
            name="dialer-leads",
            title="Dialer leads",
            description="Leads for a dialer list; any further columns are custom fields.",
            columns=(
                Column("Name", "first_name", required=True),
                Column("Phone1", "phone", required=True),
                Column("Phone2", "phone2"),
                Column("Phone3", "phone3"),
                Column("Phone4", "phone4"),
                Column("Phone5", "phone5"),
                Column("Time zone", "time_zone", note="IANA name; else from the first phone"),
            ),
            sample=(
                ("Ana García", "+1 415 555 2671", "+1 415 555 0100", "", "", "", ""),
                ("Tomáš Dvořák", "+420 601 123 456", "", "", "", "", "Europe/Prague"),
            ),
        ),
    )
}
