import { z } from 'zod';
import {
  HttpEnv,
  KafkaEnv,
  LogEnv,
  OtelEnv,
  SecretsEnv,
  SsrfEnv,
  withKafkaChecks,
} from '@herald/platform/config';
import { DispatchEnv } from '@herald/delivery/dispatch';

export const SERVICE_NAME = 'delivery-dispatcher';

export const DispatcherConfigSchema = withKafkaChecks(
  HttpEnv(3003)
    .extend(LogEnv.shape)
    .extend(KafkaEnv.shape)
    .extend(SecretsEnv.shape)
    .extend(SsrfEnv.shape)
    .extend(OtelEnv.shape)
    .extend(DispatchEnv.shape),
);
export type DispatcherConfig = z.infer<typeof DispatcherConfigSchema>;
