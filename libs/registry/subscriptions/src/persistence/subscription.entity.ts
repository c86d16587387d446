import { Column, Entity, PrimaryColumn } from 'typeorm';
import type {
  EncryptedValue,
  FailurePolicy,
  PayloadFormat,
  RetryPolicy,
  Scope,
  SubscriptionStatus,
} from '@herald/contracts';

export interface SealedHeader {
  name: string;
  value: EncryptedValue;
}

export interface SealedSigningSecret {
  secret: EncryptedValue;
  /** Set on a previous secret by a rotation: it keeps signing until then. */
  expiresAt: string | null;
}

/** bigint comes back from pg as a string; ids stay far below 2^53. */
const bigintAsNumber = { to: (v: number | undefined) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/**
 * A subscription (schema `registry`). Every secret column holds only AES-256-GCM values.
 *
 * `version` goes up with every change; `publishedVersion` is the version Kafka last acknowledged
 * on `herald.subscriptions.v1`. A row with publishedVersion < version is republished until it is
 * acknowledged, so a crash between commit and publish never loses a snapshot.
 */
@Entity({ name: 'subscriptions' })
export class SubscriptionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Small, increasing number for dialects whose ids are integers (Worksection, ProProfs). */
  @Column({ name: 'external_id', type: 'bigint', insert: false, update: false, transformer: bigintAsNumber })
  externalId: number;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId: string;

  @Column({ name: 'owner_user_id', type: 'text' })
  ownerUserId: string;

  @Column({ type: 'text' })
  dialect: string;

  @Column({ type: 'text' })
  status: SubscriptionStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ name: 'status_changed_at', type: 'timestamptz' })
  statusChangedAt: Date;

  @Column({ name: 'consecutive_failures', type: 'int' })
  consecutiveFailures: number;

  @Column({ type: 'text' })
  url: string;

  @Column({ name: 'http_verb', type: 'text' })
  httpVerb: 'POST' | 'PUT' | 'PATCH';

  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'jsonb' })
  scope: Scope;

  @Column({ name: 'owner_only', type: 'boolean' })
  ownerOnly: boolean;

  @Column({ name: 'field_filters', type: 'jsonb' })
  fieldFilters: Record<string, string[]>;

  @Column({ name: 'resource_filters', type: 'jsonb' })
  resourceFilters: Record<string, Record<string, string | number | boolean | null>>;

  @Column({ name: 'payload_format', type: 'text' })
  payloadFormat: PayloadFormat;

  @Column({ name: 'format_options', type: 'jsonb' })
  formatOptions: Record<string, unknown>;

  @Column({ name: 'template_id', type: 'text', nullable: true })
  templateId: string | null;

  /** The template hook this one was copied from (project created from a template). */
  @Column({ name: 'copied_from_id', type: 'uuid', nullable: true })
  copiedFromId: string | null;

  @Column({ type: 'jsonb' })
  headers: SealedHeader[];

  @Column({ type: 'jsonb', nullable: true })
  authorization: EncryptedValue | null;

  @Column({ name: 'basic_auth', type: 'jsonb', nullable: true })
  basicAuth: { user: string; password: EncryptedValue } | null;

  @Column({ name: 'success_contract', type: 'text' })
  successContract: '2xx' | 'status-ok' | '200' | '200-or-204';

  @Column({ name: 'timeout_ms', type: 'int' })
  timeoutMs: number;

  @Column({ name: 'rate_limit_per_sec', type: 'double precision', nullable: true })
  rateLimitPerSec: number | null;

  @Column({ name: 'retry_policy', type: 'jsonb' })
  retryPolicy: RetryPolicy;

  @Column({ name: 'delivery_mode', type: 'text' })
  deliveryMode: 'independent' | 'ordered';

  @Column({ name: 'failure_policy', type: 'jsonb' })
  failurePolicy: FailurePolicy;

  /** The current secret first; previous ones carry their expiry. */
  @Column({ name: 'signing_secrets', type: 'jsonb' })
  signingSecrets: SealedSigningSecret[];

  @Column({ type: 'int' })
  version: number;

  @Column({ name: 'published_version', type: 'int' })
  publishedVersion: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A deleted subscription whose tombstone Kafka has not acknowledged yet. */
@Entity({ name: 'deleted_subscriptions' })
export class DeletedSubscriptionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId: string;

  @Column({ name: 'deleted_at', type: 'timestamptz' })
  deletedAt: Date;
}

export const SUBSCRIPTION_ENTITIES = [SubscriptionEntity, DeletedSubscriptionEntity];
