// Test harness for Herald's int and e2e tests: a database and a Kafka namespace per test file
// (so files run in parallel without seeing each other's data), polling, a scriptable webhook
// receiver, and the services as real processes.
export { createTestDatabase, dropTestDatabase, type TestDatabase, type CreateTestDatabaseOptions } from './database';
export { uniqueKafkaNamespace, collectTopic, deleteKafkaNamespace, type DeleteKafkaNamespaceOptions } from './kafka';
export { waitFor, type WaitForOptions } from './wait-for';
export { startReceiver, type Receiver, type ReceivedRequest, type ScriptedResponse, type Responder, type StartReceiverOptions } from './receiver';
export { freePort } from './ports';
export { spawnService, serviceArgs, type SpawnedService, type SpawnServiceOptions, type ExitInfo } from './service';
export { requireEnv, kafkaBrokers } from './env';
export { randomSuffix, sanitizeLabel, testDatabaseName, kafkaNamespaceName, databaseUrlFor } from './names';
export { renderContextFixture, resourceChangeFixture, subscriptionSnapshotFixture } from './fixtures';
export { makeTestPki, type TestPki } from './tls';
export { startSecureKafka, type SecureKafka, type SaslMechanism } from './secure-kafka';
export { bearerJson } from './http';
export { thrownBy } from './thrown';
export { ppmSeedCreateBody } from './seeds';
