import { Webhook } from 'standardwebhooks';
import {
  generateSigningSecret,
  signatureHeaders,
  signPayload,
  SignatureVerificationError,
  verifySignature,
} from './standard-webhooks';

const body = JSON.stringify({ type: 'task.created', timestamp: '2026-01-01T00:00:00Z', data: { id: 't1', name: 'Ünïcode ✓' } });

describe('Standard Webhooks signing', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(a);
  });

  it('is verified by the official standardwebhooks package with one secret', () => {
    const secret = generateSigningSecret();
    const headers = signatureHeaders({ id: 'evt_1', secrets: [secret] }, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('with two secrets, sends two v1 signatures and each secret verifies on its own', () => {
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    const headers = signatureHeaders({ id: 'evt_2', secrets: [current, previous] }, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow();
  });

  it('matches the official signer byte for byte for a given id and timestamp', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ts = new Date('2026-03-01T12:00:00Z');
    expect(signPayload(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', ts, body)).toBe(
      new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', ts, body),
    );
  });

  it('signs the timestamp it sends, as unix seconds', () => {
    const secret = generateSigningSecret();
    const headers = signatureHeaders({ id: 'evt_3', timestamp: new Date(1_767_225_600_123), secrets: [secret] }, body);
    expect(headers['webhook-timestamp']).toBe('1767225600');
    expect(() => verifySignature(secret, { ...headers }, body, { now: new Date(1_767_225_700_000) })).not.toThrow();
  });

  it('rejects a changed body, a foreign secret and an old timestamp', () => {
    const secret = generateSigningSecret();
    const headers = { ...signatureHeaders({ id: 'evt_4', secrets: [secret] }, body) };
    expect(() => verifySignature(secret, headers, `${body} `)).toThrow(SignatureVerificationError);
    expect(() => verifySignature(generateSigningSecret(), headers, body)).toThrow(SignatureVerificationError);
    const old = { ...signatureHeaders({ id: 'evt_4', timestamp: Date.now() / 1000 - 3600, secrets: [secret] }, body) };
    expect(() => verifySignature(secret, old, body)).toThrow(/tolerance/);
  });

  it('refuses to sign without a secret or with a malformed one', () => {
    expect(() => signatureHeaders({ id: 'x', secrets: [] }, body)).toThrow();
    expect(() => signPayload('whsec_!!!', 'x', 1, body)).toThrow();
  });
});
