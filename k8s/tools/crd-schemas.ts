/**
 * JSON schemas for the custom resources Herald ships (the Prometheus Operator's
 * ServiceMonitor and PrometheusRule, Strimzi's KafkaTopic and KafkaUser), written from their CRDs'
 * documented fields (monitoring.coreos.com/v1, kafka.strimzi.io/v1). `kubernetes-models` has no models
 * for them; the tests validate them with ajv against these, unknown fields rejected.
 */
const objectMeta = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
  additionalProperties: false,
} as const;

/** Strimzi's metadata: its Topic and User Operators only reconcile resources labelled with their Kafka cluster. */
const strimziMeta = {
  ...objectMeta,
  required: ['name', 'labels'],
  properties: {
    ...objectMeta.properties,
    labels: {
      type: 'object',
      required: ['strimzi.io/cluster'],
      properties: { 'strimzi.io/cluster': { type: 'string', minLength: 1 } },
      additionalProperties: { type: 'string' },
    },
  },
} as const;

/** A custom resource: its apiVersion and kind, its metadata and spec, and no other field. */
function customResource<A extends string, K extends string, M extends object, S extends object>(apiVersion: A, kind: K, metadata: M, spec: S) {
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: { apiVersion: { const: apiVersion }, kind: { const: kind }, metadata, spec },
    additionalProperties: false,
  } as const;
}

const labelSelector = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

const duration = {
  type: 'string',
  pattern: '^(0|(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
} as const;

export const serviceMonitorSchema = customResource('monitoring.coreos.com/v1', 'ServiceMonitor', objectMeta, {
  type: 'object',
  required: ['selector', 'endpoints'],
  properties: {
    jobLabel: { type: 'string' },
    selector: labelSelector,
    namespaceSelector: {
      type: 'object',
      properties: {
        any: { type: 'boolean' },
        matchNames: { type: 'array', items: { type: 'string' } },
      },
      additionalProperties: false,
    },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          port: { type: 'string' },
          targetPort: { type: ['string', 'integer'] },
          path: { type: 'string', pattern: '^/' },
          scheme: { enum: ['http', 'https'] },
          interval: duration,
          scrapeTimeout: duration,
          honorLabels: { type: 'boolean' },
          relabelings: { type: 'array', items: { type: 'object' } },
          metricRelabelings: { type: 'array', items: { type: 'object' } },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
});

export const kafkaTopicSchema = customResource('kafka.strimzi.io/v1', 'KafkaTopic', strimziMeta, {
  type: 'object',
  required: ['partitions', 'replicas'],
  properties: {
    topicName: { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$' },
    partitions: { type: 'integer', minimum: 1 },
    replicas: { type: 'integer', minimum: 1, maximum: 32767 },
    config: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
  },
  additionalProperties: false,
});

/** Strimzi KafkaUser (v1): authentication and simple-authorization ACLs (the `operations` list). */
export const kafkaUserSchema = customResource('kafka.strimzi.io/v1', 'KafkaUser', strimziMeta, {
  type: 'object',
  properties: {
    authentication: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: ['tls', 'tls-external', 'scram-sha-512'] } },
      additionalProperties: false,
    },
    authorization: {
      type: 'object',
      required: ['type', 'acls'],
      properties: {
        type: { const: 'simple' },
        acls: {
          type: 'array',
          items: {
            type: 'object',
            required: ['resource', 'operations'],
            properties: {
              type: { enum: ['allow', 'deny'] },
              host: { type: 'string' },
              resource: {
                type: 'object',
                required: ['type'],
                properties: {
                  type: { enum: ['topic', 'group', 'cluster', 'transactionalId'] },
                  name: { type: 'string', minLength: 1 },
                  patternType: { enum: ['literal', 'prefix'] },
                },
                additionalProperties: false,
              },
              operations: {
                type: 'array',
                minItems: 1,
                items: {
                  enum: [
                    'Read',
                    'Write',
                    'Create',
                    'Delete',
                    'Alter',
                    'Describe',
                    'ClusterAction',
                    'AlterConfigs',
                    'DescribeConfigs',
                    'IdempotentWrite',
                    'All',
                  ],
                },
              },
            },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    quotas: {
      type: 'object',
      properties: {
        producerByteRate: { type: 'integer', minimum: 0 },
        consumerByteRate: { type: 'integer', minimum: 0 },
        requestPercentage: { type: 'integer', minimum: 0 },
        controllerMutationRate: { type: 'number', minimum: 0 },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

export const prometheusRuleSchema = customResource('monitoring.coreos.com/v1', 'PrometheusRule', objectMeta, {
  type: 'object',
  required: ['groups'],
  properties: {
    groups: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'rules'],
        properties: {
          name: { type: 'string', minLength: 1 },
          interval: duration,
          rules: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['expr'],
              properties: {
                alert: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
                record: { type: 'string' },
                expr: { type: ['string', 'integer'] },
                for: duration,
                keep_firing_for: duration,
                labels: { type: 'object', additionalProperties: { type: 'string' } },
                annotations: { type: 'object', additionalProperties: { type: 'string' } },
              },
              additionalProperties: false,
              oneOf: [{ required: ['alert'] }, { required: ['record'] }],
            },
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
});

export const CRD_SCHEMAS: Record<string, object> = {
  'monitoring.coreos.com/v1/PrometheusRule': prometheusRuleSchema,
  'monitoring.coreos.com/v1/ServiceMonitor': serviceMonitorSchema,
  'kafka.strimzi.io/v1/KafkaTopic': kafkaTopicSchema,
  'kafka.strimzi.io/v1/KafkaUser': kafkaUserSchema,
};
