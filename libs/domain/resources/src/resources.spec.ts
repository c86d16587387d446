import { ValidationError, parseCommand } from '@herald/domain/tenancy';
import { RESOURCE_TYPES } from '@herald/contracts';
import { RESOURCE_DEFINITIONS } from './definitions';
import { decodeCursor, encodeCursor } from './resource.repository';
import { mergeAttributes } from './resource-writer';
import { CommentCreateSchema, TaskCreateSchema, TaskUpdateSchema, listQuerySchema } from './schemas';
import { proprofsClient, proprofsProject, proprofsTask } from './proprofs/proprofs-views';
import { ppmTaskExample } from './testing';

const projectId = '28e92b4c-3b0c-4100-83c8-80231b62efcb';

describe('resource DTOs', () => {
  it('accept a PPM Express task', () => {
    const t = parseCommand(TaskCreateSchema, {
      ...ppmTaskExample(projectId),
      status: 0,
      isMilestone: false,
      priority: 0,
    });
    expect(t['name']).toBe('Create a test environment');
  });

  it('reject unknown fields, bad dates and out-of-range progress', () => {
    expect(() => parseCommand(TaskCreateSchema, { projectId, name: 'x', colour: 'red' })).toThrow(ValidationError);
    expect(() => parseCommand(TaskCreateSchema, { projectId, name: 'x', startDate: '14/02/2022' })).toThrow(ValidationError);
    expect(() => parseCommand(TaskUpdateSchema, { progress: 101 })).toThrow(ValidationError);
  });

  it('need a task or a project for a comment', () => {
    expect(() => parseCommand(CommentCreateSchema, { body: 'hi' })).toThrow(ValidationError);
    expect(parseCommand(CommentCreateSchema, { body: 'hi', projectId })).toEqual({ body: 'hi', projectId });
  });

  it('list queries: limit at most 1000, offset and cursor, known filters only', () => {
    const q = listQuerySchema(['projectId']);
    expect(parseCommand(q, {})).toEqual({ limit: 50 });
    expect(parseCommand(q, { limit: '1000', offset: '20', projectId })).toEqual({ limit: 1000, offset: 20, projectId });
    expect(() => parseCommand(q, { limit: '1001' })).toThrow(ValidationError);
    // With a cursor, offset skips rows after its position.
    const cursor = `2026-01-02T03:04:05.678Z_${projectId}`;
    expect(parseCommand(q, { offset: '1', cursor })).toEqual({ limit: 50, offset: 1, cursor });
    expect(() => parseCommand(q, { cursor: 'abc' })).toThrow(ValidationError);
    expect(() => parseCommand(q, { limit: '1e3' })).toThrow(ValidationError);
    expect(() => parseCommand(q, { taskId: projectId })).toThrow(ValidationError);
  });

  it('define every resource type of the contracts, each with a distinct path', () => {
    expect(Object.keys(RESOURCE_DEFINITIONS).sort()).toEqual([...RESOURCE_TYPES].sort());
    const paths = Object.values(RESOURCE_DEFINITIONS).map((d) => d.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe('cursors', () => {
  it('round-trip a position and reject garbage', () => {
    const c = encodeCursor({ createdAt: new Date('2026-01-02T03:04:05.678Z'), id: projectId });
    expect(decodeCursor(c)).toEqual({ createdAt: '2026-01-02T03:04:05.678Z', id: projectId });
    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(Buffer.from('["x","y"]').toString('base64url'))).toBeNull();
    // Any string of the documented shape is a position (a 31 February rolls over, as Date does).
    expect(decodeCursor(`2023-02-31T00:00:00.000Z_${projectId}`)).toEqual({ createdAt: '2023-02-31T00:00:00.000Z', id: projectId });
  });
});

describe('mergeAttributes', () => {
  it('merges keys and removes the ones set to null', () => {
    expect(mergeAttributes({ a: 1, b: 2 }, { b: null, c: 3 })).toEqual({ a: 1, c: 3 });
  });
});

describe('ProProfs views', () => {
  const user = { id: 'u1', fullName: 'Anna Doe', email: 'anna.doe@company.com', imageId: null };
  const task = {
    id: 't1',
    projectId,
    name: 'Create a test environment',
    description: null,
    startDate: '2022-02-14T12:00:00.000Z',
    dueDate: '2022-02-24T12:00:00.000Z',
    dateCompleted: null,
    completed: false,
    progress: 50,
    users: [user],
    createdBy: 'u1',
    createdAt: '2022-02-10T14:49:18.690Z',
    updatedAt: '2022-02-11T14:49:18.690Z',
  };

  it('maps a task to ProProfs field names', () => {
    expect(proprofsTask(task, { projectName: 'Website' })).toMatchObject({
      task_id: 't1',
      task_name: 'Create a test environment',
      description: null,
      start_date: '2022-02-14T12:00:00.000Z',
      due_date: '2022-02-24T12:00:00.000Z',
      date_completed: null,
      project_id: projectId,
      project_name: 'Website',
      completed: false,
      progress: 50,
      date_created: '2022-02-10T14:49:18.690Z',
      date_modified: '2022-02-11T14:49:18.690Z',
      user_id: 'u1',
      users: [{ user_id: 'u1', name: 'Anna Doe', email: 'anna.doe@company.com' }],
    });
  });

  it('maps a project with its client and a client', () => {
    const p = proprofsProject(
      { id: projectId, name: 'Website', finishDate: '2022-03-01T00:00:00.000Z', clientId: 'c1', status: 'active', managers: [user] },
      { clientName: 'Acme Corp' },
    );
    expect(p).toMatchObject({ project_id: projectId, project_name: 'Website', due_date: '2022-03-01T00:00:00.000Z', client_name: 'Acme Corp' });
    expect(proprofsClient({ id: 'c1', name: 'Acme Corp', email: 'ops@acme.test' })).toMatchObject({
      client_id: 'c1',
      client_name: 'Acme Corp',
      email: 'ops@acme.test',
    });
  });
});
