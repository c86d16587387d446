import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { AddressPolicy, type AddressVerdict } from './address-policy';

/** Resolves a host name to every address it has (dns.lookup with all: true by default). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Thrown (or passed to a connect callback) when a target is refused; `code` survives undici's wrapping. */
export class SsrfRefusedError extends Error {
  readonly code = 'ERR_SSRF_REFUSED';

  constructor(
    message: string,
    readonly host: string,
    readonly verdicts: readonly AddressVerdict[] = [],
  ) {
    super(message);
    this.name = 'SsrfRefusedError';
  }
}

/** The host did not resolve (NXDOMAIN, no answer, resolver down). */
export class HostResolutionError extends Error {
  constructor(
    message: string,
    readonly host: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'HostResolutionError';
  }
}

export interface CheckedTarget {
  url: URL;
  /** The WHATWG-normalised host name (an IP literal in canonical form when the URL held one, IPv6 without brackets). */
  hostname: string;
  /** The allowed addresses to connect to. */
  addresses: LookupAddress[];
}

/** A `net.connect` / undici `connect.lookup` function. */
export type ConnectLookup = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/**
 * The SSRF guard shared by the dispatcher (every attempt) and the registry (URL checks on
 * create, `test`, verification). It refuses what `AddressPolicy` refuses and is used in two ways:
 * - `checkUrl(url)`: up-front, for an API answer (scheme, literal IP in any spelling, DNS);
 * - `connectLookup`: handed to the HTTP agent, so the socket connects only to an address that
 *   was checked in the same lookup — a DNS answer that changes between check and connect
 *   (rebinding) cannot slip a private address in.
 *
 * Host spellings are normalised the WHATWG way (what `new URL` and undici do): `2130706433`,
 * `0x7f.1`, `0177.0.0.1`, `127.1`, full-width digits and `[::ffff:127.0.0.1]` all become the
 * address they name before they are judged.
 */
export class SsrfGuard {
  readonly policy: AddressPolicy;
  private readonly resolve: HostResolver;

  constructor(opts: { allowCidrs?: readonly string[]; resolver?: HostResolver } = {}) {
    this.policy = new AddressPolicy(opts.allowCidrs ?? []);
    this.resolve = opts.resolver ?? systemResolver;
  }

  /** Parses and checks a webhook URL; resolves the host and keeps only allowed addresses. */
  async checkUrl(input: string | URL): Promise<CheckedTarget> {
    const url = parseWebhookUrl(input);
    const hostname = bareHost(url.hostname);
    return { url, hostname, addresses: await this.resolveChecked(hostname) };
  }

  /** Checks a URL's scheme and, when its host is an IP literal, the address; no DNS. */
  checkUrlSync(input: string | URL): URL {
    const url = parseWebhookUrl(input);
    const hostname = bareHost(url.hostname);
    if (isIP(hostname)) this.assertAllowed(hostname, [this.policy.judge(hostname)]);
    return url;
  }

  /** Every allowed address of a host (an IP literal is judged as is); refuses when none is left. */
  async resolveChecked(host: string): Promise<LookupAddress[]> {
    const hostname = normaliseHost(host);
    if (isIP(hostname)) {
      this.assertAllowed(hostname, [this.policy.judge(hostname)]);
      return [{ address: hostname, family: isIP(hostname) }];
    }
    let answers: LookupAddress[];
    try {
      answers = await this.resolve(hostname);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new HostResolutionError(`cannot resolve ${hostname}: ${err.code ?? err.message}`, hostname, err.code ?? 'EDNS');
    }
    if (answers.length === 0) throw new HostResolutionError(`cannot resolve ${hostname}: no addresses`, hostname, 'ENODATA');
    const verdicts = answers.map((a) => this.policy.judge(a.address));
    this.assertAllowed(hostname, verdicts);
    return answers.filter((_, i) => verdicts[i].allowed);
  }

  /**
   * For `net.connect({lookup})` / undici `Agent({connect: {lookup}})`: resolves, drops refused
   * addresses and fails the connection with `SsrfRefusedError` when none is left. Node calls it
   * only for host names; IP literals must go through `checkUrlSync` before the request.
   */
  readonly connectLookup: ConnectLookup = (hostname, options, callback) => {
    this.resolveChecked(hostname).then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = family ? addresses.filter((a) => a.family === family) : addresses;
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`no IPv${family} address allowed for ${hostname}`), { code: 'ENOTFOUND' }), []);
        } else if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };

  /**
   * The refusal names the host as the caller wrote it (normalised) and nothing it resolved to:
   * the message reaches API answers and the delivery log, and the addresses and ranges behind an
   * internal name are a map of the network. They stay on the error (`verdicts`) for the logs.
   */
  private assertAllowed(host: string, verdicts: AddressVerdict[]): void {
    if (verdicts.some((v) => v.allowed)) return;
    const why = isIP(host) ? 'not a public address' : 'it does not resolve to a public address';
    throw new SsrfRefusedError(`refused to connect to ${host}: ${why}`, host, verdicts);
  }
}

/** `http:`/`https:` URLs only; the WHATWG parser normalises the host. */
export function parseWebhookUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(input);
  } catch {
    throw new SsrfRefusedError(`not a URL: ${String(input).slice(0, 200)}`, '');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SsrfRefusedError(`only http and https URLs are allowed, not ${url.protocol}`, url.hostname);
  }
  if (!url.hostname) throw new SsrfRefusedError('the URL has no host', '');
  return url;
}

/** A host as a URL would read it: `0x7f.1` → `127.0.0.1`, `[::ffff:127.0.0.1]` → `::ffff:7f00:1`. */
export function normaliseHost(host: string): string {
  const raw = host.trim();
  if (isIP(raw) === 6) return bareHost(new URL(`http://[${raw}]/`).hostname);
  try {
    return bareHost(new URL(`http://${raw}/`).hostname);
  } catch {
    throw new SsrfRefusedError(`not a valid host: ${raw.slice(0, 200)}`, raw);
  }
}

function bareHost(hostname: string): string {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  // A trailing dot names the same host (FQDN); an IP literal with one is normalised by URL already.
  return h.endsWith('.') && h.length > 1 ? h.slice(0, -1) : h;
}
