/**
 * "For Project:Update and Idea:Update event types, webhook will be triggered only in case of
 * Details section fields update." THE list of Details fields, by the domain's attribute names
 * (what a change's `changedFields` holds). It becomes the subscription's `fieldFilters`.
 */
export const PPM_DETAILS_FIELDS = {
  project: [
    'name',
    'description',
    'startDate',
    'finishDate',
    'stage',
    'priority',
    'managers',
    'portfolioId',
    'programId',
    'parentIdeaId',
    'highLevelScope',
  ],
  idea: [
    'name',
    'description',
    'startDate',
    'finishDate',
    'stage',
    'businessPriority',
    'sponsor',
    'submitter',
    'challenge',
    'tags',
    'expectedEfforts',
    'expectedCost',
  ],
} as const satisfies Record<string, readonly string[]>;

export const PPM_FIELD_FILTERS: Record<string, string[]> = {
  project: [...PPM_DETAILS_FIELDS.project],
  idea: [...PPM_DETAILS_FIELDS.idea],
};

/**
 * "Webhook for Task event will be triggered only for internal PPM Express tasks": the domain
 * marks synced tasks `external: true`. Key dates have no such filter (external ones fire too),
 * and fire whatever their parent (project, portfolio or program).
 */
export const PPM_RESOURCE_FILTERS: Record<string, Record<string, boolean>> = {
  task: { external: false },
};
