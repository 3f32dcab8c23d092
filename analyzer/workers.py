"""Work done in a forked process, its result sent back pickled: both cores for independent stages.

A stage that needs little of what the parent holds (the TypeScript scan, once the Python seeds are
known) runs in a child forked early, before the parent builds its large heaps (the Python syntax
trees): the child shares none of them and waits for its input on a pipe. Only its input (the seeds)
and its result (findings and outcomes, never syntax trees) cross the pipes. A `background` child is stopped
while a stage keeps both cores busy (`busy()`: the parse, analyzer.python.parallel): its preparation then runs
while the parent works alone, instead of slowing both parsers down as a third busy process. Where fork is unavailable,
or the child fails for any reason, `result()` is None and the caller does the work itself: a worker
can make a scan faster, never different.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


#: background workers that have not been sent their value yet: stopped by `busy()`
_background: list[Worker] = []
#: a stopped child must die with its parent: only where the kernel can be asked to (PR_SET_PDEATHSIG)
_PAUSABLE = sys.platform.startswith("linux")


class Worker:
    """A forked child waiting for `send(value)`, then computing `fn(value, *args)`."""

    def __init__(self, pid: int, to_child: int, from_child: int) -> None:
        self.pid, self.to_child, self.from_child = pid, to_child, from_child
        self.sent = False
        self.done = False

    def send(self, value: Any) -> None:
        if self in _background:
            _background.remove(self)
        try:
            with os.fdopen(self.to_child, "wb") as out:
                out.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            self.sent = True
        except (OSError, pickle.PicklingError):
            self.sent = False

    def ready(self) -> bool:
        """Has the child sent its result (or ended)? Asked without waiting."""
        if self.done:
            return True
        import select

        try:
            return bool(select.select([self.from_child], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def result(self) -> Any:
        """The child's return value, or None when it failed (an exception, a signal, nothing sent)."""
        if self.done:
            return None
        self.done = True
        if self in _background:
            _background.remove(self)
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


@contextmanager
def busy() -> Iterator[None]:
    """While both cores are busy: the background workers stopped (SIGSTOP), continued when it ends."""
    stopped = pause()
    try:
        yield
    finally:
        resume(stopped)


def pause() -> list[Worker]:
    """Stop the background workers (SIGSTOP) until `resume` (`busy`, or a stage that outlasts a block)."""
    stopped = []
    for worker in list(_background):
        try:
            os.kill(worker.pid, signal.SIGSTOP)
            stopped.append(worker)
        except OSError:
            pass
    return stopped


def resume(stopped: list[Worker]) -> None:
    for worker in stopped:
        try:
            os.kill(worker.pid, signal.SIGCONT)
        except OSError:
            pass


def _die_with_parent(parent: int) -> None:
    """In a background child (Linux): the kernel kills it when its parent ends, stopped or not, so that a
    parent killed while the child is stopped does not leave it stopped for ever."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the request
        os._exit(1)


def _read_into(fd: int, inbox: list[bytes]) -> None:
    """Read a pipe to its end (the parent closing it) into `inbox`."""
    with os.fdopen(fd, "rb") as inp:
        inbox.append(inp.read())


def fork(fn: Callable[..., Any], *args: Any, prepare: Callable[..., Any] | None = None,
         background: bool = False) -> Worker | None:
    """A child that will run `fn(value, *args)` once sent `value`; None when this platform cannot fork.

    `prepare(*args)`, when given, runs in the child as soon as it starts, before `value` arrives (the part
    of the work that does not need it), and its result is passed on: `fn(value, *args, prepared=...)`.
    A thread of the child reads `value` meanwhile, so the parent's `send` never waits on `prepare`. When
    `prepare` fails, `fn` runs without it. A `background` child is stopped within `busy()` until sent its
    value (where the kernel can kill it with its parent: Linux)."""
    if not hasattr(os, "fork"):
        return None
    parent = os.getpid()
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
            if background and _PAUSABLE:
                _die_with_parent(parent)
            os.close(down_w)
            os.close(up_r)
            inbox: list[bytes] = []
            reader = threading.Thread(target=_read_into, args=(down_r, inbox), daemon=True)
            reader.start()
            extra: dict[str, Any] = {}
            if prepare is not None:
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
    worker = Worker(pid, down_w, up_r)
    if background and _PAUSABLE:
        _background.append(worker)
    return worker


#: children writing what the process leaves behind (`aside`), waited for before it ends (`finish`)
_aside: list[int] = []


def aside(fn: Callable[..., Any], *args: Any) -> None:
    """`fn(*args)`, for its effect only (a file it writes), in a child while this process goes on, where a one-shot
    process can fork (`ONE_SHOT`: the command line waits for it before it ends, `finish`, so nothing is left
    running behind it); else here and now. The child shares the parent's heap as it is (fork): what `fn` reads
    must not change after the call. It fails alone: what it writes is then missing, as if never written."""
    if not ONE_SHOT or not hasattr(os, "fork"):
        fn(*args)
        return
    try:
        pid = os.fork()
    except OSError:
        fn(*args)
        return
    if pid == 0:  # the child: no exit handlers, no flushing of the parent's buffered output
        code = 1
        try:
            fn(*args)
            code = 0
        except BaseException:  # noqa: BLE001 - see above
            pass
        finally:
            os._exit(code)
    _aside.append(pid)


def finish() -> None:
    """Wait for the children of `aside`; on Ctrl-C meanwhile, stop them (what they write is then missing, as if
    never written: a file is written under another name and renamed) and return."""
    while _aside:
        pid = _aside[-1]
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        except KeyboardInterrupt:
            for child in _aside:
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.waitpid(child, 0)
            _aside.clear()
            return
        _aside.pop()


#: what a one-shot process keeps alive on purpose until it ends (`keep`)
_kept: list[Any] = []


def keep(value: Any) -> None:
    """In a one-shot process (`ONE_SHOT`): hold `value` until the process ends instead of freeing it now, out
    of the cyclic GC's sight (`gc.freeze`: the collections of what runs next would walk it again and again).
    Freeing a scan's final facts object by object gives the user nothing when the process leaves right
    after (onyx: ~0.3 s CPU on the critical path); elsewhere `value` is dropped as usual."""
    if ONE_SHOT:
        import gc

        _kept.append(value)
        gc.freeze()
