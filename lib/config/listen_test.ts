import assert from "node:assert/strict";
import { listenKey, parseListen } from "./listen.ts";
import { ValueError } from "./errors.ts";

Deno.test("parseListen() reads host:port, ip:port and IPv6 forms", () => {
  assert.deepEqual(parseListen("127.0.0.1:22121"), {
    transport: "tcp",
    host: "127.0.0.1",
    port: 22121,
  });
  assert.deepEqual(parseListen("localhost:022121"), {
    transport: "tcp",
    host: "localhost",
    port: 22121,
  });
  assert.deepEqual(parseListen("0.0.0.0:1"), { transport: "tcp", host: "0.0.0.0", port: 1 });
  assert.deepEqual(parseListen("127.1:65535"), { transport: "tcp", host: "127.1", port: 65535 });
  assert.deepEqual(parseListen("::1:22121"), { transport: "tcp", host: "::1", port: 22121 });
  assert.deepEqual(parseListen("[::1]:22121"), { transport: "tcp", host: "::1", port: 22121 });
  assert.deepEqual(parseListen("fe80::1%eth0:22121"), {
    transport: "tcp",
    host: "fe80::1%eth0",
    port: 22121,
  });
});

Deno.test("parseListen() reads unix paths with an optional octal mode", () => {
  assert.deepEqual(parseListen("/tmp/n.sock"), {
    transport: "unix",
    path: "/tmp/n.sock",
    mode: null,
  });
  assert.deepEqual(parseListen("/tmp/n.sock 0666"), {
    transport: "unix",
    path: "/tmp/n.sock",
    mode: 0o666,
  });
  assert.deepEqual(parseListen("/tmp/n.sock 777"), {
    transport: "unix",
    path: "/tmp/n.sock",
    mode: 0o777,
  });
  assert.deepEqual(parseListen("/tmp/n.sock 0"), {
    transport: "unix",
    path: "/tmp/n.sock",
    mode: null,
  });
  assert.deepEqual(parseListen("/tmp/my dir/n.sock 0600"), {
    transport: "unix",
    path: "/tmp/my dir/n.sock",
    mode: 0o600,
  });
  assert.deepEqual(parseListen(`/${"x".repeat(106)}`), {
    transport: "unix",
    path: `/${"x".repeat(106)}`,
    mode: null,
  });
});

Deno.test("parseListen() refuses bad values with what is allowed", () => {
  const cases: [string, RegExp][] = [
    ["127.0.0.1", /has no port.*host:port/],
    ["tmp/n.sock", /has no port.*absolute unix socket path/],
    ["127.0.0.1:0", /'0' is not a valid port; use a port from 1 to 65535/],
    ["127.0.0.1:65536", /'65536' is not a valid port/],
    ["127.0.0.1:+1", /'\+1' is not a valid port/],
    ["127.0.0.1:http", /'http' is not a valid port/],
    [":22121", /the host is empty/],
    ["my host:22121", /'my host' is not a valid host name/],
    ["999.1.1.1:22121", /not a valid IPv4 address/],
    ["1:2:3:22121:5", /not a host name or IP address/],
    ["[::1]22121", /not a valid \[IPv6\]:port/],
    ["[localhost]:22121", /not an IPv6 address/],
    ["/tmp/n.sock abc", /'abc' is not an octal file mode/],
    ["/tmp/n.sock 999", /'999' is not an octal file mode/],
    ["/tmp/n.sock -1", /'-1' is not an octal file mode/],
    ["/tmp/n.sock 07777", /above 0777/],
    ["/tmp/n.sock  0666", /ends with a space/],
    [`/${"x".repeat(107)}`, /108 bytes long; use a path of at most 107 bytes/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseListen(text), (e: unknown) => {
      assert.ok(e instanceof ValueError, text);
      assert.match(e.message, message, text);
      return true;
    });
  }
});

Deno.test("listenKey() equates spellings of one address", () => {
  const key = (s: string) => listenKey(parseListen(s));
  assert.equal(key("127.0.0.1:22121"), key("127.1:22121"));
  assert.equal(key("localhost:22121"), key("LOCALHOST:22121"));
  assert.equal(key("::1:22121"), key("[0:0::1]:22121"));
  assert.equal(key("/tmp/a.sock"), key("/tmp/a.sock 0666"));
  assert.notEqual(key("127.0.0.1:22121"), key("127.0.0.1:22122"));
  assert.notEqual(key("127.0.0.1:22121"), key("/tmp/a.sock"));
});
