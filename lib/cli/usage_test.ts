import assert from "node:assert/strict";
import { usage } from "./usage.ts";
import { VERSION, VERSION_LINE } from "./version.ts";
import meta from "../../deno.json" with { type: "json" };

Deno.test("usage() follows nutcracker's layout with nutmeg's name and defaults", () => {
  const text = usage();
  const lines = text.split("\n");
  assert.equal(lines[0], "Usage: nutmeg [-?hVdDt] [-v verbosity level] [-o output file]");
  assert.equal(lines[1], "              [-c conf file] [-s stats port] [-a stats addr]");
  assert.equal(lines[2], "              [-i stats interval] [-p pid file] [-m mbuf size]");
  assert.equal(lines[3], "");
  assert.equal(lines[4], "Options:");
  assert.equal(lines[5], "  -h, --help             : this help");
  assert.ok(
    text.includes(
      "  -i, --stats-interval=N : set stats aggregation interval in msec (default: 30000 msec)\n",
    ),
  );
  assert.ok(text.includes("  -o, --output=S         : set logging file (default: stderr)\n"));
  assert.ok(
    text.includes(
      "  -c, --conf-file=S      : set configuration file (default: conf/nutcracker.yml)\n",
    ),
  );
  assert.ok(text.includes("  -p, --pid-file=S       : set pid file (default: off)\n"));
  assert.ok(text.includes("(default: 16384 bytes)\n"));
  assert.ok(
    text.endsWith(
      "      --watch            : reload the configuration when the file changes (default: off)\n\n",
    ),
  );
});

Deno.test("VERSION comes from deno.json", () => {
  assert.equal(VERSION, meta.version);
  assert.equal(VERSION_LINE, `This is nutmeg-${meta.version}`);
});
