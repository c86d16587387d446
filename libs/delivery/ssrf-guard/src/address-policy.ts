import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface AddressVerdict {
  allowed: boolean;
  /** The normalised address that was judged (IPv4-mapped IPv6 is judged as its IPv4). */
  address: string;
  /** The special range it falls in (`loopback`, `private`, `ipv4Mapped→loopback`, …) or `unicast`. */
  range: string;
  /** Let through by `HERALD_SSRF_ALLOW_CIDRS` although its range is refused. */
  allowListed: boolean;
}

/**
 * Which addresses a webhook may reach. Only public unicast is allowed: IPv4 outside every
 * special range ipaddr.js knows (unspecified, broadcast, multicast, link-local, loopback,
 * CGNAT 100.64/10, RFC 1918, reserved/documentation/benchmarking, AS112, AMT), and IPv6 inside
 * global unicast 2000::/3 outside its special ranges. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped ::ffff:0:0/96, SIIT ::ffff:0:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
 * 6to4 2002::/16) are judged by the IPv4 address they embed; Teredo is refused outright since
 * the client address is obfuscated. The allow-list (CIDRs) overrides all of that.
 */
export class AddressPolicy {
  private readonly allow: [Address, number][];

  constructor(allowCidrs: readonly string[] = []) {
    this.allow = allowCidrs.map((c) => {
      try {
        return ipaddr.parseCIDR(c.trim());
      } catch {
        throw new Error(`HERALD_SSRF_ALLOW_CIDRS: "${c}" is not a CIDR`);
      }
    });
  }

  get allowCidrs(): string[] {
    return this.allow.map(([a, bits]) => `${a.toString()}/${bits}`);
  }

  /** Judges one IP address in textual form (IPv4 dotted quad or IPv6); anything else is refused. */
  judge(ip: string): AddressVerdict {
    let parsed: Address;
    try {
      parsed = ipaddr.parse(ip.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return { allowed: false, address: ip, range: 'invalid', allowListed: false };
    }
    const { range, judged } = classify(parsed);
    const allowListed = this.allowListed(parsed) || (judged !== parsed && this.allowListed(judged));
    return { allowed: range === 'unicast' || allowListed, address: judged.toString(), range, allowListed: allowListed && range !== 'unicast' };
  }

  private allowListed(a: Address): boolean {
    return this.allow.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
  }
}

const EMBEDDED_V4_RANGES = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4']);
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const WELL_KNOWN_NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

function classify(a: Address): { range: string; judged: Address } {
  if (a.kind() === 'ipv4') return { range: (a as ipaddr.IPv4).range(), judged: a };
  const v6 = a as ipaddr.IPv6;
  const range = v6.range();
  // The local-use NAT64 prefix (/48) spreads the IPv4 address around the u-octet: refuse it.
  if (range === 'rfc6052' && !v6.match(WELL_KNOWN_NAT64)) return { range, judged: a };
  if (EMBEDDED_V4_RANGES.has(range)) {
    const v4 = embeddedIPv4(v6, range);
    const inner = v4.range();
    return { range: inner === 'unicast' ? 'unicast' : `${range}→${inner}`, judged: v4 };
  }
  if (range !== 'unicast') return { range, judged: a };
  // Outside 2000::/3 nothing is assigned for global unicast (e.g. IPv4-compatible ::a.b.c.d).
  if (!v6.match(GLOBAL_UNICAST_V6)) return { range: 'reserved', judged: a };
  return { range, judged: a };
}

function embeddedIPv4(a: ipaddr.IPv6, range: string): ipaddr.IPv4 {
  const p = a.parts;
  // 6to4 carries the IPv4 address in bits 16..47; the others in the last 32 bits.
  const [hi, lo] = range === '6to4' ? [p[1], p[2]] : [p[6], p[7]];
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}
