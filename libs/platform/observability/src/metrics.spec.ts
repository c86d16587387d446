import { MetricsRegistry, metric } from './metrics';

describe('MetricsRegistry.define', () => {
  const CATALOG = {
    changes: metric.counter('herald_test_changes_total', 'Changes, by event type', ['event_type']),
    inFlight: metric.gauge('herald_test_in_flight', 'Attempts in flight'),
    seconds: metric.histogram('herald_test_seconds', 'How long, by format', [0.1, 1], ['format']),
  };

  it('makes each metric of a catalog under its key, with its name, help, labels and buckets', async () => {
    const registry = new MetricsRegistry('svc');
    const m = registry.define(CATALOG);
    m.changes.inc({ event_type: 'task.created' }, 2);
    m.inFlight.set(3);
    m.seconds.observe({ format: 'native' }, 0.5);
    const text = await registry.registry.metrics();
    expect(text).toContain('# HELP herald_test_changes_total Changes, by event type');
    expect(text).toContain('# TYPE herald_test_changes_total counter');
    expect(text).toContain('herald_test_changes_total{event_type="task.created",service="svc"} 2');
    expect(text).toContain('# TYPE herald_test_in_flight gauge');
    expect(text).toContain('herald_test_in_flight{service="svc"} 3');
    expect(text).toContain('herald_test_seconds_bucket{le="0.1",service="svc",format="native"} 0');
    expect(text).toContain('herald_test_seconds_bucket{le="1",service="svc",format="native"} 1');
    expect(text).not.toContain('le="0.005"'); // not prom-client's default buckets
  });

  it('hands out the metrics already registered when a catalog is defined again (two instances of a class)', () => {
    const registry = new MetricsRegistry('svc');
    const first = registry.define(CATALOG);
    const second = registry.define(CATALOG);
    expect(second.changes).toBe(first.changes);
    expect(second.seconds).toBe(first.seconds);
  });
});
