"""``python -m pipelines``: run job ``nightly`` once from the command line (``make demo``).

What ``dagster job execute -m pipelines -j nightly`` does, without what a person does not
need to read: the log at INFO (:mod:`pipelines.logs`; ``--log debug`` or
``NAZORG_LOG=debug`` for Dagster's full event stream), and no ``SupersessionWarning``
(Dagster points ``dagster job execute`` at ``dg launch``, which lives in the separate
``dagster-dg-cli`` package and wants a ``dg`` project layout; this command uses
Dagster's public Python API, ``execute_job``, instead).

The run is stored in the instance of ``DAGSTER_HOME`` (``make demo`` sets it to
``.dagster_home``), where the UI shows it and can re-execute it; without
``DAGSTER_HOME`` in a temporary instance that is gone afterwards. Exit code 0 when the
run succeeded (files that could not be read included), 1 when it failed: then the
last lines name the failed step and the blocking check, and say that nothing was
published.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg
import yaml

from pipelines.logs import LEVELS, LOG_LEVEL_VARIABLE


def nightly_job() -> dg.JobDefinition:
    """The job, reconstructable by module and name (so the UI can re-execute the run)."""
    from pipelines import defs

    return defs.resolve_job_def("nightly")


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Draai job nightly één keer (wat het nachtelijke schema doet).",
    )
    parser.add_argument(
        "--log",
        choices=sorted(LEVELS),
        help=f"niveau van het log op de terminal (standaard info, of {LOG_LEVEL_VARIABLE}); "
        "debug toont alle gebeurtenissen van Dagster",
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        action="append",
        default=[],
        help="runconfiguratie (YAML), zoals bij dagster job execute -c",
    )
    args = parser.parse_args(argv)
    if args.log:
        os.environ[LOG_LEVEL_VARIABLE] = args.log
    run_config: dict = {}
    for path in args.config:
        run_config = dg.merge_dicts(run_config, yaml.safe_load(path.read_text()) or {})

    with _instance() as instance:
        result = dg.execute_job(
            dg.reconstructable(nightly_job),
            instance,
            run_config=run_config,
            tags={"nazorg/trigger": "command_line"},
        )
        if result.success:
            return 0
        run = instance.get_run_by_id(result.run_id)
        print(failure_summary(instance, run), file=sys.stderr)
        return 1


def failure_summary(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The lines the command line ends a failed run with."""
    from pipelines.alerts import report_for_run

    report = report_for_run(instance, run)
    lines = [f"Run {run.run_id} van job {run.job_name} is mislukt; er is niets gepubliceerd."]
    for check in report.blocking_checks:
        lines.append(
            f"Blokkerende controle {check.check} faalt: {check.description} ({check.reason})"
        )
    for step, error in report.failed_steps:
        lines.append(f"Mislukte stap: {step} ({error})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
