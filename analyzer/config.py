"""`[tool.impact]` from pyproject.toml or impact.toml, loaded once into a frozen object.

CLI flags win over the file: the CLI builds its overrides and calls `Config.merged(...)`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """Bad configuration: reported as a one-line usage error (exit 2)."""


DEFAULT_EXCLUDES: tuple[str, ...] = (
    "**/node_modules/**",
    "**/.venv/**",
    "**/venv/**",
    "**/.git/**",
    "**/__pycache__/**",
    "**/dist/**",
    "**/build/**",
    "**/.tox/**",
    "**/.mypy_cache/**",
    "**/site-packages/**",
    "**/*.min.js",
    "**/*.d.ts",
    "**/impact-report/**",
)

#: minutes per finding, by layer: a transparent default effort model (shown in the report)
DEFAULT_MINUTES_PER_FINDING: dict[str, float] = {
    "db-model": 15,
    "migration": 30,
    "raw-sql": 20,
    "pydantic": 8,
    "route": 12,
    "service": 12,
    "task": 20,
    "ts-type": 6,
    "ts-api": 10,
    "ts-hook": 10,
    "ts-state": 10,
    "ts-validation": 8,
    "ts-url": 8,
    "ts-component": 8,
    "test": 6,
    "other": 10,
}


@dataclass(frozen=True)
class VirtualReference:
    """A reference the database does not declare, stated by the team: `from` -> `to`."""

    source: str  # "table.column"
    dest: str  # "table.column"


@dataclass(frozen=True)
class Config:
    roots: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    #: other names the key travels under (columns, params, fields), e.g. "image_id", "contentId"
    aliases: tuple[str, ...] = ()
    #: extra naming patterns for inference, `{singular}` / `{table}` placeholders, e.g. "{singular}_ref"
    reference_patterns: tuple[str, ...] = ()
    virtual_references: tuple[VirtualReference, ...] = ()
    inference_threshold: float = 0.6
    schemas: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()  # rule codes or names turned off
    enable_only: tuple[str, ...] = ()  # when set, only these rules run
    severity: dict[str, str] = field(default_factory=dict)  # rule code/name -> severity
    minutes_per_finding: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MINUTES_PER_FINDING))
    #: hours per table of data migration, scaled by millions of rows (effort model)
    hours_per_table: float = 2.0
    hours_per_million_rows: float = 0.5
    uncertainty: float = 0.5  # effort range = estimate * (1 - u, 1 + u)
    jobs: int = 0  # parallel workers for parsing; 0 = decide from the work and the cores
    cache: bool = True  # per-file facts cached by content hash
    #: files larger than this are skipped with the reason (a 5 MB one-liner cost minutes and gigabytes); 0 = no limit
    max_file_bytes: int = 1 << 20
    #: a file with a line longer than this, or lines this long on average, is minified or generated: skipped
    max_line_length: int = 10_000
    max_average_line_length: int = 500
    #: polymorphic columns stated by the team: "table.column" -> {"by": "kind_col", "values": {"v": "table"},
    #: "others": ["v", ...]} (`[tool.impact.polymorphic]`); wins over what the database suggests
    polymorphic: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: bigint migrations: tables up to this size are altered in place (one ACCESS EXCLUSIVE rewrite);
    #: larger ones expand and contract (new column, sync trigger, batched backfill, swap)
    bigint_in_place_max_rows: int = 1_000_000
    bigint_in_place_max_bytes: int = 1 << 30
    #: `--diff-base` without a cached scan of the base: "auto" scans only the files the change can reach in a
    #: tree of 300 Python files or more (the whole migration's totals are then not computed), "full" always
    #: scans the whole tree, "bounded" bounds any tree (analyzer.colddiff)
    diff_scan: str = "auto"
    source: str = ""  # where this config came from

    @property
    def excludes(self) -> tuple[str, ...]:
        return DEFAULT_EXCLUDES + self.exclude

    def rule_enabled(self, code: str, name: str) -> bool:
        if code in self.disable or name in self.disable:
            return False
        if self.enable_only:
            return code in self.enable_only or name in self.enable_only
        return True

    def severity_for(self, code: str, name: str, default: str) -> str:
        return self.severity.get(code) or self.severity.get(name) or default

    def merged(self, **overrides: Any) -> Config:
        """CLI flags win: only non-empty overrides replace file values."""
        clean = {k: v for k, v in overrides.items() if v not in (None, (), [], {})}
        return replace(self, **clean)


DIFF_SCANS = ("auto", "full", "bounded")
_LIMIT_KEYS = {"max_file_bytes", "max_line_length", "max_average_line_length"}
_LIST_KEYS = {"roots", "exclude", "aliases", "reference_patterns", "schemas", "disable", "enable_only"}


def _as_tuple(key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"[tool.impact] {key} must be a string or a list of strings")


def from_mapping(data: dict[str, Any], source: str = "") -> Config:
    """Validate a `[tool.impact]` table strictly: unknown keys are errors, like ruff does."""
    known = {f.name for f in fields(Config)} - {"source", "virtual_references"}
    known |= {"virtual_references", "effort", "rules"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{source or 'config'}: unknown [tool.impact] key(s): {', '.join(unknown)}")
    kwargs: dict[str, Any] = {"source": source}
    for key, value in data.items():
        if key in _LIST_KEYS:
            kwargs[key] = _as_tuple(key, value)
        elif key == "virtual_references":
            refs = []
            for item in value if isinstance(value, list) else []:
                if not isinstance(item, dict) or "from" not in item or "to" not in item:
                    raise ConfigError("[tool.impact] virtual_references entries need 'from' and 'to'")
                refs.append(VirtualReference(str(item["from"]), str(item["to"])))
            kwargs["virtual_references"] = tuple(refs)
        elif key == "rules":  # [tool.impact.rules] PY012 = "off" | "warning" | ...
            if not isinstance(value, dict):
                raise ConfigError("[tool.impact.rules] must be a table")
            disable = list(kwargs.get("disable", ()))
            sev = dict(kwargs.get("severity", {}))
            for rule, setting in value.items():
                if setting in ("off", False):
                    disable.append(rule)
                elif setting in ("error", "warning", "note"):
                    sev[rule] = setting
                else:
                    raise ConfigError(f"[tool.impact.rules] {rule}: expected off|error|warning|note")
            kwargs["disable"], kwargs["severity"] = tuple(disable), sev
        elif key == "effort":
            if not isinstance(value, dict):
                raise ConfigError("[tool.impact.effort] must be a table")
            minutes = dict(DEFAULT_MINUTES_PER_FINDING)
            minutes.update({k: float(v) for k, v in value.get("minutes_per_finding", {}).items()})
            kwargs["minutes_per_finding"] = minutes
            for k in ("hours_per_table", "hours_per_million_rows", "uncertainty"):
                if k in value:
                    kwargs[k] = float(value[k])
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError("[tool.impact] severity must be a table")
            kwargs["severity"] = {**kwargs.get("severity", {}), **value}
        elif key == "polymorphic":
            kwargs[key] = _polymorphic(value)
        elif key in _LIMIT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"[tool.impact] {key} must be a whole number >= 0 (0 = no limit)")
            kwargs[key] = value
        elif key == "diff_scan":
            if value not in DIFF_SCANS:
                raise ConfigError(f"[tool.impact] diff_scan must be one of {', '.join(DIFF_SCANS)}, got {value!r}")
            kwargs[key] = value
        elif key == "inference_threshold":
            kwargs[key] = float(value)
        else:
            kwargs[key] = value
    _check_rule_names(kwargs, source)
    return Config(**kwargs)


def _check_rule_names(kwargs: dict[str, Any], source: str) -> None:
    """A rule code or name the catalogue does not know is a typo that silently did nothing: refuse it.

    The catalogue is imported here, not at the top: the scanners import this module.
    """
    named = [*kwargs.get("disable", ()), *kwargs.get("enable_only", ()), *kwargs.get("severity", {})]
    if not named:
        return
    from analyzer.codemods.verify import catalogue as verify_catalogue
    from analyzer.python import catalogue as py_catalogue
    from analyzer.suppress import catalogue as suppress_catalogue
    from analyzer.typescript import catalogue as ts_catalogue

    metas = [*py_catalogue(), *ts_catalogue(), *suppress_catalogue(), *verify_catalogue()]
    known = {m.code for m in metas} | {m.name for m in metas}
    for rule in dict.fromkeys(named):
        if rule in known:
            continue
        close = _closest(rule, known)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ConfigError(f"{source or 'config'}: unknown rule {rule!r} in [tool.impact]{hint} "
                          "(`impact rules list` shows them all)")


def _closest(rule: str, known: set[str]) -> list[str]:
    """difflib's closest, ignoring case; between codes equally close (PY031: PY030, PY032, PY081) the
    numerically nearest first, since neighbouring codes are the same family of rules."""
    import difflib
    import re

    def number(text: str) -> int | None:
        found = re.fullmatch(r"[A-Za-z]+(\d+)", text)
        return int(found.group(1)) if found else None

    wanted = number(rule)
    scored = []
    for candidate in known:
        ratio = difflib.SequenceMatcher(None, rule.lower(), candidate.lower()).ratio()
        if ratio >= 0.6:
            other = number(candidate)
            distance = abs(other - wanted) if wanted is not None and other is not None else 0
            scored.append((-round(ratio, 2), distance, candidate))
    return [candidate for *_, candidate in sorted(scored)[:3]]


def _polymorphic(value: Any) -> dict[str, dict[str, Any]]:
    """`[tool.impact.polymorphic] "t.c" = {by = "kind", values = {manual = "content_items"}, others = [..]}`."""
    if not isinstance(value, dict):
        raise ConfigError("[tool.impact.polymorphic] must be a table")
    out: dict[str, dict[str, Any]] = {}
    for column, spec in value.items():
        if "." not in column or not isinstance(spec, dict) or not isinstance(spec.get("by"), str):
            raise ConfigError(f"[tool.impact.polymorphic] {column!r}: expected \"table.column\" = "
                              "{by = \"<discriminator column>\", values = {<value> = \"<table>\"}}")
        values = spec.get("values", {})
        others = spec.get("others", [])
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ConfigError(f"[tool.impact.polymorphic] {column}: values must map each value to a table name")
        if not isinstance(others, list) or not all(isinstance(v, str) for v in others):
            raise ConfigError(f"[tool.impact.polymorphic] {column}: others must be a list of values")
        unknown = sorted(set(spec) - {"by", "values", "others"})
        if unknown:
            raise ConfigError(f"[tool.impact.polymorphic] {column}: unknown key(s): {', '.join(unknown)}")
        out[column] = {"by": spec["by"], "values": {str(k): v for k, v in values.items()}, "others": list(others)}
    return out


def load(config_file: Path | None = None, search_from: Path | None = None) -> Config:
    """Read an explicit file, else the first `impact.toml` / `pyproject.toml` with [tool.impact]."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        explicit = _load_file(config_file, required=True)
        assert explicit is not None  # required=True raises instead
        return explicit
    start = (search_from or Path.cwd()).resolve()
    for directory in (start, *start.parents):
        for name in ("impact.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file():
                found = _load_file(candidate, required=False)
                if found is not None:
                    return found
        if (directory / ".git").exists():
            break
    return Config()


def _load_file(path: Path, required: bool) -> Config | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if path.name == "impact.toml":
        table = data.get("tool", {}).get("impact", data)
    else:
        table = data.get("tool", {}).get("impact")
    if table is None:
        if required:
            raise ConfigError(f"{path} has no [tool.impact] section")
        return None
    return from_mapping(table, source=str(path))
