import type { KubeObject } from '@switchyard/k8s';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IngressProblemError } from './errors.js';
import { normalizeIngress } from './model.js';

// Ingress-shaped JSON where any field may be missing, of the wrong type, or garbage.
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, junk);
const backend = maybe(
  fc.record(
    {
      service: maybe(
        fc.record({ name: maybe(fc.string()), port: maybe(fc.record({ number: junk, name: junk })) }),
      ),
      resource: junk,
      serviceName: junk,
      servicePort: junk,
    },
    { requiredKeys: [] },
  ),
);
const path = maybe(
  fc.record(
    {
      path: junk,
      pathType: maybe(fc.constantFrom('Prefix', 'Exact', 'ImplementationSpecific', 'x')),
      backend,
    },
    { requiredKeys: [] },
  ),
);
const rule = maybe(
  fc.record(
    {
      host: maybe(fc.constantFrom('a.example', '*.example.com', '*', 'A..b', '')),
      http: maybe(fc.record({ paths: maybe(fc.array(path, { maxLength: 3 })) }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
);
const ingress = fc.record(
  {
    apiVersion: maybe(fc.constantFrom('networking.k8s.io/v1', 'extensions/v1beta1')),
    kind: junk,
    metadata: maybe(
      fc.record(
        { name: maybe(fc.string()), namespace: junk, annotations: maybe(fc.dictionary(fc.string(), junk)) },
        { requiredKeys: [] },
      ),
    ),
    spec: maybe(
      fc.record(
        {
          rules: maybe(fc.array(rule, { maxLength: 3 })),
          defaultBackend: backend,
          backend,
          tls: maybe(
            fc.array(
              maybe(fc.record({ hosts: maybe(fc.array(junk)), secretName: junk }, { requiredKeys: [] })),
              { maxLength: 2 },
            ),
          ),
          ingressClassName: junk,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

describe('normalizeIngress on malformed objects', () => {
  it('never throws: every object is either a record or a named IngressProblemError', () => {
    fc.assert(
      fc.property(ingress, fc.boolean(), (obj, lowerHosts) => {
        const out = normalizeIngress(obj as unknown as KubeObject, { lowerHosts });
        if (out instanceof IngressProblemError) {
          expect(out.code).toMatch(/^SY_ERR_/);
          expect(out.message).toMatch(/^Ingress /);
        } else expect(typeof out).toBe('object');
      }),
      { numRuns: 500 },
    );
  });
});
