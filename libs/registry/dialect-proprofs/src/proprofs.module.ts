import { Module } from '@nestjs/common';
import { ProProfsHooks } from './proprofs-hooks';

/** The ProProfs dialect's use cases (the subscription core and the principals are global modules of the registry). */
@Module({ providers: [ProProfsHooks], exports: [ProProfsHooks] })
export class ProProfsDialectModule {}
