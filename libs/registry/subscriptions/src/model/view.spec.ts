import { randomBytes, randomUUID } from 'node:crypto';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionEntity } from '../persistence/subscription.entity';
import { toView } from './view';

describe('toView', () => {
  const secrets = SubscriptionSecrets.fromSpec(`k1:${randomBytes(32).toString('base64')}`);
  const entity = () => {
    const owner = { tenantId: 'tenant-a', id: randomUUID() };
    return Object.assign(new SubscriptionEntity(), {
      ...owner,
      externalId: 1,
      statusChangedAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
      eventTypes: ['*'],
      headers: [{ name: 'custom_header', value: secrets.seal(owner, 'header_value_long_enough') }],
      authorization: secrets.seal(owner, 'Bearer token_value_long_enough'),
      basicAuth: { user: 'u', password: secrets.seal(owner, 'hunter2hunter2') },
      signingSecrets: [{ secret: secrets.newSigningSecret(owner).sealed, expiresAt: null }],
    });
  };

  it('redacts header values and authorization by default', () => {
    const v = toView(entity(), secrets);
    expect(v.headers[0].value).not.toBe('header_value_long_enough');
    expect(v.authorization).not.toContain('token_value_long_enough');
    expect(v.headers[0].value).toBe('••••••••ough');
    expect(v.authorization).toBe('••••••••ough');
    expect(v.basicAuth?.password).toBe('••••••••');
    expect(v.signingSecrets[0].secret!.replace(/•/g, '')).toHaveLength(4);
  });

  it('shows header values and authorization as given with revealHeaders, and nothing else', () => {
    const v = toView(entity(), secrets, new Date(), { revealHeaders: true });
    expect(v.headers).toEqual([{ name: 'custom_header', value: 'header_value_long_enough' }]);
    expect(v.authorization).toBe('Bearer token_value_long_enough');
    expect(v.basicAuth?.password).not.toBe('hunter2hunter2');
    expect(v.signingSecrets[0].secret).not.toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
  });
});
