"""Generated API clients (issue 12): reported as TS070 with the generator's advice, never hand-edited.

Real front ends on disk for a `projects.id` key: an @hey-api/openapi-ts client found by its config
(`openapi-ts.config.ts`, output `src/client`, no banner needed) and run by a package.json script, an
orval config with split outputs, an `openapitools.json`, and an openapi-typescript script writing
`-o src/lib/api/v1.ts`. Next to them, hand-written code keeps its usual findings and patches, and
look-alikes stay hand-written: a leading licence comment, a "do not edit" note further down a file.
"""

from __future__ import annotations

import json
from pathlib import Path

from helpers import write_tree

from analyzer.config import Config
from analyzer.models import Finding, KeySeeds, RouteSeed, SourceFile
from analyzer.typescript import scan_typescript
from analyzer.typescript.generated import GeneratedFiles

SEEDS = KeySeeds(
    field_names=frozenset({"project_id"}),
    routes=(RouteSeed("GET", "/api/v1/projects/{project_id}", ("project_id",), "server/routes/projects.py:31",
                      "projects.read_project"),
            RouteSeed("DELETE", "/api/v1/projects/{project_id}", ("project_id",), "server/routes/projects.py:52",
                      "projects.delete_project")),
    origins={"project_id": "TaskOut.project_id in server/schemas/task.py:14",
             "ProjectOut.id": "server/schemas/project.py:22"},
)

HEY_API = {
    "package.json": json.dumps({"name": "web", "scripts": {"dev": "vite",
                                                           "generate-client": "openapi-ts && prettier -w src/client"}}),
    "openapi-ts.config.ts": (
        "import { defineConfig } from '@hey-api/openapi-ts';\n"
        "export default defineConfig({\n"
        "  input: 'http://localhost:8000/api/v1/openapi.json',\n"
        "  output: { path: 'src/client', format: 'prettier' },\n"
        "  plugins: ['legacy/axios'],\n"
        "});\n"
    ),
    "src/client/types.gen.ts": (
        "export type ProjectCreate = {\n"
        "    name: string;\n"
        "};\n"
        "export type ProjectPublic = {\n"
        "    name: string;\n"
        "    id: number;\n"
        "    owner_id: number;\n"
        "};\n"
        "export type ProjectsReadProjectsData = {\n"
        "    skip?: number;\n"
        "    limit?: number;\n"
        "};\n"
        "export type ProjectsReadProjectData = {\n"
        "    id: number;\n"
        "};\n"
        "export type TaskPublic = {\n"
        "    id: number;\n"
        "    project_id: number;\n"
        "};\n"
    ),
    "src/client/sdk.gen.ts": (
        "import type { ProjectsReadProjectData, ProjectPublic } from './types.gen';\n"
        "import { request as __request } from './core/request';\n"
        "export class ProjectsService {\n"
        "    public static readProject(data: ProjectsReadProjectData): Promise<ProjectPublic> {\n"
        "        return __request({\n"
        "            method: 'GET',\n"
        "            url: '/api/v1/projects/{id}',\n"
        "            path: {\n"
        "                id: data.id\n"
        "            },\n"
        "        });\n"
        "    }\n"
        "}\n"
    ),
    "src/client/schemas.gen.ts": (
        "export const ProjectPublicSchema = {\n"
        "    properties: {\n"
        "        name: { type: 'string', title: 'Name' },\n"
        "        id: { type: 'integer', title: 'Id' },\n"
        "        owner_id: { type: 'integer', title: 'Owner Id' },\n"
        "    },\n"
        "    type: 'object',\n"
        "    required: ['name', 'id', 'owner_id'],\n"
        "    title: 'ProjectPublic'\n"
        "} as const;\n"
    ),
    "src/routes/projects.tsx": (
        "/*\n"
        " * Copyright (c) Example Corp. Licensed under the MIT licence.\n"
        " */\n"
        "import { useState } from 'react';\n"
        "import { ProjectsService } from '../client/sdk.gen';\n"
        "export function ProjectPicker({ ids }: { ids: number[] }) {\n"
        "  const [current, setCurrent] = useState<number | null>(null);\n"
        "  const open = () => current !== null && ProjectsService.readProject({ id: current });\n"
        "  return <ul onClick={open}>{ids.map((i) => <li key={i} onClick={() => setCurrent(i)}>{i}</li>)}</ul>;\n"
        "}\n"
        "// Do not edit the list above without telling design.\n"
    ),
}


def _scan(root: Path, files: dict[str, str]) -> list[Finding]:
    write_tree(root, files)
    sources = [SourceFile(str(root), str(root / rel), rel, "typescript") for rel in files
               if rel.endswith((".ts", ".tsx")) and not rel.endswith(".config.ts")]
    return list(scan_typescript(sources, SEEDS, Config()).findings)


def _at(findings: list[Finding], path: str) -> dict[int, Finding]:
    return {f.span.line: f for f in findings if f.path == path and f.kind != "info"}


def test_openapi_ts_client_found_by_its_config_is_reported_and_retyped_as_regenerated(tmp_path: Path) -> None:
    """The advice is to regenerate; the patch retypes the generated lines as the generator will (issue 13: the
    hand-written code patched against the client compiles before the client is regenerated)."""
    found = _scan(tmp_path, HEY_API)
    types = _at(found, "src/client/types.gen.ts")
    assert sorted(types) == [6, 14, 18], {k: v.symbol for k, v in types.items()}  # ProjectPublic.id, path id, project_id
    assert _at(found, "src/client/schemas.gen.ts").keys() == {4}  # `id: { type: 'integer' }`, not owner_id
    generated = [f for f in found if f.path.startswith("src/client/") and f.kind != "info"]
    assert generated and all(f.code == "TS070" and f.fix and "regenerate it" in f.review for f in generated)
    advice = generated[0].review
    assert "@hey-api/openapi-ts" in advice and "openapi-ts.config.ts" in advice
    assert "http://localhost:8000/api/v1/openapi.json" in advice and "`npm run generate-client`" in advice
    path_id = types[14]
    assert "GET /api/v1/projects/{project_id}" in path_id.evidence  # `{id}` in the URL template is the key


def test_hand_written_code_next_to_the_client_keeps_its_patches(tmp_path: Path) -> None:
    found = _scan(tmp_path, HEY_API)
    own = _at(found, "src/routes/projects.tsx")
    assert own[7].code == "TS040" and own[7].edits  # useState<number | null> given to the client's path id
    assert all(f.code != "TS070" for f in own.values())


def test_orval_openapitools_and_openapi_typescript_outputs(tmp_path: Path) -> None:
    model = "export interface ProjectOut {\n  id: number;\n  name: string;\n}\n"
    files = {
        "orval/orval.config.ts": (
            "import { defineConfig } from 'orval';\n"
            "export default defineConfig({\n"
            "  projects: {\n"
            "    input: { target: '../openapi.json' },\n"
            "    output: { mode: 'tags-split', target: 'src/api/endpoints.ts', schemas: 'src/api/model',\n"
            "              client: 'react-query' },\n"
            "  },\n"
            "});\n"
        ),
        "orval/package.json": json.dumps({"scripts": {"api": "orval --config ./orval.config.ts"}}),
        "orval/pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "orval/src/api/model/projectOut.ts": model,
        "orval/src/api/endpoints/projects/projects.ts": (
            "import axios from 'axios';\n"
            "export const getProject = (projectId: number) => axios.get(`/api/v1/projects/${projectId}`);\n"
        ),
        "orval/src/lib/format.ts": "export const pageLabel = (page: number, projectCount: number) => `${page}/${projectCount}`;\n",
        "gen/openapitools.json": json.dumps({"generator-cli": {"version": "7.8.0", "generators": {
            "api": {"generatorName": "typescript-axios", "output": "#{cwd}/src/generated",
                    "inputSpec": "#{cwd}/openapi.json"}}}}),
        "gen/src/generated/models/project-out.ts": model,
        "ot/package.json": json.dumps({"scripts": {
            "types": "openapi-typescript ./openapi.json -o ./src/lib/api/v1.ts"}}),
        "ot/src/lib/api/v1.ts": (
            "export interface components {\n"
            "  schemas: {\n"
            "    ProjectOut: {\n"
            "      id: number;\n"
            "      owner_id: number;\n"
            "    };\n"
            "  };\n"
            "}\n"
        ),
        "ot/src/lib/api/v1-helpers.ts": model,
    }
    found = _scan(tmp_path, files)
    by_path = {f.path: f for f in found if f.kind != "info"}
    orval = by_path["orval/src/api/model/projectOut.ts"]
    assert orval.code == "TS070" and "orval" in orval.review and "`pnpm api`" in orval.review
    assert "orval/orval.config.ts" in orval.review and "../openapi.json" in orval.review
    assert by_path["orval/src/api/endpoints/projects/projects.ts"].code == "TS070"
    assert "orval/src/lib/format.ts" not in by_path
    gen = by_path["gen/src/generated/models/project-out.ts"]
    assert gen.code == "TS070" and "OpenAPI Generator" in gen.review and "openapi.json" in gen.review
    ot = by_path["ot/src/lib/api/v1.ts"]
    assert ot.code == "TS070" and ot.symbol == "ProjectOut.id" and "`npm run types`" in ot.review
    assert by_path["ot/src/lib/api/v1-helpers.ts"].code == "TS001"  # beside the output, not in it


def test_banners_name_the_generator(tmp_path: Path) -> None:
    gf = GeneratedFiles()
    f = tmp_path / "x.ts"
    f.write_text("")
    cases = {
        "// This file is auto-generated by @hey-api/openapi-ts\n\nexport type A = {};\n": "@hey-api/openapi-ts",
        "/**\n * This file was auto-generated by openapi-typescript.\n * Do not make direct changes to the file.\n */\n":
            "openapi-typescript",
        "/**\n * Generated by orval v7.3.0 🍺\n * Do not edit manually.\n */\n": "orval",
        "/* tslint:disable */\n/* eslint-disable */\n/**\n * NOTE: This class is auto generated by OpenAPI Generator "
        "(https://openapi-generator.tech).\n */\n": "OpenAPI Generator",
        "'use client';\n// @generated\nexport const x = 1;\n": "",
        "/* tslint:disable */\n/**\n/* This file was automatically generated from pydantic models by running "
        "pydantic2ts.\n/* Do not modify it by hand - just update the pydantic models and then re-run the script\n*/\n":
            "pydantic2ts",
    }
    for text, name in cases.items():
        got = gf.of(text, str(f), str(tmp_path), "x.ts")
        assert got is not None and got.generator == name, (text, got)
    for text in ("/* Copyright (c) Example. MIT licence. */\nexport const x = 1;\n",
                 "export const x = 1;\n// do not edit below\n", ""):
        assert gf.of(text, str(f), str(tmp_path), "x.ts") is None, text


def test_a_rule_switched_off_drops_generated_findings(tmp_path: Path) -> None:
    write_tree(tmp_path, HEY_API)
    sources = [SourceFile(str(tmp_path), str(tmp_path / rel), rel, "typescript") for rel in HEY_API
               if rel.endswith((".ts", ".tsx")) and not rel.endswith(".config.ts")]
    config = Config(disable=("TS070",))
    found = scan_typescript(sources, SEEDS, config).findings
    assert not [f for f in found if f.path.startswith("src/client/") and f.kind != "info"]
