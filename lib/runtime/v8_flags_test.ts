import assert from "node:assert/strict";
import { V8_FLAGS_ARG } from "./v8_flags.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the start task runs nutmeg with the V8 options of v8_flags.ts", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const start: string = config.tasks.start;
  assert.ok(start.split(" ").includes(V8_FLAGS_ARG), `${start} lacks ${V8_FLAGS_ARG}`);
  assert.ok(
    start.indexOf(V8_FLAGS_ARG) < start.indexOf("main.ts"),
    "a Deno option, before main.ts",
  );
});

Deno.test("the V8 options are ones this Deno accepts", async () => {
  // Deno refuses a flag V8 does not know ("V8 did not recognize flag").
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", V8_FLAGS_ARG, "data:text/javascript,console.log('ok')"],
    stderr: "piped",
    stdout: "piped",
  }).output();
  const err = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, err);
  assert.doesNotMatch(err, /unrecognized|unknown|Error/i, err);
  assert.equal(new TextDecoder().decode(run.stdout).trim(), "ok");
});
