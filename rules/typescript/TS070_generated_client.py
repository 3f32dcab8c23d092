"""TS070 ts.generated.client: a finding in a generated API client is the generator's to fix (message, doc and
examples in TS070_generated_client.yml). It detects nothing itself: it revises the file's findings once every
other rule has run (analyzer.typescript.generated tells a generated file and its generator)."""

from __future__ import annotations

import dataclasses

from analyzer.models import Finding
from analyzer.typescript.detect import Detector
from analyzer.typescript.generated import Generated
from analyzer.typescript.index import FileIndex
from analyzer.typescript.rules import TsRule


def revise(d: Detector, fi: FileIndex, rule: TsRule, found: list[Finding]) -> list[Finding]:
    gen = d.generated.of(fi.src.text, fi.sf.abs_path, fi.sf.root, fi.sf.path) if found else None
    if gen is None:
        return found
    return [g for g in (_regenerate(d, rule, f, gen) for f in found) if g is not None]


def _regenerate(d: Detector, rule: TsRule, f: Finding, gen: Generated) -> Finding | None:
    """A finding in a generated client becomes ts.generated.client with the generator's advice; its mechanical
    retype stays (what the regenerated client will say), so the patched front end compiles before the client is
    regenerated. Context (info) stays as it is."""
    if f.kind == "info":
        return f
    if not d.config.rule_enabled(rule.code, rule.name):
        return None
    return dataclasses.replace(
        f, rule=rule.name, code=rule.code, kind=rule.kind,  # type: ignore[arg-type]
        severity=d.config.severity_for(rule.code, rule.name, rule.severity),  # type: ignore[arg-type]
        message=rule.message.format(symbol=f.symbol, to=d.to_type.lower()),
        evidence=f"{f.evidence}; {f.code} {f.message}" if f.evidence else f"{f.code} {f.message}",
        review=gen.advice(patched=bool(f.edits)))
