import type { CustomResourceRequest } from './request';

type RequestType = CustomResourceRequest['RequestType'];

/** A well-formed custom-resource event of the given type, as CloudFormation sends it; override any field. */
export function customResourceEvent(
  requestType: RequestType,
  overrides: Record<string, unknown> & { ResponseURL: string },
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:elastic-ci-custom-resource',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/elastic-ci/5b6a6a40-0000-11f0-8000-0a1b2c3d4e5f',
    RequestId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
    ResourceType: 'Custom::Example',
    LogicalResourceId: 'Example',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:elastic-ci-custom-resource' },
  };
  if (requestType !== 'Create') base.PhysicalResourceId = 'example-physical-id';
  if (requestType === 'Update') base.OldResourceProperties = {};
  return { ...base, ...overrides };
}
