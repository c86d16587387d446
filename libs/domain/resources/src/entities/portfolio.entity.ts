import { Column, Entity } from 'typeorm';
import { TenantOwnedEntity, type UserRef } from './base';

@Entity({ name: 'portfolios' })
export class PortfolioEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: [] })
  managers: UserRef[];
}

@Entity({ name: 'programs' })
export class ProgramEntity extends TenantOwnedEntity {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'portfolio_id', type: 'uuid', nullable: true })
  portfolioId: string | null;

  @Column({ type: 'jsonb', default: [] })
  managers: UserRef[];
}
