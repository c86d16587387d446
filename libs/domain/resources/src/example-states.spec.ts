import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { RESOURCE_TYPES } from '@herald/contracts';
import { EXAMPLE_STATES, exampleChangeOf } from '@herald/payload-formats';
import { RESOURCE_DEFINITIONS } from './definitions';

// /v1/event-types' example payloads are rendered from EXAMPLE_STATES: each must have exactly the
// fields a real event of that resource carries (toState: every column but the tenant).
describe('example resource states of the event catalog', () => {
  it('have the columns of each entity, no more, no fewer', async () => {
    const ds = new DataSource({ type: 'postgres', entities: RESOURCE_TYPES.map((t) => RESOURCE_DEFINITIONS[t].entity) });
    await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
    for (const type of RESOURCE_TYPES) {
      const columns = ds.getMetadata(RESOURCE_DEFINITIONS[type].entity).columns.map((c) => c.propertyName).filter((c) => c !== 'tenantId');
      expect({ type, fields: Object.keys(EXAMPLE_STATES[type]).sort() }).toEqual({ type, fields: columns.sort() });
      expect(RESOURCE_DEFINITIONS[type].projectIdOf(EXAMPLE_STATES[type]) ?? null).toBe(exampleChangeOf(`${type}.created`)?.projectId ?? null);
    }
  });
});
