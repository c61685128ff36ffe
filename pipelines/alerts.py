"""Alerts by e-mail: a run that failed, and a run that succeeded with something to look at.

Two sensors of the code location, both on (``RUNNING``) as soon as the daemon loads it:

* ``alert_on_run_failure`` mails every failed run: the job, the step that failed, the
  blocking check that stopped publishing and why (its description and the count of
  offending rows, or the columns and rules of a Pandera check), and a link to the run
  in the UI;
* ``alert_on_run_warnings`` mails a run that succeeded but left files unread
  (``failed`` in ``quality.file_ledger``) or failed a non-blocking check (an export that
  is late, a figure that moved too much).

They mail ``NAZORG_ALERT_EMAIL`` (one address or several, separated by commas) over SMTP
at ``NAZORG_SMTP_HOST``:``NAZORG_SMTP_PORT`` (default ``localhost``:25), from
``NAZORG_ALERT_FROM``; ``NAZORG_SMTP_STARTTLS=true`` and ``NAZORG_SMTP_USERNAME`` /
``NAZORG_SMTP_PASSWORD`` for a relay that wants them. The link is
``NAZORG_DAGSTER_URL``/runs/<run id> (the address of the UI behind the reverse proxy).
Without ``NAZORG_ALERT_EMAIL`` the sensors skip, and say so in the UI.

No identifier in any mail: a mail names jobs, steps, checks, tables, file paths and
counts, never a value from a row (no examples of offending rows, no exception text:
an error of the database can quote a value; the run's page has it, behind the login).
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

import dagster as dg

DEFAULT_UI_URL = "http://127.0.0.1:3000"
SUBJECT_PREFIX = "[nazorg]"
# A mail lists at most this many failed files or checks; the run's page has them all.
MAX_LISTED = 20


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class MailSettings:
    recipients: tuple[str, ...]
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> MailSettings | None:
        """The settings, or None when no recipient is set (then nothing is mailed)."""
        env = dict(os.environ if env is None else env)
        recipients = tuple(
            a.strip() for a in env.get("NAZORG_ALERT_EMAIL", "").split(",") if a.strip()
        )
        if not recipients:
            return None
        return cls(
            recipients=recipients,
            host=env.get("NAZORG_SMTP_HOST", "").strip() or "localhost",
            port=int(env.get("NAZORG_SMTP_PORT", "").strip() or 25),
            sender=env.get("NAZORG_ALERT_FROM", "").strip() or f"nazorg@{socket.getfqdn()}",
            starttls=env.get("NAZORG_SMTP_STARTTLS", "").strip().lower() in ("1", "true", "ja"),
            username=env.get("NAZORG_SMTP_USERNAME") or None,
            password=env.get("NAZORG_SMTP_PASSWORD") or None,
        )


def send_mail(settings: MailSettings, subject: str, body: str) -> None:
    # Headers on one line up to SMTP's limit: a folded subject reads back with a space.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)


def run_url(run_id: str, env: dict[str, str] | None = None) -> str:
    env = dict(os.environ if env is None else env)
    base = (env.get("NAZORG_DAGSTER_URL", "").strip() or DEFAULT_UI_URL).rstrip("/")
    return f"{base}/runs/{run_id}"


# --------------------------------------------------------------------------- what a run did


@dataclass(frozen=True)
class CheckOutcome:
    check: str  # "kpi/outflow matches_schema"
    description: str
    reason: str


@dataclass
class RunReport:
    """What a mail (and the command line, at the end of a run) says about a run."""

    job: str
    run_id: str
    failed_steps: list[tuple[str, str]] = field(default_factory=list)  # (step, error class)
    blocking_checks: list[CheckOutcome] = field(default_factory=list)
    warning_checks: list[CheckOutcome] = field(default_factory=list)
    failed_files: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def _reason(metadata: dict) -> str:
    """Why a check failed, in counts and names only (never the offending values)."""
    value = {k: getattr(v, "value", v) for k, v in metadata.items()}
    if "reason" in value:
        return str(value["reason"])
    if "summary" in value:
        return f"{value.get('failures', '?')} fout(en): {value['summary']}"
    if "offending_rows" in value:
        return f"{value['offending_rows']} rij(en) voldoen niet"
    return "zie de run"


def report_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunReport:
    """Failed steps, failed checks and unread files of a run, from its event log."""
    report = RunReport(job=run.job_name, run_id=run.run_id)
    wanted = {
        dg.DagsterEventType.STEP_FAILURE,
        dg.DagsterEventType.ASSET_CHECK_EVALUATION,
        dg.DagsterEventType.ASSET_MATERIALIZATION,
    }
    for record in instance.get_records_for_run(run.run_id, of_type=wanted).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = getattr(event.event_specific_data, "error", None)
            report.failed_steps.append((event.step_key or "?", error.cls_name if error else "?"))
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation.passed:
                continue
            outcome = CheckOutcome(
                check=f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}",
                description=evaluation.description or "",
                reason=_reason(dict(evaluation.metadata)),
            )
            if evaluation.severity == dg.AssetCheckSeverity.ERROR:
                report.blocking_checks.append(outcome)
            else:
                report.warning_checks.append(outcome)
        else:
            materialization = event.event_specific_data.materialization
            failed = materialization.metadata.get("failed_files")
            if failed is not None:
                data = failed.value if hasattr(failed, "value") else failed
                if isinstance(data, str):
                    data = json.loads(data)
                report.failed_files = [(f["file"], f["error"]) for f in data]
    return report


def _listed(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], f"- … en nog {len(lines) - MAX_LISTED} (zie de run)"]


def _check_lines(outcomes: list[CheckOutcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        text = f"- {outcome.check}"
        if outcome.description:
            text += f": {outcome.description}"
        lines.append(f"{text}\n  Waarom: {outcome.reason}")
    return _listed(lines)


def failure_mail(report: RunReport, url: str) -> tuple[str, str]:
    if report.blocking_checks:
        what = f"blokkerende controle {report.blocking_checks[0].check}"
    elif report.failed_steps:
        what = f"stap {report.failed_steps[0][0]}"
    else:
        what = "mislukt"
    subject = f"{SUBJECT_PREFIX} Run {report.job} mislukt: {what}"
    lines = [
        f"De run van job {report.job} is mislukt. Het gepubliceerde warehouse en de "
        "rapportages zijn niet veranderd: analisten en managers zien de vorige versie.",
        "",
        f"Run: {url}",
        "",
    ]
    if report.failed_steps:
        lines.append("Mislukte stap(pen):")
        lines += _listed([f"- {step} ({error})" for step, error in report.failed_steps])
        lines.append("")
    if report.blocking_checks:
        lines.append("Blokkerende controle(s) die faalden:")
        lines += _check_lines(report.blocking_checks)
        lines.append("")
    lines.append(
        "De foutmelding en de rijen die een controle niet haalden staan bij de run in de "
        "UI (niet in deze mail: die kunnen gegevens van personen bevatten). Na een "
        "oplossing: 'Re-execute from failure' bij de run, of wacht op de volgende nacht."
    )
    return subject, "\n".join(lines)


def warnings_mail(report: RunReport, url: str) -> tuple[str, str]:
    parts = []
    if report.failed_files:
        parts.append(f"{len(report.failed_files)} bestand(en) niet gelezen")
    if report.warning_checks:
        parts.append(f"{len(report.warning_checks)} controle(s) met een waarschuwing")
    subject = f"{SUBJECT_PREFIX} Run {report.job} geslaagd, met {' en '.join(parts)}"
    lines = [
        f"De run van job {report.job} is geslaagd en gepubliceerd, maar er is iets om naar "
        "te kijken.",
        "",
        f"Run: {url}",
        "",
    ]
    if report.failed_files:
        lines.append(
            "Niet gelezen bestanden (niet in de cijfers; zie quality.file_ledger). Vervang ze "
            "door een goede export; de volgende run leest ze opnieuw:"
        )
        lines += _listed([f"- {file}: {error}" for file, error in report.failed_files])
        lines.append("")
    if report.warning_checks:
        lines.append("Niet-blokkerende controles die faalden:")
        lines += _check_lines(report.warning_checks)
        lines.append("")
    return subject, "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- sensors


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Mailt elke mislukte run naar NAZORG_ALERT_EMAIL: job, mislukte stap, de "
        "blokkerende controle en waarom, en de link naar de run."
    ),
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    settings = MailSettings.from_env()
    if settings is None:
        return dg.SkipReason("NAZORG_ALERT_EMAIL is niet gezet: geen mail verstuurd.")
    run = context.dagster_run
    subject, body = failure_mail(report_for_run(context.instance, run), run_url(run.run_id))
    send_mail(settings, subject, body)
    context.log.info(
        f"Mail over mislukte run {run.run_id} verstuurd aan {len(settings.recipients)} ontvanger(s)."
    )
    return None


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="alert_on_run_warnings",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Mailt NAZORG_ALERT_EMAIL een korte melding na een geslaagde run met niet gelezen "
        "bestanden of een niet-blokkerende controle die faalde."
    ),
)
def alert_on_run_warnings(context: dg.RunStatusSensorContext):
    settings = MailSettings.from_env()
    if settings is None:
        return dg.SkipReason("NAZORG_ALERT_EMAIL is niet gezet: geen mail verstuurd.")
    run = context.dagster_run
    report = report_for_run(context.instance, run)
    if not (report.failed_files or report.warning_checks):
        return dg.SkipReason("Geen niet gelezen bestanden en geen waarschuwingen: geen mail.")
    subject, body = warnings_mail(report, run_url(run.run_id))
    send_mail(settings, subject, body)
    context.log.info(f"Mail over run {run.run_id} met waarschuwingen verstuurd.")
    return None


SENSORS = [alert_on_run_failure, alert_on_run_warnings]
