"""Property tests of the file reader (issue 18): any bytes, sniffed with or without hints,
give a sample and rows (or row errors), or a FileRejected with a reason; never another
exception. Bounded in `make test` (`LISTFLOW_PROPERTY_EXAMPLES`, default 100); `make fuzz`
runs 100,000."""

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from listflow.ingest.adapters.reader import FileRejected, iter_row_batches, sniff

EXAMPLES = int(os.environ.get("LISTFLOW_PROPERTY_EXAMPLES", "100"))

# Bytes as files bring them: random bytes, and text in several encodings with delimiters,
# quotes, line breaks, BOMs and NULs.
TEXT = st.text(alphabet="abcčřž€ñ,;\t|\"'\n\r 0123456789\x00\ufeff", max_size=300)
FILES = st.one_of(
    st.binary(max_size=600),
    st.tuples(TEXT, st.sampled_from(["utf-8", "utf-16", "cp1250", "latin-1"])).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    ),
    st.tuples(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b""]), TEXT).map(
        lambda pair: pair[0] + pair[1].encode("utf-8", errors="replace")
    ),
)
HINTS = st.fixed_dictionaries(
    {},
    optional={
        "encoding": st.sampled_from(["utf-8", "cp1250", "utf-16", "latin-1", "nonsense"]),
        "delimiter": st.sampled_from([",", ";", "\t", "|", "ab", "\\t"]),
        "quote": st.sampled_from(['"', "'", ""]),
        "header": st.booleans(),
    },
)


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(content=FILES, hints=HINTS, name=st.sampled_from(["f.csv", "f.txt", "f.xlsx", "f"]))
# Found by this test: UTF-16 chosen for a file without a BOM raised UnicodeError (a 500).
@example(content=b"\x00" * 20, hints={"encoding": "utf-16"}, name="f.csv")
@example(content=b"a,b\n1,2\n", hints={"encoding": "utf-32"}, name="f.csv")
def test_any_file_is_read_or_rejected_with_a_reason(
    content: bytes, hints: dict[str, object], name: str
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(content)
        try:
            sniffed = sniff(path, **hints)  # type: ignore[arg-type]
            for batch in iter_row_batches(path, sniffed, batch_rows=50):
                assert batch
        except FileRejected as exc:
            assert str(exc)  # noqa: PT017 (a reason, not which exception)
