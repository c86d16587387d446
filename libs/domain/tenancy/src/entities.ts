import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ApiKeyScope } from '@herald/contracts';

/**
 * Principals carry `version` (bumped on every change) and `publishedVersion` (the version last
 * acknowledged by Kafka on `herald.principals.v1`). A row with publishedVersion < version is
 * dirty: the principal publisher republishes it until Kafka acknowledges, so a crash between
 * commit and publish never leaves the registry with a stale principal.
 */
abstract class PublishedPrincipal {
  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ name: 'published_version', type: 'int', default: 0 })
  publishedVersion: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity({ name: 'tenants' })
export class TenantEntity extends PublishedPrincipal {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Short name, e.g. `acme` (PPM Express' `@tenant-name`, Worksection's account). */
  @Index({ unique: true })
  @Column({ type: 'text' })
  slug: string;

  /** Host name as ProProfs' `domain` header spells it, e.g. `acme.projectbubble.com`. */
  @Index({ unique: true })
  @Column({ type: 'text' })
  domain: string;

  @Column({ type: 'text' })
  name: string;
}

@Entity({ name: 'users' })
export class UserEntity extends PublishedPrincipal {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'full_name', type: 'text' })
  fullName: string;

  /** Also the logon account (PPM Express' `Initiator.LogonAccount`); unique per tenant, stored lower-case. */
  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin: boolean;
}

@Entity({ name: 'api_keys' })
export class ApiKeyEntity extends PublishedPrincipal {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  /** The public part of `hk_<keyId>_<secret>`: lookups go by it, the secret is only hashed. */
  @Column({ name: 'key_id', type: 'text' })
  keyId: string;

  /** sha256 hex of the whole key (`hashApiKey`); the key itself is never stored. */
  @Column({ type: 'text' })
  hash: string;

  @Column({ type: 'text', array: true })
  scopes: ApiKeyScope[];

  @Column({ type: 'text', nullable: true })
  label: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}

export const TENANCY_ENTITIES = [TenantEntity, UserEntity, ApiKeyEntity];
