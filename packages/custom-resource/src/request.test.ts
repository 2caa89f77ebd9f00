import { describe, expect, it } from 'vitest';
import { parseCustomResourceRequest } from './request';
import { customResourceEvent } from './sample-events';

const URL_OK = 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc';

describe('Function: parseCustomResourceRequest', () => {
  it.each(['Create', 'Update', 'Delete'] as const)('accepts a well-formed %s event', (requestType) => {
    // Prepare
    const event = customResourceEvent(requestType, { ResponseURL: URL_OK });

    // Act
    const parsed = parseCustomResourceRequest(event);

    // Assess
    expect(parsed.ok).toBe(true);
    expect(parsed.address?.responseUrl).toBe(URL_OK);
    expect(parsed.address?.physicalResourceId).toBe(requestType === 'Create' ? undefined : 'example-physical-id');
  });

  it.each([
    ['RequestId is missing', { RequestId: undefined }, /RequestId/],
    ['RequestType is unknown', { RequestType: 'Upgrade' }, /RequestType/],
    ['ResourceProperties is a string', { ResourceProperties: 'AutoScalingGroupName=x' }, /ResourceProperties/],
    ['StackId is a number', { StackId: 42 }, /StackId/],
    ['LogicalResourceId is empty', { LogicalResourceId: '' }, /LogicalResourceId/],
  ])('keeps an answer address when %s', (_case, overrides, problem) => {
    const event = customResourceEvent('Create', { ResponseURL: URL_OK, ...overrides });

    const parsed = parseCustomResourceRequest(event);

    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
    expect(parsed.address?.responseUrl).toBe(URL_OK);
  });

  it('accepts a documented event without ServiceToken', () => {
    const parsed = parseCustomResourceRequest(
      customResourceEvent('Delete', { ResponseURL: URL_OK, ServiceToken: undefined }),
    );

    expect(parsed.ok).toBe(true);
  });

  it('names every bad field in one message', () => {
    const event = customResourceEvent('Update', {
      ResponseURL: URL_OK,
      OldResourceProperties: undefined,
      PhysicalResourceId: undefined,
      ServiceToken: 7,
    });

    const parsed = parseCustomResourceRequest(event);

    expect(parsed.ok ? '' : parsed.problem).toMatch(/ServiceToken.*PhysicalResourceId.*OldResourceProperties/);
  });

  it.each([
    ['null', null],
    ['a string', 'Create'],
    ['a number', 42],
    ['an array', [URL_OK]],
    ['an object without ResponseURL', { RequestType: 'Create' }],
    ['a ResponseURL that is not a URL', { ResponseURL: 'not a url' }],
    ['a plain-http ResponseURL off loopback', { ResponseURL: 'http://example.com/x' }],
  ])('finds no answer address in %s', (_case, event) => {
    const parsed = parseCustomResourceRequest(event);

    expect(parsed.ok).toBe(false);
    expect(parsed.address).toBeUndefined();
  });

  it('salvages the identifiers of a malformed event and drops wrongly typed ones', () => {
    const parsed = parseCustomResourceRequest({
      ResponseURL: 'http://127.0.0.1:9/x',
      RequestType: 'Delete',
      StackId: 'stack-arn',
      RequestId: 12,
      PhysicalResourceId: 'physical',
    });

    expect(parsed.address).toEqual({
      responseUrl: 'http://127.0.0.1:9/x',
      stackId: 'stack-arn',
      requestId: '',
      logicalResourceId: '',
      physicalResourceId: 'physical',
      requestType: 'Delete',
    });
  });
});
