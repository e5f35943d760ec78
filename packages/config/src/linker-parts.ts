import { createInterpreter } from '@switchyard/core';
import type { LinkerConfig } from './linker-schema.js';
import { type LinkerState, type NamerParts, retire, scoped, type TelemetryParts } from './linker-state.js';

/** Builds the namers of a config into one interpreter (Linkerd mounts prefix /p at /#/p). */
export async function buildNamers(
  state: Pick<LinkerState, 'base' | 'readiness' | 'options'>,
  config: LinkerConfig,
) {
  const { context, part } = scoped(state.base, state.readiness);
  try {
    const namers = await Promise.all(config.namers.map((n) => state.options.kinds.namer.build(n, context)));
    const interpreter = createInterpreter({
      namers: namers.map((n) => ({
        prefix: n.prefix[0] === '#' || n.prefix[0] === '$' ? n.prefix : ['#', ...n.prefix],
        namer: n.namer,
      })),
    });
    return { interpreter, part } satisfies NamerParts;
  } catch (error) {
    await retire(part, state.readiness);
    throw error;
  }
}

/** Builds the telemeters of a config. */
export async function buildTelemetry(
  state: Pick<LinkerState, 'base' | 'readiness' | 'options'>,
  config: LinkerConfig,
): Promise<TelemetryParts> {
  const { context, part } = scoped(state.base, state.readiness);
  try {
    const telemeters = await Promise.all(
      config.telemetry.map((t) => state.options.kinds.telemeter.build(t, context)),
    );
    const recent = telemeters.find((t) => t.kind === 'recentRequests')?.recent;
    const prometheus = telemeters.find((t) => t.kind === 'prometheus');
    return { telemeters, recent, prometheusPrefix: prometheus?.prefix, part };
  } catch (error) {
    await retire(part, state.readiness);
    throw error;
  }
}
