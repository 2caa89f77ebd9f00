import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One documented option of `ElasticCiStackProps`, read from the source's JSDoc. */
export interface DocumentedOption {
  readonly name: string;
  readonly type: string;
  readonly optional: boolean;
  /** The `@default` text, or undefined when the JSDoc has none. */
  readonly defaultValue: string | undefined;
  readonly description: string;
  /** The interface that declares it (`ScalerOptions`, `AgentFleetOptions`, …). */
  readonly group: string;
}

/** The files whose interfaces make up `ElasticCiStackProps` (besides `cdk.StackProps`), in README order. */
export const OPTION_SOURCES = [
  fileURLToPath(new URL('./elastic-ci-stack-props.ts', import.meta.url)),
  fileURLToPath(new URL('./agent-fleet/agent-fleet-options.ts', import.meta.url)),
];

/** The interfaces `ElasticCiStackProps` extends (nested element types such as `ScheduledScalingAction` are not options). */
export const OPTION_INTERFACES = [
  'AgentTokenOptions',
  'ScalerOptions',
  'WebhookOptions',
  'LifecycleResourceOptions',
  'ObservabilityOptions',
  'AgentFleetOptions',
];

const INTERFACE = /export interface (\w+)[^{]*\{([\s\S]*?)\n\}/g;
const MEMBER = /\/\*\*([\s\S]*?)\*\/\s*readonly (\w+)(\??): ([^;]+);/g;

function cleanJsDoc(text: string): { description: string; defaultValue: string | undefined } {
  const lines = text
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trimEnd())
    .filter((line, index, all) => !(line === '' && (index === 0 || index === all.length - 1)));
  const defaultIndex = lines.findIndex((line) => line.startsWith('@default'));
  const descriptionLines = defaultIndex === -1 ? lines : lines.slice(0, defaultIndex);
  const defaultValue =
    defaultIndex === -1
      ? undefined
      : lines
          .slice(defaultIndex)
          .join(' ')
          .replace(/^@default\s*/, '')
          .replace(/^-\s*/, '')
          .trim();
  return { description: descriptionLines.join(' ').replace(/\s+/g, ' ').trim(), defaultValue };
}

/** Every option the stack props take, with its type, default and description, from the JSDoc in the sources. */
export function documentedOptions(sources: readonly string[] = OPTION_SOURCES): DocumentedOption[] {
  const options: DocumentedOption[] = [];
  for (const source of sources) {
    const text = readFileSync(source, 'utf8');
    for (const [, group = '', body = ''] of text.matchAll(INTERFACE)) {
      if (!OPTION_INTERFACES.includes(group)) continue;
      for (const [, jsDoc = '', name = '', optional, type = ''] of body.matchAll(MEMBER)) {
        const { description, defaultValue } = cleanJsDoc(jsDoc);
        options.push({
          name,
          type: type.replace(/\s*\|\s*undefined$/, '').replace(/\s+/g, ' '),
          optional: optional === '?',
          defaultValue,
          description,
          group,
        });
      }
    }
  }
  return options;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The README's option table (markdown), grouped by the declaring interface. */
export function optionsTable(options: readonly DocumentedOption[] = documentedOptions()): string {
  const rows = ['| option | type | default | what it does |', '| --- | --- | --- | --- |'];
  let group = '';
  for (const option of options) {
    if (option.group !== group) {
      group = option.group;
      rows.push(`| **${group}** | | | |`);
    }
    rows.push(
      `| \`${option.name}\` | \`${cell(option.type)}\` | ${cell(option.defaultValue ?? (option.optional ? '—' : 'required'))} | ${cell(option.description)} |`,
    );
  }
  return `${rows.join('\n')}\n`;
}

export const OPTIONS_TABLE_START =
  '<!-- options-table:start (generated from the props JSDoc: UPDATE_README=1 pnpm test) -->';
export const OPTIONS_TABLE_END = '<!-- options-table:end -->';

/** The README with its option table replaced by a freshly generated one. */
export function withOptionsTable(readme: string, table: string = optionsTable()): string {
  const start = readme.indexOf(OPTIONS_TABLE_START);
  const end = readme.indexOf(OPTIONS_TABLE_END);
  if (start === -1 || end === -1 || end < start) throw new Error('README has no options-table markers');
  return `${readme.slice(0, start + OPTIONS_TABLE_START.length)}\n${table}${readme.slice(end)}`;
}
