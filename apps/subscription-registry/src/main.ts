// First: tracing patches `http` before anything below loads it.
import './tracing';
import 'reflect-metadata';
import { listenHttpApi } from '@herald/platform/http';
import { AppModule } from './app.module';
import { SERVICE_NAME, type RegistryConfig } from './config';
import { configureApp } from './configure-app';

void listenHttpApi<RegistryConfig>(SERVICE_NAME, AppModule.forRoot(), configureApp);
