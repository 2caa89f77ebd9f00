import * as z from 'zod';
import { bootContractSchema } from './boot-contract.js';

/** One documented field of the boot contract, as the README table and the tests see it. */
export interface BootContractField {
  /** Dotted path; `[]` stands for every entry of a list, `(kind …)` for one shape of a choice. */
  path: string;
  /** Type and allowed values, in words. */
  type: string;
  /** Whether a document must set it (when its section is present). */
  required: boolean;
  /** JSON of the default, when there is one. */
  defaultValue: string | undefined;
  description: string;
  /** Whether it holds a value rather than more fields. */
  leaf: boolean;
}

interface JsonSchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  oneOf?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
}

function typeOf(node: JsonSchemaNode): string {
  if (node.oneOf !== undefined || node.anyOf !== undefined) return 'one of the shapes below';
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum !== undefined) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (node.type === 'integer' || node.type === 'number') {
    const range = node.minimum !== undefined && node.maximum !== undefined ? ` ${node.minimum}–${node.maximum}` : '';
    return `${node.type}${range}`;
  }
  if (node.type === 'array') {
    const bound = node.maxItems !== undefined ? ` (at most ${node.maxItems})` : '';
    const item = node.items?.type === 'object' ? 'objects' : `${node.items ? typeOf(node.items) : 'value'}s`;
    return `list of ${item}${bound}`;
  }
  if (node.type === 'object') return 'section';
  return node.type ?? 'value';
}

function walk(node: JsonSchemaNode, path: string, required: boolean, into: BootContractField[]): void {
  const leaf = node.type !== 'object' && !(node.type === 'array' && node.items?.type === 'object');
  const choices = node.oneOf ?? node.anyOf;
  if (path !== '') {
    into.push({
      path,
      type: typeOf(node),
      required,
      defaultValue:
        node.default === undefined || (node.type === 'object' && JSON.stringify(node.default) === '{}')
          ? undefined
          : JSON.stringify(node.default),
      description: node.description ?? '',
      leaf: leaf && choices === undefined,
    });
  }
  if (choices !== undefined) {
    for (const choice of choices) {
      const kind = choice.properties?.kind?.const;
      for (const [key, child] of Object.entries(choice.properties ?? {})) {
        if (key === 'kind') continue;
        walk(child, `${path}.${key} (kind ${JSON.stringify(kind)})`, true, into);
      }
    }
    return;
  }
  if (node.type === 'array' && node.items?.type === 'object') {
    walk({ ...node.items, description: '' }, `${path}[]`, true, []);
    for (const [key, child] of Object.entries(node.items.properties ?? {})) {
      walk(child, `${path}[].${key}`, node.items.required?.includes(key) ?? false, into);
    }
    return;
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    walk(child, path === '' ? key : `${path}.${key}`, node.required?.includes(key) ?? false, into);
  }
}

/** Every field of the boot contract, in schema order, read from the schema itself. */
export function bootContractFields(): BootContractField[] {
  const fields: BootContractField[] = [];
  walk(z.toJSONSchema(bootContractSchema, { io: 'input' }) as JsonSchemaNode, '', true, fields);
  return fields;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown table of every field that the package README carries (regenerate with `pnpm run readme`). */
export function bootContractFieldsTable(): string {
  const rows = bootContractFields().map((field) => {
    const fallback =
      field.defaultValue === undefined ? (field.required ? '**required**' : '—') : `\`${field.defaultValue}\``;
    return `| \`${field.path}\` | ${cell(field.type)} | ${fallback} | ${cell(field.description)} |`;
  });
  return ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
