"""The database half: read-only reflection, the reference graph, the closure of impacted columns.

Public API (docs/architecture.md); everything else in this package is private:

- `engine.py`      read-only engines (PostgreSQL psycopg 3, MySQL/MariaDB PyMySQL, SQLite `mode=ro`)
- `reflect.py`     bulk reflection into a SchemaSnapshot (inspector `get_multi_*`; `mysql_bulk.py` reads
                   information_schema because SQLAlchemy's MySQL dialect goes table by table)
- `volumes.py`     rows (catalogue estimates, bounded counts, `--exact-counts`) and bytes
- `objects.py`     dependents: views, triggers, functions, policies, checks, generated columns, sequences,
                   partitions
- `graph.py`       declared / inferred / polymorphic / virtual references, `build_graph`, `compute_closure`
- `growth.py`      bytes and locks of the type change per table
- `models_schema.py`  the schema from SQLAlchemy / SQLModel models when there is no --db
- `render.py`      `impact schema --format json|md|dot|html`
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzer.db.engine import open_engine
    from analyzer.db.errors import DatabaseError, UnknownTarget, redact
    from analyzer.db.graph import build_graph, compute_closure, dependents
    from analyzer.db.growth import growth
    from analyzer.db.models_schema import schema_from_models
    from analyzer.db.reflect import reflect
    from analyzer.db.render import render_schema

#: each public name and its module, imported on first use: SQLAlchemy and networkx cost a re-run whose
#: outputs are read back (analyzer.cache.RunMemo) half its time, and most commands need one or the other only
_WHERE = {
    "open_engine": "engine", "DatabaseError": "errors", "UnknownTarget": "errors", "redact": "errors",
    "build_graph": "graph", "compute_closure": "graph", "dependents": "graph", "growth": "growth",
    "schema_from_models": "models_schema", "reflect": "reflect", "render_schema": "render",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DatabaseError",
    "UnknownTarget",
    "build_graph",
    "compute_closure",
    "dependents",
    "growth",
    "open_engine",
    "redact",
    "reflect",
    "render_schema",
    "schema_from_models",
]
