// Types of kafka.js's pure helpers (for tools/dev-infra/lib/dev-infra.spec.ts).
export const KAFKA_VERSION: string;
export const DEFAULT_PORT: number;
export const DEFAULT_CONTROLLER_PORT: number;
export function serverProperties(ports: { port: number; controllerPort: number }, dataDir?: string): string;
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
