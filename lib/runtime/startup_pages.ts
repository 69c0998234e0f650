/**
 * Lets go of the pages of the deno executable that start-up touched.
 *
 * Starting nutmeg runs a lot of the deno executable's code once: loading
 * and compiling about 120 modules, compiling the start-up's hot loops
 * (ketama's MD5s), opening FFI, parsing the configuration. Every page of
 * code or read-only data it touched stays mapped in the process and counts
 * in its RSS: 40 MB of the executable for a resting nutmeg, 23 MB for a
 * script that only listens (issue 11; `/proc/PID/smaps`). Most of those
 * pages are never used again.
 *
 * {@link dropStartupPages} runs once nutmeg listens, and no sooner than 1 s
 * after start (lib/cli/cli.ts): `madvise(MADV_DONTNEED)`
 * on the executable's read-only mappings unmaps their pages from this
 * process. The pages are clean copies of the file, so nothing is lost: the
 * kernel keeps them in its page cache, and a page that is used again comes
 * back on first touch (a minor fault, no disk read while the page cache
 * holds it). RSS at rest falls by about 30 MB; what the proxy runs on comes
 * back as it runs. A mapping that holds a page of its own (a written,
 * copy-on-write page, as relocated read-only data has) is left alone,
 * since dropping it would lose the write.
 *
 * Linux only, and needs `--allow-ffi` and read access to /proc/self/smaps
 * (the `start` task, `-A` and the compiled binary have both); otherwise it
 * does nothing and says why. `madvise` is reached through a static symbol
 * and an `UnsafeFnPointer` rather than a function symbol of `Deno.dlopen`,
 * which would compile a fast-call trampoline and touch more of the
 * executable's compiler code.
 *
 * @module
 */

/** An address range `[start, end)` of this process's memory. */
export interface Mapping {
  /** First byte. */
  readonly start: bigint;
  /** One past the last byte. */
  readonly end: bigint;
  /** Resident kB before. */
  readonly rssKb: number;
}

/** What {@link dropStartupPages} did. */
export type DropResult =
  | { readonly dropped: true; readonly mappings: number; readonly kb: number }
  | { readonly dropped: false; readonly why: string };

/** `int madvise(void *addr, size_t length, int advice)`. */
const MADVISE = { parameters: ["usize", "usize", "i32"], result: "i32" } as const;

/** Linux's MADV_DONTNEED. */
const MADV_DONTNEED = 4;

/**
 * The mappings of `exe` in `smaps` (the text of /proc/PID/smaps) that can be
 * dropped: not writable, and holding no page of their own (`Anonymous: 0`).
 */
export function droppableMappings(smaps: string, exe: string): Mapping[] {
  const out: Mapping[] = [];
  const header = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+ *(.*)$/gm;
  let m = header.exec(smaps);
  while (m !== null) {
    const next = header.exec(smaps);
    if (m[4] === exe && !m[3]!.includes("w")) {
      const block = smaps.slice(m.index, next === null ? smaps.length : next.index);
      const anon = /^Anonymous:\s+(\d+) kB/m.exec(block);
      const rss = /^Rss:\s+(\d+) kB/m.exec(block);
      if (anon !== null && rss !== null && anon[1] === "0") {
        out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), rssKb: Number(rss[1]) });
      }
    }
    m = next;
  }
  return out;
}

/**
 * Unmaps from this process the pages of the deno executable's read-only
 * mappings (see the module's documentation); they come back when used.
 */
export function dropStartupPages(): DropResult {
  if (Deno.build.os !== "linux") return { dropped: false, why: "Linux only" };
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return { dropped: false, why: "needs --allow-ffi" };
  }
  let smaps: string;
  try {
    smaps = Deno.readTextFileSync("/proc/self/smaps");
  } catch (e) {
    return { dropped: false, why: `cannot read /proc/self/smaps: ${(e as Error).message}` };
  }
  const mappings = droppableMappings(smaps, Deno.execPath());
  if (mappings.length === 0) {
    return { dropped: false, why: "no read-only mapping of the executable" };
  }
  let lib: Deno.DynamicLibrary<{ madvise: { type: "pointer" } }>;
  try {
    lib = Deno.dlopen("libc.so.6", { madvise: { type: "pointer" } });
  } catch (e) {
    return { dropped: false, why: `cannot open libc.so.6: ${(e as Error).message}` };
  }
  try {
    const address = lib.symbols.madvise;
    if (address === null) return { dropped: false, why: "libc.so.6 has no madvise()" };
    const madvise = new Deno.UnsafeFnPointer(
      address as Deno.PointerObject<typeof MADVISE>,
      MADVISE,
    );
    let kb = 0;
    let done = 0;
    for (const { start, end, rssKb } of mappings) {
      if (madvise.call(start, end - start, MADV_DONTNEED) !== 0) continue;
      kb += rssKb;
      done++;
    }
    if (done === 0) return { dropped: false, why: "madvise() failed" };
    return { dropped: true, mappings: done, kb };
  } finally {
    lib.close();
  }
}
