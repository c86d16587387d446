// Types of kafka.js (for tools/dev-infra/lib/dev-infra.spec.ts and the test harness's secured broker).
export const KAFKA_VERSION: string;
export const DEFAULT_PORT: number;
export const DEFAULT_CONTROLLER_PORT: number;
export interface SecureListener {
  port: number;
  /** PEM: PKCS#8 private key + certificate chain. */
  keyStoreFile: string;
  /** PEM: the CA certificates client certificates are checked against. */
  trustStoreFile: string;
  clientAuth?: 'required' | 'requested' | 'none';
  /** PLAIN users: name → password. */
  plainUsers?: Record<string, string>;
}
export interface ScramUser {
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}
export function serverProperties(ports: { port: number; controllerPort: number }, dataDir?: string, secure?: SecureListener, overrides?: Record<string, string>): string;
/** The broker's JVM flags: `extra` adds flags or replaces the default setting the same thing. */
export function jvmFlags(heap?: string, extra?: string[]): string[];
export function secureListenerProperties(secure: SecureListener): Record<string, string>;
export function scramArgs(users?: ScramUser[]): string[];
type Log = ((line: string) => void) & { warn?: (line: string) => void; error?: (line: string) => void };
export function ensureKafka(opts?: {
  log?: Log;
  stateDir?: string;
  port?: number;
  controllerPort?: number;
  heap?: string;
  secure?: SecureListener;
  scramUsers?: ScramUser[];
  /** More JVM flags, or other values of the defaults (see jvmFlags). */
  jvmOpts?: string[];
  /** Other server.properties settings, or other values (see serverProperties). */
  properties?: Record<string, string>;
}): Promise<{ brokers: string[]; secureBrokers?: string[]; port: number; pid: number; reused: boolean }>;
export function stopKafka(opts?: { log?: Log; stateDir?: string }): Promise<boolean>;
export interface KafkaInstance {
  stateDir: string;
  kafkaDir: string;
  dataDir: string;
  propsFile: string;
  logFile: string;
  outFile: string;
  pidFile: string;
  ports: { port: number; controllerPort: number };
}
export function instance(opts?: { stateDir?: string; port?: number; controllerPort?: number }): KafkaInstance;
export function parsePorts(propsText: string | undefined): { port: number; controllerPort: number } | undefined;
export function randomClusterId(): string;
export function coordinatorPartition(id: string, partitions: number): number;
export function idsCoveringPartitions(prefix: string, partitions: number): string[];
