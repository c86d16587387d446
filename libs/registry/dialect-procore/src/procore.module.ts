import { Module } from '@nestjs/common';
import { ProcoreDeliveries } from './procore-deliveries';
import { ProcoreHooks } from './procore-hooks';
import { ProcoreTriggers } from './procore-triggers';

/**
 * The Procore dialect's use cases over the subscription core and the delivery log (both global
 * modules of the registry).
 */
@Module({ providers: [ProcoreHooks, ProcoreTriggers, ProcoreDeliveries], exports: [ProcoreHooks, ProcoreTriggers, ProcoreDeliveries] })
export class ProcoreDialectModule {}
