import { acceptedValuesHint, BUILDKITE_PARAMETER_RULES } from './buildkite-parameters.js';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * `apps/infra/docs/buildkite-parameters.md`, generated from the mapping rules so the table cannot drift from the code
 * (a test compares; `pnpm --filter @elastic-ci/infra exec tsx src/config/write-buildkite-parameters-doc.ts` rewrites).
 */
export function buildkiteParametersDoc(): string {
  const rules = BUILDKITE_PARAMETER_RULES;
  const counts = {
    mapped: rules.filter((rule) => rule.status === 'mapped').length,
    accepted: rules.filter((rule) => rule.status === 'accepted').length,
    unsupported: rules.filter((rule) => rule.status === 'unsupported').length,
  };
  const rows = rules.map((rule) => {
    const fields = rule.fields.length === 0 ? '—' : rule.fields.map((field) => `\`${field}\``).join(', ');
    const notes =
      rule.status === 'unsupported' ? `**Unsupported**: ${rule.notes}; ${acceptedValuesHint(rule)}.` : rule.notes;
    const status = rule.status === 'mapped' ? 'mapped' : rule.status === 'accepted' ? 'accepted' : '**refused**';
    return `| \`${rule.parameter}\` | ${status} | ${fields} | ${cell(notes)} |`;
  });
  return [
    '# Buildkite parameters → elastic-ci config',
    '',
    '<!-- Generated from apps/infra/src/config/buildkite-parameters.ts; do not edit. Regenerate with',
    '     pnpm --filter @elastic-ci/infra exec tsx src/config/write-buildkite-parameters-doc.ts -->',
    '',
    'A Buildkite Elastic CI Stack parameter file (`[{"ParameterKey": …, "ParameterValue": …}]`, as passed to',
    '`aws cloudformation create-stack --parameters file://…`, or `{"Parameters": {…}}`) is accepted unchanged by',
    "`make synth CONFIG=<file>`. Each of Buildkite's parameters is handled as below: **mapped** onto a field of the",
    'typed config (`src/config/stack-config-schema.ts`), **accepted** because this stack already behaves as asked or',
    'safer, or **refused** with the reason unless its value changes nothing. Unknown parameter names are refused. All',
    'problems of a file are reported together, each naming its parameter; the agent token is never printed.',
    '',
    `${rules.length} parameters: ${counts.mapped} mapped, ${counts.accepted} accepted, ${counts.unsupported} refused unless left at a value that changes nothing.`,
    '',
    'Empty string values mean "unset" wherever Buildkite treats them so. Booleans are Buildkite\'s `"true"`/`"false"`.',
    '',
    '| Buildkite parameter | Status | Config field | Notes |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
