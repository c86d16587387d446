import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HERALD_CONFIG } from '@herald/platform/config';
import { DatabaseModule } from '@herald/platform/db';
import { serviceRootModule } from '@herald/platform/kafka';
import { OutboxModule, OutboxWriter } from '@herald/domain/outbox';
import {
  AuthenticateApiKey,
  CreateApiKey,
  CreateUser,
  RevokeApiKey,
  UpdateUser,
  type PrincipalChangeListener,
} from '@herald/domain/tenancy';
import {
  CreateProjectFromTemplate,
  CreateResource,
  DeleteResource,
  GetProProfsResource,
  GetResource,
  ListResources,
  RESOURCE_DEFINITION_LIST,
  SetCompletion,
  UpdateResource,
  domainDataSource,
} from '@herald/domain/resources';
import { ApiKeyGuard } from './auth/api-key.guard';
import { DomainApiConfigSchema, SERVICE_NAME, type DomainApiConfig } from './config';
import { ProjectTemplateActionsController } from './http/project-templates.controller';
import { ProProfsResourcesController } from './http/proprofs-resources.controller';
import { completionController, resourceController } from './http/resource-controllers';
import { ApiKeysController, UsersController } from './http/tenancy.controllers';
import { PrincipalPublishing } from './principals/principal-publishing.service';
import { TopicsBootstrap } from './topics.bootstrap';

const withOutbox = <T>(UseCase: new (ds: DataSource, outbox: OutboxWriter) => T) => ({
  provide: UseCase,
  inject: [DataSource, OutboxWriter],
  useFactory: (ds: DataSource, outbox: OutboxWriter) => new UseCase(ds, outbox),
});
const withDataSource = <T>(UseCase: new (ds: DataSource) => T) => ({
  provide: UseCase,
  inject: [DataSource],
  useFactory: (ds: DataSource) => new UseCase(ds),
});
/**
 * A use case that changes principals: once it has committed, the keys this replica keeps verified
 * are dropped (before the change is published or answered), then the publisher is told.
 */
const withPrincipals = <T>(UseCase: new (ds: DataSource, principals: PrincipalChangeListener) => T) => ({
  provide: UseCase,
  inject: [DataSource, PrincipalPublishing, AuthenticateApiKey],
  useFactory: (ds: DataSource, principals: PrincipalPublishing, keys: AuthenticateApiKey) =>
    new UseCase(ds, {
      principalsChanged: () => {
        keys.forgetKeys();
        principals.principalsChanged();
      },
      principalsAcknowledged: () => {
        keys.forgetKeys();
        return principals.principalsAcknowledged();
      },
    }),
});

/** The domain-api: native `/v1` API, ProProfs `/v2` resource URLs, principals, and the outbox relay. */
@Module({})
export class AppModule {
  static forRoot(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const controllers = [
      // Specific routes before the generic `/:id` ones of the same prefix.
      ProjectTemplateActionsController,
      ...RESOURCE_DEFINITION_LIST.filter((d) => d.completable).map(completionController),
      ...RESOURCE_DEFINITION_LIST.map(resourceController),
      UsersController,
      ApiKeysController,
      ProProfsResourcesController,
    ];
    return serviceRootModule(AppModule, SERVICE_NAME, DomainApiConfigSchema, env, {
      database: DatabaseModule.forRoot((c: DomainApiConfig) => domainDataSource(c.DATABASE_URL, { poolSize: c.DATABASE_POOL_SIZE })),
      imports: [OutboxModule.forRoot()],
      controllers,
      providers: [
        TopicsBootstrap,
        PrincipalPublishing,
        ApiKeyGuard,
        {
          provide: AuthenticateApiKey,
          inject: [DataSource, HERALD_CONFIG],
          useFactory: (ds: DataSource, config: DomainApiConfig) => new AuthenticateApiKey(ds, { cacheMs: config.HERALD_API_KEY_CACHE_MS }),
        },
        withPrincipals(CreateUser),
        withPrincipals(UpdateUser),
        withPrincipals(CreateApiKey),
        withPrincipals(RevokeApiKey),
        withOutbox(CreateResource),
        withOutbox(UpdateResource),
        withOutbox(DeleteResource),
        withOutbox(SetCompletion),
        withOutbox(CreateProjectFromTemplate),
        withDataSource(GetResource),
        withDataSource(ListResources),
        withDataSource(GetProProfsResource),
      ],
    });
  }
}
