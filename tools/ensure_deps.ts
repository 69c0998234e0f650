/**
 * Makes sure the programs the tests and the benchmark talk to are installed:
 * real redis-server and memcached backends, their command-line tools, and
 * nutcracker (the reference the benchmark compares against). On Debian as
 * root the missing packages are installed with apt-get; elsewhere the
 * command to run is printed and the exit code is 1. Then the Python
 * virtual environment with redis-py that the RESP3 client tests use is made
 * (`tests/_support/python_redis.ts`), with pip's configured index.
 *
 * @module
 */

import { pythonWithRedisPy } from "../tests/_support/python_redis.ts";

/** Program -> Debian package that provides it. */
const NEEDED: Readonly<Record<string, string>> = {
  "redis-server": "redis-server",
  "redis-cli": "redis-tools",
  "redis-benchmark": "redis-tools",
  "memcached": "memcached",
  "memccapable": "libmemcached-tools",
  "memcaslap": "libmemcached-tools",
  "nutcracker": "nutcracker",
  "python3": "python3-venv",
};

/** File -> Debian package that provides it (libraries the client tests load). */
const NEEDED_FILES: Readonly<Record<string, string>> = {
  // pylibmc for tests/memcache_clients_test.ts (Debian's python3, not a venv)
  "/usr/lib/python3/dist-packages/pylibmc/__init__.py": "python3-pylibmc",
};

function hasFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function has(cmd: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  for (const dir of [...path.split(":"), "/usr/sbin", "/sbin"]) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return true;
    } catch {
      // not here
    }
  }
  return false;
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const { code } = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output();
  return code === 0;
}

/** Makes the redis-py environment; exits 1 with the reason when it cannot. */
async function ensurePython(): Promise<void> {
  try {
    await pythonWithRedisPy();
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(1);
  }
}

if (import.meta.main) {
  const missing = [
    ...new Set([
      ...Object.keys(NEEDED).filter((c) => !has(c)).map((c) => NEEDED[c]!),
      ...Object.keys(NEEDED_FILES).filter((f) => !hasFile(f)).map((f) => NEEDED_FILES[f]!),
    ]),
  ];
  if (missing.length === 0) {
    await ensurePython();
    Deno.exit(0);
  }
  const isRoot = Deno.uid?.() === 0;
  if (!isRoot || !has("apt-get")) {
    console.error(
      `nutmeg tests need: ${missing.join(", ")}.\n` +
        `Install them, e.g. on Debian/Ubuntu: sudo apt-get install -y ${missing.join(" ")}`,
    );
    Deno.exit(1);
  }
  console.error(`installing ${missing.join(", ")} with apt-get ...`);
  if (
    !(await run("apt-get", ["update", "-qq"])) ||
    !(await run("apt-get", ["install", "-y", "-qq", ...missing]))
  ) {
    console.error(`apt-get install ${missing.join(" ")} failed`);
    Deno.exit(1);
  }
  // Debian starts the services it installs; the tests start their own.
  for (const svc of ["redis-server", "memcached", "nutcracker"]) {
    await run("sh", ["-c", `service ${svc} stop >/dev/null 2>&1 || true`]);
  }
  await ensurePython();
}
