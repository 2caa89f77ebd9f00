import type { Template } from 'aws-cdk-lib/assertions';
import { onlyResource } from './synth-fleet.js';

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::StackName': 'FleetTest',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Evaluates the intrinsics user data is made of (`Fn::Base64`, `Fn::Join`, `Ref`, `Fn::GetAtt`) the way
 * CloudFormation would, with fixed pseudo parameters and a placeholder per resource (its logical id in lower case,
 * a valid bucket name; `Fn::GetAtt` gives `<id>.<attribute>` lower-cased, or an https URL for a function URL).
 */
export function evaluateIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const [[name, argument]] = Object.entries(value) as [[string, unknown]];
    if (name === 'Fn::Base64') return evaluateIntrinsics(argument);
    if (name === 'Fn::Join') {
      const [separator, parts] = argument as [string, unknown[]];
      return parts.map(evaluateIntrinsics).join(separator);
    }
    if (name === 'Ref') {
      const reference = argument as string;
      return PSEUDO_PARAMETERS[reference] ?? reference.toLowerCase();
    }
    if (name === 'Fn::GetAtt') {
      const [resource, attribute] = argument as [string, string];
      // A function URL as Lambda makes them (32 lowercase letters and digits): the contract accepts only https URLs.
      if (attribute === 'FunctionUrl') {
        return `https://${resource
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '')
          .padEnd(32, '0')
          .slice(0, 32)}.lambda-url.us-east-1.on.aws/`;
      }
      return `${resource}.${attribute}`.toLowerCase();
    }
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)} in user data`);
}

/** The launch template's user data as an instance would receive it (base64 decoded by EC2). */
export function launchTemplateUserData(template: Template): string {
  const { properties } = onlyResource(template, 'AWS::EC2::LaunchTemplate');
  const data = properties.LaunchTemplateData as { UserData: unknown };
  return evaluateIntrinsics(data.UserData);
}
