"""`safety-bot worker` as a process of its own, for tests and benchmarks that kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings

SAFETY_BOT = Path(sys.executable).with_name("safety-bot")


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment that gives a `safety-bot worker` process these settings."""
    fields = settings.model_dump()
    # Nothing of the test runner's own configuration leaks into the worker.
    env = {key: value for key, value in os.environ.items() if key.lower() not in fields}
    for name, value in fields.items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[name.upper()] = str(value)
    return env


class WorkerProcess:
    """`safety-bot worker` in a process of its own, which a test may kill."""

    def __init__(self, settings: Settings, log: Path, *options: str) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [str(SAFETY_BOT), "worker", *options],
            cwd=log.parent,
            env=worker_environment(settings),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    async def stop(self) -> int:
        """SIGTERM, and wait (without blocking the event loop) for a clean exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        for _ in range(1000):
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.02)
        else:
            self.process.kill()
        self._log.close()
        return int(self.process.wait())

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker exited with {self.process.returncode}"
