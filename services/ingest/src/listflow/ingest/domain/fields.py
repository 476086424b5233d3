"""Canonical fields of a contact row and the mapping of file columns onto them."""

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from listflow.schemas.contact_fields import CONTACT_FIELDS, EMAIL_FIELDS, PHONE_FIELDS

# The contact fields, written once in listflow.schemas.contact_fields.
CANONICAL_FIELDS = CONTACT_FIELDS

EXTRA = "extra"
IGNORE = "ignore"

_SERIES: dict[str, tuple[str, ...]] = {"phone": PHONE_FIELDS, "email": EMAIL_FIELDS}

EXACT = 1.0
# Headers such as "Name" or "ID" usually mean the field but are ambiguous enough that an
# operator should look twice; the lower confidence tells the UI to highlight them.
WEAK = 0.6
CONTAINED = 0.7
OVERFLOW_FACTOR = 0.9

# English, Spanish and Czech. A phrase may carry its own confidence when it is ambiguous.
_SYNONYMS: dict[str, tuple[str | tuple[str, float], ...]] = {
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "forename",
        "first",
        "fname",
        "nombre",
        "nombres",
        "primer nombre",
        "jméno",
        "křestní jméno",
        ("name", WEAK),
        ("full name", WEAK),
        ("nombre completo", WEAK),
        ("celé jméno", WEAK),
        ("contact name", WEAK),
        ("customer name", WEAK),
        ("jméno a příjmení", WEAK),
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "lname",
        "apellido",
        "apellidos",
        "primer apellido",
        "apellido paterno",
        "příjmení",
    ),
    "company_name": (
        "company",
        "company name",
        "business name",
        "organization",
        "organisation",
        "organization name",
        "empresa",
        "nombre de la empresa",
        "razón social",
        "compañía",
        "firma",
        "název firmy",
        "společnost",
        "název společnosti",
        "organizace",
    ),
    "customer_type": (
        "customer type",
        "client type",
        "contact type",
        "type of customer",
        "tipo de cliente",
        "tipo cliente",
        "typ zákazníka",
        "typ klienta",
        "typ osoby",
        ("type", WEAK),
        ("tipo", WEAK),
        ("typ", WEAK),
    ),
    "customer_id": (
        "customer id",
        "customer number",
        "customer no",
        "customer code",
        "client id",
        "client number",
        "id cliente",
        "id del cliente",
        "código de cliente",
        "código cliente",
        "número de cliente",
        "id zákazníka",
        "číslo zákazníka",
        "zákaznické číslo",
        "id klienta",
        "číslo klienta",
        ("id", WEAK),
    ),
    "external_id": (
        "external id",
        "external reference",
        "external ref",
        "reference",
        "ref",
        "crm id",
        "source id",
        "id externo",
        "referencia",
        "referencia externa",
        "externí id",
        "externí identifikátor",
        "reference id",
    ),
    "document_type": (
        "document type",
        "id type",
        "identification type",
        "tipo de documento",
        "tipo documento",
        "tipo de identificación",
        "typ dokladu",
        "druh dokladu",
    ),
    "document_number": (
        "document number",
        "document",
        "document no",
        "id number",
        "national id",
        "identity number",
        "identification number",
        "passport number",
        "dni",
        "nif",
        "nie",
        "cédula",
        "cedula de ciudadania",
        "número de documento",
        "documento",
        "número de identificación",
        "identificación",
        "nit",
        "rut",
        "curp",
        "rodné číslo",
        "číslo dokladu",
        "číslo op",
        "číslo občanského průkazu",
    ),
    "ssn": (
        "ssn",
        "social security number",
        "social security no",
        "social security",
        "ss number",
        "soc sec no",
        "número de seguro social",
        "seguro social",
    ),
    "date_of_birth": (
        "date of birth",
        "dob",
        "birth date",
        "birthdate",
        "birthday",
        "born",
        "fecha de nacimiento",
        "fecha nacimiento",
        "nacimiento",
        "datum narození",
        "narozen",
        "narozena",
        "narození",
    ),
    "phone": (
        "phone",
        "phone number",
        "phone no",
        "telephone",
        "telephone number",
        "tel",
        "tel no",
        "mobile",
        "mobile phone",
        "mobile number",
        "cell",
        "cellphone",
        "cell phone",
        "cell number",
        "contact number",
        "primary phone",
        "teléfono",
        "número de teléfono",
        "celular",
        "número de celular",
        "móvil",
        "número de móvil",
        "telefon",
        "telefonní číslo",
        "tel číslo",
        "mobil",
        "mobilní telefon",
        "číslo telefonu",
        ("home phone", 0.9),
        ("work phone", 0.9),
        ("office phone", 0.9),
        ("business phone", 0.9),
        ("company phone", 0.9),
        ("teléfono fijo", 0.9),
        ("teléfono móvil", 0.9),
        ("pevná linka", 0.9),
    ),
    "email": (
        "email",
        "email address",
        "mail",
        "correo",
        "correo electrónico",
        "email adresa",
        "emailová adresa",
        ("work email", 0.9),
        ("personal email", 0.9),
    ),
    "address": (
        "address",
        "street",
        "street address",
        "address line 1",
        "address line",
        "dirección",
        "domicilio",
        "calle",
        "adresa",
        "ulice",
        "bydliště",
        "ulice a číslo",
    ),
    "city": ("city", "town", "ciudad", "municipio", "localidad", "město", "obec"),
    "state": (
        "state",
        "province",
        "region",
        "state province",
        "estado",
        "provincia",
        "departamento",
        "región",
        "kraj",
    ),
    "postcode": (
        "postcode",
        "postal code",
        "post code",
        "zip",
        "zip code",
        "zipcode",
        "código postal",
        "cp",
        "psč",
        "poštovní směrovací číslo",
    ),
    "country": ("country", "country code", "país", "země", "stát"),
    "time_zone": ("time zone", "timezone", "tz", "zona horaria", "časové pásmo"),
    "account_number": (
        "account number",
        "account",
        "account no",
        "acct",
        "acct no",
        "account id",
        "número de cuenta",
        "cuenta",
        "nro de cuenta",
        "no de cuenta",
        "číslo účtu",
        "účet",
    ),
    "balance": (
        "balance",
        "amount due",
        "outstanding balance",
        "current balance",
        "debt",
        "saldo",
        "saldo pendiente",
        "monto",
        "importe",
        "deuda",
        "zůstatek",
        "dlužná částka",
        "částka",
        "dluh",
    ),
    "currency": ("currency", "currency code", "moneda", "divisa", "měna"),
    "tags": ("tags", "tag", "labels", "label", "etiquetas", "etiqueta", "štítky", "štítek"),
    "consent_email": (
        "consent email",
        "email consent",
        "email opt in",
        "email optin",
        "accepts email",
        "consentimiento email",
        "consentimiento correo",
        "acepta correo",
        "acepta email",
        "souhlas email",
        "souhlas s emailem",
        "souhlas se zasíláním emailů",
    ),
    "consent_sms": (
        "consent sms",
        "sms consent",
        "sms opt in",
        "sms optin",
        "accepts sms",
        "consentimiento sms",
        "acepta sms",
        "souhlas sms",
        "souhlas se sms",
    ),
    "consent_call": (
        "consent call",
        "call consent",
        "phone consent",
        "call opt in",
        "accepts calls",
        "consentimiento llamadas",
        "acepta llamadas",
        "souhlas volání",
        "souhlas s voláním",
        "souhlas s telefonickým kontaktem",
    ),
}

# Headers that look like a field to a fuzzy matcher but are something else.
_NOT_A_FIELD = (
    "county",
    "middle name",
    "second name",
    "segundo nombre",
    "segundo apellido",
    "apellido materno",
    "status",
    "estado civil",
    "address line 2",
    "address 2",
    "gender",
    "phone type",
    "email type",
    "notes",
    "comments",
    "titul",
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[\W_]+")
_NUMBERED = re.compile(r"^(.*?[a-z])(\d{1,2})$")


def header_key(text: str) -> str:
    """The comparison form of a header: accents, case, punctuation and spacing removed."""
    spaced = _CAMEL.sub(" ", text.strip())
    decomposed = unicodedata.normalize("NFKD", spaced)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NON_ALNUM.sub("", plain)


def _build_index() -> tuple[dict[str, tuple[str, float]], frozenset[str]]:
    index: dict[str, tuple[str, float]] = {}
    for field, phrases in _SYNONYMS.items():
        for phrase in (field, *phrases):
            text, confidence = phrase if isinstance(phrase, tuple) else (phrase, EXACT)
            key = header_key(text)
            if key in index and index[key][0] != field:
                raise AssertionError(f"synonym {text!r} is listed for two fields")
            index.setdefault(key, (field, confidence))
    blocked = frozenset(header_key(text) for text in _NOT_A_FIELD)
    return index, blocked


_INDEX, _BLOCKED = _build_index()
_FUZZY_KEYS = [key for key in _INDEX if len(key) >= 5]
_CONTAINED_KEYS = sorted((key for key in _INDEX if len(key) >= 7), key=len, reverse=True)


@dataclass(frozen=True)
class ColumnSuggestion:
    """The field a column probably holds; `field` None means the column is kept as extra."""

    column: str
    index: int
    field: str | None
    confidence: float


class MappingError(ValueError):
    """An explicit column mapping that cannot be applied."""


def _numbered(field: str, number: int) -> str | None:
    series = _SERIES.get(field)
    if series is None:
        return field if number == 1 else None
    return series[number - 1] if 1 <= number <= len(series) else None


def _guess(header: str) -> tuple[str | None, float]:
    key = header_key(header)
    if not key or key in _BLOCKED:
        return None, 0.0
    hit = _INDEX.get(key)
    if hit is not None:
        return hit
    numbered = _NUMBERED.match(key)
    if numbered is not None:
        base = _INDEX.get(numbered.group(1))
        if base is not None:
            field = _numbered(base[0], int(numbered.group(2)))
            return (field, base[1]) if field is not None else (None, 0.0)
        # "Address 2" and the like are second lines of something, not the field itself.
        return None, 0.0
    if len(key) >= 5:
        close = difflib.get_close_matches(key, _FUZZY_KEYS, n=1, cutoff=0.8)
        if close:
            field, confidence = _INDEX[close[0]]
            ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
            return field, round(confidence * ratio * 0.9, 2)
    for candidate in _CONTAINED_KEYS:
        if candidate in key:
            field, confidence = _INDEX[candidate]
            return field, round(confidence * CONTAINED, 2)
    return None, 0.0


def _assign(
    headers: Sequence[str], skip: Mapping[int, str], taken: set[str]
) -> list[ColumnSuggestion]:
    guesses = [(i, *_guess(h)) for i, h in enumerate(headers) if i not in skip]
    chosen: dict[int, tuple[str, float]] = {}
    # The most certain column claims a field first; on a tie the leftmost one does.
    for i, field, confidence in sorted(guesses, key=lambda g: (-g[2], g[0])):
        if field is not None and field not in taken:
            taken.add(field)
            chosen[i] = (field, confidence)
    # A second "Mobile" after "Phone" is still a phone: give it the next free slot.
    for i, field, confidence in guesses:
        if i in chosen or field is None:
            continue
        series = next((s for s in _SERIES.values() if field in s), ())
        free = next((f for f in series if f not in taken), None)
        if free is not None:
            taken.add(free)
            chosen[i] = (free, round(confidence * OVERFLOW_FACTOR, 2))
    return [
        ColumnSuggestion(headers[i], i, *chosen.get(i, (None, 0.0)))
        for i in range(len(headers))
        if i not in skip
    ]


def guess_field(header: str) -> str | None:
    """The field a header names on its own, whether or not another column claimed it first."""
    return _guess(header)[0]


def is_known_header(text: str) -> bool:
    """Whether `text` is a header name this module recognizes with certainty."""
    return _guess(text)[1] >= EXACT


def suggest_mapping(headers: Sequence[str]) -> list[ColumnSuggestion]:
    """Guess the canonical field of every column from its header, one column per field."""
    return _assign(headers, {}, set())


def resolve_mapping(headers: Sequence[str], explicit: Mapping[str, str] | None) -> dict[int, str]:
    """Column index -> canonical field, "extra" or "ignore"; explicit choices win over guesses."""
    chosen: dict[int, str] = {}
    if explicit:
        exact = {h: [i for i, x in enumerate(headers) if x == h] for h in set(headers)}
        loose: dict[str, list[int]] = {}
        for i, h in enumerate(headers):
            loose.setdefault(h.strip().casefold(), []).append(i)
        for name, target in explicit.items():
            columns = exact.get(name) or loose.get(name.strip().casefold())
            if not columns:
                raise MappingError(
                    f"the mapping names column {name!r}, which is not in the file; "
                    f"columns are: {', '.join(repr(h) for h in headers)}"
                )
            field = target.strip().lower()
            if field not in CANONICAL_FIELDS and field not in (EXTRA, IGNORE):
                raise MappingError(
                    f"column {name!r} is mapped to {target!r}, which is not a known field; "
                    f"use one of {', '.join(CANONICAL_FIELDS)}, {EXTRA} or {IGNORE}"
                )
            for i in columns:
                chosen[i] = field
        owners: dict[str, int] = {}
        for i in sorted(chosen):
            field = chosen[i]
            if field in (EXTRA, IGNORE):
                continue
            if field in owners:
                raise MappingError(
                    f"columns {headers[owners[field]]!r} and {headers[i]!r} are both mapped "
                    f"to {field!r}; a field can come from one column only"
                )
            owners[field] = i
    taken = {f for f in chosen.values() if f not in (EXTRA, IGNORE)}
    for suggestion in _assign(headers, chosen, taken):
        chosen[suggestion.index] = suggestion.field or EXTRA
    return dict(sorted(chosen.items()))
