/** docs/getting-started.md's commands, run as written (see page.ts); Part 2 needs a cluster. */
import { describePage } from './page.js';

describePage('docs/getting-started.md');
