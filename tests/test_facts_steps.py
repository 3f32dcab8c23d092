"""engine._facts with the reanalysis tracker: a file's facts step runs again only once something it read or wrote
changed since it last ran (issue 15: polar ran each step 10,239 times over ten passes, most learning nothing).

The examples, on the rule examples' models (content_items.id):
- a schema the flow learns (`ItemOut`, validated from a ContentItem) makes the step of the module subclassing it
  run again, and it learns the subclass (`ItemDetail`); the models' and an unrelated module's steps do not run
- a step that learned what it also read runs once more, then the steps settle (nothing runs)
- a schema no step asked about (`Unrelated`) makes none run
- the routers and route marks are read again only when the files change
The facts come out as with every step run on every pass (the THOROUGH path, tracker None).
"""

from __future__ import annotations

from pathlib import Path

from analyzer.rules.python._examples import CLOSURE, MODELS
from helpers import python_sources

from analyzer.config import Config
from analyzer.python import engine, facts, reanalysis
from analyzer.python.keys import KeyModel
from analyzer.python.parsed import ParsedFile, parse, read_text
from analyzer.sources import Limits

SCHEMAS = '''\
from pydantic import BaseModel


class ItemOut(BaseModel):
    id: int


class ItemDetail(ItemOut):
    notes: str
'''

HEALTH = '''\
from pydantic import BaseModel


class Health(BaseModel):
    status: str


def ping() -> str:
    return "pong"
'''

TREE = {"app/models.py": MODELS, "app/schemas.py": SCHEMAS, "app/health.py": HEALTH}


def _files(tmp_path: Path) -> list[ParsedFile]:
    return [parse(f, read_text(f.abs_path, Limits.of(Config()))) for f in python_sources(tmp_path, TREE)]


def _run(files: list[ParsedFile], model: KeyModel, tracker: reanalysis.Tracker | None,
         kinds: dict[str, str], routers: facts.Routers) -> list[tuple[str, int]]:
    """One pass's facts; the (file, stage) of the steps that ran."""
    ran: list[tuple[str, int]] = []
    by_id = {id(pf): pf.path for pf in files}
    if tracker is not None:
        begin = tracker.facts_begin

        def spy(key: tuple[int, int]) -> None:
            ran.append((by_id[key[1]], key[0]))
            begin(key)

        tracker.facts_begin = spy  # type: ignore[method-assign]
        tracker.wrap(model)
    try:
        engine._facts(files, model, routers, kinds, {}, tracker)
    finally:
        if tracker is not None:
            tracker.unwrap(model)
            del tracker.facts_begin
    return ran


def test_a_step_runs_again_only_when_what_it_read_changed(tmp_path: Path) -> None:
    files = _files(tmp_path)
    model, tracker, kinds, routers = KeyModel(CLOSURE, Config()), reanalysis.Tracker(), {}, facts.Routers()
    first = _run(files, model, tracker, kinds, routers)
    assert len(first) == 9  # every step of every file, the first time
    # a step that wrote what it also read runs once more (the mapped classes' step asks for each class before it
    # maps it, the records' reads the kinds of its module's classes): another run may learn more; then none runs
    assert _run(files, model, tracker, kinds, routers) == [("app/models.py", 0), ("app/schemas.py", 1),
                                                           ("app/health.py", 1)]
    assert _run(files, model, tracker, kinds, routers) == []
    assert "ItemDetail" not in model.schemas

    model.learn_schema("Unrelated", "a schema no file asks about")
    assert _run(files, model, tracker, kinds, routers) == []

    model.learn_schema("ItemOut", "validated from a ContentItem", "ContentItem")  # (as the flow learns it)
    ran = _run(files, model, tracker, kinds, routers)
    # the module subclassing it: its records step (ItemDetail is a schema now) and its field aliases' (they ask
    # which fields of a schema are keys); neither the models' nor the unrelated module's
    assert ran == [("app/schemas.py", 1), ("app/schemas.py", 2)], ran
    assert model.schemas["ItemDetail"] == "subclass of ItemOut"
    assert _run(files, model, tracker, kinds, routers) == [("app/schemas.py", 1)]  # it learned what it asked about
    assert _run(files, model, tracker, kinds, routers) == []

    reference = KeyModel(CLOSURE, Config())  # every step of every file on every pass
    ref_kinds: dict[str, str] = {}
    _run(files, reference, None, ref_kinds, facts.Routers())
    reference.learn_schema("Unrelated", "a schema no file asks about")
    reference.learn_schema("ItemOut", "validated from a ContentItem", "ContentItem")
    for _ in range(2):
        _run(files, reference, None, ref_kinds, facts.Routers())
    assert (dict(model.schemas), dict(model.schema_orm), set(model.orm), kinds) == (
        dict(reference.schemas), dict(reference.schema_orm), set(reference.orm), ref_kinds)


def test_the_routers_are_read_again_only_when_the_files_change(tmp_path: Path, monkeypatch) -> None:
    files = _files(tmp_path)
    model, tracker, kinds, routers = KeyModel(CLOSURE, Config()), reanalysis.Tracker(), {}, facts.Routers()
    read: list[str] = []
    collect = facts.collect_routers

    def counting(pf: ParsedFile, r: facts.Routers) -> None:
        read.append(pf.path)
        collect(pf, r)

    monkeypatch.setattr(facts, "collect_routers", counting)
    _run(files[:2], model, tracker, kinds, routers)
    _run(files[:2], model, tracker, kinds, routers)
    assert read == ["app/models.py", "app/schemas.py"]
    _run(files, model, tracker, kinds, routers)  # a new file: all of them, in order (a later router overrides)
    assert read[2:] == ["app/models.py", "app/schemas.py", "app/health.py"]


def test_a_step_that_fails_fails_its_file_alone_as_with_every_step_run(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An internal error in one file's facts step: that file is Failed, the scan goes on, and the findings are those
    of the scan with every step run on every pass (the THOROUGH path) and the same error."""
    from analyzer.models import Failed, SourceFile
    from analyzer.python import scan_python

    app = Path(__file__).resolve().parent.parent / "fixtures" / "content_app" / "backend"
    files = [SourceFile(".", str(p), str(p.relative_to(app)), "python") for p in sorted(app.rglob("*.py"))]
    broken = "app/schemas/content.py"
    records = facts.collect_records

    def failing(pf: ParsedFile, model: KeyModel, kinds: dict[str, str]) -> None:
        if pf.path == broken:
            raise RuntimeError("a bug in a fact")
        records(pf, model, kinds)

    monkeypatch.setattr(facts, "collect_records", failing)
    got = {}
    for thorough in (False, True):
        monkeypatch.setattr(engine, "THOROUGH", thorough)
        engine._CACHE.clear()
        result = scan_python(files, CLOSURE, Config(jobs=1))
        outcome = next(o for o in result.outcomes if o.path == broken)
        assert isinstance(outcome, Failed) and "a bug in a fact" in outcome.reason
        got[thorough] = sorted((f.code, f.path, f.span.line) for f in result.findings)
    engine._CACHE.clear()
    assert got[False] == got[True] and len(got[False]) > 20
