import { z } from 'zod';
import { OtelEnv, SecretsEnv, SsrfEnv, serviceEnv } from '@herald/platform/config';
import { DispatchEnv } from '@herald/delivery/dispatch';

export const SERVICE_NAME = 'delivery-dispatcher';

export const DispatcherConfigSchema = serviceEnv(3003, {
  ...SecretsEnv.shape,
  ...SsrfEnv.shape,
  ...OtelEnv.shape,
  ...DispatchEnv.shape,
});
export type DispatcherConfig = z.infer<typeof DispatcherConfigSchema>;
