"""The database's part of a scan with `--db`, in a forked child while this process reads the tree (issue 15).

A cold scan spent its first ~0.45 s on the database before it could read a file (polar: SQLAlchemy and the driver
imported, 0.22 s; the schema reflected, 0.16 s), and more at its end pricing the plan, whose queries (the keys'
sizes and sequences, the migrations' checks, the collisions of a shared sequence) depend on the schema and the
closure only, not on the findings. A child forked as soon as the run knows it scans (`start`) does all of it: it
reflects the schema and sends it, then computes the closure and the plan's database facts and sends them; each
under its own `analyzer.cache.DbRecorder`, whose statements this process adds to its own recorder as if it had
sent them (the run memo replays them). This process meanwhile imports the scanners and reads the Python files, and
never imports SQLAlchemy. It takes each part when it needs it (`schema`, `plan`). A database that cannot be read
fails the run with the child's `DatabaseError` (the message the run would give itself); what else the child could
not give (another error, a dead child) this process computes itself as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.pipeline import ScanOptions

_LEN = struct.Struct("<q")


class DbSide:
    """The child and the pipe its two answers come through, in order: the schema, then the plan's facts."""

    def __init__(self, pid: int, fd: int, strategies: tuple[str, ...]) -> None:
        self.pid, self.fd = pid, fd
        self.strategies = strategies  # what the plan's facts are read for
        self.answers: list[Any] = []
        self.ended = False

    @classmethod
    def start(cls, options: ScanOptions, strategies: Sequence[str]) -> DbSide | None:
        """None where this process cannot fork."""
        if not hasattr(os, "fork") or not options.db_url:
            return None
        from analyzer import workers

        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: answer, then leave without the parent's exit handlers
            try:
                os.close(read_end)
                if workers._PAUSABLE:
                    workers._die_with_parent(parent)
                _child(options, tuple(strategies), write_end)
            except BaseException:  # noqa: BLE001 - the parent computes what was not sent
                pass
            finally:
                os._exit(0)
        os.close(write_end)
        return cls(pid, read_end, tuple(strategies))

    def _answer(self, k: int) -> Any:
        while len(self.answers) <= k and not self.ended:
            got = _receive(self.fd)
            if got is _END:
                self.ended = True
                self.close()
            else:
                self.answers.append(got)
        return self.answers[k] if k < len(self.answers) else None

    def schema(self) -> tuple[Any, list[tuple[str, Any, str]], bool] | None:
        """(the schema, the statements the reflection sent, whether they were all recorded), or None. Raises the
        `DatabaseError` the reflection raised (trying again here would cost a host that does not answer its
        connect timeout twice)."""
        from analyzer.db.errors import DatabaseError

        got = self._answer(0)
        if isinstance(got, DatabaseError):
            raise got
        return got if isinstance(got, tuple) else None

    def plan(self) -> tuple[Any, list[tuple[str, Any, str]], bool] | None:
        """((the keys' facts, the collisions, the migrations), their statements, all recorded?), or None."""
        got = self._answer(1)
        return got if isinstance(got, tuple) else None

    def close(self) -> None:
        """The child stopped (when still running) and reaped; its pipe closed."""
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
        self.ended = True


_END = object()


def _send(fd: int, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LEN.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> Any:
    """The next answer, or `_END` at the pipe's end (the child left) or on a broken one."""
    head = _read(fd, _LEN.size)
    if head is None:
        return _END
    size = _LEN.unpack(head)[0]
    data = _read(fd, size)
    if data is None:
        return _END
    try:
        return pickle.loads(data)
    except Exception:  # noqa: BLE001 - a broken answer is no answer
        return _END


def _read(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _child(options: ScanOptions, strategies: tuple[str, ...], fd: int) -> None:
    from analyzer import cache, db
    from analyzer.db.errors import DatabaseError
    from analyzer.pipeline import load_schema, resolve_targets

    cache._RECORDING.clear()  # (the parent's recorder, copied: this process records on its own)
    with cache.DbRecorder() as rec:
        try:
            schema = load_schema(options)
        except DatabaseError as exc:  # the parent says it
            _send(fd, exc)
            return
        except Exception:  # noqa: BLE001 - the parent reflects, and says why it cannot
            _send(fd, None)
            return
        _send(fd, (schema, list(rec.statements), rec.ok))
        start = len(rec.statements)
        try:
            closure = db.compute_closure(schema, resolve_targets(schema, options), options.config)
            facts = plan_facts(schema, closure, options, strategies)
        except Exception:  # noqa: BLE001 - the parent prices the plan itself
            _send(fd, None)
            return
        _send(fd, (facts, rec.statements[start:], rec.ok))


def plan_facts(schema: Any, closure: Any, options: ScanOptions, strategies: Sequence[str]) -> tuple[Any, Any, Any]:
    """What `pipeline.run_plan` reads from the database (`plan.strategies.read_database`), on an engine of its own."""
    from analyzer import db
    from analyzer.plan.strategies import read_database

    assert options.db_url is not None
    engine = db.open_engine(options.db_url)
    try:
        return read_database(schema, closure, strategies, engine, options.config)
    finally:
        engine.dispose()
