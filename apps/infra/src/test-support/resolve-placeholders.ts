/**
 * Replaces CloudFormation intrinsics in a template value with realistic deploy-time values, so a Lambda's
 * `Environment.Variables` can be fed to its package's own config parser as Lambda would see them.
 */
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::AccountId': ACCOUNT,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'elastic-ci-test',
  'AWS::StackId': `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/elastic-ci-test/0d7e5b70-0000-11ee-be56-0242ac120002`,
};

/** What `Ref` returns for each resource type the control plane references (names, as CloudFormation generates them). */
function refValue(logicalId: string, type: string | undefined): string {
  const generated = `elastic-ci-test-${logicalId.slice(0, 40)}-1A2B3C4D5E6F`;
  switch (type) {
    case 'AWS::SSM::Parameter':
      return `CFN-${logicalId}-1A2B3C4D5E6F`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbC123`;
    case 'AWS::S3::Bucket':
      // Bucket names CloudFormation generates are lowercase (S3 allows nothing else).
      return `elastic-ci-test-${logicalId.slice(0, 30)}-1a2b3c4d5e6f`.toLowerCase();
    case 'AWS::IAM::Role':
      // IAM role names are at most 64 characters: CloudFormation shortens the stack-and-logical-id part to fit.
      return `${generated.slice(0, generated.lastIndexOf('-')).slice(0, 64 - 13)}-1A2B3C4D5E6F`;
    case 'AWS::AutoScaling::AutoScalingGroup':
    case 'AWS::DynamoDB::Table':
    case 'AWS::Lambda::Function':
    case 'AWS::Logs::LogGroup':
      return generated;
    default:
      throw new Error(`no placeholder for Ref ${logicalId} (${type ?? 'not a resource'}): add one`);
  }
}

function getAttValue(logicalId: string, attribute: string, type: string | undefined): string {
  if (attribute === 'Arn') {
    const service = (type ?? 'AWS::Unknown::X').split('::')[1]?.toLowerCase() ?? 'unknown';
    return `arn:aws:${service}:${REGION}:${ACCOUNT}:${logicalId}`;
  }
  if (attribute === 'FunctionUrl' && type === 'AWS::Lambda::Url') {
    // Lambda's form: a 32-character id of lowercase letters and digits.
    const id = logicalId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .padEnd(32, '0')
      .slice(0, 32);
    return `https://${id}.lambda-url.${REGION}.on.aws/`;
  }
  throw new Error(`no placeholder for Fn::GetAtt ${logicalId}.${attribute}: add one`);
}

export function resolvePlaceholders(value: unknown, resources: Record<string, { Type: string }>): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => resolvePlaceholders(item, resources));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, argument] = entries[0] as [string, unknown];
    if (key === 'Ref') {
      const name = argument as string;
      return PSEUDO_PARAMETERS[name] ?? refValue(name, resources[name]?.Type);
    }
    if (key === 'Fn::GetAtt') {
      const [logicalId, attribute] = argument as [string, string];
      return getAttValue(logicalId, attribute, resources[logicalId]?.Type);
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map((part) => String(resolvePlaceholders(part, resources))).join(separator);
    }
    if (key === 'Fn::Select') {
      const [index, list] = argument as [number, unknown];
      return (resolvePlaceholders(list, resources) as unknown[])[index];
    }
    if (key === 'Fn::Split') {
      const [separator, source] = argument as [string, unknown];
      return String(resolvePlaceholders(source, resources)).split(separator);
    }
    if (key.startsWith('Fn::')) throw new Error(`no placeholder for ${key}: add one`);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolvePlaceholders(item, resources)]));
}

/** The environment Lambda itself adds to every function (the parsers of the custom resources read AWS_REGION). */
export const LAMBDA_RUNTIME_ENVIRONMENT: Record<string, string> = {
  AWS_REGION: REGION,
  AWS_LAMBDA_FUNCTION_NAME: 'elastic-ci-test-function',
};
