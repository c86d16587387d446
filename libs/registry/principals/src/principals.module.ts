import { Global, Module } from '@nestjs/common';
import { BearerApiKeyGuard } from './api-key.guard';
import { Authenticator } from './authenticator';
import { PrincipalDirectory } from './principal-directory';
import { PrincipalsView } from './principals-view';

/**
 * Authentication for every API the registry serves. Needs KafkaModule. The app calls
 * `PrincipalsView.start()` once its topics exist.
 */
@Global()
@Module({
  providers: [PrincipalDirectory, PrincipalsView, Authenticator, BearerApiKeyGuard],
  exports: [PrincipalDirectory, PrincipalsView, Authenticator, BearerApiKeyGuard],
})
export class PrincipalsModule {}
