/**
 * The memcached ASCII protocol for nutmeg: request and response parsers,
 * routing by key, multi-key fan-out with merged replies, and the replies
 * the proxy makes itself, matching memcached 1.6.18 for bad input.
 *
 * ```ts
 * import { MemcacheProtocol } from "./mod.ts";
 * const proto = new MemcacheProtocol({
 *   version: "0.1.0",
 *   stats: () => [["uptime", 12], ["curr_connections", 3]],
 * });
 * const parser = proto.newRequestParser(proto.newClientState());
 * const req = new TextEncoder().encode("get foo\r\n");
 * console.assert(parser.parse(req, 0, req.length) === req.length);
 * ```
 *
 * @module
 */
export { MemcacheProtocol, type MemcacheProtocolOptions } from "./protocol.ts";
export { MemcacheRequestParser } from "./request_parser.ts";
export { MemcacheResponseParser } from "./response_parser.ts";
