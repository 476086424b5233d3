"""The portal phase reads wrk's own figures: rate, p50 and p99 in any unit, failures."""

import pytest
from listflow.devstack.bench_portal import parse_wrk, portal_lines

WRK = """Running 15s test @ http://127.0.0.1:28105/p/accounts
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    61.02ms   12.10ms 210.33ms   80.12%
    Req/Sec   262.11     40.02   350.00     70.00%
  Latency Distribution
     50%   58.20ms
     75%   66.00ms
     90%   76.31ms
     99%    1.02s
  7843 requests in 15.02s, 60.01MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 2
Requests/sec:    522.17
Transfer/sec:      4.00MB
"""


def test_wrk_figures_are_read_with_their_units() -> None:
    figures = parse_wrk(WRK)
    assert figures == {
        "requests_per_s": 522.17,
        "p50_ms": 58.2,
        "p99_ms": 1020.0,
        "requests": 7843.0,
        "errors": 5.0,
    }


def test_output_without_figures_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="no figures"):
        parse_wrk("unable to connect to 127.0.0.1:28105 Connection refused")


def test_the_table_rows_say_whether_each_page_meets_the_target() -> None:
    page = {"page": "ID&V page", "requests_per_s": 612.0, "p50_ms": 20.0, "p99_ms": 80.0,
            "errors": 0, "connections": 32}  # fmt: skip
    slow = {**page, "page": "accounts page", "p99_ms": 140.0}
    rows = dict(portal_lines({"pages": [page, slow], "load_average": {"before": 3, "after": 4}}))
    assert "meets 500 pages/s" in rows["portal ID&V page (wrk, 32 connections)"]
    assert "misses 500 pages/s" in rows["portal accounts page (wrk, 32 connections)"]


def test_the_table_rows_give_the_portal_and_wrk_cpu_per_page() -> None:
    page = {"page": "ID&V page", "requests_per_s": 612.0, "p50_ms": 20.0, "p99_ms": 80.0,
            "errors": 0, "connections": 32, "portal_cpu_us_per_page": 1034.4,
            "load_generator_cpu_us_per_request": 61.2}  # fmt: skip
    rows = dict(portal_lines({"pages": [page], "load_average": {"before": 3, "after": 4}}))
    assert rows["portal CPU per ID&V page (1 worker(s))"] == "1,034 us"
    assert rows["wrk's own CPU per ID&V page request"] == "61 us"
