/**
 * Host names and IP literals in `listen:` and server lines: syntax checks
 * that need no socket and no DNS, and the canonical form used to spot two
 * pools listening on the same address.
 *
 * @module
 */
import { quote, ValueError } from "./errors.ts";

/** Longest unix socket path in bytes (`sun_path` is 108 bytes with its NUL). */
export const UNIX_PATH_MAX = 107;

const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*)(?:\.[A-Za-z0-9_-]+)*\.?$/;

/**
 * A dotted quad already in canonical form (no leading zeros, each part at
 * most 255): the WHATWG URL parser, which decides the other spellings
 * (`127.1`, `0177.0.0.1`), accepts it unchanged. Checked first because
 * `new URL` costs microseconds, which 200,000 server lines add up.
 */
const CANONICAL_IPV4 =
  /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;

/** True when `host` is an IPv6 literal (without brackets; a `%zone` suffix is allowed). */
export function isIPv6(host: string): boolean {
  if (!host.includes(":")) return false;
  const bare = host.replace(/%[A-Za-z0-9_.-]+$/, "");
  try {
    new URL(`http://[${bare}]/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `host` (brackets already removed) is an IPv4 address, an IPv6
 * address or a syntactically valid host name. Names are not resolved.
 * Throws {@link ValueError} with `example` in the hint.
 */
export function checkHost(host: string, example: string): void {
  if (host === "") {
    throw new ValueError("the host is empty", `write the host before the port, e.g. ${example}`);
  }
  if (host.includes(":")) {
    if (isIPv6(host)) return;
    throw new ValueError(
      `${quote(host)} is not a host name or IP address`,
      `write an IPv6 address as ::1 or [::1], e.g. ${example}`,
    );
  }
  if (/^[0-9.]+$/.test(host)) {
    if (CANONICAL_IPV4.test(host)) return;
    try {
      new URL(`http://${host}/`);
      return;
    } catch {
      throw new ValueError(`${quote(host)} is not a valid IPv4 address`, `e.g. ${example}`);
    }
  }
  if (!HOSTNAME.test(host)) {
    throw new ValueError(
      `${quote(host)} is not a valid host name`,
      `use letters, digits, '-', '_' and '.', or an IP address, e.g. ${example}`,
    );
  }
}

/**
 * A canonical spelling of a checked host, so `127.1`, `127.0.0.1` and
 * `LOCALHOST`/`localhost` compare as twemproxy's resolver would see them
 * (IP literals normalised, names lowercased).
 */
export function canonicalHost(host: string): string {
  try {
    if (host.includes(":")) {
      return new URL(`http://[${host.replace(/%.*$/, "")}]/`).hostname + host.replace(/^[^%]*/, "");
    }
    if (CANONICAL_IPV4.test(host)) return host;
    return new URL(`http://${host}/`).hostname;
  } catch {
    return host.toLowerCase();
  }
}

/** Byte length of `text` in UTF-8. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
