import { createMetricsRegistry } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { flattenMetrics, treeMetrics } from './metrics-json.js';

describe('metrics.json', () => {
  it('descends into segments that contain a slash', () => {
    const stats = createMetricsRegistry();
    stats.scope('rt', 'http', 'server', '0.0.0.0/4140').counter('requests').incr(2);
    stats.scope('rt', 'http', 'service', 'svc/web').counter('requests').incr();
    const samples = stats.snapshot();
    expect(treeMetrics(samples, 'rt/http/server/0.0.0.0/4140/requests')).toEqual({ counter: 2 });
    expect(treeMetrics(samples, 'rt/http/service/svc/web')).toEqual({ requests: { counter: 1 } });
    expect(treeMetrics(samples, 'rt/http/service/svc/nope')).toBeUndefined();
    expect(flattenMetrics(samples, 'rt/http/service')).toEqual({ 'rt/http/service/svc/web/requests': 1 });
  });
});
