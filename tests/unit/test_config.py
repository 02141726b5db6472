"""Config precedence (flags > env > .env > defaults), ASH variables, secret masking."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ayon_ftrack_sync.config import ConfigError, load_config
from ayon_ftrack_sync.logging_setup import RedactingFilter

CONFIG_VARS = [
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "TEMPORAL_API_KEY",
    "AYON_FTRACK_SYNC_TASK_QUEUE",
    "FTRACK_SERVER",
    "FTRACK_API_USER",
    "FTRACK_API_KEY",
    "AYON_SERVER_URL",
    "AYON_API_KEY",
    "AYON_ADDON_NAME",
    "AYON_ADDON_VERSION",
    "AYON_SERVICE_NAME",
    "AYON_FTRACK_SYNC_ENV_FILE",
    "AYON_FTRACK_SYNC_STATE_DIR",
    "AYON_FTRACK_SYNC_LOG_LEVEL",
    "API_KEY",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray ./.env


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "test.env"
    path.write_text(text)
    return path


def test_defaults_without_any_source() -> None:
    config = load_config()
    assert config.temporal.address == "localhost:7233"
    assert config.temporal.namespace == "default"
    assert config.temporal.task_queue == "ftrack-sync"
    assert config.ayon.addon_name == "ftrack"
    assert config.ftrack.server_url is None
    assert config.ayon.sender_type == "ftrack"


def test_precedence_flag_over_env_over_dotenv_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = write_env(
        tmp_path,
        "TEMPORAL_ADDRESS=file-host:1\nTEMPORAL_NAMESPACE=file-ns\n"
        "AYON_FTRACK_SYNC_TASK_QUEUE=file-queue\n",
    )
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "env-ns")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "env-host:2")
    config = load_config(env_file, {"temporal": {"address": "flag-host:3", "namespace": None}})
    assert config.temporal.address == "flag-host:3"  # flag beats env and file
    assert config.temporal.namespace == "env-ns"  # env beats file; None flag ignored
    assert config.temporal.task_queue == "file-queue"  # file beats default


def test_env_file_named_by_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = write_env(tmp_path, "FTRACK_SERVER=https://studio.ftrackapp.com/\n")
    monkeypatch.setenv("AYON_FTRACK_SYNC_ENV_FILE", str(env_file))
    assert load_config().ftrack.server_url == "https://studio.ftrackapp.com"


def test_dotenv_in_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AYON_SERVER_URL=http://ayon.local:5000\n")
    assert load_config().ayon.server_url == "http://ayon.local:5000"


def test_ash_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AYON_SERVER_URL", "http://ayon:5000")
    monkeypatch.setenv("AYON_API_KEY", "ash-service-key-123")
    monkeypatch.setenv("AYON_ADDON_NAME", "ftrack")
    monkeypatch.setenv("AYON_ADDON_VERSION", "1.6.4")
    monkeypatch.setenv("AYON_SERVICE_NAME", "ftrack-sync-worker-1")
    ayon = load_config().ayon
    assert ayon.server_url == "http://ayon:5000"
    assert ayon.api_key is not None and ayon.api_key.get_secret_value() == "ash-service-key-123"
    assert ayon.addon_version == "1.6.4"
    assert ayon.sender == "ftrack-sync-worker-1"


def test_bare_api_key_variable_does_not_leak_into_sections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("API_KEY", "unrelated")
    config = load_config()
    assert config.temporal.api_key is None
    assert config.ftrack.api_key is None
    assert config.ayon.api_key is None


def test_secrets_are_masked_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "ftrack-very-secret-key-42"
    monkeypatch.setenv("FTRACK_API_KEY", secret)
    monkeypatch.setenv("AYON_API_KEY", "ayon-very-secret-key-43")
    config = load_config()
    rendered = [
        repr(config),
        str(config),
        config.model_dump_json(),
        str(config.describe()),
        repr(config.ftrack),
    ]
    for text in rendered:
        assert secret not in text
        assert "ayon-very-secret-key-43" not in text
    assert config.describe()["ftrack"]["api_key"] == "****** (set)"
    assert set(config.secrets()) == {secret, "ayon-very-secret-key-43"}


def test_invalid_value_names_the_key_without_echoing_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "no-port-here")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "temporal.TEMPORAL_ADDRESS" in str(caught.value)
    assert "host:port" in str(caught.value)


def test_invalid_url_and_log_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AYON_SERVER_URL", "ayon.local")
    with pytest.raises(ConfigError, match=r"ayon\.AYON_SERVER_URL.*http"):
        load_config()
    monkeypatch.delenv("AYON_SERVER_URL")
    with pytest.raises(ConfigError, match="log level"):
        load_config(overrides={"service": {"log_level": "chatty"}})


def test_missing_env_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.env")


def test_unknown_override_is_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'adress'"):
        load_config(overrides={"temporal": {"adress": "x:1"}})


def test_redacting_filter_masks_secrets_in_messages_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "s3cr3t-api-key"
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter([secret]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling with key=%s", secret)
            try:
                raise RuntimeError(f"bad header {secret}")
            except RuntimeError:
                logger.exception("request failed")
    finally:
        logger.filters.clear()
    assert secret not in caplog.text
    assert "******" in caplog.text
    assert "request failed" in caplog.text
