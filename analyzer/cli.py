"""The `impact` command line (typer). Parsing and exit codes only: no formatting logic lives here.

Exit codes (SPEC): 0 done, 1 findings at or above --fail-on, 2 usage or input error,
3 database unreachable or refused. Errors are one line on stderr, never a traceback
(set IMPACT_DEBUG=1 to see one).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from analyzer import __version__
from analyzer.config import Config, ConfigError, load
from analyzer.models import SEVERITY_RANK, Progress, Report, no_progress

#: `-h` as well as `--help`, on the app and every sub-command (click inherits context settings downwards)
_CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="impact",
    help="What does it take to change this key? Impact analysis from the live schema and the code.",
    no_args_is_help=True,
    add_completion=False,  # ours below: the shell is named, not guessed from the process tree
    pretty_exceptions_enable=False,
    context_settings=_CONTEXT,
)
rules_app = typer.Typer(help="The rule catalogue.", no_args_is_help=True, context_settings=_CONTEXT)
app.add_typer(rules_app, name="rules")

out_console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")


class Exit(Exception):
    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _guarded(fn: Callable[[], T]) -> T:
    """Map every known error to its exit code with one line; unknown ones too, without traceback."""
    from analyzer.db.errors import DatabaseError, UnknownTarget
    from analyzer.pipeline import UsageError

    try:
        return fn()
    except Exit:
        raise
    except (UsageError, ConfigError, UnknownTarget) as exc:
        raise Exit(2, f"error: {exc}") from None
    except DatabaseError as exc:
        raise Exit(3, f"error: {exc}") from None
    except KeyboardInterrupt:
        raise Exit(130, "interrupted") from None
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if _interrupted(exc):  # Ctrl-C, replaced on its way up by an error raised in a library's cleanup
            raise Exit(130, "interrupted") from None
        if os.environ.get("IMPACT_DEBUG"):
            raise
        raise Exit(2, f"error: {type(exc).__name__}: {exc} (IMPACT_DEBUG=1 shows the traceback)") from None
    finally:
        cache = sys.modules.get("analyzer.cache")  # (a database replay a child started for this command)
        if cache is not None:
            cache.forget_ahead()


def _interrupted(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__context__
    return False


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress]:
    """A rich progress bar on a terminal; silence on CI logs, pipes and with --quiet."""
    if quiet or not err_console.is_terminal:
        yield no_progress
        return
    with Bar(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def advance(n: int = 1, description: str | None = None, total: int | None = None) -> None:
            kwargs: dict[str, Any] = {"advance": n}
            if description:
                kwargs["description"] = description
            if total is not None:
                kwargs["total"] = total
            bar.update(task, **kwargs)

        yield advance


def _load_config(config_file: Path | None, search_from: Path) -> Config:
    return load(config_file, search_from=search_from)


def _formats(text: str) -> tuple[str, ...]:
    from analyzer.pipeline import ALL_FORMATS, UsageError

    chosen = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in chosen if f not in ALL_FORMATS]
    if bad or not chosen:
        raise UsageError(f"--format takes a comma list of {','.join(ALL_FORMATS)}; got {text!r}")
    return chosen


def _print_summary(report: Report, out_dir: Path, written: list[Path], quiet: bool, count: int | None = None) -> None:
    from analyzer.summary import summary_table

    if not quiet:
        out_console.print(summary_table(report))
        plan = report.extras.get("plan")
        if plan is not None:  # the decision: what each strategy costs (scan and demo price them too)
            from analyzer.summary import strategies_table

            out_console.print(strategies_table(plan))
    _print_verification(report, quiet)
    if not quiet:
        out_console.print(f"wrote {len(written) if count is None else count} files to {out_dir}/ in "
                          f"{report.duration_s:.1f}s", markup=False, highlight=False)


def _print_verification(report: Report, quiet: bool = False) -> None:
    """What the patch checks said, per project: a front end that could not be type-checked is said here,
    not only in report.html (`impact scan .` on a monorepo used to write unverified patches silently).
    `--quiet` keeps only those warnings (as ruff's: diagnostics, nothing else)."""
    check = report.extras.get("verification")
    if not isinstance(check, dict):
        return
    for line in [] if quiet else check.get("checked", []):
        out_console.print(f"[green]✔[/] {escape(line)}", highlight=False, soft_wrap=True)
    for line in check.get("skipped", []):
        out_console.print(f"[yellow]✘[/] {escape(line)}", highlight=False, soft_wrap=True)


def _exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    floor = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= floor for f in report.findings) else 0


@app.command()
def scan(
    paths: Annotated[list[str] | None, typer.Argument(help="Source roots (default: .)")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="IMPACT_DATABASE_URL", help="Database URL")] = None,
    target: Annotated[list[str] | None, typer.Option("--target", help="TABLE.COLUMN, repeatable")] = None,
    to: Annotated[str, typer.Option("--to", help="uuid | uuid7 | bigint | text")] = "uuid",
    fmt: Annotated[str, typer.Option("--format", help="html,md,json,sarif")] = "html,md,json,sarif",
    out: Annotated[Path, typer.Option(
        "--out", help="Output directory; - lists the findings on stdout and writes nothing")] = Path("impact-report"),
    diff_base: Annotated[str | None, typer.Option(
        "--diff-base", help="Only what changed since REF: findings on changed lines (see --diff-scope)")] = None,
    diff_scope: Annotated[str, typer.Option(
        "--diff-scope", help="With --diff-base: lines (findings on changed lines) | files (in changed files)")] = "lines",
    baseline: Annotated[Path | None, typer.Option("--baseline", help="findings.json to suppress")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="error | warning | never")] = "error",
    jobs: Annotated[int, typer.Option("--jobs", help="Parallel workers (0 = auto)")] = 0,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the per-file cache")] = False,
    cache_dir: Annotated[Path | None, typer.Option(
        "--cache-dir", help="Where the cache lives (default: .impact-cache in the first root)")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="impact.toml or pyproject.toml")] = None,
    schema: Annotated[str | None, typer.Option("--schema", help="Database schemas, comma separated")] = None,
    no_typecheck: Annotated[bool, typer.Option(
        "--no-typecheck", help="Do not run the front end's tsc on the patched copy before writing patches")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary, only warnings")] = False,
) -> None:
    """Find every place the key change reaches, price it, and write reports and patches."""

    def run() -> int:
        from analyzer.pipeline import (
            ScanOptions,
            UsageError,
            db_side,
            replay_stored_ahead,
            run_memo,
            run_plan,
            run_scan,
            verified,
            write_outputs,
        )

        started = time.perf_counter()
        if fail_on not in ("error", "warning", "never"):
            raise UsageError(f"--fail-on must be error, warning or never; got {fail_on!r}")
        if diff_scope not in ("lines", "files"):
            raise UsageError(f"--diff-scope must be lines or files; got {diff_scope!r}")
        formats = _formats(fmt)
        roots = tuple(paths or ["."])
        if baseline is not None and not baseline.is_file():  # first use of a pre-commit hook: say how to make it
            made = " ".join(["impact scan", *roots, *(f"--target {t}" for t in target or ()), f"--to {to}"])
            raise UsageError(f"--baseline {baseline}: no such file; make it once from a full scan of the committed "
                             f"tree and commit it: {made} --format json --out impact-baseline && cp "
                             f"impact-baseline/findings.json {baseline}")
        cfg = _load_config(config, Path(roots[0]) if Path(roots[0]).is_dir() else Path.cwd())
        cfg = cfg.merged(
            schemas=tuple(s for s in (schema or "").split(",") if s),
            jobs=jobs or None,
            cache=False if no_cache else None,
        )
        options = ScanOptions(
            roots=roots,
            targets=tuple(target or ()),
            to=to,
            db_url=db,
            config=cfg,
            diff_base=diff_base,
            diff_scope=diff_scope,
            baseline=baseline,
            cache_dir=cache_dir,
        )
        listed = str(out) == "-"  # a pre-commit hook: nothing written into the work tree (nor into .git)
        replay_stored_ahead(options, whole_run=not listed)  # (a listed run is never read back whole)
        # an unchanged re-run: its outputs read back (analyzer.cache.RunMemo), the project's checkers among
        # what it compares (projects.typecheck_inputs)
        memo = run_memo(options, formats, typecheck=not no_typecheck) if not listed else None
        hit = memo.get() if memo is not None else None
        if hit is not None:
            return _from_memo(hit, out, quiet, fail_on, started)
        recorder = None
        if memo is not None and db:
            from analyzer.cache import DbRecorder

            recorder = DbRecorder()
        side = db_side(options, memo) if not listed else None  # the database read meanwhile, in a child
        try:
            with _progress(quiet) as progress, recorder if recorder is not None else nullcontext():
                report = run_scan(options, progress, memo, db_side=side)
                if not diff_base and not listed:  # a pull request's diff prices what it adds, not the whole migration
                    from analyzer.plan.strategies import plan_strategies

                    report = run_plan(report, options, plan_strategies(to), progress=progress, db_side=side)
        finally:
            if side is not None:
                side.close()
        if listed:
            from analyzer.summary import finding_lines

            for line in finding_lines(report):
                out_console.print(line, markup=False, highlight=False, soft_wrap=True)
            return _exit_code(report, fail_on)
        plan = report.extras.get("plan")
        report = verified(report, typecheck=not no_typecheck, config=cfg)

        def plan_writer(stage: Path) -> list[Path]:
            from analyzer.plan.strategies import write_plan

            return write_plan(plan, stage)  # type: ignore[arg-type]

        written = write_outputs(report, out, formats, also=[plan_writer] if plan is not None else [])
        if memo is not None:
            from analyzer.codemods.verify import settled

            if settled(report.extras.get("verification")):  # a checker that could not run: not for next time
                memo.put(report, out, written, recorder)
        _print_summary(report, out, written, quiet)
        return _exit_code(report, fail_on)

    raise typer.Exit(_guarded(run))


def _from_memo(entry: Any, out: Path, quiet: bool, fail_on: str, started: float) -> int:
    """A stored run's outputs written again (swapped in as a run's are), its summary said again."""
    import pickle
    from dataclasses import replace

    from analyzer.outdir import write_swapped

    def write(stage: Path) -> list[Path]:
        paths = []
        for rel, data in entry.outputs.items():
            path = stage / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
        return paths

    written = write_swapped(out, write)
    report = replace(entry.report, duration_s=time.perf_counter() - started)
    if not quiet and entry.plan is not None:
        report = replace(report, extras={**report.extras, "plan": pickle.loads(entry.plan)})
    _print_summary(report, out, written, quiet, count=entry.written or len(written))
    return _exit_code(report, fail_on)


@app.command("plan")
def plan_cmd(
    paths: Annotated[list[str] | None, typer.Argument(help="Source roots (default: .)")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="IMPACT_DATABASE_URL", help="Database URL")] = None,
    target: Annotated[list[str] | None, typer.Option("--target", help="TABLE.COLUMN, repeatable")] = None,
    strategy: Annotated[list[str] | None, typer.Option(
        "--strategy", help="uuid | uuid7 | bigint | shared-sequence | keep, repeatable (default: all)")] = None,
    all_strategies: Annotated[bool, typer.Option("--all", help="Every strategy (the default)")] = False,
    rehearse_db: Annotated[str | None, typer.Option(
        "--rehearse-db", help="A scratch database to rehearse each migration on (never the --db one)")] = None,
    sample: Annotated[int | None, typer.Option("--sample", help="Rows per table copied for the rehearsal")] = None,
    alembic: Annotated[bool, typer.Option(
        "--alembic", help="Also write the strategy's migration as an Alembic revision chained to the head")] = False,
    fmt: Annotated[str, typer.Option("--format", help="html,md,json,sarif")] = "html,md,json,sarif",
    out: Annotated[Path, typer.Option("--out", help="Output directory")] = Path("impact-report"),
    config: Annotated[Path | None, typer.Option("--config", help="impact.toml or pyproject.toml")] = None,
    schema: Annotated[str | None, typer.Option("--schema", help="Database schemas, comma separated")] = None,
    no_typecheck: Annotated[bool, typer.Option("--no-typecheck", help="Do not run tsc on the patched copy")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """The decision: every strategy priced side by side (code, data, locks, risks, effort), one migration
    per strategy, optionally rehearsed on a scratch database. Writes plan.json, migrations/ and the reports."""

    def run() -> int:
        from analyzer.pipeline import (
            ScanOptions,
            UsageError,
            replay_stored_ahead,
            run_plan,
            run_scan,
            verified,
            write_outputs,
        )
        from analyzer.plan.strategies import STRATEGIES, write_plan
        from analyzer.summary import strategies_table

        if sample is not None and sample < 1:
            raise UsageError("--sample must be a positive number of rows")
        formats = _formats(fmt)
        roots = tuple(paths or ["."])
        cfg = _load_config(config, Path(roots[0]) if Path(roots[0]).is_dir() else Path.cwd())
        cfg = cfg.merged(schemas=tuple(s for s in (schema or "").split(",") if s))
        chosen = tuple(dict.fromkeys(strategy or ())) if strategy and not all_strategies else STRATEGIES
        unknown = [s for s in chosen if s not in STRATEGIES]
        if unknown:
            raise UsageError(f"--strategy takes {', '.join(STRATEGIES)}; got {', '.join(unknown)}")
        if alembic and (len(chosen) != 1 or chosen[0] == "keep"):
            raise UsageError("--alembic writes one revision: name exactly one --strategy (not keep)")
        # one scan towards UUID finds the superset; each strategy keeps the findings its rules hold for
        options = ScanOptions(roots=roots, targets=tuple(target or ()), to="uuid", db_url=db, config=cfg)
        replay_stored_ahead(options, whole_run=False)
        with _progress(quiet) as progress:
            report = run_scan(options, progress)
            report = run_plan(report, options, chosen, rehearse_url=rehearse_db, sample=sample, progress=progress)
        plan = report.extras["plan"]
        # plan.json and migrations/ join the reports' swap: the out folder is always one run's
        report = verified(report, typecheck=not no_typecheck, config=cfg)
        _print_verification(report)
        written = write_outputs(report, out, formats, also=[lambda stage: write_plan(plan, stage)])  # type: ignore[arg-type]
        if alembic:
            from analyzer.plan.alembic import AlembicError, write_revision

            chosen_plan = plan.strategies[0]  # type: ignore[attr-defined]
            migration = report.extras.get("migrations", {}).get(chosen[0])  # type: ignore[attr-defined]
            if chosen_plan.refused or migration is None:
                raise UsageError(f"--alembic: no {chosen[0]} migration ({chosen_plan.refused or 'not planned'})")
            try:
                revision = write_revision(migration, [Path(r) for r in roots])
            except AlembicError as exc:
                raise UsageError(str(exc)) from None
            written.append(revision)
            out_console.print(f"wrote the Alembic revision {revision}", markup=False)
        out_console.print(strategies_table(plan))
        out_console.print(f"wrote {len(written)} files to {out}/ (plan.json, migrations/)", markup=False)
        return 0

    raise typer.Exit(_guarded(run))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output directory")] = Path("impact-report"),
    rows: Annotated[int, typer.Option("--rows", help="Rows per content table in the demo database")] = 500,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Build the bundled fixture database on SQLite, scan the bundled app, write every report."""

    def run() -> int:
        from analyzer.demo import run_demo
        from analyzer.pipeline import verified, write_outputs
        from analyzer.plan.strategies import write_plan

        started = time.perf_counter()
        with _progress(quiet) as progress:
            report = run_demo(out, rows=rows, progress=progress)
        plan = report.extras.get("plan")
        report = verified(report)
        written = write_outputs(report, out, ("html", "md", "json", "sarif"),
                                also=[lambda stage: write_plan(plan, stage)] if plan is not None else [])  # type: ignore[arg-type]
        _print_summary(report, out, written, quiet)
        out_console.print(f"demo finished in {time.perf_counter() - started:.1f}s; open {out / 'report.html'}",
                          markup=False, highlight=False)
        out_console.print(f"the scanned app was copied to {out / 'demo-app'}; `impact apply --out {out}` patches that copy",
                          markup=False, highlight=False)
        return 0

    raise typer.Exit(_guarded(run))


@app.command("schema")
def schema_cmd(
    db: Annotated[str | None, typer.Option("--db", envvar="IMPACT_DATABASE_URL", help="Database URL")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | md | dot | html")] = "md",
    schema: Annotated[str | None, typer.Option("--schema", help="Database schemas, comma separated")] = None,
    exact_counts: Annotated[bool, typer.Option("--exact-counts", help="count(*) instead of estimates")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="impact.toml or pyproject.toml")] = None,
) -> None:
    """The FK graph alone: tables, keys, references (declared and inferred), row counts, sizes."""

    def run() -> int:
        from analyzer import db as dbmod
        from analyzer.pipeline import UsageError

        if not db:
            raise UsageError("--db URL (or IMPACT_DATABASE_URL) is required")
        if fmt not in ("json", "md", "dot", "html"):
            raise UsageError(f"--format must be json, md, dot or html; got {fmt!r}")
        cfg = _load_config(config, Path.cwd())
        schemas = tuple(s for s in (schema or "").split(",") if s) or cfg.schemas
        snapshot = dbmod.reflect(db, schemas, exact_counts=exact_counts)
        graph = dbmod.build_graph(snapshot, cfg)
        out_console.print(dbmod.render_schema(snapshot, graph, fmt), markup=False, highlight=False, soft_wrap=True)
        return 0

    raise typer.Exit(_guarded(run))


@app.command("apply")
def apply_cmd(
    out: Annotated[Path, typer.Option("--out", help="The scan's output directory")] = Path("impact-report"),
    force: Annotated[bool, typer.Option("--force", help="Patch files with uncommitted changes too")] = False,
    check: Annotated[bool, typer.Option("--check", help="Verify that every patch applies; change nothing")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Finish an apply that was interrupted")] = False,
    rollback: Annotated[bool, typer.Option("--rollback", help="Undo an apply that was interrupted")] = False,
) -> None:
    """Apply the generated patches to the working tree: every file or none."""

    def run() -> int:
        from analyzer.codemods.patching import ApplyError, apply_patches, finish_interrupted
        from analyzer.pipeline import UsageError

        if resume + rollback + check > 1:
            raise UsageError("--resume, --rollback and --check exclude each other")
        try:
            if resume or rollback:
                files = finish_interrupted(out, "resume" if resume else "rollback")
                done = "resumed: {} files patched" if resume else "rolled back: {} files as before the apply"
                out_console.print(done.format(len(files)), markup=False)
                return 0
            files = apply_patches(out, force=force, check=check)
        except ApplyError as exc:
            raise UsageError(str(exc)) from None
        verb = "would patch" if check else "patched"
        out_console.print(f"{verb} {len(files)} file{'s' if len(files) != 1 else ''}")
        return 0

    raise typer.Exit(_guarded(run))


@app.command("comment")
def comment_cmd(
    out: Annotated[Path, typer.Option("--out", help="The scan's output directory")] = Path("impact-report"),
    provider: Annotated[str | None, typer.Option(
        "--provider", help="github | gitlab (default: gitlab inside GitLab CI, else github)")] = None,
    repo: Annotated[str | None, typer.Option(
        "--repo", help="OWNER/NAME (GitLab: project path or id); default GITHUB_REPOSITORY / CI_PROJECT_ID")] = None,
    pr: Annotated[int | None, typer.Option(
        "--pr", help="Pull request number (GitLab: MR iid); default from the CI event")] = None,
    api_url: Annotated[str | None, typer.Option(
        "--api-url", help="API root; default GITHUB_API_URL / CI_API_V4_URL, else the public service")] = None,
    when: Annotated[str, typer.Option(
        "--when", help="findings: only when something touches the key | always")] = "findings",
    marker: Annotated[str, typer.Option(
        "--marker", help="Name in the hidden marker, for several sticky comments on one PR")] = "impact",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the body and what would be done (stderr); post nothing")] = False,
) -> None:
    """Create, update or resolve ONE sticky comment with report.md on the pull request (GitHub) or merge
    request (GitLab). The token comes from the environment only: GITHUB_TOKEN, or GITLAB_TOKEN / CI_JOB_TOKEN."""

    def run() -> int:
        from analyzer.comment import CommentError
        from analyzer.comment import run as run_comment
        from analyzer.pipeline import UsageError

        try:
            outcome = run_comment(out, provider=provider, repo=repo, pr=pr, api_url=api_url, when=when,
                                  marker_name=marker, dry_run=dry_run)
        except CommentError as exc:
            raise UsageError(str(exc)) from None
        if dry_run:  # the body alone on stdout (`> body.md`), what would be done on stderr
            if outcome.body is not None:
                typer.echo(outcome.body, nl=False)  # verbatim: rich would turn :codes: into emoji
            err_console.print(outcome.line, markup=False, highlight=False, soft_wrap=True)
        else:
            out_console.print(outcome.line, markup=False, highlight=False, soft_wrap=True)
        return 0

    raise typer.Exit(_guarded(run))


@rules_app.command("list")
def rules_list() -> None:
    """Every rule: code, name, layer, kind, severity (language and summary when the terminal is wide)."""

    def run() -> int:
        from analyzer.summary import rules_table

        out_console.print(rules_table(_catalogue()))
        return 0

    raise typer.Exit(_guarded(run))


@rules_app.command("show")
def rules_show(rule: Annotated[str, typer.Argument(help="Rule code or name")]) -> None:
    """One rule's documentation: what it flags, why, and what to do instead."""

    def run() -> int:
        from analyzer.pipeline import UsageError

        for meta in _catalogue():
            if rule in (meta.code, meta.name):
                out_console.print(f"[bold]{meta.code} {meta.name}[/] ({meta.language}, {meta.layer}, "
                                  f"{meta.kind}, {meta.severity}{', fixable' if meta.fixable else ''})")
                out_console.print(meta.doc, markup=False, highlight=False)
                return 0
        raise UsageError(f"unknown rule {rule!r} (see `impact rules list`)")

    raise typer.Exit(_guarded(run))


def _catalogue() -> list[Any]:
    from analyzer.codemods.verify import catalogue as verify_catalogue
    from analyzer.python import catalogue as py_catalogue
    from analyzer.suppress import catalogue as suppress_catalogue
    from analyzer.typescript import catalogue as ts_catalogue

    return sorted([*py_catalogue(), *ts_catalogue(), *suppress_catalogue(), *verify_catalogue()], key=lambda m: m.code)


def _version_callback(value: bool) -> None:
    if value:
        out_console.print(f"impact {__version__}")
        raise typer.Exit(0)


_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")


def _completion_callback(install: bool) -> Callable[[typer.Context, str | None], None]:
    """`--show-completion SHELL` prints the script, `--install-completion SHELL` writes it to the shell's rc.

    typer's own flags detect the shell from the process tree (shellingham): from a CI step, a Makefile
    or a pipe they find `sh` or nothing and fail, and `--show-completion zsh` silently printed the bash
    script. Naming the shell works everywhere, without a terminal.
    """

    def callback(ctx: typer.Context, shell: str | None) -> None:
        if shell is None or ctx.resilient_parsing:
            return
        from typer.completion import get_completion_script
        from typer.completion import install as install_script

        if shell not in _SHELLS:
            raise Exit(2, f"error: {'--install' if install else '--show'}-completion takes one of "
                          f"{', '.join(_SHELLS)}; got {shell!r}")
        if install:
            _, path = install_script(shell=shell, prog_name="impact", complete_var="_IMPACT_COMPLETE")
            out_console.print(f"{shell} completion installed in {path}; it takes effect in a new shell",
                              markup=False, highlight=False)
        else:
            typer.echo(get_completion_script(prog_name="impact", complete_var="_IMPACT_COMPLETE", shell=shell))
        raise typer.Exit(0)

    return callback


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version_callback, is_eager=True, help="Show the version")
    ] = False,
    show_completion: Annotated[str | None, typer.Option(
        "--show-completion", metavar="SHELL", callback=_completion_callback(install=False), is_eager=True,
        expose_value=False, help="Print the completion script for bash, zsh, fish or powershell")] = None,
    install_completion: Annotated[str | None, typer.Option(
        "--install-completion", metavar="SHELL", callback=_completion_callback(install=True), is_eager=True,
        expose_value=False, help="Install completion for bash, zsh, fish or powershell")] = None,
) -> None:
    """What does it take to change this key?"""


def main() -> None:
    from typer.completion import completion_init

    completion_init()  # typer's shell-completion classes answer the scripts printed by --show-completion
    from analyzer import workers

    workers.ONE_SHOT = True  # the process ends in `_leave`: a scan's trees need not be freed (engine.scan_python)
    # what the imports built lives as long as the process: no full collection walks it again; and fewer young
    # collections, most of whose objects a larger generation lets die by their count first (polar's cold scan:
    # 437 collections, 0.18 s, outside the Python scan, which runs without them -> 101, 0.09 s)
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        try:
            app(standalone_mode=True)
        except Exit as exc:
            if exc.message:
                from analyzer.db.errors import scrub_secrets  # last line of defence: no password on stderr

                err_console.print(scrub_secrets(exc.message), markup=False, highlight=False, soft_wrap=True)
            sys.exit(exc.code)
    except SystemExit as done:
        _leave(done.code)


def _leave(code: object) -> None:
    """End the process without the interpreter's teardown. A large scan leaves millions of syntax nodes
    alive, and freeing them one by one when the interpreter ends costs seconds (polar: ~6 s of a 40 s cold
    run) and gives the user nothing. Every output file is closed by then; the streams are flushed and the
    atexit hooks run (logging, tempfile, multiprocessing), as `sys.exit` would, and the exit code is the
    same (`sys.exit` semantics: None is 0, a message is printed and gives 1)."""
    import atexit

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`impact ... | head`): nothing more can reach it
            pass
    atexit._run_exitfuncs()
    from analyzer import workers

    workers.finish()  # what the run writes in a child (diff mode's snapshot) is on disk when it ends
    os._exit(status)
