import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { KafkaSetupError, kafkaClientFromEnv } from '@herald/platform/kafka';
import {
  freePort,
  serviceArgs,
  startReceiver,
  startSecureKafka,
  waitFor,
  type Receiver,
  type SecureKafka,
} from '@herald/platform/testing';
import { HeraldStack } from './herald-stack';

// Issue 16: Herald against a secured Kafka. A broker of this test's own (never the shared one)
// with a SASL_SSL listener — certificates made by openssl, client certificates required, SCRAM
// users created when its storage is formatted — and every Herald client on it: the four
// services (producers, consumers, admin, the outbox relay, the compacted views, the
// dispatcher's tracked consumers) and the operator CLI.
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..', '..');

let kafka: SecureKafka;

beforeAll(async () => {
  kafka = await startSecureKafka();
}, 180_000);

afterAll(async () => {
  await kafka?.stop();
}, 60_000);

/** Runs an app's entry point (compiled, as npm start does) until it exits; its output and code. */
function runUntilExit(
  app: string,
  entry: 'main' | 'cli',
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return serviceArgs(app, entry).then(
    (nodeArgs) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [...nodeArgs, ...args], {
          cwd: ROOT,
          env: { PATH: process.env['PATH'] ?? '', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  );
}

describe('Kafka over SASL_SSL (TLS with client certificates, then SASL)', () => {
  it('runs one change end to end through the secured listener: domain API → relay → router → dispatcher → receiver', async () => {
    const stack = await HeraldStack.start('sasl-ssl', kafka.env('scram-sha-512'));
    const receivers: Receiver[] = [];
    try {
      // The CLI publishes the tenant's principals over the same secured listener.
      const tenant = await stack.createTenant(`sasl-${randomUUID().slice(0, 8)}`);
      const receiver = await startReceiver();
      receivers.push(receiver);
      let hook: { status: number; body: { id: string; signingSecret: string } } | undefined;
      await waitFor(
        async () => {
          hook = await stack.call('subscription-registry', 'POST', '/v1/webhooks', tenant.apiKey, {
            url: `${receiver.url}/hooks/sasl`,
            eventTypes: ['task.created'],
          });
          return hook.status !== 401; // the key reaches the registry over herald.principals.v1
        },
        { timeoutMs: 60_000, intervalMs: 250, message: 'the registry knows the tenant key' },
      );
      expect(hook!.status).toBe(201);
      await stack.routerHasSubscriptions(1);

      const project = await stack.call<{ id: string }>(
        'domain-api',
        'POST',
        '/v1/projects',
        tenant.apiKey,
        { name: 'Secured' },
      );
      expect(project.status).toBe(201);
      const task = await stack.call<{ id: string }>(
        'domain-api',
        'POST',
        '/v1/tasks',
        tenant.apiKey,
        {
          projectId: project.body.id,
          name: 'Over SASL_SSL',
        },
      );
      expect(task.status).toBe(201);

      const [delivery] = await receiver.waitForRequests(1, { timeoutMs: 90_000 });
      const body = new Webhook(hook!.body.signingSecret).verify(delivery.text, {
        'webhook-id': String(delivery.headers['webhook-id']),
        'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
        'webhook-signature': String(delivery.headers['webhook-signature']),
      }) as { type: string; resource: { id: string } };
      expect(body).toMatchObject({ type: 'task.created', resource: { id: task.body.id } });

      // The outcome came back over the secured listener too: the registry's delivery log has it.
      await waitFor(
        async () => {
          const log = await stack.call<{ data: { status: string }[] }>(
            'subscription-registry',
            'GET',
            `/v1/webhooks/${hook!.body.id}/deliveries?status=delivered`,
            tenant.apiKey,
          );
          return (log.body.data?.length ?? 0) > 0;
        },
        { timeoutMs: 60_000, message: 'the delivery log records the success' },
      );
      for (const service of stack.services.values()) expect(service.isRunning()).toBe(true);
    } finally {
      await Promise.all(receivers.map((r) => r.close()));
      await stack.stop();
    }
  });

  it('a wrong password stops a service at start-up with ONE line naming the settings (exit 78), and the CLI with one line', async () => {
    const env = {
      ...kafka.env('scram-sha-512'),
      KAFKA_SASL_PASSWORD: 'not-the-password',
      LOG_LEVEL: 'info',
    };
    const router = await runUntilExit('event-router', 'main', { ...env, PORT: String(await freePort()) });
    const lines = router.stderr.trim().split('\n');
    expect({ code: router.code, lines: lines.length, stdout: router.stdout.trim() }).toEqual({
      code: 78,
      lines: 1,
      stdout: '',
    });
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\[event-router\\] Kafka refused the SASL SCRAM-SHA-512 login of "herald" at ${kafka.secureBrokers.replace(/\./g, '\\.')}: .*invalid credentials.* \\(check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM\\)$`,
      ),
    );
    expect(router.stderr).not.toContain('not-the-password');

    const cli = await runUntilExit(
      'domain-api',
      'cli',
      { ...env, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' },
      [
        'tenant:create',
        '--slug',
        'never',
        '--domain',
        'never.example.test',
        '--admin-name',
        'N',
        '--admin-email',
        'n@never.example.test',
      ],
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stdout).toBe('');
    expect(cli.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^herald: Kafka refused the SASL SCRAM-SHA-512 login of "herald"/),
    ]);
  });

  it('PLAIN and SCRAM-SHA-256 users connect too; an untrusted CA or a missing client certificate is a one-line setup error', async () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const client = kafkaClientFromEnv('sasl-test', kafka.env(mechanism));
      expect({ mechanism, connected: await client.verifyConnection() }).toEqual({
        mechanism,
        connected: true,
      });
    }
    const untrusted = kafkaClientFromEnv('sasl-test', {
      ...kafka.env(),
      KAFKA_SSL_CA_FILE: kafka.pki.otherCaFile,
    });
    await expect(untrusted.verifyConnection()).rejects.toThrow(
      new KafkaSetupError(
        `TLS to Kafka at ${kafka.secureBrokers} failed: self-signed certificate in certificate chain (check KAFKA_SSL_CA_FILE (the CA that signed the brokers), and that KAFKA_BROKERS names a TLS listener)`,
      ).message,
    );
    const noClientCert = { ...kafka.env() } as Record<string, string | undefined>;
    delete noClientCert['KAFKA_SSL_CERT_FILE'];
    delete noClientCert['KAFKA_SSL_KEY_FILE'];
    await expect(kafkaClientFromEnv('sasl-test', noClientCert).verifyConnection()).rejects.toThrow(
      /^TLS to Kafka at .* failed: .*(bad certificate|certificate required).*\(the broker refused the client certificate: check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE\)$/,
    );
  });

  it('rejects TLS files that are not what their variable says, and SASL settings that do not go together, before connecting', () => {
    const swapped = join(kafka.pki.dir, 'not-a-cert.pem');
    writeFileSync(swapped, 'hello\n');
    expect(() =>
      kafkaClientFromEnv('x', {
        ...kafka.env(),
        KAFKA_SSL_CA_FILE: swapped,
        KAFKA_SSL_KEY_FILE: kafka.pki.clientCertFile,
      }),
    ).toThrow(
      /^invalid configuration: KAFKA_SSL_CA_FILE=".*not-a-cert\.pem": not a PEM file with CA certificates .*; KAFKA_SSL_KEY_FILE=".*client\.crt": not a PEM file with a private key/,
    );
    expect(() =>
      kafkaClientFromEnv('x', {
        KAFKA_BROKERS: kafka.secureBrokers,
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toThrow(
      'invalid configuration: KAFKA_SASL_USERNAME is missing (required with KAFKA_SASL_MECHANISM=scram-sha-512)',
    );
    expect(() =>
      kafkaClientFromEnv('x', {
        KAFKA_BROKERS: kafka.secureBrokers,
        KAFKA_SSL_CA_FILE: join(kafka.pki.dir, 'missing.crt'),
      }),
    ).toThrow(/KAFKA_SSL_CA_FILE=".*missing\.crt": cannot read CA certificates there \(ENOENT\)/);
  });
});
