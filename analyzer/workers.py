"""Work done in a forked process, its result sent back pickled: both cores for independent stages.

A stage that needs little of what the parent holds (the TypeScript scan, once the Python seeds are
known) runs in a child forked early, before the parent builds its large heaps (the Python syntax
trees): the child shares none of them and waits for its input on a pipe. Only its input (the seeds)
and its result (findings and outcomes, never syntax trees) cross the pipes. A child's `prepare` (the part of
its work that needs no input) can wait for `release()`, called when a stage that keeps both cores busy (the
parse, analyzer.python.parallel) is over: it then runs while the parent works alone. Where fork is unavailable,
or the child fails for any reason, `result()` is None and the caller does the work itself: a worker
can make a scan faster, never different.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any

#: True in a process that ends with os._exit when its command is done (the command line, analyzer.cli.main):
#: what a scan keeps alive until then need not be handed back to the collector, nobody frees it (the Python
#: scan leaves its syntax trees frozen, analyzer.python.engine.scan_python)
ONE_SHOT = False


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: the byte that lets a child's `prepare` start (sent by `release` or ahead of the value)
_GO = b"g"
#: workers whose `prepare` waits for `release()`
_held: list[Worker] = []


class Worker:
    """A forked child waiting for `send(value)`, then computing `fn(value, *args)`."""

    def __init__(self, pid: int, to_child: int, from_child: int, held: bool = False) -> None:
        self.pid, self.to_child, self.from_child = pid, to_child, from_child
        self.sent = False
        self.done = False
        self.held = held

    def start(self) -> None:
        """Let the child's `prepare` start (when it waits for it)."""
        if self.held and not self.done:
            self.held = False
            try:
                os.write(self.to_child, _GO)
            except OSError:
                pass

    def send(self, value: Any) -> None:
        self.start()
        try:
            with os.fdopen(self.to_child, "wb") as out:
                out.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            self.sent = True
        except (OSError, pickle.PicklingError):
            self.sent = False

    def result(self) -> Any:
        """The child's return value, or None when it failed (an exception, a signal, nothing sent)."""
        if self.done:
            return None
        self.done = True
        if self in _held:
            _held.remove(self)
        if not self.sent:
            try:
                os.close(self.to_child)  # the child reads end-of-file and leaves
            except OSError:
                pass
        chunks = []
        try:
            with os.fdopen(self.from_child, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            _pid, status = os.waitpid(self.pid, 0)
        if not self.sent or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
            return None
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a broken result is no result
            return None

    def cancel(self) -> None:
        """Stop waiting: the child leaves without work (stopped, when it is still preparing), and is reaped."""
        if not self.sent and not self.done:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.result()


def release() -> None:
    """The stage that kept both cores busy is over: the held workers' `prepare` may run now."""
    while _held:
        _held.pop().start()


def _read_into(fd: int, inbox: list[bytes]) -> None:
    """Read a pipe to its end (the parent closing it) into `inbox`."""
    with os.fdopen(fd, "rb") as inp:
        inbox.append(inp.read())


def fork(fn: Callable[..., Any], *args: Any, prepare: Callable[..., Any] | None = None,
         hold: bool = False) -> Worker | None:
    """A child that will run `fn(value, *args)` once sent `value`; None when this platform cannot fork.

    `prepare(*args)`, when given, runs in the child before `value` arrives (the part of the work that does
    not need it), and its result is passed on: `fn(value, *args, prepared=...)`. It starts at once, or with
    `hold` when `release()` is called (or `value` sent): a third busy process during the parse only slows the
    parse, while the parent's serial stages after it leave a core idle. A thread of the child reads `value`
    meanwhile, so the parent's `send` never waits on `prepare`. When `prepare` fails, `fn` runs without it."""
    if not hasattr(os, "fork"):
        return None
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (down_r, down_w, up_r, up_w):
            os.close(fd)
        return None
    if pid == 0:  # the child: wait, compute, send, leave without running the parent's exit handlers
        code = 1
        try:
            os.close(down_w)
            os.close(up_r)
            inbox: list[bytes] = []
            go = os.read(down_r, 1) if hold and prepare is not None else _GO  # b"": the parent is gone
            reader = threading.Thread(target=_read_into, args=(down_r, inbox), daemon=True)
            reader.start()
            extra: dict[str, Any] = {}
            if prepare is not None and go == _GO:
                try:
                    extra["prepared"] = prepare(*args)
                except Exception:  # noqa: BLE001 - the work is done without it
                    pass
            reader.join()
            data = b"".join(inbox)
            if data:
                out = pickle.dumps(fn(pickle.loads(data), *args, **extra), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(up_w, "wb") as up:
                    up.write(out)
                code = 0
        except BaseException:  # noqa: BLE001 - the parent does the work itself
            pass
        finally:
            os._exit(code)
    os.close(down_r)
    os.close(up_w)
    worker = Worker(pid, down_w, up_r, held=hold and prepare is not None)
    if worker.held:
        _held.append(worker)
    return worker
