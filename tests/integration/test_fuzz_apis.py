"""A hostile client against every service's OpenAPI document (schemathesis, through the
gateway, with a tenant of its own): no response of 500 or above, every response as documented,
an invalid key answered by 401 problem documents only, and the tenant's listings still answer
after the fuzzer has written to them (issue 18).

The run is bounded and deterministic (derandomized Hypothesis, a fixed number of examples per
operation and generation mode), so it takes a few minutes of `make test`. `LISTFLOW_FUZZ_EXAMPLES`
raises the count for a longer run (`make fuzz`). Operations with a path id are fuzzed twice:
with generated ids (mostly 404s) and with the id of a real list, campaign, contact or group,
so generated bodies reach the code that edits stored documents.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Stack

EXAMPLES = int(os.environ.get("LISTFLOW_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Report:
    """What one service's run did: cases sent, and the failures, one per operation and mode."""

    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _operations(url: str) -> Iterator[Any]:
    spec = httpx.get(f"{url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    for result in schema.get_all_operations():
        yield result.ok()


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    report: Report,
    call: Callable[[Case], None],
    path_parameters: dict[str, Any] | None = None,
    examples: int = EXAMPLES,
    key: str | None = None,
) -> None:
    # The key is fixed, not generated: else negative mode spends its cases on mangled keys.
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path_parameters,
        headers={"X-API-Key": key} if key else None,
    )

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    def run(case: Case) -> None:
        report.cases += 1
        call(case)

    pinned = f" with {path_parameters}" if path_parameters else ""
    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (
        Exception,
        BaseExceptionGroup,
    ) as exc:  # collected, so that one run reports every failing operation
        report.failures.append(f"{operation.label} [{mode.value}{pinned}]: {exc}"[:3000])


def _fuzz_service(
    stack: Stack, url: str, key: str, pinned: dict[str, str], skip: set[str] = frozenset()
) -> Report:
    report = Report()

    def call(case: Case) -> None:
        # The public API through the gateway; probes and documents from the service itself.
        base = stack.gateway_url if case.path.startswith("/v1/") else url
        response = case.call_and_validate(base_url=base, headers={"X-API-Key": key}, checks=CHECKS)
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1

    for operation in _operations(url):
        if operation.label in skip:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, report, call, key=key)
        names = {p.name for p in operation.path_parameters}
        if names and names <= set(pinned) and operation.label not in PINNED_SKIP:
            real = {n: pinned[n] for n in names}
            _fuzz(operation, GenerationMode.POSITIVE, report, call, real, key=key)
    return report


def _invalid_key(stack: Stack, url: str) -> Report:
    """Every /v1 operation with a wrong key: 401 problem documents and nothing else."""
    report = Report()

    def call(case: Case) -> None:
        response = case.call(base_url=stack.gateway_url, headers={"X-API-Key": "lf_wrong_key"})
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        if response.status_code != 422:  # a request that does not parse may be refused first
            assert response.status_code == 401, (case.method, case.formatted_path, response.text)
            assert response.headers["content-type"][0].startswith("application/problem+json")
            assert response.json()["status"] == 401

    for operation in _operations(url):
        if operation.path.startswith("/v1/"):
            _fuzz(operation, GenerationMode.POSITIVE, report, call, examples=3)
    return report


# The file-upload routes start imports (Kafka, the consumers) for every generated case; they
# are fuzzed by test_bad_inputs.py with hand-made files instead.
INGEST_SKIP = {"POST /v1/uploads"}
# The seeded list and campaign are what the listings read afterwards: deleting them with their
# real ids (a valid request, answered 204) would leave those reads a 404 to no one's fault.
PINNED_SKIP = {"DELETE /v1/lead-lists/{list_id}", "DELETE /v1/dialer-campaigns/{campaign_id}"}


@pytest.fixture(scope="module")
def seeded(stack: Stack) -> dict[str, str]:
    """A real lead list, dialer campaign, contact group and contact of the fuzz tenant."""
    with stack.client("fuzz") as client:
        lead_list = client.post("/v1/lead-lists", json={"name": "fuzz seed list"}).json()
        campaign = client.post("/v1/dialer-campaigns", json={"name": "fuzz seed campaign"}).json()
        group = client.post("/v1/groups", json={"name": "fuzz seed group"})
        assert group.status_code == 201, group.text
    return {
        "list_id": lead_list["id"],
        "campaign_id": campaign["id"],
        "ref": group.json()["id"],
    }


def _listings_answer(stack: Stack, seeded: dict[str, str]) -> None:
    with stack.client("fuzz") as client:
        for path in (
            "/v1/lead-lists",
            f"/v1/lead-lists/{seeded['list_id']}",
            "/v1/dialer-campaigns",
            f"/v1/dialer-campaigns/{seeded['campaign_id']}",
            f"/v1/dialer-campaigns/{seeded['campaign_id']}/lists",
            "/v1/leads",
            "/v1/contacts",
            "/v1/groups",
            "/v1/tags",
            "/v1/uploads",
        ):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)


FUZZ_SERVICES = os.environ.get(
    "LISTFLOW_FUZZ_SERVICES", "ingest,contacts,leads,campaigns,portal"
).split(",")


@pytest.mark.parametrize("service", FUZZ_SERVICES)
def test_no_request_breaks_a_service(
    stack: Stack, seeded: dict[str, str], service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = getattr(stack, service).url
    report = _fuzz_service(
        stack,
        url,
        stack.tenants["fuzz"].key,
        seeded,
        INGEST_SKIP if service == "ingest" else set(),
    )
    with capsys.disabled():
        print(f"\nfuzz {service}: {report.cases} cases, statuses {sorted(report.statuses.items())}")
    assert report.cases > 0
    assert not report.failures, "\n\n".join(report.failures)
    # What the fuzzer wrote leaves every listing of the tenant answering.
    _listings_answer(stack, seeded)


@pytest.mark.parametrize("service", ["ingest", "contacts", "leads", "campaigns"])
def test_an_invalid_key_gets_only_401_problems(stack: Stack, service: str) -> None:
    report = _invalid_key(stack, getattr(stack, service).url)
    assert report.cases > 0
    assert not report.failures, "\n\n".join(report.failures)
    assert set(report.statuses) <= {401, 422}
    assert report.statuses.get(401, 0) > 0
