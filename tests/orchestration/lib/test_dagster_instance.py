"""One dagster.yaml for both storages: PostgreSQL adds its storage block and nothing else, the URL
stays in the environment, and the result is an instance Dagster loads on a real server."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from pydantic import ValidationError

from orchestration.lib.dagster_instance import (
    POSTGRES_URL_ENV,
    DagsterStorage,
    instance_postgres_url,
    render_instance_yaml,
    write_instance_yaml,
)
from orchestration.lib.local_postgres import LocalPostgres
from orchestration.settings import DagsterInstanceSettings
from tests.postgres import LOCAL_DAGSTER_YAML, fresh_database

BASE = LOCAL_DAGSTER_YAML.read_text()


def test_sqlite_is_the_local_file_as_it_is() -> None:
    assert render_instance_yaml(BASE, DagsterStorage.SQLITE) == BASE
    assert render_instance_yaml(BASE, "sqlite") == BASE


def test_postgres_differs_only_by_a_storage_block_that_names_the_variable() -> None:
    rendered = render_instance_yaml(BASE, "postgres")
    assert rendered.startswith(BASE.rstrip("\n"))
    assert yaml.safe_load(rendered) == {
        **yaml.safe_load(BASE),
        "storage": {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}},
    }
    with pytest.raises(ValueError, match="already has a storage block"):
        render_instance_yaml(rendered, "postgres")
    with pytest.raises(ValueError):
        render_instance_yaml(BASE, "mysql")


def test_the_local_file_monitors_and_retries_runs() -> None:
    config = yaml.safe_load(BASE)
    assert config["run_monitoring"]["enabled"] is True
    assert 0 < config["run_monitoring"]["poll_interval_seconds"] <= 30
    assert config["run_retries"] == {"enabled": True, "max_retries": 3}


def test_the_instance_url_names_the_driver_dagster_postgres_installs() -> None:
    assert (
        instance_postgres_url("postgresql://meridian@127.0.0.1:5/db") == "postgresql+psycopg2://meridian@127.0.0.1:5/db"
    )
    assert instance_postgres_url("postgres://u:p@h/db") == "postgresql+psycopg2://u:p@h/db"
    assert instance_postgres_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    with pytest.raises(ValueError) as refused:
        instance_postgres_url("mysql://user:s3cret@h/db")
    assert "s3cret" not in str(refused.value)


def test_the_settings_refuse_a_url_without_its_driver_and_never_echo_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_DAGSTER_STORAGE", "postgres")
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://dagster:hunter2@db:5432/dagster")
    with pytest.raises(ValidationError, match="postgresql\\+psycopg2://") as refused:
        DagsterInstanceSettings()
    assert "hunter2" not in str(refused.value)
    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql+psycopg2://dagster:hunter2@db:5432/dagster")
    settings = DagsterInstanceSettings()
    assert settings.storage is DagsterStorage.POSTGRES
    assert "hunter2" not in repr(settings)


@pytest.mark.integration
def test_dagster_loads_the_rendered_instance_onto_postgres(
    postgres_server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    libpq_url, instance_url = fresh_database(postgres_server)
    monkeypatch.setenv(POSTGRES_URL_ENV, instance_url)
    target = write_instance_yaml(tmp_path / "home", BASE, DagsterStorage.POSTGRES)
    assert instance_url not in target.read_text()  # the URL (a password, in production) stays in the environment

    @dg.op
    def hello() -> int:
        return 1

    @dg.job
    def hello_job() -> None:
        hello()

    with dg.DagsterInstance.from_config(str(target.parent)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert instance.run_monitoring_enabled and instance.run_monitoring_poll_interval_seconds == 10
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 3
        result = hello_job.execute_in_process(instance=instance)
        assert result.success
    conn = psycopg2.connect(libpq_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("select status from runs where run_id = %s", (result.run_id,))
            assert cursor.fetchall() == [("SUCCESS",)]
    finally:
        conn.close()
