// Checks for `AWS::AutoScaling::ScheduledAction` recurrences and time zones, so a typo fails the synth instead of the
// deploy (CloudFormation only reports the first bad action, after the group already exists).

interface CronField {
  readonly name: string;
  readonly minimum: number;
  readonly maximum: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', minimum: 0, maximum: 59 },
  { name: 'hour', minimum: 0, maximum: 23 },
  { name: 'day of month', minimum: 1, maximum: 31 },
  { name: 'month', minimum: 1, maximum: 12, names: MONTH_NAMES },
  // 7 is Sunday too, as in Unix cron.
  { name: 'day of week', minimum: 0, maximum: 7, names: DAY_NAMES },
];

function fieldValue(text: string, field: CronField): number | undefined {
  const nameIndex = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (nameIndex >= 0) return field.minimum + nameIndex;
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const value = Number(text);
  return value >= field.minimum && value <= field.maximum ? value : undefined;
}

function fieldProblem(text: string, field: CronField): string | undefined {
  const allowed = `${field.minimum}-${field.maximum}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
  const problem = `${field.name} "${text}" is not *, a value, a range, a list or a step of ${allowed}`;
  for (const part of text.split(',')) {
    const [range = '', step, ...extra] = part.split('/');
    if (extra.length > 0) return problem;
    if (step !== undefined && !(/^\d{1,2}$/.test(step) && Number(step) > 0)) return problem;
    if (range === '*') continue;
    const [start = '', end, ...more] = range.split('-');
    if (more.length > 0) return problem;
    const first = fieldValue(start, field);
    if (first === undefined) return problem;
    if (end !== undefined) {
      const last = fieldValue(end, field);
      if (last === undefined || last < first) return problem;
    }
  }
  return undefined;
}

/** Problems with a 5-field Unix cron expression (`minute hour day-of-month month day-of-week`); empty when valid. */
export function cronProblems(expression: string): string[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return [
      `"${expression}" has ${fields.length} fields; a schedule needs 5: minute hour day-of-month month day-of-week, e.g. "0 8 * * MON-FRI"`,
    ];
  }
  return fields.flatMap((text, index) => {
    const field = CRON_FIELDS[index];
    const problem = field === undefined ? undefined : fieldProblem(text, field);
    return problem === undefined ? [] : [problem];
  });
}

// Intl lists ICU's canonical names, which lag IANA's (it has Asia/Calcutta, not Asia/Kolkata; Europe/Kiev, not
// Europe/Kyiv), and matches names case-insensitively. So: a listed name, UTC, or a properly capitalized
// Area/Location name that Intl resolves to a listed zone (a current IANA name whose ICU name is older).
const UTC_ALIASES = ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT'];
const AREA_LOCATION =
  /^(Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific)(\/[A-Z][A-Za-z0-9_+-]*){1,2}$/;
// Fixed offsets, which Intl does not list: Etc/GMT-14 … Etc/GMT+12 (the sign is inverted, as in IANA).
const ETC_OFFSET = /^Etc\/GMT([+-]([0-9]|1[0-2])|-1[34])$/;
let listedTimeZones: ReadonlySet<string> | undefined;

function resolvedTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Whether `timeZone` is an IANA time zone name (`Europe/Berlin`, `Asia/Kolkata`, `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  listedTimeZones ??= new Set([...Intl.supportedValuesOf('timeZone'), ...UTC_ALIASES]);
  if (listedTimeZones.has(timeZone) || ETC_OFFSET.test(timeZone)) return true;
  if (!AREA_LOCATION.test(timeZone)) return false;
  const resolved = resolvedTimeZone(timeZone);
  return resolved !== undefined && listedTimeZones.has(resolved);
}
