import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { serveConsole } from './configure-app';

@Module({})
class EmptyModule {}

async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = await NestFactory.create<NestExpressApplication>(EmptyModule, { logger: false });
  serveConsole(app, dir);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

describe('the console at /console/ (static files, SPA routes, CSP)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'herald-console-static-'));
  beforeAll(() => {
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves index.html for its routes with a strict CSP, hashed assets cached, a missing asset as a 404 problem', async () => {
    const s = await serve(dir);
    try {
      const redirect = await fetch(`${s.url}/console`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/console/']);
      for (const route of ['/console/', '/console/hooks/abc/events/def', '/console/operations?x=1']) {
        const r = await fetch(`${s.url}${route}`);
        expect([route, r.status, await r.text()]).toEqual([route, 200, '<!doctype html><title>console</title>']);
        expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('cache-control')).toBe('no-cache');
      }
      const asset = await fetch(`${s.url}/console/assets/app-abc123.js`);
      expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
      const missing = await fetch(`${s.url}/console/assets/nope.js`);
      expect([missing.status, missing.headers.get('content-type')]).toEqual([404, expect.stringContaining('application/problem+json')]);
      const traversal = await fetch(`${s.url}/console/..%2f..%2fetc%2fpasswd`);
      expect(await traversal.text()).not.toContain('root:');
      // Only the console's paths are touched.
      expect((await fetch(`${s.url}/consoles`)).status).toBe(404);
      expect((await fetch(`${s.url}/console/`, { method: 'POST' })).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('says how to build it when it is not built', async () => {
    const s = await serve(path.join(dir, 'not-built'));
    try {
      const r = await fetch(`${s.url}/console/`);
      expect([r.status, r.headers.get('content-type')]).toEqual([404, expect.stringContaining('application/problem+json')]);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/nx run console:build/);
    } finally {
      await s.close();
    }
  });
});
