"""The compiler loop's mechanical fixes, example by example (analyzer/codemods/tsc_fix.py VALID / INVALID).

All examples are files of one strict project, each with its own rule patch (`Vehicle.id` typed `string`),
so one verification runs them all with a real tsc. An invalid example pins the lines the loop rewrites
(a comparator, a conversion of the key, an annotation); a valid one pins the lines it must leave alone
(the sort of prices, `page - 1`, `Number(count)`) and the lines left for review with the compiler's
message. Every line not named stays as it was.
"""

from __future__ import annotations

import pytest
from helpers import require_node_modules, write_tree
from test_codemods_verify import TSCONFIG, _finding, _tsc_errors, _verify

from analyzer.codemods.patching import apply_file_patch, parse_patch
from analyzer.codemods.tsc_fix import INVALID, VALID, Example

EXAMPLES = [*(("invalid", i, e) for i, e in enumerate(INVALID)), *(("valid", i, e) for i, e in enumerate(VALID))]


def _name(kind: str, i: int) -> str:
    return f"src/{kind}{i}.ts"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path_factory.mktemp("examples") / "web",
                      {"tsconfig.json": TSCONFIG, **{_name(k, i): e.code for k, i, e in EXAMPLES}})
    made = [_finding(root, "web", _name(k, i), e.seed[0], e.seed[1], "Vehicle.id") for k, i, e in EXAMPLES]
    try:
        yield root, _verify(root, "web", made)
    finally:
        mp.undo()


@pytest.mark.parametrize(("kind", "i", "example"), EXAMPLES, ids=[f"{k}{i}" for k, i, _ in EXAMPLES])
def test_example(checked, kind: str, i: int, example: Example) -> None:  # type: ignore[no-untyped-def]
    root, result = checked
    rel = _name(kind, i)
    before = example.code.splitlines()
    diff = result.patches.get(f"web/{rel}")
    (patch,) = parse_patch(diff) if diff else (None,)
    after = apply_file_patch(example.code, patch).splitlines() if patch is not None else before
    seed_line = next(n for n, line in enumerate(before, 1) if example.seed[0] in line)
    want = {n: line for n, line in enumerate(before, 1)}
    want[seed_line] = before[seed_line - 1].replace(example.seed[0], example.seed[1], 1)
    want.update(dict(example.fixed))
    assert {n: line for n, line in enumerate(after, 1)} == want
    review = sorted({f.line for f in result.found if f.path == f"web/{rel}" and f.code == "TS900"})
    assert review == sorted(example.review), [f.message for f in result.found if f.path == f"web/{rel}"]
    assert all(f.fix for f in result.found if f.path == f"web/{rel}" and f.code == "TS901")


def test_after_apply_tsc_reports_only_the_review_lines(checked) -> None:  # type: ignore[no-untyped-def]
    root, result = checked
    errors = _tsc_errors(root, result.patches, "web")
    review = {(f"src/{k}{i}.ts", n) for k, i, e in EXAMPLES for n in e.review}
    placed = {(e.split("(", 1)[0], int(e.split("(", 1)[1].split(",", 1)[0])) for e in errors}
    assert placed <= review, errors


def test_the_compiler_names_declarations_the_syntax_does_not(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A method of a class re-exported by an index (a generated client's `Service.get({ bookingId })`) and
    a property read through a type the hook infers (`booking.id`): the compiler kept running says where
    they are declared, and those annotations are retyped; a number read into the key's slot only where
    the report lists its declaration for review (a generated client's id). A count given to the key's
    slot (`label(booking.seats)`) is left for review."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/client/types.ts": "export type Booking = {\n  id: number;\n  seats: number;\n};\n"
                               "export type GetBookingData = { bookingId: number };\n",
        "src/client/sdk.ts": "import type { Booking, GetBookingData } from './types';\n"
                             "export class BookingsService {\n"
                             "  public static getBooking(data: GetBookingData): Promise<Booking> {\n"
                             "    return fetch(`/b/${data.bookingId}`).then((r) => r.json());\n  }\n}\n",
        "src/client/index.ts": "export * from './sdk';\nexport * from './types';\n",
        "src/hooks.ts": "import { BookingsService } from './client';\n\n"
                        "export function useBooking(id: number) {\n"
                        "  return BookingsService.getBooking({ bookingId: id });\n}\n",
        "src/page.ts": "import { useBooking } from './hooks';\n\n"
                       "export function label(bookingId: number): string {\n  return `#${bookingId}`;\n}\n\n"
                       "export async function page(raw: string) {\n"
                       "  const booking = await useBooking(Number(raw));\n"
                       "  return [label(booking.id), label(booking.seats)];\n}\n",
    })
    made = [_finding(root, "web", "src/client/types.ts", "id: number", "", "Booking.id", "TS070", fix=False),
            _finding(root, "web", "src/hooks.ts", "id: number", "id: string", "useBooking.id", "TS020"),
            _finding(root, "web", "src/page.ts", "bookingId: number", "bookingId: string", "label.bookingId", "TS031")]
    result = _verify(root, "web", made)
    fixes = {(f.path, f.line, f.symbol) for f in result.found if f.code == "TS901"}
    assert ("web/src/client/types.ts", 5, "GetBookingData.bookingId") in fixes, result.found
    assert ("web/src/client/types.ts", 2, "Booking.id") in fixes, result.found
    assert "+  id: string;" in result.patches["web/src/client/types.ts"]
    assert "seats: string" not in result.patches["web/src/client/types.ts"]
    assert "+  const booking = await useBooking(raw);" in result.patches["web/src/page.ts"]
    (left,) = [f for f in result.found if f.code == "TS900"]
    assert (left.path, left.line) == ("web/src/page.ts", 9), "label(booking.seats): a count, for review"


def test_a_patch_tsc_rejects_where_it_wrote_is_withheld_alone(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A rule's rewrite that does not type-check where it wrote (`localeCompare` on a number) is withheld,
    that finding alone: the other patch of the same file stays, and so does a patch whose line tsc rejects
    beside it (a stale type next to a right annotation)."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/sort.ts": "interface Vehicle { id: number; price: number }\n"
                       "export const byId = (a: Vehicle, b: Vehicle) => a.id - b.id;\n"
                       "export const byPrice = (a: Vehicle, b: Vehicle) => a.price - b.price;\n"
                       "declare function load(v: { id: number }): void;\n"
                       "export const open = (v: { id: number }) => load(v);\n",
    })
    made = [_finding(root, "web", "src/sort.ts", "id: number", "id: string", "Vehicle.id"),
            _finding(root, "web", "src/sort.ts", "a.price - b.price", "a.price.localeCompare(b.price)", "byPrice",
                     "TS102"),
            _finding(root, "web", "src/sort.ts", "open = (v: { id: number })", "open = (v: { id: string })", "open.v",
                     "TS031")]
    result = _verify(root, "web", made)
    diff = result.patches["web/src/sort.ts"]
    assert "+interface Vehicle { id: string; price: number }" in diff
    assert "+export const byId = (a: Vehicle, b: Vehicle) => a.id.localeCompare(b.id);" in diff
    assert "localeCompare(b.price)" not in diff and "+export const open = (v: { id: string }) => load(v);" in diff
    (key, why), = result.held.items()
    assert key == ("web/src/sort.ts", 3, "byPrice") and why.startswith("tsc TS2339 on the patched line"), why
    assert result.projects[0].held == 1


def test_a_callback_given_where_the_key_goes_is_retyped_at_its_declaration(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`onToggle={selection.toggle}` once the prop takes `(id: string) => void`: the callback will be called
    with the key, so the parameter of its declared function type (`Selection.toggle`) is the key's next
    slot, as a parameter is for an argument."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/selection.ts": "export interface Selection {\n  toggle: (id: number) => void;\n  size: number;\n}\n",
        "src/Row.tsx": "import type { Selection } from './selection';\n\n"
                       "type RowProps = { id: number; onToggle: (id: number) => void };\n\n"
                       "function Row({ id, onToggle }: RowProps) {\n"
                       "  return <button onClick={() => onToggle(id)}>{id}</button>;\n}\n\n"
                       "export function Rows({ ids, selection }: { ids: string[]; selection: Selection }) {\n"
                       "  return <ul>{ids.map((id) => <Row key={id} id={id} onToggle={selection.toggle} />)}</ul>;\n}\n",
    })
    made = [_finding(root, "web", "src/Row.tsx", "id: number; onToggle: (id: number)",
                     "id: string; onToggle: (id: string)", "RowProps.id", "TS001")]
    result = _verify(root, "web", made)
    assert "+  toggle: (id: string) => void;" in result.patches["web/src/selection.ts"], result.found
    assert "size: string" not in result.patches["web/src/selection.ts"]
    assert not [f for f in result.found if f.code == "TS900"], result.found


def test_a_class_field_the_key_is_assigned_to_is_retyped(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`this.selectedId = v.id` once the id is a string: the field's declaration (found by the compiler,
    `this` being no name the syntax resolves) is retyped; the counter beside it is not."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/store.ts": "interface Vehicle {\n  id: number;\n}\n\n"
                        "export class SelectionStore {\n  selectedId: number | null = null;\n  picks: number = 0;\n\n"
                        "  select(v: Vehicle): void {\n    this.selectedId = v.id;\n    this.picks += 1;\n  }\n}\n",
    })
    result = _verify(root, "web", [_finding(root, "web", "src/store.ts", "id: number", "id: string", "Vehicle.id")])
    diff = result.patches["web/src/store.ts"]
    assert "+  selectedId: string | null = null;" in diff and "picks: string" not in diff, result.found
    assert [f.symbol for f in result.found] == ["SelectionStore.selectedId"], result.found


def test_a_withheld_patch_takes_the_retypes_it_led_to_with_it(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A rule's patch tsc rejects where it wrote (`(id: string = 0)`, the default still a number) is
    withheld, and so is what the compiler retyped only because of it (`lookup(x: number)`, called with
    that parameter): nothing is left half-done; the other rule patch stays."""
    monkeypatch.setenv("IMPACT_NODE_MODULES", str(require_node_modules()))
    root = write_tree(tmp_path / "web", {
        "tsconfig.json": TSCONFIG,
        "src/lookup.ts": "export function lookup(x: number): string {\n  return `#${x}`;\n}\n",
        "src/load.ts": "import { lookup } from './lookup';\n\n"
                       "export function load(id: number = 0): string {\n  return lookup(id);\n}\n\n"
                       "export function label(orderId: number): string {\n  return `${orderId}`;\n}\n",
    })
    result = _verify(root, "web", [
        _finding(root, "web", "src/load.ts", "id: number = 0", "id: string = 0", "load.id", "TS031"),
        _finding(root, "web", "src/load.ts", "orderId: number", "orderId: string", "label.orderId", "TS031"),
    ])
    assert set(result.patches) == {"web/src/load.ts"}, result.found
    assert "+export function label(orderId: string): string {" in result.patches["web/src/load.ts"]
    assert "id: string = 0" not in result.patches["web/src/load.ts"]
    assert list(result.held) == [("web/src/load.ts", 3, "load.id")]
    assert not [f for f in result.found if f.code == "TS901"], result.found
