/** README.md's commands, run as written (see page.ts). */
import { describePage } from './page.js';

describePage('README.md');
