import type { LookupAddress } from 'node:dns';
import { AddressPolicy } from './address-policy';
import { HostResolutionError, normaliseHost, SsrfGuard, SsrfRefusedError } from './ssrf-guard';

/** A resolver with fixed answers, so the unit tests need no DNS (localhost is checked for real below). */
const fixed =
  (answers: Record<string, string[]>) =>
  async (host: string): Promise<LookupAddress[]> => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['::7f00:1', 'reserved'],
    ['::ffff:127.0.0.1', 'ipv4Mapped→loopback'],
    ['::ffff:7f00:1', 'ipv4Mapped→loopback'],
    ['::ffff:10.0.0.1', 'ipv4Mapped→private'],
    ['::ffff:169.254.169.254', 'ipv4Mapped→linkLocal'],
    ['64:ff9b::10.0.0.1', 'rfc6052→private'],
    ['64:ff9b::7f00:1', 'rfc6052→loopback'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['2002:0a00:0001::1', '6to4→private'],
    ['2002:7f00:0001::1', '6to4→loopback'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['not-an-ip', 'invalid'],
  ])('refuses %s (%s)', (ip, range) => {
    const v = policy.judge(ip);
    expect(v).toMatchObject({ allowed: false, range });
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '100.63.255.255', '100.128.0.0', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:0808:0808::1'])(
    'allows public unicast %s',
    (ip) => {
      expect(policy.judge(ip)).toMatchObject({ allowed: true, range: 'unicast' });
    },
  );

  it('lets the allow-list through, including an IPv4-mapped form of an allowed IPv4', () => {
    const p = new AddressPolicy(['127.0.0.0/8', 'fd00::/8']);
    expect(p.judge('127.0.0.1')).toMatchObject({ allowed: true, allowListed: true });
    expect(p.judge('::ffff:127.0.0.1')).toMatchObject({ allowed: true, allowListed: true });
    expect(p.judge('fd00::5')).toMatchObject({ allowed: true });
    expect(p.judge('10.0.0.1').allowed).toBe(false);
    expect(p.judge('::1').allowed).toBe(false);
    expect(() => new AddressPolicy(['10.0.0.0'])).toThrow(/not a CIDR/);
  });
});

describe('SsrfGuard', () => {
  const guard = new SsrfGuard({
    resolver: fixed({
      'evil.example': ['127.0.0.1'],
      'metadata.example': ['169.254.169.254'],
      'mixed.example': ['10.0.0.1', '93.184.215.14'],
      'good.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
      'v6loop.example': ['::1'],
      'mapped.example': ['::ffff:192.168.0.1'],
    }),
  });

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0x7f.0.0.1/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://127.0.1/',
    'http://127.0.0.1./',
    'http://１２７.０.０.１/',
    'http://0/',
    'http://0.0.0.0:8080/',
    'http://10.0.0.1/',
    'http://012.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://2852039166/',
    'http://100.64.1.1/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[64:ff9b::127.0.0.1]/',
    'http://[2002:7f00:1::]/',
    'http://[fe80::1%25eth0]/',
    'http://evil.example/',
    'http://EVIL.example./',
    'http://metadata.example/',
    'http://v6loop.example/',
    'http://mapped.example/',
  ])('refuses %s', async (url) => {
    await expect(guard.checkUrl(url)).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('says which host it refused, never what an internal name resolved to', async () => {
    const internal = new SsrfGuard({
      resolver: fixed({ 'db.corp.example': ['10.20.30.40', 'fd00::1234'], 'meta.corp.example': ['169.254.169.254'] }),
    });
    for (const host of ['db.corp.example', 'meta.corp.example']) {
      const e = await internal.checkUrl(`https://${host}/hook`).then(
        () => null,
        (err: Error) => err,
      );
      expect(e).toBeInstanceOf(SsrfRefusedError);
      expect(e!.message).toBe(`refused to connect to ${host}: it does not resolve to a public address`);
      expect(e!.message).not.toMatch(/10\.20|fd00|169\.254|private|link|unique/);
      // For the logs, not the message.
      expect((e as SsrfRefusedError).verdicts.length).toBeGreaterThan(0);
    }
    await expect(internal.checkUrl('http://10.1.2.3/')).rejects.toThrow('refused to connect to 10.1.2.3: not a public address');
  });

  it('refuses literal private IPs without DNS (checkUrlSync) in every spelling', () => {
    for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]/', 'http://127.1:9/']) {
      expect(() => guard.checkUrlSync(url)).toThrow(SsrfRefusedError);
    }
    expect(guard.checkUrlSync('https://good.example/hook').hostname).toBe('good.example');
    expect(guard.checkUrlSync('http://8.8.8.8/').hostname).toBe('8.8.8.8');
  });

  it('refuses other schemes and non-URLs', async () => {
    for (const url of ['file:///etc/passwd', 'gopher://good.example/', 'ftp://good.example/', 'not a url', 'http://']) {
      await expect(guard.checkUrl(url)).rejects.toBeInstanceOf(SsrfRefusedError);
    }
  });

  it('keeps only the allowed addresses of a host that has both kinds', async () => {
    const t = await guard.checkUrl('https://mixed.example/x');
    expect(t.addresses.map((a) => a.address)).toEqual(['93.184.215.14']);
    const g = await guard.checkUrl('https://good.example/x');
    expect(g.addresses).toHaveLength(2);
  });

  it('reports an unknown host as a resolution error, not as a refusal', async () => {
    await expect(guard.checkUrl('https://nope.example/')).rejects.toBeInstanceOf(HostResolutionError);
  });

  it('refuses a real host name that resolves to 127.0.0.1 (localhost), with the system resolver', async () => {
    const real = new SsrfGuard();
    await expect(real.checkUrl('http://localhost:8080/hook')).rejects.toBeInstanceOf(SsrfRefusedError);
    await expect(real.checkUrl('http://LocalHost./hook')).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('allows loopback only when the allow-list says so', async () => {
    const allowing = new SsrfGuard({ allowCidrs: ['127.0.0.0/8'], resolver: fixed({ 'evil.example': ['127.0.0.1', '::1'] }) });
    const t = await allowing.checkUrl('http://evil.example:3000/');
    expect(t.addresses).toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(allowing.checkUrl('http://0x7f.1/')).resolves.toMatchObject({ hostname: '127.0.0.1' });
    await expect(allowing.checkUrl('http://[::1]/')).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('gives connect-time lookups only checked addresses, honouring all and family', async () => {
    const lookup = (host: string, options: { all?: boolean; family?: number }) =>
      new Promise<unknown>((resolve, reject) =>
        guard.connectLookup(host, options, (err, address, family) => (err ? reject(err) : resolve(options.all ? address : { address, family }))),
      );
    await expect(lookup('mixed.example', { all: true })).resolves.toEqual([{ address: '93.184.215.14', family: 4 }]);
    await expect(lookup('good.example', { family: 6 })).resolves.toEqual({ address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 });
    await expect(lookup('evil.example', { all: true })).rejects.toBeInstanceOf(SsrfRefusedError);
  });

  it('normalises host spellings the WHATWG way', () => {
    expect(normaliseHost('0x7f.1')).toBe('127.0.0.1');
    expect(normaliseHost('2130706433')).toBe('127.0.0.1');
    expect(normaliseHost('0177.0.0.1')).toBe('127.0.0.1');
    expect(normaliseHost('::ffff:127.0.0.1')).toBe('::ffff:7f00:1');
    expect(normaliseHost('[::1]')).toBe('::1');
    expect(normaliseHost('Example.COM.')).toBe('example.com');
  });
});
