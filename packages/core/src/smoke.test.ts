import { describe, expect, it } from 'vitest';
import { dtab, path } from '../test/dtab-fixture.js';
import { Activity } from './activity.js';
import { createInterpreter } from './interpreter.js';

describe('smoke', () => {
  it('binds /$/inet through a rewrite', async () => {
    const i = createInterpreter();
    const t = await Activity.toPromise(i.bind(dtab('/svc => /$/inet/127.0.0.1'), path('/svc/8080/rest')));
    expect(t.kind).toBe('leaf');
    if (t.kind === 'leaf') {
      expect(t.value.id).toEqual(['$', 'inet', '127.0.0.1', '8080']);
      expect(t.value.residual).toEqual(['rest']);
      expect(t.value.addr.sample()).toMatchObject({ kind: 'bound', addresses: [{ host: '127.0.0.1', port: 8080 }] });
    }
  });
});
