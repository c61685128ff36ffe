"""``make dev``: the Dagster UI and daemon on this machine, as on a server.

Starts the two processes the production units start (``deploy/systemd``):
``dagster-daemon run`` (schedule, sensors, run queue, alert mails) and
``dagster-webserver`` on 127.0.0.1, both on ``workspace.yaml``. ``dagster dev`` does
the same but prints a ``SupersessionWarning`` (it points at ``dg dev`` from the separate
``dagster-dg-cli`` package). Ctrl-C (or SIGTERM) stops both.

``python -m pipelines.dev --port 3001`` (``make dev PORT=3001``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STOP_SECONDS = 20


def commands(port: int, host: str = "127.0.0.1") -> list[list[str]]:
    bin_dir = Path(sys.executable).parent
    workspace = str(REPO / "workspace.yaml")
    return [
        [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
        [str(bin_dir / "dagster-webserver"), "-h", host, "-p", str(port), "-w", workspace],
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.dev")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    if not os.environ.get("DAGSTER_HOME"):
        print("Zet DAGSTER_HOME (make dev doet dat: .dagster_home).", file=sys.stderr)
        return 2
    children = [subprocess.Popen(c, cwd=REPO) for c in commands(args.port)]
    print(f"Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stopt UI en daemon)", flush=True)

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    status = 0
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        status = 1  # one of them stopped by itself
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
