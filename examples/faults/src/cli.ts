/** Command line of `pnpm faults`, parsed with node:util. */
import { parseArgs } from 'node:util';

/** The help text. */
export const HELP = `pnpm faults [-- options]: Switchyard's fault suite against the reference binary

Options:
  --only NAME[,NAME]  run only these scenarios (repeatable)
  --list              list the scenarios and exit
  --seed N            seed of every random choice (default: random, printed)
  -h, --help          show this help

Exit status: 0 when every scenario passed, 1 when one failed, 2 on a usage error.
The last line is always "N passed, N failed".
`;

/** Parsed command line. */
export type FaultsCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list' }
  | { readonly kind: 'usageError'; readonly message: string }
  | { readonly kind: 'run'; readonly only: readonly string[]; readonly seed: number };

/** Parses argv (without node and the script); never throws. */
export function parseFaultsCommand(argv: readonly string[], randomSeed: () => number): FaultsCommand {
  try {
    const { values } = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      strict: true,
      allowPositionals: false,
      options: {
        only: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return { kind: 'help' };
    if (values.list) return { kind: 'list' };
    const seed = values.seed === undefined ? randomSeed() : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      return { kind: 'usageError', message: `--seed expects an integer 0..4294967295, got "${values.seed}"` };
    }
    const only = (values.only ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
    return { kind: 'run', only, seed };
  } catch (error) {
    return { kind: 'usageError', message: (error as Error).message };
  }
}
