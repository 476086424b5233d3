"""The built-in PII secret is for local runs only."""

import pytest
from listflow.kit.settings import LOCAL_PII_SECRET, CommonSettings, api_key_digest
from pydantic import ValidationError

KEYS = {"acme": [api_key_digest("lf_key")]}


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_built_in_secret_is_refused_outside_local_runs(environment: str) -> None:
    with pytest.raises(ValidationError, match="LISTFLOW_PII_SECRET must be set"):
        CommonSettings(environment=environment, api_keys=KEYS)
    with pytest.raises(ValidationError, match="LISTFLOW_PII_SECRET must be set"):
        CommonSettings(environment=environment, api_keys=KEYS, pii_secret=LOCAL_PII_SECRET)


def test_a_secret_of_its_own_is_taken_everywhere_and_the_default_locally() -> None:
    own = "an-operator-chosen-secret-of-48-characters-or-so"
    assert CommonSettings(environment="production", api_keys=KEYS, pii_secret=own)
    assert CommonSettings(environment="test", pii_secret=own)
    assert CommonSettings(environment="local").pii_secret.get_secret_value() == LOCAL_PII_SECRET


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError, match="environment"):
        CommonSettings(environment="prod", pii_secret="x" * 32)


def test_a_refusal_does_not_print_the_other_settings() -> None:
    url = "mongodb://listflow:hunter2-password@db.internal:27017/"
    with pytest.raises(ValidationError) as refused:
        CommonSettings(environment="production", api_keys=KEYS, mongodb_url=url)
    assert "hunter2" not in str(refused.value)
