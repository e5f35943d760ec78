#!/usr/bin/env node
/** Entry point of `switchyard-ingress`: the process itself, or one worker of `--workers N`. */
import cluster from 'node:cluster';
import { parseCommand } from './cli.js';
import { run } from './run.js';
import { runWorker } from './workers/worker.js';

const command = parseCommand(process.argv.slice(2));
const crashed = (error: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'crashed', error: String((error as Error)?.stack ?? error) })}\n`,
  );
  return 1;
};

if (cluster.isWorker) {
  // A worker exits when its run ends: the IPC channel to the primary would keep it alive.
  runWorker('logLevel' in command ? command.logLevel : 'info', (text) => process.stderr.write(text))
    .catch(crashed)
    .then((code) => process.exit(code));
} else {
  run(command, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = crashed(error);
    },
  );
}
