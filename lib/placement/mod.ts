/**
 * twemproxy's distributions by name.
 *
 * @module
 */
import type { DistributionBuilder, DistributionName } from "./types.ts";
import { ketama } from "./ketama.ts";
import { modula } from "./modula.ts";
import { random } from "./random.ts";

export { DISTRIBUTION_NAMES } from "./types.ts";
export type { Distribution, DistributionBuilder, DistributionName, DistServer } from "./types.ts";
export { twemproxyServerOrder } from "./server_order.ts";

/** Every distribution twemproxy accepts in `distribution:`, by name. */
export const DISTRIBUTIONS: Readonly<Record<DistributionName, DistributionBuilder>> = Object
  .freeze({ ketama, modula, random });
