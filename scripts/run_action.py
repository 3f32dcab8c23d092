#!/usr/bin/env python3
"""Run action.yml's steps on this machine, the way GitHub's runner runs a composite action.

    .venv/bin/python scripts/run_action.py --workspace REPO --event event.json \\
        --input targets=content_items.id [--input NAME=VALUE ...] [--summary run.json]

Each `run:` step is executed as written (`bash --noprofile --norc -eo pipefail`, GitHub's command
for `shell: bash`) with its `env:` evaluated, in the workspace; step outputs go through a
GITHUB_OUTPUT file as on GitHub. `uses:` steps are emulated: actions/setup-python is the Python
running this script (its bin folder goes first on PATH), github/codeql-action/upload-sarif validates
the SARIF file against the official schema (tests/data) and records it; actions/upload-artifact
records what it would upload; actions/cache/restore and actions/cache/save use a local folder as
GitHub's cache service (`--cache-store DIR`, kept across runs; default runner.temp/cache-store):
restore takes the entry whose key is `key` exactly, else the newest whose key starts with `key`, else,
for each of `restore-keys` in turn, the newest whose key starts with it (GitHub's documented order),
among entries saved with the same `path` (GitHub's cache version); save never replaces an existing key
(a warning, as on GitHub). Any other action, or an input of these not emulated (lookup-only, patterns
in `path`), is an error. The token comes from GITHUB_TOKEN in this process's environment and is only
`github.token` (steps see it when the action passes it in `env:`, as on GitHub). GITHUB_REPOSITORY and
GITHUB_API_URL pass through from the environment.

Expressions: `${{ }}` in `env:`, `with:`, input defaults and outputs, and bare `if:` conditions, over
the contexts inputs, github, env, runner and steps; literals, `==` `!=` `&&` `||` `!`, parentheses,
and always() success() failure() cancelled(). Anything else stops the run (exit 2) instead of being
guessed at; so does a `${{` inside a `run:` script (inputs reach scripts through `env:` only).

Exit status: 0 when every step succeeded, 1 when one failed, 2 for a problem with the action or the
arguments. `--summary FILE` writes the steps' outcomes, the action's outputs, the SARIF uploads, the
artifacts and the cache operations.

github.sha is the pull request's head commit, else the event's `after` (a push), else GITHUB_SHA.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
STATUS_FUNCTIONS = ("always", "success", "failure", "cancelled")


class ActionError(Exception):
    """The action uses something this runner does not understand, or the arguments are wrong."""


# ----------------------------------------------------------------------------- expressions

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|&&|\|\||!|\(|\)|\.)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ActionError(f"expression not supported by this runner: {text!r} (at {text[pos:]!r})")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Recursive descent over GitHub's precedence: ! binds tightest, then == !=, then &&, then ||."""

    def __init__(self, text: str, contexts: dict[str, Any], status: dict[str, bool]) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.contexts = contexts
        self.status = status

    def fail(self, why: str) -> ActionError:
        return ActionError(f"expression not supported by this runner: {self.text!r} ({why})")

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise self.fail(f"expected {value or 'more'}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.eq()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.eq()
            value = right if _truthy(value) else value
        return value

    def eq(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            same = _equal(value, self.unary())
            value = same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise self.fail(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            if text not in STATUS_FUNCTIONS:
                raise self.fail(f"function {text}() is not supported")
            self.take("(")
            self.take(")")
            return self.status[text]
        if text not in self.contexts:
            raise self.fail(f"unknown context {text!r}")
        value = self.contexts[text]
        while self.peek() == ("op", "."):
            self.take()
            kind, key = self.take()
            if kind != "name":
                raise self.fail(f"property name expected after '.', got {key!r}")
            value = value.get(key) if isinstance(value, dict) else None
        return value


def _truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: Any, b: Any) -> bool:
    """GitHub's loose equality: same types compare (strings ignoring case), others as numbers."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and not isinstance(a, (dict, list)):
        return bool(a == b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    return _number(a) == _number(b)


def evaluate(text: str, contexts: dict[str, Any], status: dict[str, bool] | None = None) -> Any:
    return _Parser(text, contexts, status or {name: False for name in STATUS_FUNCTIONS}).parse()


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text: Any, contexts: dict[str, Any]) -> str:
    if not isinstance(text, str):
        return _as_text(text)
    return _TEMPLATE.sub(lambda m: _as_text(evaluate(m.group(1), contexts)), text)


def condition(text: Any, contexts: dict[str, Any], status: dict[str, bool]) -> bool:
    """A step's `if:`: bare or wrapped in ${{ }}; without a status function it means success() && (...)."""
    if text is None:
        return status["success"]
    if isinstance(text, bool):
        return text and status["success"]
    expr = str(text).strip()
    whole = _TEMPLATE.fullmatch(expr)
    if whole:
        expr = whole.group(1).strip()
    if not any(re.search(rf"\b{name}\s*\(", expr) for name in STATUS_FUNCTIONS):
        expr = f"success() && ({expr})"
    return _truthy(evaluate(expr, contexts, status))


# ----------------------------------------------------------------------------- the run


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ActionError(f"GITHUB_OUTPUT: no closing {delimiter!r} for {name!r}")
            i += 1
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        else:
            raise ActionError(f"GITHUB_OUTPUT: not name=value: {line!r}")
    return outputs


class Runner:
    def __init__(self, action_file: Path, workspace: Path, event_file: Path | None, event_name: str,
                 inputs: dict[str, str], temp: Path, cache_store: Path | None = None) -> None:
        self.action_file = action_file
        self.action = yaml.safe_load(action_file.read_text(encoding="utf-8"))
        runs = self.action.get("runs") or {}
        if runs.get("using") != "composite":
            raise ActionError(f"{action_file}: only composite actions are supported (runs.using)")
        self.workspace = workspace
        self.temp = temp
        event = json.loads(event_file.read_text(encoding="utf-8")) if event_file else {}
        token = os.environ.get("GITHUB_TOKEN", "")
        repository = os.environ.get("GITHUB_REPOSITORY") or (event.get("repository") or {}).get("full_name", "")
        self.github: dict[str, Any] = {
            "event": event, "event_name": event_name, "event_path": str(event_file or ""),
            "action_path": str(action_file.parent), "workspace": str(workspace), "token": token,
            "repository": repository, "api_url": os.environ.get("GITHUB_API_URL", ""),
            "server_url": os.environ.get("GITHUB_SERVER_URL", ""),
            "sha": ((event.get("pull_request") or {}).get("head") or {}).get("sha")
            or event.get("after") or os.environ.get("GITHUB_SHA", ""),
        }
        # what every step inherits: this environment without the token, plus the runner's variables
        base = {k: v for k, v in os.environ.items() if k != "GITHUB_TOKEN"}
        base["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")])
        base.update({
            "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_NAME": event_name, "GITHUB_EVENT_PATH": str(event_file or ""),
            "GITHUB_ACTION_PATH": str(action_file.parent), "GITHUB_REPOSITORY": repository,
            "GITHUB_SHA": self.github["sha"], "RUNNER_TEMP": str(temp), "RUNNER_OS": "Linux",
        })
        self.base_env = base
        self.contexts: dict[str, Any] = {
            "github": self.github, "runner": {"temp": str(temp), "os": "Linux"},
            "env": dict(base), "steps": {},
        }
        self.contexts["inputs"] = self._inputs(inputs)
        self.records: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.cache_store = cache_store or temp / "cache-store"
        self.caches: list[dict[str, Any]] = []

    def _inputs(self, given: dict[str, str]) -> dict[str, str]:
        declared = self.action.get("inputs") or {}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise ActionError(f"unknown input(s) {', '.join(unknown)}; the action takes {', '.join(declared)}")
        values: dict[str, str] = {}
        for name, spec in declared.items():
            spec = spec or {}
            if name in given:
                values[name] = given[name]
            elif "default" in spec:
                values[name] = interpolate(spec["default"], self.contexts)
            elif spec.get("required"):
                raise ActionError(f"input {name!r} is required")
            else:
                values[name] = ""
        return values

    def run(self) -> int:
        failed = False
        for number, step in enumerate(self.action["runs"].get("steps") or [], 1):
            name = step.get("name") or step.get("id") or step.get("uses") or f"step {number}"
            status = {"always": True, "success": not failed, "failure": failed, "cancelled": False}
            record: dict[str, Any] = {"name": name, "id": step.get("id"), "outcome": "skipped"}
            self.records.append(record)
            if not condition(step.get("if"), self.contexts, status):
                print(f"::: {name}: skipped", flush=True)
                if step.get("id"):
                    self.contexts["steps"][step["id"]] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                continue
            print(f"::: {name}", flush=True)
            if "run" in step:
                code, outputs = self._run_step(step)
            elif "uses" in step:
                code, outputs = self._uses_step(step)
            else:
                raise ActionError(f"step {name!r} has neither run nor uses")
            record.update(outcome="success" if code == 0 else "failure", exit_code=code)
            if code != 0:
                print(f"::: {name}: failed with exit code {code}", flush=True)
                failed = True
            if step.get("id"):
                outcome = record["outcome"]
                self.contexts["steps"][step["id"]] = {"outputs": outputs, "outcome": outcome, "conclusion": outcome}
        return 1 if failed else 0

    def _env(self, step: dict[str, Any]) -> dict[str, str]:
        env = dict(self.base_env)
        for key, value in (step.get("env") or {}).items():
            env[str(key)] = interpolate(value, self.contexts)
        return env

    def _run_step(self, step: dict[str, Any]) -> tuple[int, dict[str, str]]:
        script = step["run"]
        if "${{" in script:
            raise ActionError(f"step {step.get('name')!r}: ${{{{ }}}} inside run: (pass inputs through env:)")
        if step.get("shell") != "bash":
            raise ActionError(f"step {step.get('name')!r}: only shell: bash is supported (got {step.get('shell')!r})")
        env = self._env(step)
        with tempfile.TemporaryDirectory(dir=self.temp, prefix="step-") as scratch:
            script_file = Path(scratch) / "script.sh"
            script_file.write_text(script, encoding="utf-8")
            output_file = Path(scratch) / "output"
            output_file.touch()
            env["GITHUB_OUTPUT"] = str(output_file)
            cwd = self.workspace
            if step.get("working-directory"):
                cwd = self.workspace / interpolate(step["working-directory"], self.contexts)
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
                                  cwd=cwd, env=env, stdin=subprocess.DEVNULL)
            return proc.returncode, read_outputs(output_file)

    def _uses_step(self, step: dict[str, Any]) -> tuple[int, dict[str, str]]:
        uses = str(step["uses"])
        with_ = {str(k): interpolate(v, self.contexts) for k, v in (step.get("with") or {}).items()}
        action = uses.split("@", 1)[0]
        if action == "actions/setup-python":
            print(f"setup-python (python-version {with_.get('python-version') or 'unset'}): using "
                  f"{sys.executable} (Python {sys.version.split()[0]})", flush=True)
            return 0, {"python-version": sys.version.split()[0], "python-path": sys.executable}
        if action == "github/codeql-action/upload-sarif":
            return self._upload_sarif(with_), {}
        if action == "actions/upload-artifact":
            return self._upload_artifact(with_), {}
        if action == "actions/cache/restore":
            return self._cache_restore(with_)
        if action == "actions/cache/save":
            return self._cache_save(with_), {}
        raise ActionError(f"uses: {uses} is not emulated by this runner")

    # ------------------------------------------------------------------ actions/cache, on a local folder
    def _cache_inputs(self, with_: dict[str, str], allowed: set[str]) -> tuple[str, list[Path]]:
        """The key and the paths, checked as actions/cache checks them; inputs not emulated are refused."""
        unknown = sorted(set(with_) - allowed)
        if unknown:
            raise ActionError(f"actions/cache: input(s) {', '.join(unknown)} not emulated by this runner")
        key = with_.get("key", "")
        if not key or len(key) > 512 or "," in key:
            raise ActionError(f"actions/cache: key {key!r} is empty, over 512 characters or holds a comma")
        lines = [line.strip() for line in with_.get("path", "").splitlines() if line.strip()]
        if not lines:
            raise ActionError("actions/cache: path is empty")
        paths = []
        for line in lines:
            if any(c in line for c in "*?[]!"):
                raise ActionError(f"actions/cache: path {line!r}: patterns are not emulated by this runner")
            path = Path(os.path.expanduser(line))
            paths.append(path if path.is_absolute() else self.workspace / path)
        return key, paths

    def _cache_entries(self, paths: list[Path]) -> list[dict[str, Any]]:
        """Saved entries of the same version (the same paths), newest first."""
        entries = []
        for meta in self.cache_store.glob("*/meta.json") if self.cache_store.is_dir() else []:
            entry = json.loads(meta.read_text(encoding="utf-8"))
            if entry.get("paths") == [str(p) for p in paths]:
                entries.append({**entry, "dir": meta.parent})
        return sorted(entries, key=lambda e: -int(e["created"]))

    def _cache_restore(self, with_: dict[str, str]) -> tuple[int, dict[str, str]]:
        key, paths = self._cache_inputs(with_, {"key", "path", "restore-keys"})
        restore_keys = [line.strip() for line in with_.get("restore-keys", "").splitlines() if line.strip()]
        entries = self._cache_entries(paths)
        found = next((e for e in entries if e["key"] == key), None)
        for prefix in [key, *restore_keys]:
            if found is None:
                found = next((e for e in entries if str(e["key"]).startswith(prefix)), None)
        record: dict[str, Any] = {"action": "restore", "key": key, "restore_keys": restore_keys,
                                  "matched": found["key"] if found else "", "hit": bool(found and found["key"] == key)}
        self.caches.append(record)
        outputs = {"cache-hit": "true" if record["hit"] else "false", "cache-primary-key": key,
                   "cache-matched-key": record["matched"]}
        if found is None:
            print(f"cache/restore: cache not found for input keys: {', '.join([key, *restore_keys])}", flush=True)
            return 0, outputs
        for i, path in enumerate(paths):
            saved = Path(found["dir"]) / "data" / str(i)
            if saved.is_dir():
                shutil.copytree(saved, path, dirs_exist_ok=True)
            elif saved.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(saved, path)
        print(f"cache/restore: restored from key {found['key']} ({self.cache_store})", flush=True)
        return 0, outputs

    def _cache_save(self, with_: dict[str, str]) -> int:
        key, paths = self._cache_inputs(with_, {"key", "path"})
        record: dict[str, Any] = {"action": "save", "key": key, "saved": False}
        self.caches.append(record)
        if any(e["key"] == key for e in self._cache_entries(paths)):
            print(f"::warning::Failed to save: Unable to reserve cache with key {key}, another job may be "
                  "creating this cache.", flush=True)
            return 0
        if not any(p.exists() for p in paths):
            print("::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not "
                  "exist, hence no cache is being saved.", flush=True)
            return 0
        self.cache_store.mkdir(parents=True, exist_ok=True)
        entry = Path(tempfile.mkdtemp(dir=self.cache_store, prefix="entry-"))
        for i, path in enumerate(paths):
            if path.is_dir():
                shutil.copytree(path, entry / "data" / str(i))
            elif path.is_file():
                (entry / "data").mkdir(exist_ok=True)
                shutil.copy2(path, entry / "data" / str(i))
        meta = {"key": key, "paths": [str(p) for p in paths], "created": time.time_ns()}
        (entry / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        record["saved"] = True
        print(f"cache/save: saved {', '.join(map(str, paths))} under key {key} ({self.cache_store})", flush=True)
        return 0

    def _upload_sarif(self, with_: dict[str, str]) -> int:
        import jsonschema  # the `test` extra

        path = Path(with_.get("sarif_file", ""))
        path = path if path.is_absolute() else self.workspace / path
        try:
            sarif = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"upload-sarif: cannot read {path}: {exc}", flush=True)
            return 1
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
        if errors:
            for error in errors[:10]:
                print(f"upload-sarif: {path}: {'/'.join(map(str, error.path))}: {error.message}", flush=True)
            return 1
        results = sum(len(run.get("results") or []) for run in sarif.get("runs") or [])
        self.uploads.append({"sarif_file": str(path), "category": with_.get("category", ""), "results": results,
                             "valid": True})
        print(f"upload-sarif: {path} is valid SARIF 2.1.0 ({results} results, category "
              f"{with_.get('category', '')!r}); recorded, not uploaded", flush=True)
        return 0

    def _upload_artifact(self, with_: dict[str, str]) -> int:
        """Recorded, not uploaded: the name and the files the artifact would hold."""
        path = Path(with_.get("path", ""))
        path = path if path.is_absolute() else self.workspace / path
        if not with_.get("name") or not path.exists():
            print(f"upload-artifact: nothing at {path} (name {with_.get('name')!r})", flush=True)
            return 0 if with_.get("if-no-files-found") in ("warn", "ignore") else 1
        files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()) if path.is_dir() \
            else [path.name]
        self.artifacts.append({"name": with_["name"], "path": str(path), "files": files})
        print(f"upload-artifact: {with_['name']!r} would hold {len(files)} files from {path}; recorded, not uploaded",
              flush=True)
        return 0

    def outputs(self) -> dict[str, str]:
        return {str(name): interpolate((spec or {}).get("value", ""), self.contexts)
                for name, spec in (self.action.get("outputs") or {}).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--action", type=Path, default=REPO / "action.yml", help="action.yml (default: this repo's)")
    parser.add_argument("--workspace", type=Path, default=Path.cwd(), help="the checked-out repository")
    parser.add_argument("--event", type=Path, help="the event payload (JSON), e.g. a pull_request event")
    parser.add_argument("--event-name", default="pull_request")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--temp", type=Path, help="runner.temp (default: a fresh temporary folder)")
    parser.add_argument("--summary", type=Path, help="write steps, outputs and uploads as JSON here")
    parser.add_argument("--cache-store", type=Path,
                        help="the folder actions/cache/restore and save use as GitHub's cache service, kept "
                             "between runs (default: a fresh one in runner.temp)")
    args = parser.parse_args(argv)
    try:
        inputs: dict[str, str] = {}
        for item in args.input:
            if "=" not in item:
                raise ActionError(f"--input takes NAME=VALUE, got {item!r}")
            name, value = item.split("=", 1)
            inputs[name] = value
        temp = args.temp or Path(tempfile.mkdtemp(prefix="impact-action-"))
        temp.mkdir(parents=True, exist_ok=True)
        runner = Runner(args.action.resolve(), args.workspace.resolve(), args.event and args.event.resolve(),
                        args.event_name, inputs, temp.resolve(), args.cache_store and args.cache_store.resolve())
        code = runner.run()
        outputs = runner.outputs()
    except (ActionError, OSError, yaml.YAMLError) as exc:
        print(f"run_action: {exc}", file=sys.stderr)
        return 2
    for name, value in outputs.items():
        print(f"output {name}={value}")
    if args.summary:
        args.summary.write_text(json.dumps({"exit_code": code, "steps": runner.records, "outputs": outputs,
                                            "sarif_uploads": runner.uploads, "artifacts": runner.artifacts,
                                            "caches": runner.caches},
                                           indent=2), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
