import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ElasticCiStackProps } from '../elastic-ci-stack-props.js';
import { validateElasticCiStackProps } from '../validate-elastic-ci-stack-props.js';
import {
  buildkiteParametersToConfig,
  isBuildkiteParameterDocument,
  parametersSettingField,
} from './buildkite-parameters.js';
import { configFieldsByProp, configToStackProps } from './config-to-stack-props.js';
import { StackConfigError } from './stack-config-error.js';
import { checkStackConfig, type StackConfig } from './stack-config-schema.js';

/** What a config file turned into. */
export interface LoadedStackConfig {
  readonly stackName: string;
  readonly props: ElasticCiStackProps;
  /** Which kind of file it was. */
  readonly format: 'typed-config' | 'buildkite-parameters';
  /** The typed config (for a Buildkite file: the one its parameters map to). */
  readonly config: StackConfig;
}

/** The stack name of a file that names none: `elastic-ci-<file name>`, trimmed to CloudFormation's rules. */
export function defaultStackName(path: string): string {
  const stem = basename(path, extname(path))
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `elastic-ci${stem === '' ? '' : `-${stem}`}`.slice(0, 128).replace(/-+$/, '');
}

/** JSON when the text starts like JSON, YAML otherwise (YAML would also read JSON, but JSON errors are clearer). */
export function parseConfigText(text: string, source: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed === '') throw StackConfigError.of(source, ['(file): is empty']);
  try {
    return trimmed.startsWith('{') || trimmed.startsWith('[') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The parsers quote the text near the error, which may hold the agent token: keep the position only.
    const message = error instanceof Error ? error.message : String(error);
    const position = /(line \d+(, column \d+)?|position \d+(?: \(line \d+ column \d+\))?)/.exec(message)?.[0];
    throw StackConfigError.of(
      source,
      [`(file): is neither valid JSON nor valid YAML${position === undefined ? '' : ` (at ${position})`}`],
      new Error('parse failed'),
    );
  }
}

/**
 * The construct's validators name props (`minSize`); say which config field, and which Buildkite parameter, that is.
 */
function withOrigin(problem: string, format: LoadedStackConfig['format']): string {
  const origins: string[] = [];
  for (const [prop, field] of configFieldsByProp()) {
    if (!new RegExp(`\\b${prop}\\b`).test(problem)) continue;
    const parameters = format === 'buildkite-parameters' ? parametersSettingField(field) : [];
    origins.push(parameters.length === 0 ? field : `${parameters.join('/')}`);
  }
  return origins.length === 0
    ? problem
    : `${problem} [${format === 'buildkite-parameters' ? 'parameter' : 'config'}: ${[...new Set(origins)].join(', ')}]`;
}

/**
 * The stack a config document describes: typed config or Buildkite parameter file, validated by the schema and by
 * the construct's own validators, so every problem comes out in one `StackConfigError`.
 */
export function stackConfigFromDocument(
  document: unknown,
  options: { source: string; defaultStackName: string },
): LoadedStackConfig {
  const format = isBuildkiteParameterDocument(document) ? 'buildkite-parameters' : 'typed-config';
  let config: StackConfig;
  if (format === 'buildkite-parameters') {
    config = buildkiteParametersToConfig(document, options.source);
  } else {
    const checked = checkStackConfig(document);
    if (checked.config === undefined) throw StackConfigError.of(options.source, checked.problems);
    config = checked.config;
  }
  const props = configToStackProps(config);
  const problems = validateElasticCiStackProps(props).map((problem) => withOrigin(problem, format));
  if (problems.length > 0) throw StackConfigError.of(options.source, problems);
  return { stackName: config.stackName ?? options.defaultStackName, props, format, config };
}

/**
 * Reads a config file: a typed config (JSON or YAML) or a Buildkite parameter file, told apart by content.
 * @throws StackConfigError naming every problem of the file
 */
export function loadStackConfig(path: string): LoadedStackConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw StackConfigError.of(
      path,
      [`(file): cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
      error,
    );
  }
  return stackConfigFromDocument(parseConfigText(text, path), {
    source: path,
    defaultStackName: defaultStackName(path),
  });
}
