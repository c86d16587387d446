import { Column, PrimaryColumn } from 'typeorm';

/** A user as resources carry it (assignees, managers, sponsors): enough for every dialect's payload. */
export interface UserRef {
  id: string;
  fullName: string;
  email: string;
  imageId: string | null;
}

/**
 * What every domain row has. `attributes` holds extra PPM Express-style attributes that have no
 * column of their own (custom fields); they travel in before/after like any other field.
 */
export abstract class TenantOwnedEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'jsonb', default: {} })
  attributes: Record<string, unknown>;

  /** The user who created the row (ProProfs' `user_id`). */
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** PPM Express' project/idea scoring attributes, shared by projects and ideas. */
export abstract class ScoredEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'start_date', type: 'timestamptz', nullable: true })
  startDate: Date | null;

  @Column({ name: 'finish_date', type: 'timestamptz', nullable: true })
  finishDate: Date | null;

  @Column({ type: 'double precision', default: 0 })
  impact: number;

  @Column({ type: 'double precision', default: 0 })
  risk: number;

  @Column({ type: 'double precision', default: 0 })
  cost: number;

  @Column({ type: 'double precision', default: 0 })
  revenue: number;

  @Column({ type: 'double precision', default: 0 })
  efforts: number;

  @Column({ type: 'double precision', default: 0 })
  budget: number;

  @Column({ type: 'double precision', default: 0 })
  score: number;

  @Column({ name: 'alignment_score', type: 'double precision', default: 0 })
  alignmentScore: number;

  @Column({ type: 'int', nullable: true })
  stage: number | null;
}
