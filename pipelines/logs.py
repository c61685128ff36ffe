"""The run's log on the terminal: what a person wants to read, not Dagster's event stream.

Every run (from the command line, the schedule, the sensor or the UI) logs through the
``console`` logger defined here, which replaces Dagster's default console logger for
every job of the code location (``Definitions(loggers=...)``). At ``info``, the default,
it prints the messages the pipeline itself logs (what was read, what was rebuilt and
why, what was published, the run summary, where the results are) and Dagster's warnings
and errors, each as ``HH:MM:SS LEVEL step: message``; Dagster's DEBUG events (a step
started, an output was yielded, …) are left out. At ``debug`` it is Dagster's own console
logger, every event included.

The level comes from the run config (``loggers: {console: {config: {log_level: debug}}}``)
or else from ``NAZORG_LOG`` (``debug``, ``info``, ``warning``, ``error``; any case).
``make demo LOG=debug`` sets the latter. Whatever the level, the full event log is
stored in the Dagster instance and shown in the UI.
"""

from __future__ import annotations

import logging
import os
import sys

import dagster as dg

LOG_LEVEL_VARIABLE = "NAZORG_LOG"
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def log_level(value: str | None = None) -> int:
    """The level named by ``value``, else by ``NAZORG_LOG``; INFO when neither names one."""
    for candidate in (value, os.environ.get(LOG_LEVEL_VARIABLE)):
        if candidate and candidate.strip().lower() in LEVELS:
            return LEVELS[candidate.strip().lower()]
    return logging.INFO


class QuietFormatter(logging.Formatter):
    """``02:10:23 INFO    staging__detentions: justid: …``; continuation lines indented."""

    def format(self, record: logging.LogRecord) -> str:
        meta = getattr(record, "dagster_meta", None) or {}
        message = meta.get("orig_message", record.getMessage())
        event = meta.get("dagster_event")
        error = getattr(getattr(event, "event_specific_data", None), "error", None)
        if error is not None:
            message = f"{message}\n{error.to_string().rstrip()}"
        where = meta.get("step_key") or meta.get("job_name") or record.name
        time = self.formatTime(record, "%H:%M:%S")
        text = f"{time} {record.levelname:<7} {where}: {message}"
        return text.replace("\n", "\n    ")


@dg.logger(
    config_schema={
        "log_level": dg.Field(
            str,
            is_required=False,
            description="debug, info (standaard), warning of error; zonder: NAZORG_LOG.",
        )
    },
    description=(
        "Log van de run op de terminal: op info wat de pipeline zelf meldt (gelezen, "
        "herbouwd, gepubliceerd, samenvatting) zonder de DEBUG-gebeurtenissen van Dagster; "
        "op debug de volledige gebeurtenissenstroom. Niveau uit de runconfiguratie of "
        "NAZORG_LOG."
    ),
)
def quiet_console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    level = log_level(init_context.logger_config.get("log_level"))
    if level <= logging.DEBUG:
        # Dagster's own console logger: every event, in Dagster's format.
        context = dg.build_init_logger_context({"log_level": "DEBUG", "name": "dagster"})
        return dg.colored_console_logger.logger_fn(context)
    logger = logging.Logger("nazorg", level=level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(QuietFormatter())
    logger.addHandler(handler)
    return logger


LOGGERS = {"console": quiet_console_logger}
