export * from './problem-details';
export * from './problem-details.filter';
export * from './method-not-allowed';
export * from './api-error.filter';
export * from './openapi-errors';
export * from './auth-docs';
export * from './request-bodies';
export * from './openapi-preview';
