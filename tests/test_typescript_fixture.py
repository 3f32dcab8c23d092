"""The TypeScript scanner on the fixture app's frontend: recall and precision per layer, from the
`// impact: ...` / `// ok` annotations next to the code (tests/expectations.py).

Seeds are written by hand here, mirroring what the backend of fixtures/content_app holds (its Pydantic
schemas and FastAPI routes), so this test measures the TypeScript side alone. Run with `-s` to see
the table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from expectations import format_scores, read_expectations, score

from analyzer.config import Config
from analyzer.models import KeySeeds, RouteSeed, SourceFile
from analyzer.typescript import scan_typescript

FRONTEND = Path(__file__).resolve().parents[1] / "fixtures" / "content_app" / "frontend"


def _route(method: str, template: str, param: str, origin: str) -> RouteSeed:
    return RouteSeed(method, template, (param,), f"backend/app/api/routes/{origin}")


SEEDS = KeySeeds(
    field_names=frozenset({"content_id", "content_item_id", "content_auto_id", "image_id", "entity_id",
                           "cloned_from_id", "ids", "next_cursor"}),
    routes=(
        _route("GET", "/api/v1/contents/{content_id}", "content_id", "contents.py:54"),
        _route("PATCH", "/api/v1/contents/{content_id}", "content_id", "contents.py:62"),
        _route("DELETE", "/api/v1/contents/{content_id}", "content_id", "contents.py:71"),
        _route("GET", "/api/v1/contents/{content_id:int}/versions", "content_id", "contents.py:76"),
        _route("PUT", "/api/v1/contents/{content_id}/tags/{tag_id}", "content_id", "contents.py:93"),
        _route("POST", "/api/v1/contents/{content_id}/publications", "content_id", "media.py:47"),
        _route("GET", "/api/v1/images/{image_id}/thumbnails", "image_id", "media.py:28"),
        _route("GET", "/api/v1/jobs/for/{kind}/{content_id}", "content_id", "jobs.py:40"),
        _route("GET", "/api/v1/comments/{entity_type}/{entity_id}", "entity_id", "comments.py:18"),
        _route("POST", "/api/v1/comments/{entity_type}/{entity_id}", "entity_id", "comments.py:30"),
        _route("GET", "/api/v1/metrics/contents/{content_id}", "content_id", "metrics.py:17"),
        RouteSeed("GET", "/api/v1/contents/feed", ("after",), "backend/app/api/routes/contents.py:35"),
    ),
    origins={
        "content_id": "JobOut.content_id in backend/app/schemas/jobs.py:9",
        "content_item_id": "VersionOut.content_item_id in backend/app/schemas/content.py:71",
        "image_id": "ThumbnailOut.image_id in backend/app/schemas/media.py:10",
        "entity_id": "CommentOut.entity_id in backend/app/schemas/jobs.py:27",
        "cloned_from_id": "ContentCreate.cloned_from_id in backend/app/schemas/content.py:15",
        "ids": "BulkPublishRequest.ids in backend/app/schemas/content.py:63",
        "next_cursor": "CursorPage.next_cursor in backend/app/schemas/common.py:30",
        "ContentOut.id": "backend/app/schemas/content.py:24",
        "AutoContentOut.id": "backend/app/schemas/content.py:37",
    },
)
CONFIG = Config(aliases=("contentId",))


def scan_fixture() -> tuple[list[dict], dict, set]:
    files = [SourceFile(str(FRONTEND), str(p), p.relative_to(FRONTEND).as_posix(), "typescript")
             for p in sorted(FRONTEND.rglob("*")) if p.suffix in (".ts", ".tsx") and "node_modules" not in p.parts]
    result = scan_typescript(files, SEEDS, CONFIG)
    found = [{"path": f.path, "line": f.span.line, "kind": f.kind, "layer": f.layer, "code": f.code,
              "symbol": f.symbol, "evidence": f.evidence} for f in result.findings]
    expected, ok = read_expectations(FRONTEND)
    return found, expected, ok


@pytest.mark.skipif(not FRONTEND.exists(), reason="fixture frontend not there yet")
def test_fixture_frontend_accuracy() -> None:
    found, expected, ok = scan_fixture()
    total, by_layer, misses, noise = score(expected, found)
    print("\n" + format_scores(total, by_layer))
    for m in misses:
        print("MISSING", m.path, m.line, m.kind, m.layer)
    for n in noise:
        print("NOISY", n["path"], n["line"], n["code"], n["symbol"], "|", n["evidence"][:100])
    flagged_ok = [f for f in found if (f["path"], f["line"]) in ok]  # info included: an `// ok` line is clean
    assert not flagged_ok, f"distractors flagged: {flagged_ok}"
    assert total.recall >= 0.85
    assert total.precision >= 0.9


if __name__ == "__main__":  # pragma: no cover - manual run: python -m tests.test_typescript_fixture
    test_fixture_frontend_accuracy()


@pytest.mark.skipif(not FRONTEND.exists(), reason="fixture frontend not there yet")
def test_generated_client_is_reported_for_regeneration() -> None:
    """src/client is written by @hey-api/openapi-ts (openapi-ts.config.ts): its key lines are TS070 with the
    generator's advice and the retype the regenerated client will have; the hand-written admin page that uses it
    states no id type."""
    files = [SourceFile(str(FRONTEND), str(p), p.relative_to(FRONTEND).as_posix(), "typescript")
             for p in sorted(FRONTEND.rglob("*")) if p.suffix in (".ts", ".tsx") and "node_modules" not in p.parts]
    findings = scan_typescript(files, SEEDS, CONFIG).findings
    client = [f for f in findings if f.path.startswith("src/client/") and f.kind != "info"]
    assert len(client) == 6, [(f.path, f.span.line, f.code) for f in client]
    assert all(f.code == "TS070" and f.fix for f in client)
    assert all("openapi-ts.config.ts" in f.review and "`npm run generate-client`" in f.review and
               "http://localhost:8000/api/v1/openapi.json" in f.review for f in client)
    assert not [f for f in findings if f.path == "src/pages/AdminPage.tsx"]
