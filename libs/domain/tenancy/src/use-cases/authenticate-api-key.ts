import { timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashApiKey, parseApiKey } from '@herald/contracts';
import { AuthenticationError } from '../errors';
import type { AuthenticatedPrincipal } from '../principal';
import { TenancyRepository, type KeyLookup } from '../tenancy.repository';

export interface AuthenticateApiKeyCommand {
  apiKey: string;
  /** ProProfs style: the `domain` header, which must be the key's tenant's domain. */
  domain?: string;
}

export interface AuthenticateApiKeyOptions {
  /**
   * How long the key's row (with its user and tenant) read for one request also answers the next
   * requests with the same key id on this process, in ms; 0 reads it for every request. Every
   * check (the secret's hash, revoked, deactivated, the domain) still runs on each request
   * against that row. `forgetKeys()` (every principal change made through this process) drops
   * them all at once; a change made elsewhere (another replica, the CLI) is seen here within
   * this time.
   */
  cacheMs?: number;
  /** At most this many key rows are kept (the oldest read goes first). */
  maxCached?: number;
  now?: () => number;
}

interface Cached {
  found: KeyLookup;
  hash: Buffer;
  until: number;
}

/**
 * The user behind an API key. Every failure is an AuthenticationError whose message says what
 * is wrong without telling a guesser whether a key id exists.
 */
export class AuthenticateApiKey {
  private readonly cacheMs: number;
  private readonly maxCached: number;
  private readonly now: () => number;
  private readonly cached = new Map<string, Cached>();
  /** Bumped by forgetKeys(): a row read before it is not kept (it may predate the change). */
  private generation = 0;

  constructor(
    private readonly ds: DataSource,
    options: AuthenticateApiKeyOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 0;
    this.maxCached = options.maxCached ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async execute(c: AuthenticateApiKeyCommand): Promise<AuthenticatedPrincipal> {
    const apiKey = c.apiKey.trim();
    const parsed = parseApiKey(apiKey);
    if (!parsed) throw new AuthenticationError('the API key is malformed (expected hk_<keyId>_<secret>)');
    const row = await this.keyRow(parsed.keyId);
    if (!row || !timingSafeEqual(row.hash, Buffer.from(hashApiKey(apiKey), 'hex'))) {
      throw new AuthenticationError('the API key is not valid');
    }
    const { key, user, tenant } = row.found;
    if (key.revokedAt) throw new AuthenticationError('the API key has been revoked');
    if (!user.active) throw new AuthenticationError("the API key's user is deactivated");
    if (c.domain !== undefined && c.domain.trim().toLowerCase() !== tenant.domain.toLowerCase()) {
      throw new AuthenticationError('the domain header does not match the API key');
    }
    return {
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      tenantDomain: tenant.domain,
      userId: user.id,
      fullName: user.fullName,
      email: user.email,
      keyId: key.keyId,
      scopes: key.scopes,
    };
  }

  /**
   * Drops every key row kept (and any being read now): called once a change of tenants, users or
   * keys made through this process has committed, before it answers.
   */
  forgetKeys(): void {
    this.generation++;
    this.cached.clear();
  }

  /** The key's row as the database has it (null: no such key id). */
  protected lookup(keyId: string): Promise<KeyLookup | null> {
    return new TenancyRepository(this.ds.manager).findKeyForAuthentication(keyId);
  }

  private async keyRow(keyId: string): Promise<Omit<Cached, 'until'> | null> {
    if (this.cacheMs <= 0) {
      const found = await this.lookup(keyId);
      return found && { found, hash: Buffer.from(found.key.hash, 'hex') };
    }
    const hit = this.cached.get(keyId);
    if (hit && hit.until > this.now()) return hit;
    if (hit) this.cached.delete(keyId);
    const generation = this.generation;
    const found = await this.lookup(keyId);
    if (!found) return null;
    const row = { found, hash: Buffer.from(found.key.hash, 'hex'), until: this.now() + this.cacheMs };
    if (generation === this.generation) {
      if (this.cached.size >= this.maxCached) this.cached.delete(this.cached.keys().next().value as string);
      this.cached.set(keyId, row);
    }
    return row;
  }
}
