// First: tracing patches `http` before anything below loads it.
import './tracing';
import 'reflect-metadata';
import { listenHttpApi } from '@herald/platform/http';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';
import { SERVICE_NAME, type DomainApiConfig } from './config';

void listenHttpApi<DomainApiConfig>(SERVICE_NAME, AppModule.forRoot(), configureApp);
