import { requestLogSerializers } from './logging';
import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it("replaces Worksection's admin hash and basic-auth password (and other credentials) in a request URL, keeping the rest as it came", () => {
    const url = '/api/admin/v2/?action=add_webhook&url=https%3A%2F%2Fws.example.com&http_user=bob&http_pass=s3cr3t&hash=0123456789abcdef0123456789abcdef';
    expect(redactUrl(url)).toBe('/api/admin/v2/?action=add_webhook&url=https%3A%2F%2Fws.example.com&http_user=bob&http_pass=[redacted]&hash=[redacted]');
    expect(redactUrl('/x?HASH=a&Token=b&api%5Fkey=c&hash&keep=hash')).toBe('/x?HASH=[redacted]&Token=[redacted]&api%5Fkey=[redacted]&hash=[redacted]&keep=hash');
    expect(redactUrl('/x?%E0%A4%A=1&hash=2')).toBe('/x?%E0%A4%A=1&hash=[redacted]');
    expect(redactUrl('/v1/webhooks?limit=10')).toBe('/v1/webhooks?limit=10');
    expect(redactUrl('/v1/webhooks')).toBe('/v1/webhooks');
  });

  it('is what a request log line says of the URL', () => {
    expect(requestLogSerializers.req({ id: 1, method: 'GET', url: '/api/admin/v2/?action=get_webhooks&hash=abc', originalUrl: '/api/admin/v2/?action=get_webhooks&hash=abc' })).toEqual({
      id: 1,
      method: 'GET',
      url: '/api/admin/v2/?action=get_webhooks&hash=[redacted]',
    });
  });

  it("reads the response itself (pino-http's wrapSerializers off): its status once the headers went out, none before", () => {
    expect(requestLogSerializers.res({ statusCode: 201, headersSent: true })).toEqual({ statusCode: 201 });
    expect(requestLogSerializers.res({ statusCode: 200, headersSent: false })).toEqual({ statusCode: null });
  });
});
