import { Injectable } from '@nestjs/common';
import type { PrincipalSnapshot } from '@herald/contracts';

export type TenantPrincipal = Extract<PrincipalSnapshot, { kind: 'tenant' }>;
export type UserPrincipal = Extract<PrincipalSnapshot, { kind: 'user' }>;
export type ApiKeyPrincipal = Extract<PrincipalSnapshot, { kind: 'api-key' }>;

/**
 * Tenants, users and API-key hashes from `herald.principals.v1`, indexed for authentication:
 * keys by key id, tenants by id, domain and slug. Fed by the principals view (or by tests).
 */
@Injectable()
export class PrincipalDirectory {
  private readonly tenants = new Map<string, TenantPrincipal>();
  private readonly tenantIdByDomain = new Map<string, string>();
  private readonly tenantIdBySlug = new Map<string, string>();
  private readonly users = new Map<string, UserPrincipal>();
  private readonly keys = new Map<string, ApiKeyPrincipal>();

  /** Applies a snapshot (or a tombstone: null) with the value it replaces. */
  update(value: PrincipalSnapshot | null, previous: PrincipalSnapshot | undefined): void {
    if (previous) this.remove(previous);
    if (value) this.add(value);
  }

  tenant(tenantId: string): TenantPrincipal | undefined {
    return this.tenants.get(tenantId);
  }

  /** By the tenant's domain (`acme.projectbubble.com`, any case) or its slug. */
  tenantByDomainOrSlug(value: string): TenantPrincipal | undefined {
    const v = value.trim().toLowerCase();
    const id = this.tenantIdByDomain.get(v) ?? this.tenantIdBySlug.get(v);
    return id === undefined ? undefined : this.tenants.get(id);
  }

  tenantBySlug(slug: string): TenantPrincipal | undefined {
    const id = this.tenantIdBySlug.get(slug.trim().toLowerCase());
    return id === undefined ? undefined : this.tenants.get(id);
  }

  user(tenantId: string, userId: string): UserPrincipal | undefined {
    return this.users.get(`${tenantId}:${userId}`);
  }

  apiKey(keyId: string): ApiKeyPrincipal | undefined {
    return this.keys.get(keyId);
  }

  get size(): number {
    return this.tenants.size + this.users.size + this.keys.size;
  }

  private add(p: PrincipalSnapshot): void {
    switch (p.kind) {
      case 'tenant':
        this.tenants.set(p.tenantId, p);
        this.tenantIdByDomain.set(p.domain.toLowerCase(), p.tenantId);
        this.tenantIdBySlug.set(p.slug.toLowerCase(), p.tenantId);
        break;
      case 'user':
        this.users.set(`${p.tenantId}:${p.userId}`, p);
        break;
      case 'api-key':
        this.keys.set(p.keyId, p);
        break;
    }
  }

  private remove(p: PrincipalSnapshot): void {
    switch (p.kind) {
      case 'tenant':
        this.tenants.delete(p.tenantId);
        if (this.tenantIdByDomain.get(p.domain.toLowerCase()) === p.tenantId) this.tenantIdByDomain.delete(p.domain.toLowerCase());
        if (this.tenantIdBySlug.get(p.slug.toLowerCase()) === p.tenantId) this.tenantIdBySlug.delete(p.slug.toLowerCase());
        break;
      case 'user':
        this.users.delete(`${p.tenantId}:${p.userId}`);
        break;
      case 'api-key':
        if (this.keys.get(p.keyId)?.tenantId === p.tenantId) this.keys.delete(p.keyId);
        break;
    }
  }
}
