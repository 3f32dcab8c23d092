"""analyzer.python.reanalysis.Tracker.work: a function is analysed again when its text or class names a definition
added since its last analysis; the file's words (the prefilter's) answer for all its functions when they miss
every such definition. Same work list with and without them."""

from __future__ import annotations

import re

from analyzer.models import SourceFile
from analyzer.python.parsed import parse
from analyzer.python.reanalysis import Tracker

SERVICE = '''\
from app.repo import load_invoice, InvoiceRepo


class InvoiceService:
    def render(self, invoice_id: int) -> str:
        return load_invoice(invoice_id).title

    def archive(self, invoice_id: int) -> None:
        InvoiceRepo().archive(invoice_id)


def unrelated(user_id: int) -> int:
    return user_id + 1
'''
OTHER = "def ping() -> str:\n    return 'pong'\n"


def work(defined: set[str], file_words: bool, tokenized: list[int] | None = None) -> list[str]:
    files = [parse(SourceFile(root=".", abs_path=p, path=p, language="python"), t)
             for p, t in (("app/service.py", SERVICE), ("app/ping.py", OTHER))]
    tracker = Tracker()
    if file_words:
        tracker.file_words = {pf.path: frozenset(re.findall(r"\w+", pf.text)) for pf in files}
    for pf in files:  # every function analysed once, before the definitions were added
        for fi in pf.functions:
            tracker.begin(fi)
            tracker.end(fi, type("M", (), {"global_version": tracker.model_gv})())
        tracker.marks.update({id(fi): (fi.route, fi.task, fi.dependency) for fi in pf.functions})
    tracker.defined = set(defined)
    got = [fi.qualname for _pf, fi in tracker.work(files, set())]
    if tokenized is not None:
        tokenized.append(len(tracker.tokens))
    return got


def test_new_definitions_make_stale_the_functions_naming_them() -> None:
    cases = {
        frozenset({"load_invoice"}): ["InvoiceService.render"],
        frozenset({"InvoiceRepo", "archive"}): ["InvoiceService.archive"],
        frozenset({"InvoiceService"}): ["InvoiceService.render", "InvoiceService.archive"],  # their class
        frozenset({"pong", "user_id"}): ["unrelated", "ping"],
        frozenset({"load_invoices", "Invoice"}): [],  # a longer name, a part of one: not named
        frozenset(): [],
    }
    for defined, want in cases.items():
        assert work(set(defined), file_words=False) == want, defined
        assert work(set(defined), file_words=True) == want, defined


def test_a_file_whose_words_miss_the_definitions_is_not_read_function_by_function() -> None:
    without: list[int] = []
    with_words: list[int] = []
    work({"load_invoice"}, file_words=False, tokenized=without)
    work({"load_invoice"}, file_words=True, tokenized=with_words)
    assert (without, with_words) == ([4], [3])  # ping.py's function: its file does not name load_invoice


def test_the_registry_tells_the_names_its_new_files_define() -> None:
    """flow.Registry.add notes the keys it makes or changes; note_registry turns them into the words that make
    stale the functions naming them (the first files' definitions are new to no function)."""
    from analyzer.python.flow import Registry

    def pf(path: str, text: str):  # type: ignore[no-untyped-def]
        return parse(SourceFile(root=".", abs_path=path, path=path, language="python"), text)

    registry, tracker = Registry(), Tracker()
    registry.add(pf("app/service.py", SERVICE))
    tracker.note_registry(registry)
    assert tracker.defined == set()
    registry.add(pf("app/repo.py", "class InvoiceRepo(Base):\n    model = Invoice\n\n"
                                   "    def archive(self, invoice_id: int) -> None:\n        pass\n\n\n"
                                   "repo = InvoiceRepo(session)\n"))
    tracker.note_registry(registry)
    # the class, its method, its class attribute `model`, the module-level instance `app.repo.repo`
    assert tracker.defined == {"InvoiceRepo", "archive", "model", "repo"}, tracker.defined
    tracker.defined = set()
    # the same class again with the same base and value: nothing new but its new method
    registry.add(pf("app/repo2.py", "class InvoiceRepo(Base):\n    model = Invoice\n\n"
                                    "    def purge(self) -> None:\n        pass\n"))
    tracker.note_registry(registry)
    assert tracker.defined == {"InvoiceRepo", "purge"}, tracker.defined
    tracker.defined = set()
    registry.add(pf("app/ping.py", OTHER.replace("ping", "pong2")))
    tracker.note_registry(registry)
    assert tracker.defined == {"ping", "pong2"}, tracker.defined  # (a function's id: its module's last word too)


def test_the_key_names_never_change_during_a_scan() -> None:
    """The tracker does not record reads of `key_names` (reanalysis._TRACKED): it must stay as the model was made,
    or a function that read a name would not be analysed again when it changed. A scan of a fixture app, which
    learns schemas, aliases, parameters and routes, leaves it as it was."""
    from pathlib import Path

    from analyzer.rules.python._examples import CLOSURE

    from analyzer.config import Config
    from analyzer.python import scan_python
    from analyzer.python.keys import KeyModel

    app = Path(__file__).resolve().parent.parent / "fixtures" / "content_app" / "backend"
    files = [SourceFile(".", str(p), str(p.relative_to(app)), "python") for p in sorted(app.rglob("*.py"))]
    trace: dict[str, object] = {"live": None}
    result = scan_python(files, CLOSURE, Config(jobs=1), trace=trace)
    assert len(result.findings) > 20  # (it learned)
    live = trace["live"]
    assert isinstance(live, tuple)
    assert dict(live[1].key_names) == KeyModel(CLOSURE, Config(jobs=1)).key_names
