import { spawnService } from './service';

const entry = 'libs/platform/testing/src/test-fixtures/fake-service.ts';

describe('spawnService', () => {
  it('runs a TypeScript entry through @swc-node/register with the service env, waits for /health/ready, stops it cleanly', async () => {
    const svc = await spawnService('fake', { FAKE_FLAG: 'on', HERALD_KAFKA_NAMESPACE: 't-x-1', DATABASE_URL: undefined }, { entry });
    try {
      expect(svc.url).toBe(`http://127.0.0.1:${svc.port}`);
      const env = (await (await fetch(`${svc.url}/env`)).json()) as Record<string, string | undefined>;
      expect(env['PORT']).toBe(String(svc.port));
      expect(env['NODE_ENV']).toBe('test');
      expect(env['KAFKA_BROKERS']).toBe(process.env['KAFKA_BROKERS']);
      expect(env['DATABASE_URL']).toBeUndefined();
      expect(env['FAKE_FLAG']).toBe('on');
      expect(env['HERALD_KAFKA_NAMESPACE']).toBe('t-x-1');
      expect(Buffer.from(env['HERALD_SECRETS_KEY']!.replace(/^[^:,]+:/, ''), 'base64')).toHaveLength(32);
      expect(env['HERALD_PUBLIC_BASE_URL']).toMatch(/^http:\/\/localhost:\d+$/);
      expect(svc.output()).toContain(`fake-service listening on :${svc.port}`);
    } finally {
      const exit = await svc.stop();
      expect(exit).toEqual({ code: 0, signal: null });
    }
    expect(svc.isRunning()).toBe(false);
    expect(svc.output()).toContain('SIGTERM, closing');
  });

  it('names the service and shows its output when it does not become ready', async () => {
    // 10 s: long enough for the fixture to start listening even on a busy machine.
    await expect(spawnService('fake', {}, { entry, readyPath: '/never', readyTimeoutMs: 10_000 })).rejects.toThrow(
      /fake did not answer GET http:\/\/127\.0\.0\.1:\d+\/never with 200 within 10 s \(last: HTTP 404 \)[\s\S]*fake-service listening/,
    );
  });

  it('fails fast when the process exits before it is ready', async () => {
    await expect(spawnService('fake', {}, { entry: 'libs/platform/testing/src/test-fixtures/missing.ts', readyTimeoutMs: 30_000 })).rejects.toThrow(
      /fake exited before http:\/\/127\.0\.0\.1:\d+\/health\/ready answered 200[\s\S]*Cannot find module/,
    );
  });

  it('reports a service that dies while running', async () => {
    const svc = await spawnService('fake', {}, { entry });
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
    try {
      await fetch(`${svc.url}/crash`);
      expect(await svc.exited).toEqual({ code: 3, signal: null });
      await new Promise((r) => setImmediate(r));
      expect(errors.join('\n')).toMatch(/fake exited unexpectedly \(code 3\)[\s\S]*crashing on request/);
      await svc.stop();
    } finally {
      spy.mockRestore();
    }
  });
});
