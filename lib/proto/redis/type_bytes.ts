/**
 * RESP's type bytes that the proxy writes or tests outside a parser's own
 * switch: named once so that `*` and `$` do not appear as bare 42 and 36.
 *
 * @module
 */

/** `*`: an array header (`*<count>\r\n`). */
export const RESP_ARRAY = 0x2a;
/** `$`: a bulk string header (`$<length>\r\n`). */
export const RESP_BULK = 0x24;
