"""Alert mails (pipelines/alerts.py) against a real SMTP server started in the test.

Two small runs of ``nightly`` (one JustID quarter and an empty export): the first
succeeds with a file it could not read, the second fails a blocking check (a bug that
doubles every outflow share). Each run's sensor is evaluated as the daemon would, and
the mail that arrives at the SMTP server is read back.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache

import dagster as dg
import pytest

from pipelines.alerts import MailSettings, alert_on_run_failure, alert_on_run_warnings
from tests.conftest import RAW, run_nightly
from tests.pg_server import free_port
from tests.test_bad_input import double_the_outflow_shares
from tests.test_operations import identifying_values_in
from tests.test_privacy import identifying_values

UI = "https://nazorg.example.org"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch):
    from aiosmtpd.controller import Controller

    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("NAZORG_ALERT_EMAIL", "beheer@example.org, data@example.org")
    monkeypatch.setenv("NAZORG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NAZORG_SMTP_PORT", str(port))
    monkeypatch.setenv("NAZORG_DAGSTER_URL", UI + "/")
    try:
        yield handler
    finally:
        controller.stop()


@dataclass
class Runs:
    instance: dg.DagsterInstance
    with_failed_file: dg.DagsterRun
    failed: dg.DagsterRun


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    folder = tmp_path_factory.mktemp("alerts")
    raw = folder / "raw"
    (raw / "justid").mkdir(parents=True)
    shutil.copyfile(
        RAW / "justid" / "2019" / "justid_midden-limburg_2019-Q1.csv", raw / "justid" / "q1.csv"
    )
    (raw / "justid" / "kapot.csv").write_bytes(b"")
    warehouse = folder / "warehouse" / "nazorg.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dg.DagsterInstance, "ephemeral", staticmethod(lambda: instance))
        succeeded = run_nightly(raw, warehouse)
        assert succeeded.success
        double_the_outflow_shares(patch)
        failed = run_nightly(raw, warehouse)
        assert not failed.success
    return Runs(
        instance,
        instance.get_run_by_id(succeeded.run_id),
        instance.get_run_by_id(failed.run_id),
    )


def _event(instance: dg.DagsterInstance, run: dg.DagsterRun, kind: dg.DagsterEventType):
    (event,) = [
        e.dagster_event
        for e in instance.all_logs(run.run_id)
        if e.dagster_event is not None and e.dagster_event.event_type == kind
    ]
    return event


def _context(name: str, runs: Runs, run: dg.DagsterRun, kind: dg.DagsterEventType):
    return dg.build_run_status_sensor_context(
        sensor_name=name,
        dagster_event=_event(runs.instance, run, kind),
        dagster_instance=runs.instance,
        dagster_run=run,
    )


@cache
def _demo_identifiers() -> frozenset[str]:
    return frozenset(identifying_values(RAW))


def _no_identifiers(message: EmailMessage) -> None:
    text = f"{message['Subject']}\n{message.get_content()}"
    assert identifying_values_in(text, set(_demo_identifiers())) == []


def test_a_failed_run_is_mailed_with_job_step_check_why_and_link(inbox, runs):
    context = _context(
        "alert_on_run_failure", runs, runs.failed, dg.DagsterEventType.RUN_FAILURE
    ).for_run_failure()
    alert_on_run_failure(context)
    (message,) = inbox.messages
    assert inbox.recipients == [["beheer@example.org", "data@example.org"]]
    subject = message["Subject"]
    assert subject == (
        "[nazorg] Run nightly mislukt: blokkerende controle kpi/outflow matches_schema"
    )
    body = message.get_content()
    assert "job nightly is mislukt" in body
    assert "- kpi_tables (DagsterAssetCheckFailedError)" in body  # the step
    assert "kpi/outflow matches_schema: kpi.outflow voldoet aan het Pandera-model" in body
    assert "Waarom: " in body and "shares_sum_to_one" in body  # the rule, not the values
    assert f"Run: {UI}/runs/{runs.failed.run_id}" in body
    assert "niet veranderd" in body  # nothing was published
    _no_identifiers(message)


def test_a_run_that_succeeded_with_a_failed_file_gets_a_short_mail(inbox, runs):
    context = _context(
        "alert_on_run_warnings", runs, runs.with_failed_file, dg.DagsterEventType.RUN_SUCCESS
    )
    alert_on_run_warnings(context)
    (message,) = inbox.messages
    assert message["Subject"].startswith(
        "[nazorg] Run nightly geslaagd, met 1 bestand(en) niet gelezen"
    )
    body = message.get_content()
    assert "- justid/kapot.csv: justid/kapot.csv: het bestand is leeg" in body
    assert "quality/file_ledger all_files_loaded" in body  # the check that says so
    assert f"Run: {UI}/runs/{runs.with_failed_file.run_id}" in body
    assert len(body.splitlines()) < 30  # short
    _no_identifiers(message)


def test_without_a_recipient_nothing_is_sent(inbox, runs, monkeypatch):
    monkeypatch.delenv("NAZORG_ALERT_EMAIL")
    context = _context(
        "alert_on_run_failure", runs, runs.failed, dg.DagsterEventType.RUN_FAILURE
    ).for_run_failure()
    result = alert_on_run_failure(context)
    assert isinstance(result, dg.SkipReason) and "NAZORG_ALERT_EMAIL" in result.skip_message
    assert inbox.messages == []


def test_mail_settings_from_the_environment_file():
    settings = MailSettings.from_env(
        {
            "NAZORG_ALERT_EMAIL": " a@example.org ,b@example.org,",
            "NAZORG_SMTP_HOST": "smtp.example.org",
            "NAZORG_SMTP_PORT": "587",
            "NAZORG_SMTP_STARTTLS": "true",
            "NAZORG_SMTP_USERNAME": "",
        }
    )
    assert settings.recipients == ("a@example.org", "b@example.org")
    assert (settings.host, settings.port, settings.starttls) == ("smtp.example.org", 587, True)
    assert settings.username is None
    assert MailSettings.from_env({"NAZORG_ALERT_EMAIL": "  "}) is None
