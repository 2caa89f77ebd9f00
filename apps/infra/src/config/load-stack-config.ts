import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import type { ElasticCiStackProps } from '../elastic-ci-stack-props.js';
import { validateElasticCiStackProps } from '../validate-elastic-ci-stack-props.js';
import {
  isBuildkiteParameterDocument,
  mapBuildkiteParameters,
  parametersSettingField,
} from './buildkite-parameters.js';
import { configFieldsByProp, configToStackProps } from './config-to-stack-props.js';
import { StackConfigError } from './stack-config-error.js';
import {
  checkStackConfig,
  issuePath,
  MAX_STACK_NAME_LENGTH,
  refusedField,
  type StackConfig,
  type StackConfigRefusal,
  withoutFields,
} from './stack-config-schema.js';

/** What a config file turned into. */
export interface LoadedStackConfig {
  readonly stackName: string;
  readonly props: ElasticCiStackProps;
  /** Which kind of file it was. */
  readonly format: 'typed-config' | 'buildkite-parameters';
  /** The typed config (for a Buildkite file: the one its parameters map to). */
  readonly config: StackConfig;
}

/** The stack name of a file that names none: `elastic-ci-<file name>`, trimmed to what the stack can build. */
export function defaultStackName(path: string): string {
  const stem = basename(path, extname(path))
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `elastic-ci${stem === '' ? '' : `-${stem}`}`.slice(0, MAX_STACK_NAME_LENGTH).replace(/-+$/, '');
}

/** What a YAML issue means for a config, never quoting the text (it may hold the agent token). */
const YAML_ISSUES: Readonly<Record<string, string>> = {
  TAG_RESOLVE_FAILED:
    'YAML tags such as !Ref are not supported (a config holds plain values, no CloudFormation functions); remove the tag',
  DUPLICATE_KEY: 'a key is given twice; keep one',
};

/**
 * YAML into plain data. yaml's `parse` prints its warnings (an unknown tag) with the offending line on stderr and
 * reads the tagged value as a plain string; here every error and warning becomes a problem naming its line instead.
 */
function parseYamlText(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, logLevel: 'silent' });
  if (documents.length === 0) throw StackConfigError.of(source, ['(file): is empty (only comments)']);
  if (documents.length > 1) {
    throw StackConfigError.of(source, [
      `(file): holds ${documents.length} YAML documents (separated by ---); keep one`,
    ]);
  }
  const [document] = documents as [(typeof documents)[number]];
  const issues: YAMLError[] = [...document.errors, ...document.warnings];
  const problems = issues.map((issue) => {
    const { line, col } = lineCounter.linePos(issue.pos[0]);
    const known = YAML_ISSUES[issue.code];
    return known === undefined
      ? `(file): is neither valid JSON nor valid YAML (at line ${line}, column ${col})`
      : `(file): line ${line}, column ${col}: ${known}`;
  });
  if (problems.length > 0) throw StackConfigError.of(source, [...new Set(problems)], new Error('parse failed'));
  try {
    return document.toJS();
  } catch {
    // An alias without its anchor; the message names the alias, which is the file's text.
    throw StackConfigError.of(source, ['(file): is neither valid JSON nor valid YAML (an alias has no anchor)']);
  }
}

/**
 * A YAML flow document (`{stackName: ci, scaling: {maxSize: 20}}`) starts like JSON but is not JSON: its data when it
 * is clean YAML (one document, no error or warning), else `undefined`.
 */
function cleanYamlFlowDocument(text: string): { data: unknown } | undefined {
  const documents = parseAllDocuments(text, { prettyErrors: false, logLevel: 'silent' });
  const [document] = documents;
  if (documents.length !== 1 || document === undefined) return undefined;
  if (document.errors.length > 0 || document.warnings.length > 0) return undefined;
  try {
    return { data: document.toJS() };
  } catch {
    return undefined;
  }
}

/**
 * JSON when the text starts like JSON, YAML otherwise (YAML would also read JSON, but JSON errors are clearer); text
 * that starts like JSON but is a YAML flow document is read as YAML.
 */
export function parseConfigText(fileText: string, source: string): unknown {
  // A UTF-8 byte order mark (Windows tools write one) is no part of the document; JSON.parse refuses it.
  const text = fileText.startsWith('\uFEFF') ? fileText.slice(1) : fileText;
  const trimmed = text.trimStart();
  if (trimmed === '') throw StackConfigError.of(source, ['(file): is empty']);
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return parseYamlText(text, source);
  try {
    return JSON.parse(text);
  } catch (error) {
    const flow = cleanYamlFlowDocument(text);
    if (flow !== undefined) return flow.data;
    // The parser quotes the text near the error, which may hold the agent token: keep the position only.
    const message = error instanceof Error ? error.message : String(error);
    const position = /(line \d+(, column \d+)?|position \d+(?: \(line \d+ column \d+\))?)/.exec(message)?.[0];
    throw StackConfigError.of(
      source,
      [`(file): is neither valid JSON nor valid YAML${position === undefined ? '' : ` (at ${position})`}`],
      new Error('parse failed'),
    );
  }
}

/** The config fields (or, from a Buildkite file, the parameters) a construct problem names by their props. */
function originsOf(problem: string, format: LoadedStackConfig['format']): { fields: string[]; shown: string[] } {
  const fields: string[] = [];
  const shown: string[] = [];
  for (const [prop, field] of configFieldsByProp()) {
    if (!new RegExp(`\\b${prop}\\b`).test(problem)) continue;
    fields.push(field);
    const parameters = format === 'buildkite-parameters' ? parametersSettingField(field) : [];
    shown.push(parameters.length === 0 ? field : `${parameters.join('/')}`);
  }
  return { fields, shown: [...new Set(shown)] };
}

/**
 * The construct's validators name props (`minSize`); say which config field, and which Buildkite parameter, that is.
 */
function withOrigin(problem: string, format: LoadedStackConfig['format']): string {
  const { shown } = originsOf(problem, format);
  return shown.length === 0
    ? problem
    : `${problem} [${format === 'buildkite-parameters' ? 'parameter' : 'config'}: ${shown.join(', ')}]`;
}

/** The construct's problems with a config, each with the config field (or parameter) it concerns. */
function constructProblems(config: StackConfig, format: LoadedStackConfig['format']): string[] {
  return validateElasticCiStackProps(configToStackProps(config)).map((problem) => withOrigin(problem, format));
}

/**
 * Every problem of a typed config the schema refused: the schema's, then the construct's about the fields the schema
 * accepted, so one run lists everything to fix (a construct problem about a refused field would only repeat it).
 */
function refusedTypedConfigProblems(document: unknown, refusal: StackConfigRefusal): string[] {
  const refusedPaths = refusal.refusedPaths.map(refusedField);
  const rest = refusedPaths.some((path) => path.length === 0) ? undefined : withoutFields(document, refusedPaths);
  const checkedRest = rest === undefined ? undefined : checkStackConfig(rest);
  if (checkedRest?.config === undefined) return refusal.problems;
  return [...refusal.problems, ...problemsBesides(checkedRest.config, refusedPaths.map(issuePath), 'typed-config')];
}

/** The construct's problems with a config, but those about a field already refused (they would only repeat it). */
function problemsBesides(
  config: StackConfig,
  refusedFields: readonly string[],
  format: LoadedStackConfig['format'],
): string[] {
  const concernsRefused = (problem: string) =>
    originsOf(problem, format).fields.some((field) =>
      refusedFields.some(
        (refused) => field === refused || field.startsWith(`${refused}.`) || refused.startsWith(`${field}.`),
      ),
    );
  return validateElasticCiStackProps(configToStackProps(config))
    .filter((problem) => !concernsRefused(problem))
    .map((problem) => withOrigin(problem, format));
}

const CONFIG_SHAPES =
  'a typed config (an object of sections: stackName, buildkite, scaling …) or a Buildkite parameter file ([{"ParameterKey": …, "ParameterValue": …}])';

/**
 * What the document is when it is no config at all, said once instead of a problem per entry ("entry 1: needs a
 * ParameterKey") or a bare "must be an object"; undefined when it has a config's shape.
 */
function shapeProblem(document: unknown): string | undefined {
  if (document === null || document === undefined) return '(file): holds no settings (the document is null)';
  if (Array.isArray(document)) {
    const isEntry = (entry: unknown) =>
      typeof entry === 'object' && entry !== null && ('ParameterKey' in entry || 'ParameterValue' in entry);
    return document.length > 0 && !document.some(isEntry)
      ? '(file): is a list but not a Buildkite parameter file (entries {"ParameterKey": …, "ParameterValue": …}); a typed config is an object of sections (stackName, buildkite, scaling …)'
      : undefined;
  }
  return typeof document === 'object'
    ? undefined
    : `(file): is a single value, not a config: write ${CONFIG_SHAPES}; Key=Value lines are not read`;
}

/**
 * The stack a config document describes: typed config or Buildkite parameter file, validated by the schema and by
 * the construct's own validators, so every problem comes out in one `StackConfigError`.
 */
export function stackConfigFromDocument(
  document: unknown,
  options: { source: string; defaultStackName: string },
): LoadedStackConfig {
  const shape = shapeProblem(document);
  if (shape !== undefined) throw StackConfigError.of(options.source, [shape]);
  const format = isBuildkiteParameterDocument(document) ? 'buildkite-parameters' : 'typed-config';
  let config: StackConfig;
  if (format === 'buildkite-parameters') {
    const mapping = mapBuildkiteParameters(document);
    if (mapping.problems.length > 0 || mapping.config === undefined) {
      const others = mapping.config === undefined ? [] : problemsBesides(mapping.config, mapping.refusedFields, format);
      throw StackConfigError.of(options.source, [...mapping.problems, ...others]);
    }
    config = mapping.config;
  } else {
    const checked = checkStackConfig(document);
    if (checked.config === undefined) {
      throw StackConfigError.of(options.source, refusedTypedConfigProblems(document, checked));
    }
    config = checked.config;
  }
  const problems = constructProblems(config, format);
  if (problems.length > 0) throw StackConfigError.of(options.source, problems);
  return { stackName: config.stackName ?? options.defaultStackName, props: configToStackProps(config), format, config };
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
