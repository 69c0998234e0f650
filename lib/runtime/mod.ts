/**
 * The runtime layer between the command line and the pools: the process
 * runtime (stats port, signals, the configuration in force) and the engine
 * it drives (listeners by address, pool generations swapped by reloads).
 *
 * @module
 */
export { runProxy, Runtime, type RuntimeOptions } from "./runtime.ts";
export {
  Engine,
  type EngineOptions,
  type LogFn,
  type PreparedReload,
  SHUTDOWN_GRACE_MS,
} from "./engine.ts";
export { Generation, type GenerationEnv } from "./generation.ts";
export { type ListenerBinding, ListenError, ListenerTable } from "./listeners.ts";
