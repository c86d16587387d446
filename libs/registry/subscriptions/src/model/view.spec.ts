import { randomBytes, randomUUID } from 'node:crypto';
import { SubscriptionSecrets } from '@herald/registry/secrets';
import { SubscriptionEntity } from '../persistence/subscription.entity';
import { toView } from './view';

describe('toView', () => {
  const secrets = SubscriptionSecrets.fromSpec(`k1:${randomBytes(32).toString('base64')}`);
  const entity = () =>
    Object.assign(new SubscriptionEntity(), {
      id: randomUUID(),
      externalId: 1,
      statusChangedAt: new Date(),
      createdAt: new Date(),
      updatedAt: new Date(),
      eventTypes: ['*'],
      headers: [{ name: 'custom_header', value: secrets.seal('header_value_long_enough') }],
      authorization: secrets.seal('Bearer token_value_long_enough'),
      basicAuth: { user: 'u', password: secrets.seal('hunter2hunter2') },
      signingSecrets: [{ secret: secrets.newSigningSecret().sealed, expiresAt: null }],
    });

  it('redacts header values and authorization by default', () => {
    const v = toView(entity(), secrets);
    expect(v.headers[0].value).not.toBe('header_value_long_enough');
    expect(v.authorization).not.toContain('token_value_long_enough');
  });

  it('shows header values and authorization as given with revealHeaders, and nothing else', () => {
    const v = toView(entity(), secrets, new Date(), { revealHeaders: true });
    expect(v.headers).toEqual([{ name: 'custom_header', value: 'header_value_long_enough' }]);
    expect(v.authorization).toBe('Bearer token_value_long_enough');
    expect(v.basicAuth?.password).not.toBe('hunter2hunter2');
    expect(v.signingSecrets[0].secret).not.toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
  });
});
