// stopServer (lib/util.js): how `npm run infra:down` and the chaos harness stop the PostgreSQL
// and the Kafka this tool started, by the pid their instance recorded. A stand-in process here.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

interface StopServerOptions {
  name: string;
  stateDir: string;
  pidFile: string;
  status: { running: boolean; pid?: number };
  signal: NodeJS.Signals;
  log: (msg: string) => void;
}
const { stopServer, isAlive } = require('./util') as {
  stopServer: (o: StopServerOptions) => Promise<boolean>;
  isAlive: (pid: number) => boolean;
};

describe('stopServer', () => {
  let dir: string;
  let pidFile: string;
  const lines: string[] = [];
  const log = (msg: string) => lines.push(msg);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'herald-stop-server-'));
    pidFile = path.join(dir, 'server.pid');
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stops a running server with its signal, removes its pid file and says how long it took', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const pid = child.pid!;
    writeFileSync(pidFile, `${pid}\n`);

    await expect(stopServer({ name: 'Stub', stateDir: dir, pidFile, status: { running: true, pid }, signal: 'SIGINT', log })).resolves.toBe(true);

    expect(await exited).toBe('SIGINT');
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    expect(lines[0]).toBe(`stopping Stub (pid ${pid})…`);
    expect(lines[1]).toMatch(/^Stub stopped in \d/);
  });

  it('answers false for a server that is not running, and removes its stale pid file', async () => {
    writeFileSync(pidFile, '999999\n');

    await expect(stopServer({ name: 'Stub', stateDir: dir, pidFile, status: { running: false }, signal: 'SIGTERM', log })).resolves.toBe(false);

    expect(existsSync(pidFile)).toBe(false);
    expect(lines).toEqual([`Stub (${path.relative(path.resolve(__dirname, '..', '..', '..'), dir)}) is not running`]);
  });
});
