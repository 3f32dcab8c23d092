"""The scan survives hostile and odd input files (issue 10, input side).

Every odd file of a generated corpus (tests/hostile.py) is reported as skipped with its reason, the
genuine finding beside them is still found, and the run stays bounded in time and memory. Parser bombs
that used to kill the process (SIGSEGV in libcst's native parser), FIFOs that hung it, /dev/zero that
ate memory, an unreadable directory skipped in silence, and Ctrl-C ending in a KeyError are each
reproduced here through the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import hostile
import pytest
from helpers import REPO, impact_cmd, run_impact, with_sigint, write_tree

from analyzer.python.parsed import MAX_CHAIN, MAX_NESTING, nesting_problem
from analyzer.sources import Limits, Unreadable, discover_all, read_source

GIB = 1 << 30


def _caps_dropped() -> list[str]:
    """As root, permission bits do not stop a read: drop the capabilities that bypass them, so a
    chmod-000 directory raises a real PermissionError in the scan (as it does for any user)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a directory unreadable")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all"]


def _measured(args: list[str], cwd: Path, timeout: float = 300) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run a command from a fresh Python whose only child is that command: its RUSAGE_CHILDREN peak RSS
    is the command's own."""
    probe = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=subprocess.DEVNULL)\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr,"
        " 'seconds': time.perf_counter() - t, 'maxrss_kib': u.ru_maxrss}))\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("IMPACT_DATABASE_URL", None)
    proc = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return subprocess.CompletedProcess(args, data["rc"], data["out"], data["err"]), data


def _outcomes(out: Path) -> dict[str, dict]:
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {o["path"]: o for o in doc["outcomes"]}



# ----------------------------------------------------------------------------- the whole corpus


def test_hostile_corpus_end_to_end(tmp_path: Path) -> None:
    corpus = hostile.build(tmp_path / "corpus")
    try:
        url = hostile.database(tmp_path / "db.sqlite")
        out = tmp_path / "out"
        proc, usage = _measured([*_caps_dropped(), *impact_cmd(), "scan", str(corpus.root), "--db", url,
                                 "--target", hostile.TARGET, "--out", str(out), "--no-typecheck"], cwd=tmp_path)
    finally:
        hostile.unlock(corpus.root)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    outcomes = _outcomes(out)
    for path, reason in {**corpus.skipped, corpus.locked: "not readable"}.items():
        assert path in outcomes, (path, sorted(outcomes))
        assert outcomes[path]["status"] == "skipped" and reason in outcomes[path]["reason"], outcomes[path]
    for path in corpus.scanned:
        assert outcomes[path]["status"] == "ok", outcomes[path]
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    found = {(f["path"], f["symbol"]) for f in doc["findings"]}
    assert (hostile.GENUINE_PATH, hostile.GENUINE_SYMBOL) in found
    assert ("app/crlf.py", "CrlfOut.document_id") in found and ("app/bom.py", "BomOut.document_id") in found
    # the undecodable name reaches the reports as text (U+FFFD), and every report was written
    assert hostile.BAD_NAME_SHOWN in (out / "report.html").read_text(encoding="utf-8")
    assert json.loads((out / "findings.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert "19 files skipped" in (out / "report.md").read_text(encoding="utf-8") or (out / "report.md").stat().st_size
    assert usage["maxrss_kib"] * 1024 < GIB, usage["maxrss_kib"]
    # ~30 files, two of them parser bombs and two megabyte-sized: no single file may cost more than seconds
    assert usage["seconds"] < 60, usage["seconds"]


# ----------------------------------------------------------------------------- parser bombs


def test_a_bracket_bomb_is_skipped_instead_of_killing_the_scan(tmp_path: Path) -> None:
    """1,500 nested brackets in a file that mentions the key: libcst's native parser died with SIGSEGV."""
    app = write_tree(tmp_path / "app", {"bomb.py": hostile.bracket_bomb(1500), "schemas.py": hostile.GENUINE})
    url = hostile.database(tmp_path / "db.sqlite")
    proc = run_impact("scan", str(app), "--db", url, "--target", hostile.TARGET, "--out", str(tmp_path / "out"),
                      "--no-typecheck", "-q", cwd=tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # 1: the genuine finding is an error
    outcome = _outcomes(tmp_path / "out")["bomb.py"]
    assert outcome["status"] == "skipped"
    assert outcome["reason"].startswith("nesting depth") and f"limit of {MAX_NESTING}" in outcome["reason"]


@pytest.mark.parametrize("text", [
    hostile.chain_bomb(20000),                                      # - - - ... 1
    "document_id = (\n" + " +\n".join(["a"] * 20000) + ")\n",       # a + a + ...
    "document_id = (a\n" + "\n".join([".b"] * 20000) + ")\n",       # a.b.b.b...
    "if a:\n    pass\n" + "elif a:\n    pass\n" * 20000,            # an elif chain
    "document_id = (\n" + "not\n" * 20000 + "a)\n",                 # not not ... a
], ids=["unary", "binop", "attributes", "elif", "not"])
def test_chain_bombs_are_caught_before_the_parser(text: str) -> None:
    """libcst's native parser overflows the C stack from ~6,500 chained operators too (no deep brackets)."""
    problem = nesting_problem(text)
    assert problem is not None and f"limit of {MAX_CHAIN:,}" in problem


def test_a_chain_bomb_through_the_cli(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {"chain.py": hostile.chain_bomb(20000), "schemas.py": hostile.GENUINE})
    url = hostile.database(tmp_path / "db.sqlite")
    proc = run_impact("scan", str(app), "--db", url, "--target", hostile.TARGET, "--out", str(tmp_path / "out"),
                      "--no-typecheck", "-q", cwd=tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "exceeds the parser's limit" in _outcomes(tmp_path / "out")["chain.py"]["reason"]


@pytest.mark.parametrize("bomb", [hostile.chain_bomb(20000), "f = " + "lambda: " * 3000 + "1\n"])
def test_a_bomb_beside_models_read_without_a_database(tmp_path: Path, bomb: str) -> None:
    """Without --db the models are read with `ast` (the schema, and a base's `declared_attr` table names for the
    scanner), whose parser raises MemoryError on these: the file is left out, the scan goes on."""
    models = ("from sqlalchemy import Column, ForeignKey, Integer\n"
              "from sqlalchemy.orm import as_declarative, declared_attr\n\n\n"
              "@as_declarative()\nclass Base:\n    @declared_attr\n    def __tablename__(cls) -> str:\n"
              "        return cls.__name__.lower() + 's'\n\n\n"
              "class Document(Base):\n    id = Column(Integer, primary_key=True)\n\n\n"
              "class Attachment(Base):\n    id = Column(Integer, primary_key=True)\n"
              "    document_id = Column(Integer, ForeignKey('documents.id'))\n")
    bomb = "from sqlalchemy import Column  # Column(...) makes the models reader look at a file\n" + bomb
    app = write_tree(tmp_path / "app", {"bomb.py": bomb, "models.py": models, "schemas.py": hostile.GENUINE})
    proc = run_impact("scan", str(app), "--target", hostile.TARGET, "--out", str(tmp_path / "out"),
                      "--no-typecheck", "-q", cwd=tmp_path)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    outcomes = _outcomes(tmp_path / "out")
    assert outcomes["bomb.py"]["status"] == "skipped"
    found = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert {"schemas.py", "models.py"} <= {f["path"] for f in found}


def test_the_nesting_guard_passes_real_code() -> None:
    """No false alarm on every Python file of the fixture apps, the package itself and the tests (flat
    data tables, long string concatenations and deep f-strings included)."""
    paths = [*REPO.glob("fixtures/**/*.py"), *REPO.glob("analyzer/**/*.py"), *REPO.glob("rules/**/*.py"),
             *REPO.glob("tests/*.py")]
    assert len(paths) > 100
    flagged = {str(p): nesting_problem(p.read_text(encoding="utf-8")) for p in paths}
    assert not {p: r for p, r in flagged.items() if r}
    flat = "ROWS = [\n" + "".join(f"    ({i}, 'name {i}', {i} + 1),\n" for i in range(20000)) + "]\n"
    assert nesting_problem(flat) is None
    near = "x = " + "[" * MAX_NESTING + "]" * MAX_NESTING + "\n"
    assert nesting_problem(near) is None and nesting_problem("x = [" + near[4:]) is not None


# ----------------------------------------------------------------------------- files that are not files


def test_fifo_devzero_loops_and_links_out_are_judged_without_opening(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    os.mkfifo(root / "pkg" / "fifo.py")
    os.symlink("/dev/zero", root / "pkg" / "zero.py")
    os.symlink("a.py", root / "pkg" / "b.py")
    os.symlink("b.py", root / "pkg" / "a.py")  # a -> b -> a
    os.symlink("..", root / "pkg" / "up")
    (tmp_path / "elsewhere.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink(tmp_path / "elsewhere.py", root / "pkg" / "out.py")
    (root / "pkg" / "real.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink("real.py", root / "pkg" / "alias.py")  # inside the root: followed
    started = time.perf_counter()
    found = discover_all([str(root)], ())
    assert time.perf_counter() - started < 5
    reasons = {s.path: s.reason for s in found.skipped}
    assert "FIFO" in reasons["pkg/fifo.py"]
    assert "outside the scanned roots" in reasons["pkg/zero.py"]
    assert reasons["pkg/a.py"] == reasons["pkg/b.py"] == "symlink loop"
    assert "symlinked directory" in reasons["pkg/up/"]
    assert "outside the scanned roots" in reasons["pkg/out.py"]
    # a link to a file scanned in place is not scanned (nor patched) a second time
    assert [f.path for f in found.files] == ["pkg/real.py"]
    assert reasons["pkg/alias.py"] == "same file as pkg/real.py; scanned there"


def test_each_real_file_is_scanned_once(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "generated").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "generated" / "ids.py").write_text("x = 1\n", encoding="utf-8")
    os.symlink("../generated/ids.py", root / "src" / "ids.py")  # the target's folder is excluded: keep the link
    (root / "src" / "models.py").write_text("x = 1\n", encoding="utf-8")
    os.link(root / "src" / "models.py", root / "src" / "models_hard.py")
    found = discover_all([str(root)], ("generated",))
    assert [f.path for f in found.files] == ["src/ids.py", "src/models.py"]
    assert {s.path: s.reason for s in found.skipped} == {
        "src/models_hard.py": "same file as src/models.py; scanned there"}
    # overlapping roots: the file is reported under the first root only
    both = discover_all([str(root / "src"), str(root)], ("generated",))
    assert sorted(f.path for f in both.files) == ["src/ids.py", "src/models.py"]
    assert all(f.root == str(root / "src") for f in both.files)


def test_read_source_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    """A FIFO swapped in after discovery: opened non-blocking, refused on the descriptor's type."""
    fifo = tmp_path / "late.py"
    os.mkfifo(fifo)
    started = time.perf_counter()
    with pytest.raises(Unreadable, match="FIFO"):
        read_source(str(fifo))
    with pytest.raises(Unreadable, match="not a regular file"):
        read_source("/dev/zero")
    assert time.perf_counter() - started < 2


def test_an_unreadable_directory_is_reported(tmp_path: Path) -> None:
    app = write_tree(tmp_path / "app", {"schemas.py": hostile.GENUINE, "secret/models.py": hostile.GENUINE})
    (app / "secret").chmod(0)
    url = hostile.database(tmp_path / "db.sqlite")
    try:
        proc, _ = _measured([*_caps_dropped(), *impact_cmd(), "scan", str(app), "--db", url, "--target",
                             hostile.TARGET, "--out", str(tmp_path / "out"), "--no-typecheck", "-q"], cwd=tmp_path)
    finally:
        (app / "secret").chmod(0o755)
    assert proc.returncode == 1, proc.stderr
    outcome = _outcomes(tmp_path / "out")["secret/"]
    assert outcome == {"path": "secret/", "status": "skipped", "reason": "directory not readable: Permission denied"}


def test_a_non_utf8_name_is_skipped_and_every_report_is_written(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "schemas.py").write_text(hostile.GENUINE, encoding="utf-8")
    (app / os.fsdecode(b"r\xe9sum\xe9.py")).write_text(hostile.GENUINE, encoding="utf-8")
    (app / os.fsdecode(b"d\xefr")).mkdir()
    url = hostile.database(tmp_path / "db.sqlite")
    out = tmp_path / "out"
    proc = run_impact("scan", str(app), "--db", url, "--target", hostile.TARGET, "--out", str(out),
                      "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    outcomes = _outcomes(out)
    assert "not valid UTF-8" in outcomes["r\ufffdsum\ufffd.py"]["reason"]
    assert "not valid UTF-8" in outcomes["d\ufffdr/"]["reason"]
    sarif = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"]
    assert "r\ufffdsum\ufffd.py" in (out / "report.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- size limits


def test_size_and_minified_limits_are_configurable(tmp_path: Path) -> None:
    big = hostile.GENUINE + "# padding\n" * 1200  # ~12 KB of ordinary lines
    one_line = "from pydantic import BaseModel\nclass OneOut(BaseModel): document_id: int; note: str = '" + \
        "x" * 6_000 + "'\n"
    app = write_tree(tmp_path / "app", {"schemas.py": big, "one.py": one_line})
    url = hostile.database(tmp_path / "db.sqlite")
    args = ("scan", str(app), "--db", url, "--target", hostile.TARGET, "--out", str(tmp_path / "out"),
            "--no-typecheck", "-q")
    (app / "impact.toml").write_text("max_file_bytes = 10000\nmax_line_length = 5000\n", encoding="utf-8")
    proc = run_impact(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # nothing scanned: no finding
    outcomes = _outcomes(tmp_path / "out")
    assert "max_file_bytes limit is 10,000" in outcomes["schemas.py"]["reason"]
    assert "a line of 6,0" in outcomes["one.py"]["reason"] and "max_line_length" in outcomes["one.py"]["reason"]
    (app / "impact.toml").write_text("max_file_bytes = 0\nmax_line_length = 0\nmax_average_line_length = 0\n",
                                     encoding="utf-8")
    proc = run_impact(*args, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert {o["status"] for o in _outcomes(tmp_path / "out").values()} == {"ok"}
    (app / "impact.toml").write_text("max_file_bytes = -1\n", encoding="utf-8")
    proc = run_impact(*args, cwd=tmp_path)
    assert proc.returncode == 2 and "max_file_bytes" in proc.stderr and "Traceback" not in proc.stderr


def test_limits_default_to_one_mebibyte_and_minified_shapes() -> None:
    limits = Limits()
    assert limits.max_file_bytes == 1 << 20
    from analyzer.sources import minified_reason

    assert minified_reason(b"x = 1\n" * 1000, limits) is None
    assert "a line of" in (minified_reason(b"x" * 10_001, limits) or "")
    assert "on average" in (minified_reason((b"y" * 900 + b"\n") * 20, limits) or "")


# ----------------------------------------------------------------------------- Ctrl-C


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the scan is under way")
def test_ctrl_c_mid_scan_says_interrupted(tmp_path: Path) -> None:
    """SIGINT while libcst builds positions used to end in `error: KeyError: <CST dump>` (exit 2)."""
    module = "".join(
        f"def step_{i}(document_id: int, page: int = 1) -> int:\n"
        f"    total = document_id + page\n    return helper_{i}(document_id, total)\n\n\n"
        f"def helper_{i}(document_id: int, total: int) -> int:\n    return [document_id, total][0]\n\n\n"
        for i in range(120)
    )
    app = write_tree(tmp_path / "app", {f"pkg/mod_{n}.py": module for n in range(120)})
    url = hostile.database(tmp_path / "db.sqlite")
    for cpu in (2.0, 3.5):
        cmd = [*impact_cmd(), "scan", str(app), "--db", url, "--target", hostile.TARGET, "--out", str(tmp_path / "out"),
               "--no-typecheck", "-q"]
        proc = subprocess.Popen(with_sigint(cmd), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while proc.poll() is None and _cpu_seconds(proc.pid) < cpu and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the scan ended before it could be interrupted: make the tree larger"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (cpu, proc.returncode, err[-2000:])
        assert err.strip() == "interrupted" and "Traceback" not in out + err, err[-2000:]
