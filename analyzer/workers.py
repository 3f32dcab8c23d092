"""Work done in a forked process, its result sent back pickled: both cores for independent stages.

A stage that only needs what the parent already holds (the TypeScript scan once the Python seeds are
known) runs in a child forked from the parent, so nothing is sent to it; only its result comes back
(findings and outcomes, never syntax trees). Where fork is unavailable, or the child fails for any
reason, `result()` is None and the caller does the work itself: a worker can make a scan faster, never
different.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Pending:
    """A child's result to come."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd

    def result(self) -> Any:
        """The child's return value, or None when it failed (no fork, an exception, a signal)."""
        chunks = []
        try:
            with os.fdopen(self.fd, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    chunks.append(chunk)
        finally:
            _pid, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a broken result is no result
            return None


def start(fn: Callable[..., Any], *args: Any) -> Pending | None:
    """Run `fn(*args)` in a forked child; None when this platform cannot fork."""
    if not hasattr(os, "fork"):
        return None
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: compute, send, leave without running the parent's exit handlers
        code = 1
        try:
            os.close(read)
            data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:  # noqa: BLE001 - the parent does the work itself
            pass
        finally:
            os._exit(code)
    os.close(write)
    return Pending(pid, read)
