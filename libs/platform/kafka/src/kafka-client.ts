import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  Kafka,
  logLevel,
  type Admin,
  type KafkaConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import { groupId, topicName, type TopicSpec } from '@herald/contracts';
import { KafkaClientEnv, parseConfig, type KafkaEnv } from '@herald/platform/config';
import type { z } from 'zod';
import './lz4-codec';
import './request-queue-fix';

/** Where the brokers are and how to reach them: TLS (`true`: the system's CAs) and SASL. */
export interface KafkaConnectionSettings {
  brokers: string[];
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
}

export interface KafkaSettings extends KafkaConnectionSettings {
  clientId: string;
  namespace?: string;
  partitionsOverride?: number;
  /** What every produce request of the service is compressed with (HERALD_KAFKA_COMPRESSION; default gzip). */
  compression?: KafkaCompression;
}

export type KafkaCompression = 'gzip' | 'lz4' | 'none';

/** The Kafka part of a service's validated config (KafkaEnv in @herald/platform/config); compression defaults to gzip. */
export type KafkaConfigShape = Omit<z.infer<typeof KafkaEnv>, 'HERALD_KAFKA_COMPRESSION'> &
  Partial<Pick<z.infer<typeof KafkaEnv>, 'HERALD_KAFKA_COMPRESSION'>>;

/**
 * The validated settings → kafkajs' connection options. TLS is on with `KAFKA_SSL=true` or any
 * TLS file; the PEM files are read here, once, at start-up.
 */
export function kafkaConnection(config: KafkaConfigShape): KafkaConnectionSettings {
  const read = (file: string | undefined) => (file ? readFileSync(file, 'utf8') : undefined);
  const files = {
    ca: read(config.KAFKA_SSL_CA_FILE),
    cert: read(config.KAFKA_SSL_CERT_FILE),
    key: read(config.KAFKA_SSL_KEY_FILE),
  };
  const anyFile = Boolean(files.ca || files.cert || files.key);
  let ssl: KafkaConnectionSettings['ssl'];
  if (anyFile) {
    ssl = {
      ...(files.ca ? { ca: [files.ca] } : {}),
      ...(files.cert ? { cert: files.cert } : {}),
      ...(files.key ? { key: files.key } : {}),
    };
  } else if (config.KAFKA_SSL) {
    ssl = true;
  }
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = config;
  const sasl: SASLOptions | undefined =
    mechanism && username && password
      ? ({ mechanism, username, password } as SASLOptions)
      : undefined;
  return { brokers: config.KAFKA_BROKERS, ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

/** A service's KafkaSettings from its validated config. */
export function kafkaSettings(clientId: string, config: KafkaConfigShape): KafkaSettings {
  return {
    clientId,
    ...kafkaConnection(config),
    namespace: config.HERALD_KAFKA_NAMESPACE,
    partitionsOverride: config.HERALD_KAFKA_PARTITIONS_OVERRIDE,
    compression: config.HERALD_KAFKA_COMPRESSION,
  };
}

/**
 * THE place a kafkajs client is made: every producer, consumer and admin of Herald (services,
 * outbox relay, CLIs, views, the dispatcher's consumers) comes from a Kafka built here, so the
 * brokers, TLS and SASL settings reach all of them. `overrides`: logging, timeouts, retries.
 */
export function createKafka(
  settings: KafkaSettings,
  overrides: Partial<Omit<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'clientId'>> = {},
): Kafka {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ...(settings.ssl ? { ssl: settings.ssl } : {}),
    ...(settings.sasl ? { sasl: settings.sasl } : {}),
    connectionTimeout: 3_000,
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    ...overrides,
  });
}

/** Why the brokers cannot be used with these settings, when retrying cannot help; else undefined. */
export class KafkaSetupError extends Error {
  override readonly name = 'KafkaSetupError';
}

// TLS verification failures (node's codes), which no retry fixes.
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
]);

function chain(err: unknown): { name?: string; message?: string; code?: string; type?: string }[] {
  const out: { name?: string; message?: string; code?: string; type?: string }[] = [];
  let e = err as
    | {
        name?: string;
        message?: string;
        code?: string;
        type?: string;
        cause?: unknown;
        originalError?: unknown;
      }
    | undefined;
  for (let i = 0; e && i < 10; i++) {
    out.push(e);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return out;
}

/**
 * The one line a start-up failure of `settings` deserves when retrying cannot fix it (wrong
 * credentials, an unknown mechanism, a certificate the client does not trust or the broker
 * refuses, TLS against a plaintext port); undefined when the error may pass (broker down,
 * coordinator loading).
 */
export function describeSetupError(
  err: unknown,
  settings: KafkaConnectionSettings,
): string | undefined {
  const errors = chain(err);
  const where = settings.brokers.join(',');
  const sasl = settings.sasl;
  const auth = errors.find(
    (e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED',
  );
  if (auth) {
    return `Kafka refused the SASL ${sasl?.mechanism?.toUpperCase() ?? ''} login of "${(sasl as { username?: string } | undefined)?.username ?? ''}" at ${where}: ${auth.message} (check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM)`;
  }
  const mechanism = errors.find(
    (e) =>
      e.type === 'UNSUPPORTED_SASL_MECHANISM' ||
      e.type === 'ILLEGAL_SASL_STATE' ||
      /SASL mechanism .* not supported|Unsupported SASL mechanism/i.test(e.message ?? ''),
  );
  if (mechanism) {
    return `Kafka at ${where} does not accept SASL ${sasl?.mechanism?.toUpperCase() ?? '(none)'} on this listener: ${mechanism.message} (check KAFKA_SASL_MECHANISM and that KAFKA_BROKERS names a SASL listener)`;
  }
  const tls = errors.find(
    (e) =>
      (e.code && TLS_CODES.has(e.code)) ||
      /certificate|self[- ]signed|wrong version number|tlsv1 alert|sslv3 alert/i.test(
        e.message ?? '',
      ),
  );
  if (tls) {
    // OpenSSL's own text ("…:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:…") → its reason.
    const message = (tls.message ?? '').replace(/\s+/g, ' ').trim();
    const reason =
      /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ??
      message.replace(/^Connection error: /, '');
    const hint = /alert (bad|unknown) certificate|certificate required|alert number (42|116)/i.test(
      message,
    )
      ? 'the broker refused the client certificate: check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE'
      : 'check KAFKA_SSL_CA_FILE (the CA that signed the brokers), and that KAFKA_BROKERS names a TLS listener';
    return `TLS to Kafka at ${where} failed: ${reason} (${hint})`;
  }
  return undefined;
}

/**
 * The service's one kafkajs client, plus the namespace every topic and group name goes through.
 * kafkajs' own logs go to the service's logger at warn and above.
 */
@Injectable()
export class KafkaClient implements OnApplicationShutdown {
  readonly kafka: Kafka;
  private adminClient?: Promise<Admin>;
  private readonly logger = new Logger('Kafka');

  constructor(readonly settings: KafkaSettings) {
    this.kafka = createKafka(settings, { logCreator: () => (entry: LogEntry) => this.log(entry) });
  }

  get namespace(): string | undefined {
    return this.settings.namespace;
  }

  topic(spec: TopicSpec | string): string {
    return topicName(spec, this.settings.namespace);
  }

  group(id: string): string {
    return groupId(id, this.settings.namespace);
  }

  /** A long-lived admin client for health checks and lag metrics. */
  async admin(): Promise<Admin> {
    // One admin for every caller, those that ask while it connects too (each connecting its own
    // left all but the last connected after shutdown). A failed connect is not kept.
    if (!this.adminClient) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      this.adminClient = connecting;
      connecting.catch(() => {
        if (this.adminClient === connecting) this.adminClient = undefined;
      });
    }
    return this.adminClient;
  }

  /**
   * One short connection (metadata request) with the service's settings, at start-up. Throws a
   * KafkaSetupError (one line) when retrying cannot help — wrong credentials, TLS trust, a
   * mechanism the listener lacks; resolves false when the brokers are merely unreachable for
   * now (the consumers retry, readiness reports it); true when connected.
   */
  async verifyConnection(): Promise<boolean> {
    const probe = createKafka(this.settings, {
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 1_000 },
    });
    const admin = probe.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch (err) {
      const line = describeSetupError(err, this.settings);
      if (line) throw new KafkaSetupError(line);
      this.logger.warn(
        `Kafka at ${this.settings.brokers.join(',')} is not reachable yet (${(err as Error).message}); starting anyway, readiness reports it`,
      );
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = await this.adminClient?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private log({ level, log, namespace }: LogEntry): void {
    const { message, ...extra } = log;
    // The coordinator's "loading" and rebalance chatter is expected right after a broker starts.
    const line = `${namespace}: ${message} ${JSON.stringify(extra)}`;
    if (level <= logLevel.ERROR) this.logger.error(line);
    else this.logger.warn(line);
  }
}

/**
 * A KafkaClient for a CLI or tool, from an environment (default process.env) validated with the
 * same zod settings as the services (KafkaClientEnv): throws ConfigError with one line naming
 * every bad variable.
 */
export function kafkaClientFromEnv(
  clientId: string,
  env: NodeJS.ProcessEnv = process.env,
): KafkaClient {
  return new KafkaClient(kafkaSettings(clientId, parseConfig(KafkaClientEnv, env)));
}
