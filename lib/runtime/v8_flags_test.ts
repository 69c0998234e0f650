import assert from "node:assert/strict";
import { RUN_FLAGS, V8_FLAGS_ARG } from "./v8_flags.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the start task runs nutmeg with the options of v8_flags.ts", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const start: string = config.tasks.start;
  assert.ok(RUN_FLAGS.includes(V8_FLAGS_ARG));
  for (const flag of RUN_FLAGS) {
    assert.ok(start.split(" ").includes(flag), `${start} lacks ${flag}`);
    assert.ok(start.indexOf(flag) < start.indexOf("main.ts"), "a Deno option, before main.ts");
  }
});

Deno.test("the options are ones this Deno accepts", async () => {
  // Deno refuses a flag V8 does not know ("V8 did not recognize flag").
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUN_FLAGS, "data:text/javascript,console.log('ok')"],
    stderr: "piped",
    stdout: "piped",
  }).output();
  const err = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, err);
  assert.doesNotMatch(err, /unrecognized|unknown|Error/i, err);
  assert.equal(new TextDecoder().decode(run.stdout).trim(), "ok");
});
