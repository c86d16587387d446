/**
 * Just enough PromQL reading to list what an expression selects: the metric names, and the
 * label matchers and grouping labels it uses. For checking dashboards, alert rules and adapter
 * rules against deploy/metrics-contract.json, not for evaluating anything.
 */
export interface LabelMatcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selection {
  metrics: string[];
  matchers: LabelMatcher[];
  groupingLabels: string[];
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

export function readPromQL(expr: string): Selection {
  const matchers: LabelMatcher[] = [];
  const groupingLabels: string[] = [];
  let rest = expr.replace(/#.*$/gm, '');

  // by (...), without (...), on (...), ignoring (...), group_left (...), group_right (...)
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _kw, labels: string) => {
      groupingLabels.push(
        ...labels
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  // {label op "value", ...}
  rest = rest.replace(/\{([^}]*)\}/g, (_m, body: string) => {
    for (const m of body.matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g,
    )) {
      matchers.push({ label: m[1], op: m[2] as LabelMatcher['op'], value: m[3] });
    }
    return ' ';
  });
  // range and subquery durations, string literals, numbers with units
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ');

  const metrics = new Set<string>();
  for (const m of rest.matchAll(/(^|[^a-zA-Z0-9_:.])([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) {
    const name = m[2];
    const followedByParen = rest
      .slice((m.index ?? 0) + m[0].length)
      .trimStart()
      .startsWith('(');
    if (followedByParen || KEYWORDS.has(name.toLowerCase())) continue;
    metrics.add(name);
  }
  return { metrics: [...metrics], matchers, groupingLabels };
}

/** The literal alternatives of a label regex like "retrying|failed" (undefined when it is not a plain alternation). */
export function regexAlternatives(value: string): string[] | undefined {
  return /^[a-zA-Z0-9_. -]+(\|[a-zA-Z0-9_. -]+)*$/.test(value) ? value.split('|') : undefined;
}
