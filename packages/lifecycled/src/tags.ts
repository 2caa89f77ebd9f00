/**
 * Parses `--tags k=v,k2=v2` into SQS queue tags with Buildkite lifecycled's rules: pairs without `=` and empty keys are
 * skipped, whitespace is trimmed, a value may contain `=`, the last duplicate wins. Returns the problems instead of
 * throwing so the config parser can report them with every other bad field.
 */
export function parseTags(input: string): { tags: Record<string, string> | undefined; problems: string[] } {
  if (input === '') return { tags: undefined, problems: [] };
  const tags: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of input.split(',')) {
    const separator = pair.indexOf('=');
    if (separator < 0) continue;
    const key = pair.slice(0, separator).trim();
    const value = pair.slice(separator + 1).trim();
    if (key === '') continue;
    if ([...key].length > 128) problems.push(`tag key "${key.slice(0, 20)}…" is longer than 128 characters`);
    else if ([...value].length > 256) problems.push(`tag "${key}" has a value longer than 256 characters`);
    else if (key.toLowerCase().startsWith('aws:')) problems.push(`tag key "${key}" uses the reserved aws: prefix`);
    else tags[key] = value;
  }
  if (Object.keys(tags).length > 50) problems.push(`${Object.keys(tags).length} tags given, SQS allows at most 50`);
  return { tags, problems };
}
