import assert from "node:assert/strict";
import { canonicalHost, checkHost } from "./host.ts";

/** What the WHATWG URL parser makes of an IPv4-looking host: its canonical form, or null. */
function viaUrl(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}

Deno.test("checkHost() and canonicalHost() read digits and dots as the URL parser does", () => {
  const hosts = [
    "127.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "256.0.0.1",
    "1.2.3.256",
    "01.2.3.4",
    "00.0.0.0",
    "127.1",
    "127.0.0.1.",
    "1.2.3.4.5",
    "1..2.3",
    "4294967295",
    "4294967296",
    "09.1.1.1",
    "199.249.250.251",
    "1.2.3",
  ];
  // And a fixed-seed spread of dotted quads with 1-3 digit parts (leading zeros included).
  let state = 7;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  for (let i = 0; i < 2000; i++) {
    const part = () =>
      String(random(300)).padStart(1 + random(3), random(4) === 0 ? "0" : " ")
        .trim();
    hosts.push([part(), part(), part(), part()].join("."));
  }
  for (const host of hosts) {
    const url = viaUrl(host);
    let ok = true;
    try {
      checkHost(host, "x");
    } catch {
      ok = false;
    }
    assert.equal(ok, url !== null, host);
    if (url !== null) assert.equal(canonicalHost(host), url, host);
  }
});
