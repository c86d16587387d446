import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG } from '@herald/platform/config';
import { SecretBox } from '@herald/platform/crypto';
import { WorksectionAdminKeyStore } from './worksection-admin-keys';
import { WorksectionController } from './worksection.controller';
import { WorksectionWebhooks } from './worksection-webhooks.service';

/** The Worksection dialect (see docs/dialects/worksection.md). */
@Module({
  controllers: [WorksectionController],
  providers: [
    WorksectionWebhooks,
    {
      provide: WorksectionAdminKeyStore,
      inject: [DataSource, HERALD_CONFIG],
      useFactory: (ds: DataSource, c: { HERALD_SECRETS_KEY: string }) => new WorksectionAdminKeyStore(ds, SecretBox.fromSpec(c.HERALD_SECRETS_KEY)),
    },
  ],
})
export class WorksectionDialectModule {}
