export * from './data-source';
export * from './database.module';
export * from './plain-sql';
export * from './migrate-main';
