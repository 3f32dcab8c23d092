"""Discriminators read from the fixture database: the CHECK constraint, the trigger function's CASE on
TG_TABLE_NAME, table names as values, distinct values (the third kind), the team's config, and a refusal
that names the config key when a value maps to nothing."""

from __future__ import annotations

import pytest

from analyzer import db
from analyzer.config import ConfigError, from_mapping, load
from analyzer.demo import fixture_app, load_seeder
from analyzer.models import Target
from analyzer.plan.polymorphic import discriminators
from analyzer.plan.steps import MigrationRefused

TARGETS = (Target("content_items", "id"), Target("content_items_auto", "id"))


def test_fixture_mappings_with_and_without_the_database(pg_url: str) -> None:
    load_seeder().build_database(pg_url, rows=200)
    cfg = load(fixture_app() / "pyproject.toml")
    snapshot = db.reflect(pg_url)
    closure = db.compute_closure(snapshot, TARGETS, cfg)
    offline = discriminators(snapshot, closure, None, cfg)
    assert set(offline) == {"generation_jobs.content_id", "comments.entity_id"}
    jobs = offline["generation_jobs.content_id"]
    assert (jobs.by, jobs.values, jobs.closed) == (
        "content_kind", {"manual": "content_items", "auto": "content_items_auto"}, True)
    assert "CHECK constraint" in jobs.evidence and "trigger function" in jobs.evidence
    comments = offline["comments.entity_id"]
    assert comments.by == "entity_type" and not comments.closed  # no CHECK: other kinds may exist
    assert comments.values == {"content_items": "content_items", "content_items_auto": "content_items_auto"}
    engine = db.open_engine(pg_url)
    try:
        live = discriminators(snapshot, closure, engine, cfg)
        with engine.connect() as conn:
            projects = conn.exec_driver_sql("SELECT count(*) FROM comments WHERE entity_type = 'projects'").scalar()
    finally:
        engine.dispose()
    assert projects and live["comments.entity_id"].others == {"projects": projects}  # the third kind, counted
    assert live["generation_jobs.content_id"].others == {}


def test_config_override_and_refusal(pg_url: str, run_sql) -> None:  # type: ignore[no-untyped-def]
    run_sql(pg_url, "CREATE TABLE posts (id serial PRIMARY KEY); CREATE TABLE post_drafts (id serial PRIMARY KEY);"
                    "CREATE TABLE likes (id serial PRIMARY KEY, subject_id int, subject_kind text);"
                    "INSERT INTO likes (subject_id, subject_kind) VALUES (1, 'P'), (1, 'D'), (1, 'draft')")
    refs = {"virtual_references": [{"from": "likes.subject_id", "to": "posts.id"},
                                   {"from": "likes.subject_id", "to": "post_drafts.id"}]}
    snapshot = db.reflect(pg_url)
    closure = db.compute_closure(snapshot, (Target("posts", "id"), Target("post_drafts", "id")), from_mapping(refs))
    engine = db.open_engine(pg_url)
    try:
        # 'draft' names post_drafts by the word that sets it apart; 'P' and 'D' name nothing
        with pytest.raises(MigrationRefused, match=r"'P', 'D'.*\[tool.impact.polymorphic\] \"likes.subject_id\""):
            discriminators(snapshot, closure, engine, from_mapping(refs))
        cfg = from_mapping({**refs, "polymorphic": {"likes.subject_id": {
            "by": "subject_kind", "values": {"P": "posts", "D": "post_drafts"}}}})
        found = discriminators(snapshot, closure, engine, cfg)["likes.subject_id"]
    finally:
        engine.dispose()
    assert found.values == {"P": "posts", "D": "post_drafts", "draft": "post_drafts"}
    assert found.closed and "config" in found.evidence


def test_config_shape_is_checked() -> None:
    with pytest.raises(ConfigError, match="polymorphic"):
        from_mapping({"polymorphic": {"likes.subject_id": {"values": {"P": "posts"}}}})
    with pytest.raises(ConfigError, match="unknown key"):
        from_mapping({"polymorphic": {"likes.subject_id": {"by": "k", "valuez": {}}}})
