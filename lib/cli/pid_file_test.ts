import assert from "node:assert/strict";
import { removePidFile, writePidFile } from "./pid_file.ts";

Deno.test("writePidFile() writes the pid without a newline; removePidFile() removes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/n.pid`;
    await writePidFile(path, 4242);
    assert.equal(await Deno.readTextFile(path), "4242");
    await writePidFile(path);
    assert.equal(await Deno.readTextFile(path), String(Deno.pid));
    assert.equal(await removePidFile(path), null);
    assert.match((await removePidFile(path)) ?? "", /No such file/);
    await assert.rejects(
      () => writePidFile(`${dir}/no/such/dir.pid`),
      /Cannot write pid file '.*dir\.pid'/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
