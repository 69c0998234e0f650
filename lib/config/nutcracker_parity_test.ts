/**
 * Every file in tests/fixtures/conf/cases/ gets the verdict nutcracker 0.5.0
 * gave it (recorded in nutcracker_verdicts.json by record.sh there), except:
 * - `deviation_*`: nutcracker accepts them but would misbehave (wrapped
 *   numbers, garbage modes, empty hosts, ...); nutmeg refuses them.
 * - `extension_*`: nutmeg accepts them (IPv6 in brackets; host names are
 *   not resolved at load time), whatever nutcracker says.
 */
import assert from "node:assert/strict";
import { loadConfig } from "./load.ts";
import { ConfigError } from "./errors.ts";

const DIR = new URL("../../tests/fixtures/conf/", import.meta.url);

interface Verdicts {
  readonly nutcracker: string;
  readonly cases: Record<string, { readonly ok: boolean; readonly error: string | null }>;
}

const verdicts: Verdicts = JSON.parse(
  await Deno.readTextFile(new URL("nutcracker_verdicts.json", DIR)),
);

async function ours(name: string): Promise<ConfigError | null> {
  try {
    await loadConfig(new URL(`cases/${name}.yml.txt`, DIR).pathname);
    return null;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

Deno.test("nutcracker_verdicts.json covers every case file", async () => {
  assert.equal(verdicts.nutcracker, "This is nutcracker-0.5.0");
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL("cases/", DIR))) {
    if (entry.name.endsWith(".yml.txt")) files.push(entry.name.slice(0, -".yml.txt".length));
  }
  assert.deepEqual(files.sort(), Object.keys(verdicts.cases).sort());
  assert.ok(files.length > 100);
});

for (const [name, theirs] of Object.entries(verdicts.cases)) {
  Deno.test(`loadConfig() on ${name} agrees with nutcracker`, async () => {
    const error = await ours(name);
    if (name.startsWith("deviation_")) {
      assert.ok(theirs.ok, "nutcracker accepts it");
      assert.ok(error !== null, "nutmeg refuses it");
    } else if (name.startsWith("extension_")) {
      assert.equal(error, null, error?.message);
    } else {
      assert.equal(error === null, theirs.ok, error?.message ?? `nutcracker said: ${theirs.error}`);
      assert.equal(name.startsWith("good_"), theirs.ok);
    }
    if (error !== null) {
      // Every refusal names the file and a position, and says what to do.
      assert.match(error.message, new RegExp(`^\\S*cases/${name}\\.yml\\.txt:\\d+:\\d+: `));
      assert.ok(error.line !== null && error.line >= 1);
      assert.ok(error.hint.length > 0, error.message);
    }
  });
}
