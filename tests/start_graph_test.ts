/**
 * nutmeg's start-up path imports no `node:` or `npm:` module: importing one
 * starts Deno's Node compatibility layer, which costs a few MB of memory at
 * rest (issue 11: a bare Deno listener 35.4 MB, + node:util 37.2 MB, + six
 * node: modules 42.2 MB). The module graph of `deno info --json` is walked
 * from main.ts and from the worker's entry (lib/runtime/worker_main.ts,
 * started with `new Worker`, which `deno info` does not follow), through
 * every code import, static or dynamic, except the dynamic imports listed
 * in {@link LAZY}: the modules only some configurations load.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Dynamic imports that may lead to node: modules, importer -> imported, and why. */
const LAZY: Readonly<Record<string, string>> = {
  "lib/net/tls.ts -> lib/net/tls_client_auth.ts":
    "node:tls, only for pools with tls_ca (Deno.listenTls asks for no client certificate)",
};

/** The roots: what `deno run main.ts` loads, and what each worker thread loads. */
const ENTRIES = ["main.ts", "lib/runtime/worker_main.ts"];

interface Dependency {
  readonly specifier: string;
  readonly code?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}

interface Module {
  readonly specifier: string;
  readonly dependencies?: readonly Dependency[];
}

async function graph(entry: string): Promise<Map<string, Module>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info: { modules: Module[] } = JSON.parse(new TextDecoder().decode(out.stdout));
  return new Map(info.modules.map((m) => [m.specifier, m]));
}

/** `file:///.../lib/x.ts` as `lib/x.ts`; other specifiers as they are. */
function local(specifier: string): string {
  return specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : specifier;
}

Deno.test("main.ts and the worker reach no node: or npm: module but through the LAZY imports", async () => {
  const lazySeen = new Set<string>();
  for (const entry of ENTRIES) {
    const modules = await graph(entry);
    /** How each module was reached, for the message. */
    const via = new Map<string, string>([[new URL(entry, ROOT).href, entry]]);
    const todo = [new URL(entry, ROOT).href];
    const bad: string[] = [];
    for (let spec = todo.pop(); spec !== undefined; spec = todo.pop()) {
      if (spec.startsWith("node:") || spec.startsWith("npm:")) {
        bad.push(`${spec} (${via.get(spec)})`);
        continue;
      }
      for (const dep of modules.get(spec)?.dependencies ?? []) {
        const target = dep.code?.specifier;
        if (target === undefined) continue; // `import type`: erased
        const edge = `${local(spec)} -> ${local(target)}`;
        if (dep.isDynamic === true && LAZY[edge] !== undefined) {
          lazySeen.add(edge);
          continue;
        }
        if (via.has(target)) continue;
        via.set(target, `${via.get(spec)} -> ${local(target)}`);
        todo.push(target);
      }
    }
    assert.deepEqual(bad, [], `from ${entry}`);
  }
  // Keep LAZY honest: each entry is a dynamic import that still exists.
  assert.deepEqual([...lazySeen].sort(), Object.keys(LAZY).sort());
});
