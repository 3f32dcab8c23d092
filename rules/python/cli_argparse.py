from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
from analyzer.rules.python._base import FileCtx, Invalid, PyRule, Valid, string_value

from analyzer.models import NOT_BIGINT, Edit, Finding
from analyzer.python import facts

_HEAD = "import argparse\nfrom app.jobs import reprocess\nfrom app.models import ContentItem\n"
_JOBS = ("### app/jobs.py\nfrom app.models import ContentItem\n"
         "def reprocess(refs: list[int], session=None) -> None:\n"
         "    for item in session.query(ContentItem).filter(ContentItem.id.in_(refs)):\n        item.touch()\n"
         "### scripts/reprocess.py\n")


class ArgparseIntKey(PyRule):
    """A command-line argument (or a Flask-RESTful reqparse request argument) holding the key, typed `int`.

    Anti-pattern: `parser.add_argument("content_ids", nargs="+", type=int)` in an admin script — after the
    change every real id on the command line fails with "invalid int value". Best practice: `type=uuid.UUID`
    (argparse calls it on the text and reports a bad value the same way).

    The argument holds the key by its name (its destination: `content_ids`, `--content-id`, `dest=`) or by
    where the script passes `args.<dest>` (a parameter that holds the key). Not for bigint: `int` parses any
    bigint.
    """

    code, name, layer, kind = "PY075", "cli.argparse_int", "other", "must_change"
    APPLIES_TO = NOT_BIGINT
    fixable = True
    VALID = [Valid("import argparse\nparser = argparse.ArgumentParser()\n"
                   "parser.add_argument('--port', type=int, default=6379)\n"
                   "parser.add_argument('--user-id', type=int)\nparser.add_argument('--retries', type=int, default=3)\n"
                   "parser.add_argument('pages', nargs='*', type=int)\n", path="scripts/tool.py"),
             Valid(_JOBS + _HEAD + "def main() -> None:\n    parser = argparse.ArgumentParser()\n"
                   "    parser.add_argument('--batch', type=int, default=100)\n    args = parser.parse_args()\n"
                   "    reprocess(list(range(args.batch)))\n", path="scripts/reprocess.py")]
    INVALID = [
        Invalid("import argparse\nparser = argparse.ArgumentParser()\n"
                "parser.add_argument('content_ids', nargs='+', type=int, help='items to reindex')\n"
                "parser.add_argument('--port', type=int)\n", line=3, path="scripts/reindex.py",
                expected_fix="parser.add_argument('content_ids', nargs='+', type=uuid.UUID, help='items to reindex')"),
        Invalid("import argparse\ndef parse(argv):\n    p = argparse.ArgumentParser()\n"
                "    p.add_argument('--content-id', type=int, required=True)\n    return p.parse_args(argv)\n"
                "def main(argv=None):\n    args = parse(argv)\n    print(args.content_id)\n",
                line=4, path="scripts/show.py", message_contains="--content-id"),
        Invalid(_JOBS + _HEAD + "def main() -> None:\n    parser = argparse.ArgumentParser()\n"
                "    parser.add_argument('items', nargs='+', type=int)\n"
                "    parser.add_argument('--batch', type=int, default=100)\n    args = parser.parse_args()\n"
                "    reprocess(args.items)\n    print(ContentItem.__tablename__, len(args.items))\n", line=6,
                path="scripts/reprocess.py", message_contains="reprocess"),
    ]

    # Flask-RESTful's reqparse takes argparse's vocabulary for request arguments: the same mistake in an API
    INVALID += [Invalid("from flask_restful import reqparse\nparser = reqparse.RequestParser()\n"
                        "parser.add_argument('content_id', type=int, required=True, location='json')\n"
                        "parser.add_argument('page', type=int, default=1)\n", line=3, path="app/api/images.py",
                        message_contains="request argument `content_id`",
                        expected_fix="parser.add_argument('content_id', type=uuid.UUID, required=True, "
                                     "location='json')")]

    def check(self, ctx: FileCtx) -> Iterator[Finding]:
        pf = ctx.pf
        if "add_argument" not in pf.text:
            return
        what = "request argument" if "reqparse" in pf.text or "RequestParser" in pf.text else "command-line argument"
        passed = self._passed(ctx)
        for entry in pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if facts.callee_name(call) != "add_argument" or not isinstance(call.func, cst.Attribute):
                continue
            kind = facts.kwarg(call, "type")
            if kind is None or not (isinstance(kind.value, cst.Name) and kind.value.value == "int"):
                continue
            flags = [v for a in facts.positional(call) for v in [string_value(a.value)] if v]
            dest_kw = facts.kwarg(call, "dest")
            dest = string_value(dest_kw.value) if dest_kw is not None else None
            if dest is None and flags:
                longs = [f for f in flags if f.startswith("--")]
                dest = (longs[0] if longs else flags[0]).lstrip("-").replace("-", "_")
            if not dest:
                continue
            why = f"`{dest}` is named like {ctx.model.key_names[dest]}" if dest in ctx.model.key_names \
                else passed.get(dest)
            if why is None:
                continue
            new, imp = ctx.model.python_type()
            start, end = pf.offsets(kind.value)
            edits = (Edit(start, end, new, requires_import=imp),) if new else ()
            yield ctx.finding(self, call, ctx.symbol(entry.func, dest),
                              f"{what} `{flags[0] if flags else dest}` holds the key and is parsed "
                              f"with `type=int`", evidence=why, edits=edits, layer=ctx.layer_of(entry.func, "other"))

    @staticmethod
    def _passed(ctx: FileCtx) -> dict[str, str]:
        """Destinations whose `args.<dest>` this file passes to a parameter that holds the key."""
        out: dict[str, str] = {}
        registry = ctx.flow.registry
        for entry in ctx.pf.of(cst.Call):
            call = entry.node
            assert isinstance(call, cst.Call)
            if not any(isinstance(a.value, cst.Attribute) for a in call.args):
                continue
            callee = registry.resolve(ctx.pf, call.func, entry.func)
            if callee is None:
                continue
            params = [p.name.value for p in callee.positional()]
            held = {**{p: why for p, why in callee.env.items()},
                    **{p: fk.evidence for p, fk in ctx.model.params.get(callee.func_id, {}).items()}}
            for i, a in enumerate(call.args):
                if not isinstance(a.value, cst.Attribute) or a.star:
                    continue
                param = a.keyword.value if a.keyword is not None else params[i] if i < len(params) else None
                if param in held:
                    out.setdefault(a.value.attr.value, f"`{ctx.pf.code(a.value)}` is passed as `{param}` to "
                                                       f"{callee.qualname}() ({ctx.pf.where(call)}), which holds the key")
        return out

