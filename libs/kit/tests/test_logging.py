import pytest
import structlog
from listflow.kit.logging import configure_logging, get_logger


def _validate(cells: list[str]) -> None:
    ssn = cells[1]
    raise ValueError(f"bad row of {len(cells)} cells ({len(ssn)} characters in one)")


def test_logged_exceptions_carry_no_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test")
    try:
        try:
            _validate(["Ann", "123-45-6789"])
        except ValueError:
            get_logger("test").exception("row failed")
        out = capsys.readouterr().out
    finally:
        structlog.reset_defaults()
    assert '"exc_type": "ValueError"' in out
    assert "_validate" in out  # the traceback is there
    assert "123-45-6789" not in out
    assert "Ann" not in out
