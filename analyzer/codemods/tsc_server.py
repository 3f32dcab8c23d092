"""One TypeScript compiler kept running for all the rounds of a project's check.

`tsc --incremental` re-checks only what changed, but every run still starts node, loads the compiler and
parses the standard library and every `@types` declaration again: on a small front end that fixed cost is
most of a run, and a loop of five runs cost seven full runs. This runs the project's own compiler
(`node_modules/typescript`, the package behind `.bin/tsc`) once, as a small node script reading commands
on stdin: each `check` builds the next program from the previous one (unchanged files are not parsed
again, their diagnostics are kept; a semantic-diagnostics builder re-checks only the files a change can
affect, as `tsc --watch` does) and prints the errors as one JSON line, in tsc's own terms (file, line,
column, code, message, the last line of the message chain).

A project checked with `tsc --build` (`verify.needs_build`: references and files of its own) runs a
solution builder instead, new for each check: up-to-date projects are skipped by their build-info files
(written in the scratch copy with the declarations the referenced projects emit), the others reuse the
parsed files. After a check, `where` asks the last programs where the slot at a diagnostic's position
is declared (the compiler's own symbols: inferred types, classes re-exported by an index).

Used when `node` is on PATH and the typescript package is found behind `.bin/tsc`; otherwise, or when the
script fails, `verify` runs the tsc command itself (incremental through a build-info file).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path

_SCRIPT = r"""
const path = require("path");
const readline = require("readline");
const ts = require(process.argv[2]);
const project = process.argv[3];
const configs = JSON.parse(process.argv[4]);
const build = process.argv[5] === "build";  // tsc --build: referenced projects first, their declarations emitted
let versions = 0;
const sources = new Map();  // fileName -> [text, SourceFile]: an unchanged file is not parsed again

function host(options) {
  return cached(ts.createIncrementalCompilerHost(options));
}

function cached(base) {
  const read = base.getSourceFile;
  base.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = ts.sys.readFile(fileName);
    if (text === undefined) return read(fileName, languageVersion, onError, shouldCreate);
    const key = fileName + "\0" + JSON.stringify(languageVersion);
    const hit = sources.get(key);
    if (hit && hit[0] === text) return hit[1];
    const file = ts.createSourceFile(fileName, text, languageVersion, false);
    file.version = String(++versions);  // a new text, a new version: no hash of every library file
    sources.set(key, [text, file]);
    return file;
  };
  return base;
}

let programs = [];
for (const config of build ? [] : configs) {
  const failures = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(path.resolve(project, config), { noEmit: true },
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => failures.push(d) });
  programs.push({ parsed, failures, host: parsed ? host(parsed.options) : null, builder: undefined });
}

function flatten(d) {
  const text = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n").map((l) => l.trim()).filter(Boolean);
  const out = { code: "TS" + d.code, message: text[0] || "", detail: text.length > 1 ? text[text.length - 1] : "",
                file: "", line: 0, col: 0 };
  if (d.file && d.start !== undefined) {
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    out.file = path.relative(project, d.file.fileName).split(path.sep).join("/");
    out.line = pos.line + 1;
    out.col = pos.character + 1;
  }
  return out;
}

function buildAll() {
  // a new solution builder each time: up-to-date projects are skipped by their build-info files, the
  // unchanged files of the others come from the parse cache
  const out = [];
  const built = [];
  const report = (d) => { if (d.category === ts.DiagnosticCategory.Error) out.push(flatten(d)); };
  const create = (rootNames, options, compilerHost, oldProgram, configDiagnostics, references) => {
    const program = ts.createEmitAndSemanticDiagnosticsBuilderProgram(rootNames, options,
      compilerHost ? cached(compilerHost) : compilerHost, oldProgram, configDiagnostics, references);
    built.push({ builder: program });
    return program;
  };
  const sbHost = ts.createSolutionBuilderHost(ts.sys, create, report, () => {}, () => {});
  ts.createSolutionBuilder(sbHost, configs.map((c) => path.resolve(project, c)), {}).build();
  programs = built;
  return out;
}

function check() {
  if (build) return buildAll();
  const out = [];
  for (const p of programs) {
    if (!p.parsed) { out.push(...p.failures.map(flatten)); continue; }
    p.builder = ts.createSemanticDiagnosticsBuilderProgram(p.parsed.fileNames, p.parsed.options, p.host, p.builder,
      ts.getConfigFileParsingDiagnostics(p.parsed), p.parsed.projectReferences);
    const all = [...p.builder.getConfigFileParsingDiagnostics(), ...p.builder.getOptionsDiagnostics(),
                 ...p.builder.getGlobalDiagnostics(), ...p.builder.getSyntacticDiagnostics(),
                 ...p.builder.getSemanticDiagnostics()];
    for (const d of all) if (d.category === ts.DiagnosticCategory.Error) out.push(flatten(d));
  }
  return out;
}

// ---- where a value comes from, or where it goes: the declaration behind a diagnostic's position
function nodeAt(sf, pos) {
  let found = sf;
  const visit = (n) => { if (n.getStart(sf) <= pos && pos < n.getEnd()) { found = n; ts.forEachChild(n, visit); } };
  ts.forEachChild(sf, visit);
  return found;
}

function typed(decl) {
  // a property of an interface, a type literal or a class whose type is written out
  if (!decl || !decl.type) return null;
  if (!(ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl) || ts.isParameter(decl))) return null;
  if (ts.isParameter(decl) && role !== "target") return null;
  const sf = decl.getSourceFile();
  const owner = decl.parent && (decl.parent.name ? decl.parent.name.getText(sf)
    : decl.parent.parent && decl.parent.parent.name ? decl.parent.parent.name.getText(sf) : "");
  const fn = ts.isParameter(decl) && decl.parent && decl.parent.name ? decl.parent.name.getText(sf) : owner;
  const name = decl.name ? decl.name.getText(sf) : "";
  return { file: path.relative(project, sf.fileName).split(path.sep).join("/"), start: decl.type.getStart(sf),
           end: decl.type.getEnd(), symbol: (fn ? fn + "." : "") + name,
           what: ts.isParameter(decl) ? "parameter" : "property", callback: ts.isFunctionTypeNode(decl.type) };
}

let role = "";
function declFor(checker, sym) {
  if (!sym) return null;
  if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  for (const d of sym.declarations || []) { const t = typed(d); if (t) return t; }
  return null;
}

function where(q) {
  role = q.role;
  for (const p of programs) {
    if (!p.builder) continue;
    const program = p.builder.getProgram();
    const sf = program.getSourceFile(path.resolve(project, q.file));
    if (!sf) continue;
    const checker = program.getTypeChecker();
    const pos = sf.getPositionOfLineAndCharacter(q.line - 1, q.col - 1);
    let node = nodeAt(sf, pos);
    if (q.role === "value") {  // the value tsc rejects: the widest expression starting there
      const holder = node.parent;  // an attribute's or a property's name: its value
      if (holder && (ts.isJsxAttribute(holder) || ts.isPropertyAssignment(holder)) && holder.name === node) {
        const init = holder.initializer;
        node = init && ts.isJsxExpression(init) ? init.expression : init;
        if (!node) return null;
      }
      while (node.parent && node.parent.getStart(sf) === node.getStart(sf) && ts.isExpression(node.parent)
             && !ts.isCallExpression(node.parent) && !ts.isBinaryExpression(node.parent)) node = node.parent;
      if (ts.isPropertyAccessExpression(node)) return declFor(checker, checker.getSymbolAtLocation(node.name));
      return null;
    }
    // the slot it goes to: an object literal's property, a JSX attribute, a call's argument
    const parent = node.parent;
    if (parent && (ts.isPropertyAssignment(parent) || ts.isShorthandPropertyAssignment(parent)) && parent.name === node) {
      const type = checker.getContextualType(parent.parent);
      const prop = type && type.getProperty(node.getText(sf));
      return declFor(checker, prop);
    }
    if (parent && ts.isJsxAttribute(parent) && parent.name === node) return declFor(checker, checker.getSymbolAtLocation(node));
    let left = node;  // `this.selectedId = id`: the property assigned to
    while (left.parent && ts.isPropertyAccessExpression(left.parent) && left.parent.getStart(sf) === left.getStart(sf))
      left = left.parent;
    const assign = left.parent;
    if (assign && ts.isBinaryExpression(assign) && assign.left === left && assign.operatorToken.kind === ts.SyntaxKind.EqualsToken)
      return declFor(checker, checker.getSymbolAtLocation(ts.isPropertyAccessExpression(left) ? left.name : left));
    let arg = node;
    while (arg.parent && !(ts.isCallExpression(arg.parent) && arg.parent.arguments.includes(arg))
           && arg.parent.getStart(sf) === arg.getStart(sf)) arg = arg.parent;
    const call = arg.parent;
    if (call && ts.isCallExpression(call) && call.arguments.includes(arg)) {
      const sig = checker.getResolvedSignature(call);
      const index = call.arguments.indexOf(arg);
      const param = sig && sig.parameters[index];
      return param ? declFor(checker, param) : null;
    }
    return null;
  }
  return null;
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  let reply;
  const text = line.trim();
  if (text.startsWith("{")) {
    try { reply = { ok: true, found: JSON.parse(text).queries.map((q) => { try { return where(q); } catch (e) { return null; } }) }; }
    catch (e) { reply = { ok: false, error: String(e && e.stack || e) }; }
    process.stdout.write(JSON.stringify(reply) + "\n");
    return;
  }
  if (text !== "check") process.exit(0);
  try { reply = { ok: true, diagnostics: check() }; } catch (e) { reply = { ok: false, error: String(e && e.stack || e) }; }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
"""


def typescript_package(node_modules: Path) -> Path | None:
    """The typescript package behind `.bin/tsc` (its `bin/tsc` resolves into it)."""
    try:
        target = (node_modules / ".bin" / "tsc").resolve()
    except OSError:
        return None
    package = target.parent.parent
    if (package / "package.json").is_file() and (package / "lib" / "typescript.js").is_file():
        return package
    candidate = node_modules / "typescript"
    return candidate if (candidate / "lib" / "typescript.js").is_file() else None


class TscServer:
    """The node process; `check()` returns tsc's errors as dicts, or None when it could not answer."""

    def __init__(self, node_modules: Path, project: Path, configs: list[str], scratch: Path, timeout: float,
                 build: bool = False) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.timeout = timeout
        node = shutil.which("node")
        package = typescript_package(node_modules)
        if node is None or package is None:
            return
        script = scratch / "impact-tsc-server.js"
        script.write_text(_SCRIPT, encoding="utf-8")
        try:
            self.proc = subprocess.Popen([node, str(script), str(package), str(project), json.dumps(configs),
                                          "build" if build else "check"],
                                         cwd=project, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
        except OSError:
            self.proc = None

    @property
    def available(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _ask(self, request: str) -> dict[str, object] | None:
        """One request line to the compiler, its one-line JSON reply; None when it is gone, hangs past the
        timeout (it is killed: a hung compiler must not hang the scan) or answers something else."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.stdout is None or proc.poll() is not None:
            return None
        timer = threading.Timer(self.timeout, proc.kill)
        timer.start()
        try:
            proc.stdin.write(request + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (OSError, ValueError):
            line = ""
        finally:
            timer.cancel()
        try:
            reply = json.loads(line) if line else None
        except ValueError:
            reply = None
        return reply if isinstance(reply, dict) and reply.get("ok") else None

    def check(self) -> list[dict[str, object]] | None:
        reply = self._ask("check")
        diagnostics = reply.get("diagnostics") if reply is not None else None
        if not isinstance(diagnostics, list):
            self.close()
            return None
        return [d for d in diagnostics if isinstance(d, dict)]

    def where(self, queries: list[dict[str, object]]) -> list[dict[str, object] | None]:
        """The declarations behind positions of the last check, from the compiler's own symbols (the
        project's files as it resolved them, inferred types included): per query (`file` relative to the
        project, 1-based `line` and `col`, `role` "value": where the rejected value's property is declared;
        "target": the property, attribute or parameter it is given to), the declaring file, the span of its
        type annotation (offsets in UTF-16 code units), a symbol and what it is; None where there is none."""
        if not queries:
            return []
        reply = self._ask(json.dumps({"queries": queries}))
        found = reply.get("found") if reply is not None else None
        if not isinstance(found, list) or len(found) != len(queries):
            return [None] * len(queries)
        return [f if isinstance(f, dict) else None for f in found]

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
