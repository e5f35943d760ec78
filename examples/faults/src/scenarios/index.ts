/** Every scenario, in the order the suite runs them (basic first). */
import type { Scenario } from '../harness.js';
import { backendCrash } from './backend-crash.js';
import { badConfig } from './bad-config.js';
import { configReload } from './config-reload.js';
import { endpointChurn } from './endpoint-churn.js';
import { steadyLoad } from './steady-load.js';

/** The suite. */
export const scenarios: readonly Scenario[] = [
  steadyLoad,
  endpointChurn,
  backendCrash,
  configReload,
  badConfig,
];
