"""The entity a route's collection names (`/warehouses/{warehouse_id}` -> `Warehouse`): its rows' `id` is the key.

A wrong singular (`Warehous`) left every type and zod schema of the entity untied to the key; the singulars
themselves are analyzer.words' (tests/test_words.py)."""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import KeySeeds, RouteSeed
from analyzer.typescript.scan import scan_sources


def _seeds(collection: str, param: str) -> KeySeeds:
    return KeySeeds(field_names=frozenset({param}), routes=(
        RouteSeed("GET", f"/api/{collection}/{{{param}}}", (param,), "backend/app/api.py:10", "api.get_one"),))


SCHEMAS = """import { z } from 'zod';
export const warehouseSchema = z.object({
  id: z.number().int().positive(),
  capacity: z.number().int(),
});
export const binSchema = z.object({
  id: z.number().int(),
  warehouse_id: z.number().int(),
});
export type Warehouse = z.infer<typeof warehouseSchema>;
"""


def test_zod_schema_of_a_route_entity_validates_the_key(tmp_path: Path) -> None:
    """`warehouseSchema.id` is the key once `/warehouses/{warehouse_id}` names the entity; `binSchema.id` and
    `capacity` stay numbers."""
    result = scan_sources({"src/api/schemas.ts": SCHEMAS}, _seeds("warehouses", "warehouse_id"), Config(),
                          tmp=tmp_path)
    lines = sorted(f.span.line for f in result.findings if f.code == "TS050")
    assert lines == [3, 8], [(f.code, f.span.line, f.symbol) for f in result.findings]
