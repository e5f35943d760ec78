/** Writes docs/configuration.md from the config schemas. */
import { writeFileSync } from 'node:fs';
import { createDefaultKinds } from '../src/default-kinds.js';
import { renderConfigurationReference } from '../src/reference.js';

const target = new URL('../../../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigurationReference(createDefaultKinds()));
console.log(`wrote ${target.pathname}`);
