"""JavaScript front ends (.js, .jsx, .mjs, .cjs) are scanned with the TypeScript machinery (tsx grammar).

A small React app in plain JavaScript next to a FastAPI backend, scanned through the CLI: the key read
from a route parameter with `Number(...)` and the key in a fetched URL are found; a page size cast the
same way and a user fetch are not.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import hostile
from helpers import run_impact, write_tree

BACKEND = {
    "app/routes.py": '''from fastapi import APIRouter

router = APIRouter(prefix="/api")


@router.get("/documents/{document_id}")
def get_document(document_id: int) -> dict:
    return {"id": document_id}
''',
}
API_JS = '''export async function fetchDocument(documentId) {
  const res = await fetch(`/api/documents/${documentId}`);
  return res.json();
}

export async function fetchUser(userId) {
  const res = await fetch(`/api/users/${userId}`);
  return res.json();
}
'''
PAGE_JSX = '''import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';

import { fetchDocument } from '../api/documents';

export function DocumentPage() {
  const params = useParams();
  const documentId = Number(params.documentId);
  const pageSize = Number(params.pageSize);
  const [doc, setDoc] = useState(null);

  useEffect(() => {
    fetchDocument(documentId).then(setDoc);
  }, [documentId]);

  return <main><h1>{doc ? doc.title : 'Loading…'}</h1><p>{pageSize}</p></main>;
}
'''
FRONTEND = {
    "src/api/documents.js": API_JS,
    "src/pages/DocumentPage.jsx": PAGE_JSX,
    "src/api/legacy.mjs": API_JS,
    "src/api/legacy.cjs": API_JS,
    "src/vendor/lib.min.js": "var a=1;",
}



def test_a_react_app_in_javascript(tmp_path: Path) -> None:
    write_tree(tmp_path / "backend", BACKEND)
    write_tree(tmp_path / "frontend", FRONTEND)
    url = hostile.database(tmp_path / "db.sqlite")
    out = tmp_path / "out"
    proc = run_impact("scan", "backend", "frontend", "--db", url, "--target", hostile.TARGET, "--out", str(out),
                      "--no-typecheck", "-q", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    got = {(f["path"], f["line"], f["rule"]) for f in doc["findings"] if f["language"] == "typescript"}
    assert ("frontend/src/pages/DocumentPage.jsx", 8, "ts.hazard.number-cast") in got
    assert ("frontend/src/api/documents.js", 1, "ts.api.route") in got
    for module in ("legacy.mjs", "legacy.cjs"):
        assert (f"frontend/src/api/{module}", 1, "ts.api.route") in got
    # the distractors: a page size read the same way, and a user fetch, are not the key
    assert not [f for f in doc["findings"] if f["path"].endswith(".jsx") and f["line"] == 9]
    assert not [f for f in doc["findings"] if f["path"].endswith("documents.js") and f["line"] >= 6]
    outcomes = {o["path"]: o["status"] for o in doc["outcomes"]}
    assert outcomes["frontend/src/pages/DocumentPage.jsx"] == "ok"
    assert "frontend/src/vendor/lib.min.js" not in outcomes  # minified bundles stay excluded by default
    cast = next(f for f in doc["findings"] if f["path"].endswith(".jsx") and f["line"] == 8)
    assert cast["layer"] == "ts-component" and cast["kind"] == "hazard"
    # the patch keeps the file JavaScript and applies on the tree
    patch = (out / "patches" / "all.patch").read_text(encoding="utf-8")
    assert "-  const documentId = Number(params.documentId);" in patch
    assert "+  const documentId = params.documentId ?? '';" in patch
    assert ": string" not in patch.split("DocumentPage.jsx", 1)[1]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    check = subprocess.run(["git", "apply", "--check", str(out / "patches" / "all.patch")], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
