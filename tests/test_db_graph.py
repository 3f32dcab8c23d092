"""The reference graph and the closure on hand-built snapshots: inference positives and distractors."""

from __future__ import annotations

import json

import pytest

from analyzer import db
from analyzer.config import Config, VirtualReference
from analyzer.db import graph
from analyzer.models import Column, ForeignKey, Index, SchemaSnapshot, Table, Target


def t(name: str, *cols: str, pk: tuple[str, ...] = ("id",), fks: tuple[ForeignKey, ...] = (),
      rows: int | None = 100, types: dict[str, str] | None = None) -> Table:
    types = types or {}
    columns = tuple(Column(c, types.get(c, "TEXT" if c.endswith(("_type", "_kind", "name")) else "INTEGER"),
                           identity=(c == "id" and pk == ("id",))) for c in cols)
    return Table(name, columns, primary_key=pk, foreign_keys=fks, rows=rows,
                 indexes=tuple(Index(f"ix_{name}_{c}", (c,)) for c in cols if c.endswith("_id")))


def fk(col: str, table: str, ref: str = "id") -> ForeignKey:
    return ForeignKey((col,), table, (ref,))


SNAP = SchemaSnapshot("postgresql", (
    t("users", "id", "name"),
    t("tags", "id", "name"),
    t("projects", "id", "owner_id", fks=(fk("owner_id", "users"),)),
    t("content_items", "id", "project_id", "user_id", "author_id", "page", "tag_id",
      fks=(fk("project_id", "projects"),), rows=1_200_000),
    t("content_items_auto", "id", "project_id"),
    t("content_versions", "id", "content_item_id", fks=(fk("content_item_id", "content_items"),)),
    t("content_metrics", "content_item_id", "day", pk=("content_item_id", "day")),
    t("publications", "id", "content_id", "page"),
    t("auto_runs", "id", "content_auto_id"),
    t("thumbnails", "id", "image_id"),
    t("comments", "id", "entity_type", "entity_id", "author_id"),
    t("invoices", "id", "content_item_id", types={"content_item_id": "UUID"}),  # wrong type: no edge
    t("audit", "id", "row_id", "parent_id", "account_id"),
    t("account_settings", "id", "theme_id"),  # `account_id` must not land here
))
TARGETS = (Target("content_items", "id"), Target("content_items_auto", "id"))


def closure(cfg: Config | None = None) -> dict[str, str]:
    c = db.compute_closure(SNAP, TARGETS, cfg or Config(aliases=("image_id",)))
    return {col.qualified: col.reason for col in c.columns}


def test_closure_positives() -> None:
    got = closure()
    assert got["content_items.id"] == "target"
    assert got["content_versions.content_item_id"].startswith("declared FK to content_items.id")
    assert got["content_metrics.content_item_id"].startswith("inferred:")  # composite PK, no FK
    assert got["publications.content_id"].startswith("inferred:")  # stem names content_items
    assert got["auto_runs.content_auto_id"].startswith("inferred:")
    assert "content_items_auto" in got["auto_runs.content_auto_id"]
    assert got["thumbnails.image_id"].startswith("inferred:") and "alias" in got["thumbnails.image_id"]
    assert got["comments.entity_id"].startswith("polymorphic")


@pytest.mark.parametrize("col", [
    "content_items.user_id",  # users exists: never elsewhere
    "content_items.author_id",  # no authors table: nothing
    "content_items.tag_id",
    "content_items.page",
    "content_items.project_id",
    "publications.page",
    "comments.author_id",
    "projects.owner_id",
    "invoices.content_item_id",  # UUID vs INTEGER: not the same key
    "audit.row_id",
    "audit.parent_id",
    "audit.account_id",
    "users.id",
    "tags.id",
    "projects.id",
    "content_versions.id",
])
def test_closure_negatives(col: str) -> None:
    assert col not in closure()


def test_user_id_goes_to_users_only() -> None:
    g = db.build_graph(SNAP, Config())
    dests = {v for _, v, d in g.out_edges("content_items.user_id", data=True)}
    assert dests == {"users.id"}
    assert all(d["ref"].evidence for _, _, d in g.edges(data=True))
    # author_id has no table of that name: no edge at all
    assert list(g.out_edges("content_items.author_id")) == []


def test_weak_partial_match_is_only_possible() -> None:
    g = db.build_graph(SNAP, Config())
    refs = [d["ref"] for _, _, d in g.out_edges("audit.account_id", data=True)]
    assert [(r.dest, r.kind) for r in refs] == [("account_settings.id", "inferred")]
    assert refs[0].confidence < Config().inference_threshold
    strong = [d["ref"] for _, _, d in g.out_edges("publications.content_id", data=True)]
    assert [r.dest for r in strong] == ["content_items.id"] and strong[0].confidence >= 0.6
    assert "referenced by 1 declared FK" in strong[0].evidence


def test_alias_without_config_is_not_linked() -> None:
    assert "thumbnails.image_id" not in closure(Config())


def test_threshold_and_virtual_references() -> None:
    strict = closure(Config(inference_threshold=0.95, aliases=("image_id",)))
    assert "publications.content_id" not in strict
    assert "content_metrics.content_item_id" not in strict
    assert "content_versions.content_item_id" in strict
    virtual = closure(Config(virtual_references=(VirtualReference("audit.row_id", "content_items.id"),
                                                 VirtualReference("gone.col", "content_items.id"))))
    assert virtual["audit.row_id"].startswith("virtual")
    assert "gone.col" not in virtual


def test_virtual_references_replace_polymorphic_guesses() -> None:
    cfg = Config(virtual_references=(VirtualReference("comments.entity_id", "content_items.id"),))
    g = db.build_graph(SNAP, cfg)
    assert [(v, d["kind"]) for _, v, d in g.out_edges("comments.entity_id", data=True)] == [
        ("content_items.id", "virtual")]
    guesses = {v for _, v, d in db.build_graph(SNAP, Config()).out_edges("comments.entity_id", data=True)}
    assert "users.id" in guesses  # without the statement: a possible reference to every entity table


def test_a_virtual_reference_wins_over_an_alias_of_the_same_column() -> None:
    """An alias applies to every target of the group; a virtual reference names one: the team said where."""
    cfg = Config(aliases=("image_id",),
                 virtual_references=(VirtualReference("thumbnails.image_id", "content_items.id"),))
    c = db.compute_closure(SNAP, (Target("content_items", "id"), Target("content_items_auto", "id")), cfg)
    dests = sorted(r.dest for r in c.references if r.source == "thumbnails.image_id")
    assert dests == ["content_items.id"]


def test_alias_beats_polymorphic_guess() -> None:
    got = closure(Config(aliases=("entity_id",)))
    assert got["comments.entity_id"].startswith("inferred:") and "alias" in got["comments.entity_id"]


def test_transitive_through_referenced_columns() -> None:
    snap = SchemaSnapshot("sqlite", (
        t("docs", "id"),
        t("doc_tags", "doc_id", "tag", pk=("doc_id", "tag"), fks=(fk("doc_id", "docs"),)),
        t("tag_links", "id", "link_doc", fks=(ForeignKey(("link_doc",), "doc_tags", ("doc_id",)),)),
    ))
    c = db.compute_closure(snap, (Target("docs", "id"),), Config())
    assert {x.qualified for x in c.columns} == {"docs.id", "doc_tags.doc_id", "tag_links.link_doc"}


def test_unknown_target_names_the_closest() -> None:
    with pytest.raises(db.UnknownTarget, match="content_items"):
        db.compute_closure(SNAP, (Target("content_item", "id"),), Config())
    with pytest.raises(db.UnknownTarget, match=r"content_items\.id"):
        db.compute_closure(SNAP, (Target("content_items", "ids"),), Config())
    with pytest.raises(db.UnknownTarget, match="is schema 'billing' in --schema"):
        db.compute_closure(SNAP, (Target("billing.zz_ledger", "id"),), Config())


def test_growth() -> None:
    c = db.compute_closure(SNAP, TARGETS, Config())
    g = db.growth(SNAP, c, "uuid")
    assert g["content_items"]["bytes_per_row"] == 12
    assert g["content_items"]["table_growth_bytes"] == 12 * 1_200_000
    assert g["content_items"]["lock"] == "ACCESS EXCLUSIVE"
    versions = db.growth(SNAP, c, "bigint")["content_versions"]
    assert versions["bytes_per_row"] == 4 and versions["index_growth_bytes"] == 400
    assert versions["indexes"] == ["ix_content_versions_content_item_id"]
    assert versions["foreign_keys"] == ["(content_item_id) -> content_items"]


@pytest.mark.parametrize("fmt", ["json", "md", "dot", "html"])
def test_render_schema(fmt: str) -> None:
    g = db.build_graph(SNAP, Config())
    out = db.render_schema(SNAP, g, fmt)
    assert "content_versions" in out
    if fmt == "json":
        data = json.loads(out)
        assert set(data) >= {"dialect", "source", "tables", "references", "dependents"}
        ref = next(r for r in data["references"] if r["from"] == "content_versions.content_item_id")
        assert ref == {"from": "content_versions.content_item_id", "to": "content_items.id", "kind": "declared",
                       "confidence": 1.0, "evidence": ref["evidence"], "rows": 100, "bytes": None}
        assert {"name", "rows", "rows_estimated", "bytes", "index_bytes", "columns", "primary_key",
                "foreign_keys", "indexes"} <= set(data["tables"][0])
    if fmt == "dot":
        assert out.startswith("digraph") and "style=dashed" in out and "style=solid" in out
    if fmt == "html":
        assert out.startswith("<!doctype html>") and "<script" not in out


def test_html_is_escaped() -> None:
    snap = SchemaSnapshot("sqlite", (t("<b>x</b>", "id"),))
    out = db.render_schema(snap, db.build_graph(snap, Config()), "html")
    assert "<b>x</b>" not in out and "&lt;b&gt;" in out


def test_a_tables_own_surrogate_key_beside_a_type_column_is_no_polymorphic_reference() -> None:
    """`sys_menu.menu_id` (its own key) beside `menu_type` ('M', 'C', 'F': a menu's kind) in a prefixed schema (a
    real admin system: sys_menu, sys_notice, sys_config ...) read as a polymorphic pair, so every table's key
    `may reference sys_user.user_id`. A table's own single-column key, named after the table (prefix aside),
    refers to nothing; a real pair still does, and a 1:1 table's key is no key of its own."""
    def surrogate(name: str, key: str, *cols: str) -> Table:
        return Table(name, (Column(key, "BIGINT", identity=True), *(Column(c, "TEXT" if c.endswith("_type")
                                                                           else "BIGINT") for c in cols)),
                     primary_key=(key,), rows=100)

    snap = SchemaSnapshot("postgresql", (
        surrogate("sys_user", "user_id", "dept_id"),
        surrogate("sys_menu", "menu_id", "menu_type", "parent_id"),
        surrogate("sys_notice", "notice_id", "notice_type"),
        Table("sys_notice_kind", (Column("kind_id", "BIGINT"), Column("kind_type", "TEXT")), primary_key=("kind_id",)),
        surrogate("sys_file_acl", "acl_id", "subject_type", "subject_id"),
        # a 1:1 table keyed by the user's id (no FK declared, no sequence of its own): still the key
        Table("sys_user_profile", (Column("user_id", "BIGINT"), Column("bio", "TEXT")), primary_key=("user_id",)),
    ))
    c = db.compute_closure(snap, (Target("sys_user", "user_id"),), Config())
    sources = {r.source for r in c.references}
    assert "sys_menu.menu_id" not in sources and "sys_notice.notice_id" not in sources
    assert "sys_notice_kind.kind_id" not in sources  # not auto-increment, but named after its table
    assert "sys_file_acl.subject_id" in sources  # subject_type + subject_id: a real pair
    profile = snap.table("sys_user_profile")
    assert profile is not None and not graph._own_key(profile, profile.columns[0])  # the user's id, not its own


def test_a_namespace_prefix_most_tables_share_is_set_aside_when_a_column_names_a_table() -> None:
    """`user_id` names `sys_user` in a schema of sys_* tables (a real admin framework: no FK declared, keys `id`):
    with the prefix the stem only partly matched and the reference was too weak to count, so every user_id
    column of its other tables was left out of the closure."""
    def entity(name: str, *cols: str) -> Table:
        return Table(name, (Column("id", "BIGINT", identity=True), *(Column(c, "BIGINT") for c in cols)),
                     primary_key=("id",), rows=100)

    snap = SchemaSnapshot("postgresql", (
        entity("sys_user", "dept_id"), entity("sys_role"), entity("sys_dept"), entity("sys_user_role", "user_id",
                                                                                     "role_id"),
        entity("gen_table"),
    ))
    assert graph._schema_prefixes(snap) == {"sys"}
    c = db.compute_closure(snap, (Target("sys_user", "id"),), Config())
    assert {x.qualified for x in c.columns} == {"sys_user.id", "sys_user_role.user_id"}
    # two tables of six sharing a first word: no namespace (`content_items`, `content_versions` name entities)
    assert graph._schema_prefixes(SNAP) == set()
