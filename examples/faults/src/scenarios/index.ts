/** Every scenario, in the order the suite runs them (basic first). */
import type { Scenario } from '../harness.js';
import { adminExposure } from './admin-exposure.js';
import { backendCrash } from './backend-crash.js';
import { badConfig } from './bad-config.js';
import { bigBodies } from './big-bodies.js';
import { certRotation } from './cert-rotation.js';
import { clearContext } from './clear-context.js';
import { configReload } from './config-reload.js';
import { endpointChurn } from './endpoint-churn.js';
import { gracefulDrain } from './graceful-drain.js';
import { malformed } from './malformed.js';
import { randomFuzz } from './random-fuzz.js';
import { reloadEverything } from './reload-everything.js';
import { slowloris } from './slowloris.js';
import { steadyLoad } from './steady-load.js';

/** The suite. */
export const scenarios: readonly Scenario[] = [
  steadyLoad,
  endpointChurn,
  backendCrash,
  configReload,
  reloadEverything,
  certRotation,
  gracefulDrain,
  slowloris,
  malformed,
  clearContext,
  adminExposure,
  badConfig,
  randomFuzz,
  bigBodies,
];
