"""The scan: prefilter, parse the candidates, learn to a fixed point, then run the rules once.

Work is proportional to the impact, not to the repository: a regex over the raw text of every file
decides which files can mention the key at all (key names, affected classes, learned functions);
only those are parsed. Each learning round can add names, which can make more files candidates; the
rounds stop when nothing new is learned. Parsed files are cached in memory by content hash.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from analyzer.config import Config
from analyzer.models import (
    Closure,
    FileOutcome,
    Finding,
    KeySeeds,
    Ok,
    RouteSeed,
    ScanResult,
    Skipped,
    SourceFile,
)
from analyzer.python import facts
from analyzer.python.flow import Flow, Registry
from analyzer.python.keys import KeyModel
from analyzer.python.parsed import ParsedFile, ParseFailure, parse, read_text

_CACHE: dict[tuple[str, str], ParsedFile] = {}
_CACHE_MAX = 4000
MAX_ROUNDS = 8


def _mentions(text: str, word: str) -> bool:
    """Substring test (C speed); short words must also stand alone (`get` must not match `target`)."""
    if word not in text:
        return False
    return len(word) >= 6 or re.search(rf"\b{re.escape(word)}\b", text) is not None


def scan_python(files: list[SourceFile], closure: Closure, config: Config,
                progress: Callable[..., Any] | None = None) -> ScanResult:
    from analyzer.rules.python import RULES
    from analyzer.rules.python._base import FileCtx

    started = time.perf_counter()
    model = KeyModel(closure, config)
    stats = {"files": float(len(files)), "parsed": 0.0, "prefiltered_out": 0.0, "cache_hits": 0.0,
             "rounds": 0.0}
    texts: dict[str, str] = {}
    outcomes: dict[str, FileOutcome] = {}
    py_files = [f for f in files if f.abs_path.endswith(".py")]
    sql_files = [f for f in files if f.abs_path.endswith(".sql")]
    for f in files:
        try:
            texts[f.path] = read_text(f.abs_path)
        except ParseFailure as exc:
            outcomes[f.path] = Skipped(f.path, str(exc))
    parsed: dict[str, ParsedFile] = {}
    registry = Registry()
    flow = Flow(model, registry)
    routers = facts.Routers()
    record_kinds: dict[str, str] = {}
    looked: dict[str, frozenset[str]] = {}  # path -> words it was checked against
    if not closure.columns and not closure.targets:
        py_files = []

    for _round in range(MAX_ROUNDS):
        stats["rounds"] += 1
        words = frozenset(model.candidate_words() | {"include_router", "table=True"})
        new = 0
        for f in py_files:
            if f.path in parsed or f.path in outcomes or f.path not in texts:
                continue
            fresh = words - looked.get(f.path, frozenset())  # only words this file was not checked for
            looked[f.path] = words
            text = texts[f.path]
            if not any(_mentions(text, w) for w in fresh):
                continue
            pf = _parse_cached(f, text, stats)
            if pf is None:
                outcomes[f.path] = Skipped(f.path, _last_error.get(f.path, "cannot parse"))
                continue
            parsed[f.path] = pf
            registry.add(pf)
            new += 1
        version = model.version
        _learn(parsed, model, flow, routers, record_kinds)
        if new == 0 and model.version == version:
            break

    seeds = _seeds(parsed, model, routers)
    model.route_templates = [(r.template, r.params) for r in seeds.routes]
    findings: list[Finding] = []
    rules = [r() for r in RULES]
    per_file: dict[str, int] = {}
    for pf in parsed.values():
        ctx = FileCtx(pf, model, flow, routers, record_kinds)
        for fi in pf.functions:  # final local flow with everything learned
            flow.analyze(pf, fi)
        got: list[Finding] = []
        for rule in rules:
            if config.rule_enabled(rule.code, rule.rule_name):
                got.extend(rule.check(ctx))
        findings.extend(got)
        per_file[pf.path] = len(got)
    for f in sql_files:
        if f.path in outcomes or f.path not in texts:
            continue
        got = []
        for rule in rules:
            if config.rule_enabled(rule.code, rule.rule_name):
                got.extend(rule.check_sql(texts[f.path], f.path, model))
        findings.extend(got)
        per_file[f.path] = len(got)
    for f in files:
        if f.path not in outcomes:
            outcomes[f.path] = Ok(f.path, findings=per_file.get(f.path, 0))
        if progress is not None:
            progress(advance=1, description=None)
    stats["parsed"] = float(len(parsed))
    stats["prefiltered_out"] = float(len([f for f in py_files if f.path not in parsed
                                          and not isinstance(outcomes.get(f.path), Skipped)]))
    stats["seconds"] = round(time.perf_counter() - started, 3)
    findings = _dedupe(findings)
    return ScanResult(findings=tuple(findings), outcomes=tuple(outcomes[f.path] for f in files),
                      seeds=seeds, stats=stats)


_last_error: dict[str, str] = {}


def _parse_cached(f: SourceFile, text: str, stats: dict[str, float]) -> ParsedFile | None:
    import hashlib

    key = (f.path, hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest())
    if key in _CACHE:
        stats["cache_hits"] += 1
        pf = _CACHE[key]
        pf.src = f
        return pf
    try:
        pf = parse(f, text)
    except ParseFailure as exc:
        _last_error[f.path] = str(exc)
        return None
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = pf
    return pf


def _learn(parsed: dict[str, ParsedFile], model: KeyModel, flow: Flow, routers: facts.Routers,
           record_kinds: dict[str, str]) -> None:
    """Seeds then data flow over every parsed file, until nothing new is learned."""
    for _ in range(MAX_ROUNDS):
        version = model.version
        for pf in parsed.values():
            facts.collect_orm(pf, model)
        for pf in parsed.values():
            facts.collect_records(pf, model, record_kinds)
            facts.collect_aliases(pf, model)
            facts.collect_routers(pf, routers)
        routers.resolve()
        for pf in parsed.values():
            facts.mark_functions(pf, routers)
        for pf in parsed.values():
            for fi in pf.functions:
                flow.analyze(pf, fi)
            _learn_response_models(pf, model, flow)
        routers.pending.clear()
        if model.version == version:
            break


def _learn_response_models(pf: ParsedFile, model: KeyModel, flow: Flow) -> None:
    """A route that returns affected ORM objects ties its response_model schema to them."""
    import libcst as cst

    for fi in pf.functions:
        if fi.route is None:
            continue
        schema_names: list[str] = []
        for d in fi.decorators:
            if isinstance(d.decorator, cst.Call):
                rm = facts.kwarg(d.decorator, "response_model")
                if rm is not None:
                    schema_names += [n.value for n in _name_nodes(rm.value)]
        if fi.node.returns is not None:
            schema_names += [n.value for n in _name_nodes(fi.node.returns.annotation)]
        schema_names = [n for n in schema_names if n[:1].isupper() and n not in model.orm
                        and n not in ("List", "Optional", "Sequence", "Page", "Union", "Any", "Annotated")]
        if not schema_names:
            continue
        returns_orm = next((c for r in pf.returns_of(fi) if r.value is not None
                            for c in [flow.instance_class(pf, fi, r.value)] if c), None)
        if returns_orm:
            for n in schema_names:
                model.learn_schema(n, f"response model of {fi.qualname} ({pf.where(fi.node)}), which returns "
                                      f"{returns_orm} objects", returns_orm)


def _name_nodes(node: Any) -> list[Any]:
    import libcst as cst

    out: list[cst.Name] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.append(n)

    node.visit(V())
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, int]] = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.span.line, f.span.column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _seeds(parsed: dict[str, ParsedFile], model: KeyModel, routers: facts.Routers) -> KeySeeds:
    from analyzer.python.facts import class_attrs

    names: dict[str, str] = {}
    for name, why in model.key_names.items():
        names.setdefault(name, why)
    for orm in model.orm.values():
        for attr in orm.key_attrs:
            if attr not in ("id",):
                names.setdefault(attr, f"{orm.name}.{attr} in {orm.path}:{orm.line}")
    for schema, fields_ in model.schema_fields.items():
        for fname, why in fields_.items():
            if fname != "id":
                names.setdefault(fname, f"{schema}.{fname}: {why}")
    routes: list[RouteSeed] = []
    for pf in parsed.values():
        for cls in pf.classes:
            if cls.name.value in model.schemas:
                for field_ in class_attrs(cls):
                    if field_.name in model.key_names and field_.annotation is not None:
                        names.setdefault(field_.name, f"{cls.name.value}.{field_.name} in {pf.where(field_.stmt)}")
        for fi in pf.functions:
            if fi.route is None:
                continue
            template = facts.route_template(routers, fi)
            params = tuple(p for p in re.findall(r"{(\w+)(?::\w+)?}", template)
                           if p in fi.env or p in model.key_names)
            if params:
                routes.append(RouteSeed(fi.route[0], template, params, pf.where(fi.node),
                                        f"{pf.modname.rsplit('.', 1)[-1]}.{fi.name}"))
    return KeySeeds(field_names=frozenset(names), routes=tuple(routes), origins=names)
