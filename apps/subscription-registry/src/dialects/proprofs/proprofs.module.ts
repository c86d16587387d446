import { Module } from '@nestjs/common';
import { ProProfsHooksController } from './proprofs-hooks.controller';

/** The ProProfs Project dialect: REST hooks over the subscription core. See docs/dialects/proprofs.md. */
@Module({ controllers: [ProProfsHooksController] })
export class ProProfsDialectModule {}
