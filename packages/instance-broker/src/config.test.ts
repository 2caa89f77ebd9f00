import { describe, expect, it } from 'vitest';
import { FLEET_TAG_KEY, loadConfig } from './config';
import { ConfigurationError } from './errors';

const VALID = { AWS_REGION: 'eu-west-2', INSTANCE_ROLE_NAME: 'elastic-ci-agents-InstanceRole', FLEET_ID: 'ci-prod' };

describe('Function: loadConfig', () => {
  it('reads the region, the instance role name and the fleet id', () => {
    expect(loadConfig(VALID)).toEqual({
      ok: true,
      config: { region: 'eu-west-2', instanceRoleName: 'elastic-ci-agents-InstanceRole', fleetId: 'ci-prod' },
    });
  });

  it('names every missing variable and how to fix it in one error', () => {
    const result = loadConfig({});

    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(/AWS_REGION is required .*export AWS_REGION=us-east-1/);
    expect(error?.message).toMatch(/INSTANCE_ROLE_NAME is required: set it to the name \(not the ARN\)/);
    expect(error?.message).toMatch(new RegExp(`FLEET_ID is required: set it to the value of the ${FLEET_TAG_KEY} tag`));
  });

  it.each([
    ['AWS_REGION', 'US_EAST', /AWS_REGION must be an AWS region/],
    [
      'INSTANCE_ROLE_NAME',
      'arn:aws:iam::123456789012:role/agents',
      /INSTANCE_ROLE_NAME must be an IAM role name .*not an ARN/,
    ],
    ['INSTANCE_ROLE_NAME', 'path/agents', /INSTANCE_ROLE_NAME must be an IAM role name/],
    ['INSTANCE_ROLE_NAME', 'r'.repeat(65), /INSTANCE_ROLE_NAME must be an IAM role name/],
    ['FLEET_ID', '', /FLEET_ID must be a tag value/],
    ['FLEET_ID', 'f'.repeat(257), /FLEET_ID must be a tag value/],
    ['FLEET_ID', 'fleet;drop', /FLEET_ID must be a tag value/],
  ])('rejects %s=%s', (name, value, message) => {
    const result = loadConfig({ ...VALID, [name]: value });

    expect(result.ok ? '' : result.error.message).toMatch(message);
  });

  it('exports the fleet tag key every group of a fleet carries', () => {
    expect(FLEET_TAG_KEY).toBe('elastic-ci:fleet');
  });
});
