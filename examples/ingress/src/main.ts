#!/usr/bin/env node
/** Entry point of `switchyard-ingress`. */
import { parseCommand } from './cli.js';
import { run } from './run.js';

run(parseCommand(process.argv.slice(2)), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'crashed', error: String((error as Error)?.stack ?? error) })}\n`,
    );
    process.exitCode = 1;
  },
);
