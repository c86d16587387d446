import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG } from '@herald/platform/config';
import { SecretBox } from '@herald/platform/crypto';
import { WorksectionAdminKeyStore } from './worksection-admin-keys';
import { WorksectionApi } from './worksection-api';
import { WorksectionWebhooks } from './worksection-webhooks';

/** The Worksection dialect's use cases and its admin keys (sealed under HERALD_SECRETS_KEY). */
@Module({
  providers: [
    WorksectionWebhooks,
    WorksectionApi,
    {
      provide: WorksectionAdminKeyStore,
      inject: [DataSource, HERALD_CONFIG],
      useFactory: (ds: DataSource, c: { HERALD_SECRETS_KEY: string }) => new WorksectionAdminKeyStore(ds, SecretBox.fromSpec(c.HERALD_SECRETS_KEY)),
    },
  ],
  exports: [WorksectionWebhooks, WorksectionApi, WorksectionAdminKeyStore],
})
export class WorksectionDialectModule {}
