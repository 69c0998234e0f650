/**
 * Test support: a Python virtual environment with redis-py, made the way a
 * new user would (`python3 -m venv`, then `pip install redis==<version>`
 * from whatever index pip is configured with), so the tests can run the
 * most used Python client with its default settings (RESP3 since 8.0)
 * against the proxy. Made once under `tmp/` of the checkout and reused;
 * `tools/ensure_deps.ts` makes it before the suite runs.
 *
 * @module
 */

/** The redis-py version the tests use. */
export const REDIS_PY_VERSION = "8.1.0";

/** Where the environment lives (ignored by git). */
export const VENV_DIR: string = new URL(
  `../../tmp/venv-redis-py-${REDIS_PY_VERSION}/`,
  import.meta.url,
).pathname;

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; err: string }> {
  const o = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  return { ok: o.success, err: new TextDecoder().decode(o.stderr) };
}

async function works(python: string): Promise<boolean> {
  try {
    const r = await run(python, [
      "-c",
      `import redis, sys; sys.exit(0 if redis.__version__ == "${REDIS_PY_VERSION}" else 1)`,
    ]);
    return r.ok;
  } catch {
    return false;
  }
}

/**
 * The path of a Python interpreter that imports redis-py
 * {@link REDIS_PY_VERSION}, making the virtual environment first when it
 * is missing. Throws, naming the command that failed and its output, when
 * python3 or pip cannot do it.
 */
export async function pythonWithRedisPy(): Promise<string> {
  const python = `${VENV_DIR}bin/python`;
  if (await works(python)) return python;
  const venv = await run("python3", ["-m", "venv", "--clear", VENV_DIR]);
  if (!venv.ok) {
    throw new Error(
      `Cannot make a Python virtual environment: python3 -m venv ${VENV_DIR} failed:\n${venv.err}` +
        "Install python3 and its venv module (Debian: apt-get install python3-venv).",
    );
  }
  const pip = await run(`${VENV_DIR}bin/pip`, ["install", "-q", `redis==${REDIS_PY_VERSION}`]);
  if (!pip.ok || !(await works(python))) {
    throw new Error(
      `Cannot install redis-py: ${VENV_DIR}bin/pip install redis==${REDIS_PY_VERSION} failed:\n` +
        `${pip.err}Check pip's index settings (pip config list).`,
    );
  }
  return python;
}
