/** Every scenario, in the order the suite runs them (cheap and basic first). */
import type { Scenario } from '../harness.js';
import { steadyLoad } from './steady-load.js';

/** The suite. */
export const scenarios: readonly Scenario[] = [steadyLoad];
