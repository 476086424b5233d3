"""Property tests of every normalizer (issue 18): whatever a cell holds, the answer is a value
or a ValueError with a reason (a row error), never another exception.

Bounded in `make test` (`LISTFLOW_PROPERTY_EXAMPLES`, default 100 per normalizer,
derandomized); `make fuzz` runs 100,000.
"""

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listflow.schemas import normalize

EXAMPLES = int(os.environ.get("LISTFLOW_PROPERTY_EXAMPLES", "100"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Cells as files bring them: any text, and text shaped like the values sought (digits,
# separators, letters, '@', '+', NUL and lone surrogates included).
CELLS = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 +-()./,:@abcxyzABCXYZ#\x00\ud800ñü€$", max_size=40),
    st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True),
)

PHONES = {region: normalize.PhoneNormalizer(region) for region in ("US", "GB", "CZ")}

NORMALIZERS: dict[str, Callable[[str], Any]] = {
    "phone_us": PHONES["US"].normalize,
    "phone_gb": PHONES["GB"].normalize,
    "phone_cz": PHONES["CZ"].normalize,
    "email": normalize.normalize_email,
    "date_dmy": lambda raw: normalize.parse_date(raw, "DMY"),
    "date_mdy": lambda raw: normalize.parse_date(raw, "MDY"),
    "date_ymd": lambda raw: normalize.parse_date(raw, "YMD"),
    "ssn": normalize.normalize_ssn,
    "mask_ssn": normalize.mask_ssn,
    "postcode_gb": lambda raw: normalize.normalize_postcode(raw, "GB"),
    "postcode_us": lambda raw: normalize.normalize_postcode(raw, "US"),
    "postcode_other": lambda raw: normalize.normalize_postcode(raw, raw[:2]),
    "country": normalize.country_code,
    "decimal": normalize.parse_decimal,
    "bool": normalize.parse_bool,
    "time_zone": normalize.normalize_time_zone,
    "currency": normalize.normalize_currency,
    "customer_type": normalize.normalize_customer_type,
}


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
def test_any_cell_gives_a_value_or_a_reason(name: str) -> None:
    function = NORMALIZERS[name]

    @SETTINGS
    @given(raw=CELLS)
    def check(raw: str) -> None:
        try:
            function(raw)
        except ValueError as exc:
            assert str(exc), f"{name} refused {raw!r} without a reason"  # noqa: PT017

    check()
