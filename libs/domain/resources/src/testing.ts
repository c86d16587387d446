/** A PPM Express-style task (group, dates, duration, progress) as a create command for project `projectId`: what the resource specs share. */
export function ppmTaskExample(projectId: string) {
  return {
    projectId,
    name: 'Create a test environment',
    group: { id: '50a1d504-1f0a-4b39-99a7-4344e0755346', name: 'Backlog', color: '#6a6b6d' },
    startDate: '2022-02-14T12:00:00Z',
    dueDate: '2022-02-24T12:00:00Z',
    duration: 9,
    progress: 50,
  };
}
