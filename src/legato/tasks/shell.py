"""`ShellTask`: run a templated bash command; its last line of output is the result.

The command's output is copied to the task log when it ends. Exit code 0 succeeds, the
`skip_exit_code` (99, as Airflow's BashOperator) skips, anything else fails the try. The try's
`execution_timeout` becomes the subprocess timeout, so a hung command is killed, not leaked.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from ..authoring.context import Context
from ..authoring.errors import Skip
from ..authoring.task import Task


class ShellCommandError(RuntimeError):
    """The command exited with a non-zero code; the message has the code and last lines."""


class ShellTask(Task):
    template_fields = ("command", "env", "cwd")

    def __init__(
        self,
        task_id: str,
        command: str,
        *,
        env: Mapping[str, str] | None = None,
        append_env: bool = True,
        cwd: str | None = None,
        skip_exit_code: int | None = 99,
        **task_kwargs: Any,
    ) -> None:
        super().__init__(task_id, **task_kwargs)
        self.command = command
        self.env = dict(env) if env is not None else None
        self.append_env = append_env
        self.cwd = cwd
        self.skip_exit_code = skip_exit_code

    def _environment(self) -> dict[str, str] | None:
        if self.env is None:
            return None
        return {**os.environ, **self.env} if self.append_env else dict(self.env)

    def execute(self, ctx: Context) -> Any:
        timeout = None if ctx.deadline is None else max(0.0, ctx.deadline - time.monotonic())
        try:
            done = subprocess.run(
                ["bash", "-c", self.command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self._environment(), cwd=self.cwd,
                timeout=timeout, text=True, errors="replace",
            )
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"command ran longer than {timeout:.1f}s and was killed") from exc
        lines = done.stdout.splitlines()
        for line in lines:
            ctx.log.info(line)
        if done.returncode == self.skip_exit_code:
            raise Skip(f"command exited with {done.returncode}")
        if done.returncode != 0:
            tail = "\n".join(lines[-5:])
            raise ShellCommandError(f"command exited with {done.returncode}: {tail}")
        return lines[-1] if lines else None
