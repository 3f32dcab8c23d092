"""The database half: read-only reflection, the reference graph, the closure of impacted columns.

Public API (docs/architecture.md); everything else in this package is private.
"""

from __future__ import annotations

from analyzer.db.engine import open_engine
from analyzer.db.errors import DatabaseError, UnknownTarget, redact
from analyzer.db.graph import build_graph, compute_closure, dependents
from analyzer.db.growth import growth
from analyzer.db.models_schema import schema_from_models
from analyzer.db.reflect import reflect
from analyzer.db.render import render_schema

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
