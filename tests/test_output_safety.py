"""What `impact` writes is safe to share: no password, no live markup, bounded size, one scan's outputs.

Every test drives the real CLI (or the real renderers) on real inputs: a PostgreSQL role whose
password holds '/', '#', '?' and '@', SQLite tables and files with hostile names rendered through a
real Markdown renderer, a source line of megabytes, and out folders with a previous run's outputs.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
import sqlalchemy as sa
from analyzer.reports import RENDERERS
from analyzer.reports.markup import md_cell, md_code, md_message, md_text
from analyzer.reports.sarif import artifact_uri
from helpers import run_impact, write_tree
from report_factory import build_report
from sqlalchemy.engine import make_url

from analyzer import db
from analyzer.db.errors import scrub_secrets, split_url
from analyzer.outdir import OWNED, RETIRED_PREFIX, STAGING_PREFIX
from analyzer.pipeline import write_outputs

DATA = Path(__file__).parent / "data"
RESERVED = "/#?@"


def _fragments(secret: str) -> list[str]:
    """The password and every piece of it between reserved characters, when 3 characters or more."""
    return [secret] + [p for p in re.split(r"[/#?@]", secret) if len(p) >= 3]


def _leaks(text: str, secret: str) -> list[str]:
    return [f for f in _fragments(secret) if f in text]


def _tree_text(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])



PYDANTIC = "from pydantic import BaseModel\n\n\nclass {cls}(BaseModel):\n    document_id: int\n"


# ----------------------------------------------------------------------------- passwords


@pytest.fixture()
def tricky_role(pg_url: str, run_sql: Callable[[str, str], None]) -> Iterator[tuple[str, str]]:
    """(raw URL as a user types it, password): a real role whose password holds / # ? @ unencoded."""
    role = f"impact_r_{uuid.uuid4().hex[:8]}"
    secret = f"Pw{uuid.uuid4().hex[:6]}/sl4sh#h4sh?qu3ry@at{uuid.uuid4().hex[:4]}"
    admin = make_url(pg_url)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{secret}'")
    run_sql(pg_url, "CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT)\n;;\n"
                    "CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id))\n;;\n"
                    f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    raw = f"postgresql://{role}:{secret}@{admin.host}:{admin.port or 5432}/{admin.database}"
    try:
        yield raw, secret
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        engine.dispose()


def test_password_with_reserved_characters_connects_and_never_shows(tricky_role: tuple[str, str],
                                                                     tmp_path: Path) -> None:
    url, secret = tricky_role
    assert all(c in secret for c in RESERVED)
    app = write_tree(tmp_path / "app", {"schemas.py": PYDANTIC.format(cls="AttachmentOut")})
    out = tmp_path / "out"
    proc = run_impact("scan", str(app), "--db", url, "--target", "documents.id", "--out", str(out),
                      "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # the connection works with the password as typed
    assert not _leaks(proc.stdout + proc.stderr, secret)
    outputs = _tree_text(out)
    assert {"report.html", "report.md", "findings.json", "findings.sarif", "migration.sql"} <= set(outputs)
    for name, text in outputs.items():
        assert not _leaks(text, secret), name
    source = json.loads(outputs["findings.json"])["schema"]["source"]
    assert source == url.replace(f":{secret}@", ":***@")
    assert json.loads(outputs["findings.json"])["summary"]["findings"] >= 1

    # the same URL from the environment, and every schema format on stdout
    for fmt in ("md", "json", "html", "dot"):
        proc = run_impact("schema", "--format", fmt, cwd=tmp_path, env={"IMPACT_DATABASE_URL": url})
        assert proc.returncode == 0, proc.stderr
        assert "documents" in proc.stdout
        assert not _leaks(proc.stdout + proc.stderr, secret), fmt


@pytest.mark.parametrize("command", ["scan", "schema"])
def test_unreachable_url_with_reserved_characters_exits_3_without_the_password(command: str,
                                                                               tmp_path: Path) -> None:
    secret = f"Pw{uuid.uuid4().hex[:6]}/sl4sh#h4sh?qu3ry@at{uuid.uuid4().hex[:4]}"
    url = f"postgresql://someone:{secret}@127.0.0.1:{_closed_port()}/nothing"
    args = ["scan", str(tmp_path), "--target", "documents.id", "--out", str(tmp_path / "out")] \
        if command == "scan" else ["schema"]
    proc = run_impact(*args, "--db", url, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: cannot connect to postgresql://someone:***@127.0.0.1:"), lines[0]
    assert not _leaks(proc.stdout + proc.stderr, secret)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("url", "redacted", "password"), [
    ("postgresql://u:p/a#s?s@w@127.0.0.1:5432/db", "postgresql://u:***@127.0.0.1:5432/db", "p/a#s?s@w"),
    ("postgresql://u:s3cret@h/db", "postgresql://u:***@h/db", "s3cret"),
    ("postgresql+psycopg://u:p%40ss@h:5432/db?sslmode=require",
     "postgresql+psycopg://u:***@h:5432/db?sslmode=require", "p@ss"),
    ("postgresql://u:12/ss@h/db", "postgresql://u:***@h/db", "12/ss"),
    ("mysql://root@h/db", "mysql://root@h/db", None),
    ("postgresql://u@[::1]:5432/db", "postgresql://u@[::1]:5432/db", None),
    ("sqlite:////srv/a@b:c.db", "sqlite:////srv/a@b:c.db", None),
    ("postgresql://h/db?user=u&password=hunter2", "postgresql://h/db?user=u&password=***", None),
])
def test_one_redaction_and_the_engine_agree(url: str, redacted: str, password: str | None) -> None:
    from analyzer.db.engine import normalize_url

    assert db.redact(url) == redacted
    parts = split_url(url)
    assert parts is not None
    if password is not None:
        assert normalize_url(url).password == password  # what the driver gets, verbatim
        assert scrub_secrets(f"driver said {password!r} and {url}") == f"driver said '***' and {redacted}"


# ----------------------------------------------------------------------------- markdown


HOSTILE_FILE = "x`` <img src=x onerror=alert(1)> ``y #%20 ü [a](javascript:alert(3)).py"
HOSTILE_TABLE = "att`x <img src=x onerror=alert(1)> |t"
HOSTILE_COLUMN = "doc`id <script>alert(2)</script>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


#: what report.md and the schema Markdown may legitimately render to
SAFE_TAGS = {"p", "ul", "li", "code", "strong", "em", "h1", "h2", "h3", "h4", "table", "thead", "tbody",
             "tr", "th", "td", "details", "summary", "sub", "br"}


def _rendered_tags(markdown: str) -> _Tags:
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(markdown)
    parser = _Tags()
    parser.feed(html)
    return parser


def _assert_inert(markdown: str) -> None:
    found = _rendered_tags(markdown)
    assert found.tags <= SAFE_TAGS, found.tags - SAFE_TAGS
    assert not {a for a in found.attrs if a.startswith("on") or a in ("src", "href")}, found.attrs


@pytest.fixture()
def hostile(tmp_path: Path) -> tuple[Path, str]:
    """An app with a hostile file name and a SQLite database with hostile table and column names."""
    path = tmp_path / "hostile.sqlite"
    con = sqlite3.connect(path)
    con.executescript(f"""
        CREATE TABLE documents (id INTEGER PRIMARY KEY, title TEXT);
        CREATE TABLE "{HOSTILE_TABLE}" (id INTEGER PRIMARY KEY, "{HOSTILE_COLUMN}" INTEGER REFERENCES documents(id));
        CREATE TABLE "my\tdocs and <b>bold</b>" (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));
    """)
    con.commit()
    con.close()
    app = write_tree(tmp_path / "app", {HOSTILE_FILE: PYDANTIC.format(cls="Att"), "ok.py": PYDANTIC.format(cls="Doc")})
    return app, f"sqlite:///{path}"


def test_hostile_names_stay_text_in_report_md_and_schema_md(hostile: tuple[Path, str], tmp_path: Path) -> None:
    app, url = hostile
    out = tmp_path / "out"
    proc = run_impact("scan", str(app), "--db", url, "--target", "documents.id", "--out", str(out),
                      "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "onerror" in md and HOSTILE_FILE.split(".py")[0][:5] in md  # the names are there, as text
    _assert_inert(md)

    schema = run_impact("schema", "--db", url, "--format", "md", cwd=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert "onerror" in schema.stdout
    _assert_inert(schema.stdout)

    # the same data is valid findings.json (names with spaces and tabs) and valid SARIF
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert any("\t" in r["from"] for r in findings["schema"]["references"])
    _validate_findings(findings)
    sarif = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    _validate_sarif(sarif)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert unquote(max(uris, key=len)) == HOSTILE_FILE


@pytest.mark.parametrize("text", [
    "plain", "a`b", "``", "`x`", " a ", "x<img src=x onerror=alert(1)>", "a | b", "back\\slash`",
    "*_[]()!#&amp;<>", "line\nbreak", "```` four", "_edge_ and snake_case", "[a](javascript:alert(1))",
])
def test_markdown_helpers_round_trip_through_a_real_renderer(text: str) -> None:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    flat = text.replace("\n", " ")

    def inner(html: str, tag: str) -> str:
        m = re.fullmatch(rf"<p>(?:<{tag}>)?(.*?)(?:</{tag}>)?</p>\n", html, re.S)
        assert m, html
        return m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")

    assert inner(md.render(md_code(text)), "code") == flat
    assert inner(md.render(md_text(text)), "x") == flat.strip()
    _assert_inert(md_message(f"message `{text}` and {text}"))
    cell = md.render(f"| h |\n|---|\n| {md_cell(md_code(text))} |\n")
    assert cell.count("<td>") == 1 and "<img" not in cell


# ----------------------------------------------------------------------------- schemas


def _validate_findings(doc: dict) -> None:  # type: ignore[type-arg]
    schema = json.loads((resources.files("analyzer.reports") / "findings.schema.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    assert not errors, errors[:5]


def _validate_sarif(doc: dict) -> None:  # type: ignore[type-arg]
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    errors = [f"{list(e.path)}: {e.message}" for e in
              jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(doc)]
    assert not errors, errors[:5]


#: RFC 3986 relative-ref with a path only: unreserved, sub-delims, '@', '/' and %XX (no ':' in it at all)
_URI_PATH = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})+")


@pytest.mark.parametrize("path", ["backend/app/models.py", "src/my file #1 100%.py", "src/ü/ö.ts",
                                  "a:b/c?.tsx", "x`` <img>.py"])
def test_sarif_uris_are_percent_encoded(path: str) -> None:
    report = build_report()
    from dataclasses import replace

    findings = tuple(replace(f, path=path) if i == 0 else f for i, f in enumerate(report.findings))
    doc = json.loads(RENDERERS["sarif"](replace(report, findings=findings)))
    _validate_sarif(doc)
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert _URI_PATH.fullmatch(uri), uri
    assert unquote(uri) == path and artifact_uri(path) == uri
    if path == "backend/app/models.py":
        assert uri == path


def test_findings_json_validates_with_whitespace_in_identifiers() -> None:
    from dataclasses import replace

    from analyzer.models import Reference

    report = build_report()
    findings = tuple(replace(f, symbol="My Model.\tfield name") for f in report.findings)
    refs = (*report.closure.references,
            Reference("order items", "content id", "content_items", "id", "inferred", 0.7, "name", 3))
    report = replace(report, findings=findings, closure=replace(report.closure, references=refs))
    _validate_findings(json.loads(RENDERERS["json"](report)))


# ----------------------------------------------------------------------------- size


def test_a_megabyte_line_does_not_make_megabyte_reports(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE documents (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));")
    con.close()
    line = ("    note: str = Field(default='" + "x" * 3_000_000 + "'); document_id: int; other: str = '"
            + "y" * 2_000_000 + "'\n")
    app = write_tree(tmp_path / "app", {"schemas.py": "from pydantic import BaseModel, Field\n\n\n"
                                                "class AttachmentOut(BaseModel):\n" + line,
                                  # the read limits would skip this file (tests/test_hostile_input.py):
                                  # off here, so the reports' own caps are what is tested
                                  "impact.toml": "[tool.impact]\nmax_file_bytes = 0\nmax_line_length = 0\n"
                                                 "max_average_line_length = 0\n"})
    out = tmp_path / "out"
    proc = run_impact("scan", str(app), "--db", f"sqlite:///{path}", "--target", "documents.id",
                      "--out", str(out), "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    finding = next(f for f in doc["findings"] if f["symbol"] == "AttachmentOut.document_id")
    assert finding["column"] > 3_000_000 and finding["fix"]
    for name, bound in (("report.html", 200_000), ("findings.sarif", 50_000), ("report.md", 70_000),
                        ("findings.json", 50_000)):
        size = (out / name).stat().st_size
        assert size < bound, (name, size)
    # the excerpt keeps the flagged column: the field is in the page, with ellipses around it
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "document_id: int" in html and "…" in html
    sarif = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    snippet = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]
    assert "document_id: int" in snippet and len(snippet) <= 300
    # the patch itself stays whole: it must apply
    patch = (out / "patches" / "all.patch").read_text(encoding="utf-8")
    assert "x" * 3_000_000 in patch and "document_id: uuid.UUID" in patch


# ----------------------------------------------------------------------------- terminal


def test_rich_markup_in_a_path_or_a_name_is_printed_as_is(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    con = sqlite3.connect(path)
    con.executescript('CREATE TABLE "docs[/]" (id INTEGER PRIMARY KEY);'
                      'CREATE TABLE "att[bold]" (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES "docs[/]"(id));')
    con.close()
    app = write_tree(tmp_path / "app", {"a.py": PYDANTIC.format(cls="A")})
    proc = run_impact("scan", str(app), "--db", f"sqlite:///{path}", "--target", "docs[/].id",
                      "--out", "x[/]out", "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and "MarkupError" not in proc.stderr
    assert "x[/]out" in proc.stdout and "docs[/].id" in proc.stdout
    assert (tmp_path / "x[" / "]out" / "report.html").is_file()


# ----------------------------------------------------------------------------- one scan's outputs


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def scanned(tmp_path: Path) -> tuple[Path, Path, str]:
    path = tmp_path / "db.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE documents (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));")
    con.close()
    app = write_tree(tmp_path / "app", {"a.py": PYDANTIC.format(cls="A"), "b.py": PYDANTIC.format(cls="B")})
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "keep").mkdir()
    (out / "keep" / "data.csv").write_text("1,2\n", encoding="utf-8")
    proc = run_impact("scan", str(app), "--db", f"sqlite:///{path}", "--target", "documents.id",
                      "--out", str(out), "--fail-on", "never", "--no-typecheck", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "patches" / "app" / "b.py.patch").is_file() or (out / "patches" / "b.py.patch").is_file()
    return app, out, f"sqlite:///{path}"


def test_a_new_scan_replaces_every_output_of_the_last_and_nothing_else(scanned: tuple[Path, Path, str]) -> None:
    app, out, url = scanned
    (app / "b.py").write_text("# nothing here any more\n", encoding="utf-8")
    proc = run_impact("scan", str(app), "--db", url, "--target", "documents.id", "--out", str(out),
                      "--format", "md", "--fail-on", "never", "--no-typecheck", cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {"report.md", "patches", "migration.sql", "plan.json", "notes.txt", "keep",
                     ".impact-outputs.json"}, names
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "keep" / "data.csv").read_text(encoding="utf-8") == "1,2\n"
    patches = {p.name for p in (out / "patches").rglob("*.patch")}
    assert patches == {"a.py.patch", "all.patch"}, patches  # b.py's patch went with the old scan
    assert "b.py" not in (out / "patches" / "all.patch").read_text(encoding="utf-8")


def test_an_interrupted_write_leaves_the_last_scan_untouched(scanned: tuple[Path, Path, str]) -> None:
    from analyzer.config import Config
    from analyzer.pipeline import ScanOptions, run_scan

    app, out, url = scanned
    before = _snapshot(out)
    report = run_scan(ScanOptions(roots=(str(app),), targets=("documents.id",), db_url=url, config=Config()))

    def interrupted(stage: Path) -> list[Path]:
        assert (stage / "report.html").is_file() and (stage / "patches" / "all.patch").is_file()
        raise KeyboardInterrupt  # the user presses Ctrl-C once the new report is written

    with pytest.raises(KeyboardInterrupt):
        write_outputs(report, out, typecheck=False, also=[interrupted])
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith((STAGING_PREFIX, RETIRED_PREFIX))]

    # debris of a run killed mid-way (SIGKILL) is swept by the next one
    (out / f"{STAGING_PREFIX}dead").mkdir()
    (out / f"{STAGING_PREFIX}dead" / "report.html").write_text("old", encoding="utf-8")
    written = write_outputs(report, out, ("json",), typecheck=False)
    assert {p.name for p in out.iterdir()} == {"findings.json", "patches", "migration.sql", "notes.txt", "keep",
                                              ".impact-outputs.json"}
    assert all(p.is_file() and out in p.parents for p in written)
    assert set(OWNED) >= {p.relative_to(out).parts[0] for p in written}


def test_demo_twice_keeps_its_app_copy_and_apply_still_works(tmp_path: Path) -> None:
    out = tmp_path / "report dir"
    for _ in range(2):
        proc = run_impact("demo", "--out", str(out), "-q", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert (out / "demo-app" / ".impact-demo-copy").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith((STAGING_PREFIX, RETIRED_PREFIX))]
    index = json.loads((out / "patches" / "index.json").read_text(encoding="utf-8"))
    assert all(str(out / "demo-app") in root for root in index["roots"].values())
    proc = run_impact("apply", "--out", str(out), "--check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_out_in_a_project_never_replaces_its_own_migrations_or_patches(tmp_path: Path) -> None:
    """`--out .` in a project that has its own `migrations/` (Alembic, Django) or `patches/`: impact
    refuses before moving anything, and every byte of the project's folders stays."""
    path = tmp_path / "db.sqlite"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE documents (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE attachments (id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents(id));")
    con.close()
    app = write_tree(tmp_path / "app", {"schemas.py": PYDANTIC.format(cls="Doc"),
                                  "patches/0001-local-fix.patch": "diff --git a/x b/x\n",
                                  "migrations/versions/0001_initial.py": "revision = '0001'\n"})
    args = ("scan", ".", "--db", f"sqlite:///{path}", "--target", "documents.id", "--out", ".",
            "--fail-on", "never", "--no-typecheck")
    proc = run_impact(*args, cwd=app)
    assert proc.returncode == 2 and "not written by impact" in proc.stderr, proc.stderr
    assert (app / "patches" / "0001-local-fix.patch").read_text() == "diff --git a/x b/x\n"
    assert (app / "migrations" / "versions" / "0001_initial.py").read_text() == "revision = '0001'\n"
    assert not (app / "report.html").exists()
    # into a folder of its own, and then again into the same folder: its own outputs are replaced
    for _ in range(2):
        proc = run_impact(*args[:-5], "--out", "impact-report", "--fail-on", "never", "--no-typecheck", cwd=app)
        assert proc.returncode == 0, proc.stderr
    assert (app / "impact-report" / "plan.json").is_file() and (app / "impact-report" / "report.html").is_file()
