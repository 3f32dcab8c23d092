"""The TypeScript scanner end to end: cross-file flow, distractors, syntax errors, offsets, targets."""

from __future__ import annotations

import time
from pathlib import Path

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, Ok, RouteSeed, Skipped, SourceFile
from analyzer.typescript import catalogue, scan_typescript
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(
    field_names=frozenset({"content_id"}),
    routes=(RouteSeed("GET", "/api/v1/contents/{content_id}", ("content_id",),
                      "backend/app/api/routes/contents.py:41", "contents.get_content"),),
    origins={"content_id": "ImageOut.content_id in backend/app/schemas/image.py:12"},
)

APP = {
    "src/types.ts": (
        "export interface ContentItem { id: number; title: string; authorId: number }\n"
        "export interface Comment { id: number; body: string }\n"
        "export interface Tag { id: number; tagId: number; page: number; width: number }\n"
    ),
    "src/api/contents.ts": (
        "import type { ContentItem } from '../types';\n"
        "export function getContent(id: number): Promise<ContentItem> {\n"
        "  return request(`/contents/${id}`);\n"
        "}\n"
        "export function getComment(id: number) { return request(`/comments/${id}`); }\n"
    ),
    "src/hooks/useContent.ts": (
        "import { getContent } from '../api/contents';\n"
        "export function useContent(key: number) {\n"
        "  return useQuery({ queryKey: ['content', key], queryFn: () => getContent(key) });\n"
        "}\n"
    ),
    "src/pages/Page.tsx": (
        "import { useContent } from '../hooks/useContent';\n"
        "type Props = { which: number; page: number; userId: number };\n"
        "export function Viewer({ which, page }: Props) {\n"
        "  const { data } = useContent(which);\n"
        "  return <div>{data?.title} {page}</div>;\n"
        "}\n"
        "export function Page() {\n"
        "  const { slug } = useParams();\n"
        "  return <Viewer which={Number(slug)} page={1} userId={3} />;\n"
        "}\n"
    ),
}


def _at(findings: tuple[Finding, ...], path: str, line: int) -> list[Finding]:
    return [f for f in findings if f.path == path and f.span.line == line and f.kind != "info"]


def test_cross_file_flow_reaches_component_props_and_casts(tmp_path: Path) -> None:
    result = scan_sources(APP, SEEDS, Config(), tmp=tmp_path)
    f = result.findings
    assert _at(f, "src/types.ts", 1) and _at(f, "src/types.ts", 1)[0].symbol == "ContentItem.id"
    assert _at(f, "src/api/contents.ts", 2)[0].code == "TS010"
    assert "GET /api/v1/contents/{content_id}" in _at(f, "src/api/contents.ts", 2)[0].evidence
    assert _at(f, "src/hooks/useContent.ts", 2)[0].code == "TS020"  # `key` flows into getContent(id)
    assert _at(f, "src/pages/Page.tsx", 2)[0].symbol == "Props.which"  # a prop passed into the hook
    assert _at(f, "src/pages/Page.tsx", 9)[0].code == "TS100"  # Number(slug) feeds the key prop
    # distractors: authorId, Comment.id, Tag.*, getComment, page, userId
    assert not _at(f, "src/api/contents.ts", 5)
    assert not _at(f, "src/types.ts", 2) and not _at(f, "src/types.ts", 3)
    edits = _at(f, "src/pages/Page.tsx", 2)[0].edits
    assert [e.text for e in edits] == ["string"]
    assert all(isinstance(o, Ok) for o in result.outcomes)


def test_syntax_error_is_reported_and_the_rest_is_scanned(tmp_path: Path) -> None:
    src = {"src/broken.tsx": "interface A { content_id: number }\nexport function X() {\n  return <div>{(</div\n}\n"}
    result = scan_sources(src, SEEDS, Config(), tmp=tmp_path)
    (outcome,) = result.outcomes
    assert isinstance(outcome, Skipped) and outcome.reason.startswith("syntax error at ")
    assert [f.span.line for f in result.findings if f.code == "TS001"] == [1]



#: valid TSX the grammar (tree-sitter-typescript 0.23.2) reads as an error: a bare `&` in JSX text. The ERROR
#: swallowed the rest of the element, and the findings and edits in it (here the key flowing into `Viewer`).
AMPERSAND_PAGE = (
    "import { Viewer } from './Page';\n"
    "type Props = { which: number; page: number };\n"
    "export function Terms({ which, page }: Props) {\n"
    "  const { slug } = useParams();\n"
    "  return (\n"
    "    <section>\n"
    "      <h2>Terms & Conditions</h2>\n"
    "      <p>{page} & more && less, AT&T <Viewer which={Number(slug)} page={page} /></p>\n"
    "      <p>R&amp;D, Q&A &nbsp; stay as written</p>\n"
    "    </section>\n"
    "  );\n"
    "}\n"
    "type Both = Props & { extra: boolean };\n"
    "const mask = 0xff & 0x0f;\n"
)


def test_a_bare_ampersand_in_jsx_text_is_no_syntax_error(tmp_path: Path) -> None:
    from analyzer.typescript.parsing import Source, parse, parser_for

    app = {**APP, "src/pages/Terms.tsx": AMPERSAND_PAGE}
    assert parser_for(True).parse(AMPERSAND_PAGE.encode()).root_node.has_error  # the grammar's own reading
    got = scan_sources(app, SEEDS, Config(), tmp=tmp_path / "amp")
    # the same page with each bare `&` of its JSX text written `+` (one character for one): a clean parse
    plain = AMPERSAND_PAGE.replace("Terms & C", "Terms + C").replace("} & more && less, AT&T", "} + more ++ less, AT+T") \
        .replace("Q&A", "Q+A")
    assert not parser_for(True).parse(plain.encode()).root_node.has_error
    want = scan_sources({**APP, "src/pages/Terms.tsx": plain}, SEEDS, Config(), tmp=tmp_path / "plain")
    assert all(isinstance(o, Ok) for o in got.outcomes)

    def page(r: object) -> list[tuple[str, int, int, tuple[tuple[int, int, str], ...]]]:
        return sorted((f.code, f.span.line, f.span.column, tuple((e.start, e.end, e.text) for e in f.edits))
                      for f in r.findings if f.path == "src/pages/Terms.tsx")  # type: ignore[attr-defined]

    assert page(got) == page(want)
    assert any(code == "TS100" and line == 8 for code, line, _c, _e in page(got))  # Number(slug) into the key prop
    # the tree is the masked copy's, the text the file's: a node's text keeps its `&`
    src = Source(AMPERSAND_PAGE)
    tree = parse(src, True)
    texts, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "jsx_text":
            texts.append(src.node_text(node))
        stack.extend(node.children)
    assert any("Terms & Conditions" in t for t in texts)
    # a .ts file's `&` is no JSX text; a real error stays an error
    assert not parse(Source("type A = B & C;\nconst m = 1 & 2;\n"), False).root_node.has_error
    assert parse(Source("export const X = () => <p>Terms & {(</p>;\n"), True).root_node.has_error


#: styled-components / emotion with an object type argument: valid TSX that tree-sitter-typescript 0.23.2
#: reads with an assumed `!` (tree-sitter-typescript#341); real front ends hold hundreds of these, and each
#: file was reported skipped, the rows of the type argument losing their edits
STYLED_CARD = (
    "import styled from '@emotion/styled';\n"
    "import { useContent } from '../hooks/useContent';\n"
    "const Wrapper = styled.div<{ compact?: boolean; width: number }>`\n"
    "  padding: ${({ compact }) => (compact ? 4 : 16)}px;\n"
    "  &:hover { opacity: 0.8; }\n"
    "`;\n"
    "const Badge = styled.span<{ contentId: number }>`font-weight: bold;`;\n"
    "export function ContentCard({ contentId, width }: { contentId: number; width: number }) {\n"
    "  const { data } = useContent(contentId);\n"
    "  return <Wrapper width={width}><Badge contentId={contentId}>{data?.title} & more</Badge></Wrapper>;\n"
    "}\n"
)


def test_a_typed_tagged_template_is_no_syntax_error(tmp_path: Path) -> None:
    from analyzer.typescript.parsing import Source, first_error, parse, parser_for

    assert parser_for(True).parse(STYLED_CARD.encode()).root_node.has_error  # the grammar's own reading
    got = scan_sources({**APP, "src/pages/Card.tsx": STYLED_CARD}, SEEDS, Config(), tmp=tmp_path)
    assert all(isinstance(o, Ok) for o in got.outcomes)
    card = {(f.code, f.span.line, f.symbol): [e.text for e in f.edits]
            for f in got.findings if f.path == "src/pages/Card.tsx"}
    assert card[("TS001", 7, "Badge.contentId")] == ["string"]  # inside the type argument, with its edit
    assert card[("TS001", 8, "props.contentId")] == ["string"]
    assert not [k for k in card if k[1] == 3]  # width, compact: no key
    # a real error next to a typed template stays an error, found where it is
    broken = STYLED_CARD.replace("  return <Wrapper", "  return <Wrapper {(")
    err = first_error(parse(Source(broken), True), Source(broken))
    assert err is not None and err[0] >= 8
    # the same `!` in a .ts file (kysely's sql<{ n: number }>`...`)
    kysely = "const q = sql<{ n: number }>`select count(*) as n from t`;\nexport const x = f<{ a: string }, B>`y`;\n"
    assert first_error(parse(Source(kysely), False), Source(kysely)) is None
    assert first_error(parse(Source("const q = sql<{ n: number }>`x` +;\n"), False), Source("")) is not None


#: a bare `&` in a JSX attribute's string (a URL's query string): valid TSX the grammar reads as an ERROR
LINK_CARD = (
    "import { useContent } from '../hooks/useContent';\n"
    "export function LinkCard({ contentId }: { contentId: number }) {\n"
    "  const { data } = useContent(contentId);\n"
    "  return (\n"
    "    <a href=\"https://example.com/search?q=1&page=2&sort=asc\" title='R&D'>\n"
    "      <img src=\"https://cdn.example.com/i.png?w=40&h=40\" alt={data?.title} />\n"
    "    </a>\n"
    "  );\n"
    "}\n"
)


def test_a_bare_ampersand_in_a_jsx_attribute_string_is_no_syntax_error(tmp_path: Path) -> None:
    from analyzer.typescript.parsing import Source, parse, parser_for

    assert parser_for(True).parse(LINK_CARD.encode()).root_node.has_error  # the grammar's own reading
    got = scan_sources({**APP, "src/pages/LinkCard.tsx": LINK_CARD}, SEEDS, Config(), tmp=tmp_path)
    assert all(isinstance(o, Ok) for o in got.outcomes)
    card = [(f.code, f.span.line, [e.text for e in f.edits]) for f in got.findings if f.path == "src/pages/LinkCard.tsx"]
    assert ("TS001", 2, ["string"]) in card
    tree = parse(Source(LINK_CARD), True)
    strings, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "string" and node.parent is not None and node.parent.type == "jsx_attribute":
            strings.append(Source(LINK_CARD).node_text(node))
        stack.extend(node.children)
    assert '"https://example.com/search?q=1&page=2&sort=asc"' in strings  # the text keeps its `&`
    # an `&` outside JSX, or a real error, stays as it is
    assert parse(Source('const y = "a&b";\nconst z = <p>{(</p>;\n'), True).root_node.has_error


def test_offsets_are_characters_and_crlf_is_kept(tmp_path: Path) -> None:
    text = "// é ü 中文\r\ninterface ContentItem {\r\n  id: number; // ü\r\n}\r\n"
    result = scan_sources({"src/t.ts": text}, SEEDS, Config(), tmp=tmp_path)
    (f,) = [f for f in result.findings if f.code == "TS001"]
    (e,) = f.edits
    assert text[e.start : e.end] == "number"
    assert f.span.line == 3 and f.span.column == 3
    fixed = text[: e.start] + e.text + text[e.end :]
    assert fixed == text.replace("id: number", "id: string")


def test_bigint_target_gives_no_edits_but_a_review_note(tmp_path: Path) -> None:
    result = scan_sources({"src/t.ts": "interface ContentItem { id: number }\n"}, SEEDS, Config(), to_type="BIGINT",
                          tmp=tmp_path)
    (f,) = [f for f in result.findings if f.code == "TS001"]
    assert not f.edits and "2^53" in f.review


def test_dependencies_and_declarations_are_excluded(tmp_path: Path) -> None:
    files = []
    for rel in ("node_modules/lib/index.ts", "src/vendor.d.ts", "src/ok.ts"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("interface ContentItem { id: number }\n")
        files.append(SourceFile(str(tmp_path), str(p), rel, "typescript"))
    calls: list[int] = []
    result = scan_typescript(files, SEEDS, Config(), progress=lambda advance=1, description=None: calls.append(advance))
    assert {f.path for f in result.findings} == {"src/ok.ts"}
    assert [type(o).__name__ for o in result.outcomes] == ["Skipped", "Skipped", "Ok"]
    assert len(calls) == 3


def _write(tmp_path: Path, sources: dict[str, str]) -> list[SourceFile]:
    files = []
    for rel, text in sources.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
        files.append(SourceFile(str(tmp_path), str(p), rel, "typescript"))
    return files


def test_prepared_scan_is_the_same_scan(tmp_path: Path) -> None:
    """The worker reads, parses and indexes every file before the seeds come (`prepare`): the scan it then
    runs gives what a scan from scratch gives, for kept, left-out, broken, too deep and excluded files."""
    from analyzer.typescript.parsing import MAX_TREE_DEPTH
    from analyzer.typescript.scan import prepare

    sources = {**APP, "src/broken.tsx": "interface A { content_id: number }\nexport function X() {\n  return <div>{(</div\n}\n",
               "src/t.ts": "// é ü 中文\r\ninterface ContentItem {\r\n  id: number; // ü\r\n}\r\n",
               "src/deep.ts": "export const x = " + "[" * (MAX_TREE_DEPTH + 5) + "]" * (MAX_TREE_DEPTH + 5) + ";\n",
               "src/deep_key.ts": "export const content_id = " + "[" * (MAX_TREE_DEPTH + 5) + "]" * (MAX_TREE_DEPTH + 5)
               + ";\n",
               "src/none.ts": "export const greeting = 'hello';\n",
               "node_modules/lib/index.ts": "interface ContentItem { id: number }\n"}
    files = _write(tmp_path, sources)
    plain = scan_typescript(files, SEEDS, Config())
    ready = prepare(files, Config())
    assert set(ready.parsed) == {f.path for f in files} - {"node_modules/lib/index.ts"}
    again = scan_typescript(files, SEEDS, Config(), prepared=ready)
    assert again.findings == plain.findings and again.findings
    assert again.outcomes == plain.outcomes
    kinds = {o.path: type(o).__name__ for o in again.outcomes}
    assert kinds["src/deep.ts"] == "Ok" and kinds["src/deep_key.ts"] == "Skipped"  # left out / kept, too deep


def test_prepared_scan_with_an_expansion(tmp_path: Path) -> None:
    """The prefilter's expansion (a helper file left out at first) takes its tree from `prepare` too."""
    from test_typescript_prefilter import APP as PREFILTER_APP
    from test_typescript_prefilter import SEEDS as PREFILTER_SEEDS

    from analyzer.typescript.scan import prepare

    files = _write(tmp_path, PREFILTER_APP)
    plain = scan_typescript(files, PREFILTER_SEEDS, Config())
    again = scan_typescript(files, PREFILTER_SEEDS, Config(), prepared=prepare(files, Config()))
    assert again.stats["prefilter_expansions"] == plain.stats["prefilter_expansions"] == 1
    assert again.findings == plain.findings and again.outcomes == plain.outcomes


def test_worker_prepares_before_its_input_arrives() -> None:
    from analyzer import workers

    worker = workers.fork(_with_prepared, 7, prepare=lambda n: n * 2)
    assert worker is not None
    worker.send(100)
    assert worker.result() == (100, 7, 14)
    failing = workers.fork(_with_prepared, 7, prepare=_boom)
    assert failing is not None
    failing.send(100)
    assert failing.result() == (100, 7, None)  # a failed prepare: the work is done without it
    idle = workers.fork(_with_prepared, 7, prepare=lambda n: n * 2)
    assert idle is not None
    idle.cancel()
    assert idle.result() is None


def test_background_worker_is_stopped_while_both_cores_are_busy(tmp_path: Path) -> None:
    """A `background` worker (the TypeScript worker) is stopped within `workers.busy()` (the Python parse,
    which keeps both cores busy) and continued after it: its preparation runs while the parent works alone."""
    from analyzer import workers

    ticks = tmp_path / "ticks"
    worker = workers.fork(_with_prepared, 7, prepare=lambda n: _ticking(ticks, n), background=True)
    assert worker is not None
    deadline = time.monotonic() + 20
    while not ticks.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    with workers.busy():
        time.sleep(0.3)  # the stop has landed
        stopped = ticks.read_text()
        time.sleep(0.5)
        assert ticks.read_text() == stopped
    deadline = time.monotonic() + 20
    while ticks.read_text() == stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert ticks.read_text() != stopped  # continued
    worker.send(100)
    assert worker.result() == (100, 7, 14)
    assert workers._background == []  # sent: never stopped again
    idle = workers.fork(_with_prepared, 7, prepare=lambda n: n * 2, background=True)
    assert idle is not None
    with workers.busy():
        idle.cancel()  # stopped, nothing sent: killed and reaped all the same
    assert idle.result() is None and workers._background == []


def _ticking(ticks: Path, n: int) -> int:
    for i in range(600):  # ~3 s of preparation, its progress visible in `ticks`
        ticks.write_text(str(i))
        time.sleep(0.005)
    return n * 2


def _with_prepared(value: int, n: int, prepared: int | None = None) -> tuple[int, int, int | None]:
    return value, n, prepared


def _boom(*_args: object) -> None:
    raise ValueError("boom")


def test_disabled_rule_and_catalogue(tmp_path: Path) -> None:
    cfg = Config(disable=("TS001",))
    result = scan_sources({"src/t.ts": "interface ContentItem { id: number }\n"}, SEEDS, cfg, tmp=tmp_path)
    assert not [f for f in result.findings if f.code == "TS001"]
    codes = {m.code for m in catalogue()}
    assert {"TS001", "TS010", "TS020", "TS040", "TS050", "TS100"} <= codes


def test_flows_through_storage_cursors_routes_and_optimistic_rows(tmp_path: Path) -> None:
    src = {
        "src/api.ts": (
            "export interface ContentItem { id: number; title: string }\n"
            "export interface Feed { items: ContentItem[]; next_cursor: number | null }\n"
            "export function getFeed(after: number): Promise<Feed> { return request(`/feed?after=${after}`); }\n"
            "export function getContent(id: number) { return request(`/contents/${id}`); }\n"
        ),
        "src/storage.ts": (
            "const LAST = 'last-opened';\n"
            "export function remember(contentId: string) { localStorage.setItem(LAST, String(contentId)); }\n"
            "export function last(): number | null {\n"
            "  const raw = localStorage.getItem(LAST);\n"
            "  return raw === null ? null : Number(raw);\n"
            "}\n"
            "export function zoom(): number { return Number(localStorage.getItem('zoom')); }\n"
        ),
        "src/useFeed.ts": (
            "export function useFeed() {\n"
            "  return useInfiniteQuery({\n"
            "    queryKey: ['feed'],\n"
            "    queryFn: ({ pageParam }) => getFeed(pageParam),\n"
            "    initialPageParam: 0,\n"
            "    getNextPageParam: (last) => last.next_cursor ?? undefined,\n"
            "  });\n"
            "}\n"
            "export function tempId(): number { return -Date.now(); }\n"
            "export const draft: ContentItem = { id: tempId(), title: '' };\n"
        ),
        "src/urls.ts": (
            "export const autoPath = (autoId: number) => `/auto/${autoId}`;\n"
            "export const AUTO = '/auto/:autoId';\n"
            "export function AutoPage() { const { autoId } = useParams(); return getContent(Number(autoId)); }\n"
        ),
    }
    seeds = KeySeeds(
        field_names=frozenset({"content_id", "next_cursor"}),
        routes=SEEDS.routes,
        origins={"content_id": "x", "next_cursor": "Feed.next_cursor in backend/app/schemas/common.py:30"},
    )
    result = scan_sources(src, seeds, Config(), tmp=tmp_path)
    hits = {(f.path, f.span.line, f.code) for f in result.findings}
    assert ("src/api.ts", 2, "TS001") in hits  # Feed.next_cursor, scoped to the schema it came from
    assert ("src/api.ts", 3, "TS031") in hits or ("src/api.ts", 3, "TS010") in hits  # the cursor param
    assert ("src/useFeed.ts", 5, "TS104") in hits  # initialPageParam: 0 on a key cursor
    assert ("src/storage.ts", 3, "TS033") in hits and ("src/storage.ts", 5, "TS100") in hits
    assert not [h for h in hits if h[0] == "src/storage.ts" and h[1] == 7]  # zoom is not a key
    assert ("src/useFeed.ts", 9, "TS033") in hits and ("src/useFeed.ts", 9, "TS103") in hits
    assert ("src/urls.ts", 1, "TS060") in hits  # `/auto/${autoId}` is the page's key param


def test_byte_offsets_map_to_characters_on_every_line_of_a_text_that_is_not_ascii() -> None:
    """tree-sitter gives byte offsets; findings and edits need str offsets. Source.char maps them line by line;
    the reference here counts every character's UTF-8 bytes from the start (inside a character: the next one)."""
    from bisect import bisect_left

    from analyzer.typescript.parsing import Source

    texts = ["const a = 'é';\nconst b = \"😀\" + id;\r\n// 中文 €\n\nlet x = 1;", "é", "😀\n😀", "a\nb\n", "€€€\n\n€",
             "plain ascii\nonly\n"]
    for text in texts:
        starts, b = [], 0
        for ch in text:
            starts.append(b)
            b += len(ch.encode("utf-8"))
        starts.append(b)
        src = Source(text)
        assert [src.char(k) for k in range(b + 1)] == [bisect_left(starts, k) for k in range(b + 1)], text
        # a span across lines, as findings are made
        node_end = len(text.encode("utf-8"))
        assert src.char(node_end) == len(text)
