import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { CloudEvent, HTTP } from 'cloudevents';
import { EVENT_CATALOG, OPERATIONAL_EVENT_TYPES, PAYLOAD_FORMATS, TEST_EVENT_TYPE } from '@herald/contracts';
import { eventTypeDetails, eventTypeSummaries, payloadFormatInfos } from './event-types.catalog';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

describe('/v1/event-types: schemas and examples made from the renderers and the zod schemas', () => {
  const details = eventTypeDetails();

  it('lists every event type, and each payload format with its description', () => {
    expect([...details.keys()].sort()).toEqual([...EVENT_CATALOG.map((e) => e.type), TEST_EVENT_TYPE, ...OPERATIONAL_EVENT_TYPES].sort());
    expect(payloadFormatInfos().map((f) => f.format)).toEqual([...PAYLOAD_FORMATS]);
    for (const f of payloadFormatInfos()) expect(f.description.length).toBeGreaterThan(10);
  });

  it('every example is valid against its own schema (every event × every format it is sent in)', () => {
    let checked = 0;
    for (const [type, d] of details) {
      for (const [format, p] of Object.entries(d.payloads)) {
        const validate = ajv.compile(p.schema);
        const ok = validate(p.example);
        expect({ type, format, errors: ok ? null : validate.errors }).toEqual({ type, format, errors: null });
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(EVENT_CATALOG.length * 3);
  });

  it('a schema is not a blank cheque: a wrong type or a missing field is refused', () => {
    const native = details.get('task.completed')!.payloads.native!;
    const validate = ajv.compile(native.schema);
    expect(validate({ ...(native.example as object), type: 'task.created' })).toBe(false);
    const { resource: _r, ...noResource } = native.example as Record<string, unknown>;
    expect(validate(noResource)).toBe(false);
    const procore = details.get('task.created')!.payloads['procore-v4.0']!;
    expect(ajv.compile(procore.schema)({ ...(procore.example as object), reason: 'complete' })).toBe(false);
  });

  it('native and both CloudEvents modes exist for every event; dialects only where they have a name for it', () => {
    for (const [type, d] of details) {
      expect({ type, formats: Object.keys(d.payloads) }).toEqual({ type, formats: expect.arrayContaining(['native', 'cloudevents-structured', 'cloudevents-binary']) });
    }
    const formats = (t: string) => eventTypeSummaries().find((s) => s.type === t)!.payloadFormats;
    expect(formats('calendar_event.created')).toContain('proprofs'); // new_event
    expect(formats('calendar_event.updated')).not.toContain('proprofs');
    expect(formats('task.completed')).toEqual(expect.arrayContaining(['worksection', 'procore-v2.0', 'ppm-express']));
    expect(formats('client.created')).not.toContain('ppm-express');
  });

  it('the CloudEvents examples are what the cloudevents SDK parses, in both modes, with the same attributes', () => {
    for (const [type, d] of details) {
      const events = (['cloudevents-structured', 'cloudevents-binary'] as const).map((mode) => {
        const p = d.payloads[mode]!;
        const event = HTTP.toEvent({ headers: { 'content-type': p.contentType, ...p.headers }, body: JSON.stringify(p.example) }) as CloudEvent;
        return { id: event.id, type: event.type, source: event.source, subject: event.subject, data: event.data };
      });
      expect(events[0]).toEqual(events[1]);
      expect(events[0].type).toBe(`io.herald.${type}`);
    }
  });
});
