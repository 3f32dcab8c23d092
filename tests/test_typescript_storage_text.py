"""A key stored as text (`localStorage.setItem('lastRunId', runId.toString())`) makes its storage slot a key.

A page that hands the user over to another one often remembers the record it came from: the key goes into
`localStorage` turned into text by `.toString()` or a bare template (`` `${id}` ``), as often as by `String(id)`.
The page that reads the slot back (`const stored = localStorage.getItem('lastRunId')`, then
`setLastRunId(Number(stored))`) holds the key in its state, typed `number`. Before, only `String(x)` and
`JSON.stringify(x)` were seen through: the slot stayed unknown and both the state and the `Number()` were
missed. A page number stored the same way (`page.toString()` under 'lastPage') stays quiet.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.config import Config
from analyzer.models import KeySeeds
from analyzer.typescript.scan import scan_sources

SEEDS = KeySeeds(field_names=frozenset({"run_id"}), origins={"run_id": "RunOut.run_id in api/schemas/run.py:9"})

APP = {
    "src/components/RunProgress.tsx": (
        "type Props = {\n"
        "  runId: number;\n"  # 2: TS001 (a prop named after the key)
        "  page: number;\n"
        "};\n"
        "export default function RunProgress({ runId, page }: Props) {\n"
        "  const leave = () => {\n"
        "    localStorage.setItem('lastRunId', runId.toString());\n"
        "    sessionStorage.setItem('lastRunRef', `${runId}`);\n"
        "    localStorage.setItem('lastPage', page.toString());\n"
        "  };\n"
        "  return <button onClick={leave}>{runId}</button>;\n"
        "}\n"
    ),
    "src/views/Home.tsx": (
        "import { useEffect, useState } from 'react';\n"
        "\n"
        "export default function Home() {\n"
        "  const [lastRun, setLastRun] = useState<number | null>(null);\n"  # 4: TS040
        "  const [lastRef, setLastRef] = useState<number | null>(null);\n"  # 5: TS040
        "  const [lastPage, setLastPage] = useState<number | null>(null);\n"  # 6: ok
        "  useEffect(() => {\n"
        "    const stored = localStorage.getItem('lastRunId');\n"
        "    if (stored) {\n"
        "      setLastRun(Number(stored));\n"  # 10: the stored key through Number()
        "      localStorage.removeItem('lastRunId');\n"
        "    }\n"
        "    setLastRef(Number(sessionStorage.getItem('lastRunRef')));\n"  # 13
        "    const page = localStorage.getItem('lastPage');\n"
        "    if (page) setLastPage(Number(page));\n"  # 15: ok
        "  }, []);\n"
        "  return <div>{lastRun}{lastRef}{lastPage}</div>;\n"
        "}\n"
    ),
}


def test_a_key_stored_as_text_is_read_back_as_the_key(tmp_path: Path) -> None:
    result = scan_sources(APP, SEEDS, Config(), tmp=tmp_path)
    home = {(f.code, f.span.line) for f in result.findings if f.path == "src/views/Home.tsx"}
    assert {("TS040", 4), ("TS040", 5)} <= home, sorted(home)
    assert {line for _, line in home} & {10, 13} == {10, 13}, sorted(home)  # each Number() of the stored key
    assert not {line for _, line in home} & {6, 14, 15}, sorted(home)
    progress = {(f.code, f.span.line) for f in result.findings if f.path == "src/components/RunProgress.tsx"}
    assert ("TS001", 2) in progress and not {line for _, line in progress} & {3, 9}, sorted(progress)
