/**
 * Test support: the shape of the recorded memcached facts
 * (`lib/proto/memcache/testdata/memcached_<version>.json`, written by
 * `tools/capture_memcached.ts`, read by `memcached_facts_test.ts`).
 *
 * @module
 */

/** One case: bytes to send (one char per byte), optional setup sent before. */
export interface FactCase {
  readonly name: string;
  readonly input: string;
  readonly setup?: string;
}

/** A recorded fact: the case and memcached's reply. */
export interface Fact extends FactCase {
  readonly reply: string;
  readonly closed: boolean;
}

/** The facts file. */
export interface FactsFile {
  readonly server: string;
  readonly note: string;
  readonly facts: readonly Fact[];
}
