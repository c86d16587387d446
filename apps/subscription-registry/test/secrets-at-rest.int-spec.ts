import { randomBytes, randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { Client } from 'pg';
import { subscriptionSecretAad, type EncryptedValue, type SubscriptionSnapshot } from '@herald/contracts';
import { SecretBox } from '@herald/platform/crypto';
import { uniqueKafkaNamespace } from '@herald/platform/testing';
import { CopyTemplateHooks } from '@herald/registry/subscriptions';
import { KafkaFixture, api, createRegistryDatabase, createTemplateHook, startReceiver, testTenant, waitFor, type RunningRegistry, startRegistryStack, type RegistryStack } from './registry-harness';

// Secrets at rest (issue 12.8): AES-256-GCM values bound to their tenant and subscription, with
// the registry in-process against the real broker and database.
describe('subscription secrets at rest', () => {
  const namespace = uniqueKafkaNamespace('reg-secrets');
  const kafka = new KafkaFixture(namespace);
  const acme = testTenant(['webhooks']);
  const secretsKey = `k1:${randomBytes(32).toString('base64')}`;
  const box = SecretBox.fromSpec(secretsKey);
  let db: Awaited<ReturnType<typeof createRegistryDatabase>>;
  let sql: Client;
  let registry: RunningRegistry;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let snapshots: KafkaMessage[];
  const call = () => api(registry.url, acme.apiKey);
  const lastSnapshotOf = (id: string, version: number) =>
    waitFor(`snapshot v${version} of ${id}`, () => {
      const mine = snapshots.filter((m) => m.key?.toString() === id && m.value);
      const last = mine.length ? (JSON.parse(mine[mine.length - 1].value!.toString()) as SubscriptionSnapshot) : null;
      return last && last.version >= version ? last : null;
    });
  const row = async (id: string) =>
    (
      (await sql.query(`SELECT headers, "authorization", signing_secrets FROM registry.subscriptions WHERE id = $1`, [id])).rows as {
        headers: { name: string; value: EncryptedValue }[];
        authorization: EncryptedValue | null;
        signing_secrets: { secret: EncryptedValue; expiresAt: string | null }[];
      }[]
    )[0];

  let stack: RegistryStack;

  beforeAll(async () => {
    stack = await startRegistryStack(kafka, { label: 'secrets', principals: acme.principals, probeKey: acme.apiKey, env: { HERALD_SECRETS_KEY: secretsKey } });
    ({ db, registry, receiver, snapshots } = stack);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  }, 60_000);

  afterAll(async () => {
    await sql?.end();
    await stack?.close();
  }, 60_000);

  it("a ciphertext copied into another subscription's row does not decrypt: not shown, not sent, not signed with", async () => {
    const create = (path: string, token: string) =>
      call()('POST', '/v1/webhooks', { url: `${receiver.url}${path}`, eventTypes: ['*'], authorization: `Bearer ${token}` });
    const a = (await create('/a', 'token-of-hook-a-0123456789')).body;
    const b = (await create('/b', 'token-of-hook-b-9876543210')).body;
    expect(a.authorization).toBe('••••••••6789');

    // Someone with write access to the table moves hook A's sealed values into hook B's row.
    await sql.query(
      `UPDATE registry.subscriptions SET "authorization" = src."authorization", signing_secrets = src.signing_secrets
         FROM registry.subscriptions src WHERE src.id = $1 AND registry.subscriptions.id = $2`,
      [a.id, b.id],
    );
    const shown = (await call()('GET', `/v1/webhooks/${b.id}`)).body;
    expect(shown.authorization).toBe('••••••••');
    expect(shown.signingSecrets[0].secret).toBe('••••••••');

    const before = receiver.requests.length;
    const tested = await call()('POST', `/v1/webhooks/${b.id}/test`);
    expect(tested.status).toBe(500);
    expect(receiver.requests.slice(before).map((r) => r.headers['authorization'])).toEqual([]);

    // What the dispatcher would be handed for B: A's values do not open under B's AAD.
    const moved = (await row(b.id)).authorization!;
    expect(moved.bound).toBe(true);
    expect(() => box.openBound(moved, subscriptionSecretAad(acme.tenantId, b.id))).toThrow();
    expect(box.openBound(moved, subscriptionSecretAad(acme.tenantId, a.id))).toBe('Bearer token-of-hook-a-0123456789');
  });

  it('opens values sealed before binding, and re-seals every secret of the row, bound, when the row is written', async () => {
    const hook = (
      await call()('POST', '/v1/webhooks', {
        url: `${receiver.url}/legacy`,
        eventTypes: ['*'],
        headers: [{ name: 'X-Legacy', value: 'legacy-header-value-0001' }],
        authorization: 'Bearer legacy-token-abcdefgh',
      })
    ).body;
    // As a registry before binding stored them: no AAD, no mark.
    const legacySigning = `whsec_${randomBytes(24).toString('base64')}`;
    await sql.query(`UPDATE registry.subscriptions SET headers = $2, "authorization" = $3, signing_secrets = $4 WHERE id = $1`, [
      hook.id,
      JSON.stringify([{ name: 'X-Legacy', value: box.encrypt('legacy-header-value-0001') }]),
      JSON.stringify(box.encrypt('Bearer legacy-token-abcdefgh')),
      JSON.stringify([{ secret: box.encrypt(legacySigning), expiresAt: null }]),
    ]);
    const legacy = await row(hook.id);
    expect(legacy.authorization!.bound).toBeUndefined();
    expect((await call()('GET', `/v1/webhooks/${hook.id}`)).body.authorization).toBe('••••••••efgh');
    const before = receiver.requests.length;
    expect((await call()('POST', `/v1/webhooks/${hook.id}/test`)).body.ok).toBe(true);
    expect(receiver.requests[before].headers).toMatchObject({ authorization: 'Bearer legacy-token-abcdefgh', 'x-legacy': 'legacy-header-value-0001' });

    // A write (here a timeout change) re-seals all of them, bound to this row; the snapshot carries them.
    const patched = await call()('PATCH', `/v1/webhooks/${hook.id}`, { timeoutMs: 4000 });
    expect(patched.status).toBe(200);
    const now = await row(hook.id);
    const aad = subscriptionSecretAad(acme.tenantId, hook.id);
    for (const v of [now.headers[0].value, now.authorization!, now.signing_secrets[0].secret]) expect(v.bound).toBe(true);
    expect(box.openBound(now.headers[0].value, aad)).toBe('legacy-header-value-0001');
    expect(box.openBound(now.authorization!, aad)).toBe('Bearer legacy-token-abcdefgh');
    expect(box.openBound(now.signing_secrets[0].secret, aad)).toBe(legacySigning);
    const snap = await lastSnapshotOf(hook.id, patched.body.version);
    expect(snap.authorization).toEqual(now.authorization);
    expect(box.openBound(snap.signingSecrets[0].secret, aad)).toBe(legacySigning);
  });

  it("seals a template hook's secrets again for each copy", async () => {
    const { templateId, hook: tpl } = await createTemplateHook(call(), { url: `${receiver.url}/tpl`, authorization: 'Bearer template-token-0000' });
    const projectId = randomUUID();
    expect(await registry.app.get(CopyTemplateHooks).execute({ tenantId: acme.tenantId, templateId, projectId })).toEqual({ copied: 1 });
    const list = (await call()('GET', '/v1/webhooks?limit=200')).body.data as { id: string; scope: { projectId?: string }; authorization: string }[];
    const copy = list.find((h) => h.scope.projectId === projectId)!;
    expect(copy.authorization).toBe('••••••••0000');
    const sealed = (await row(copy.id)).authorization!;
    expect(box.openBound(sealed, subscriptionSecretAad(acme.tenantId, copy.id))).toBe('Bearer template-token-0000');
    expect(() => box.openBound(sealed, subscriptionSecretAad(acme.tenantId, tpl.id))).toThrow();
  });
});
