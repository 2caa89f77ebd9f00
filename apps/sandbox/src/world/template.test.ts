import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bootContractFromUserData,
  functionCalledBy,
  parseTemplate,
  rateSeconds,
  referencedLogicalIds,
  resolveIntrinsics,
  TemplateError,
} from './template';

const context = {
  region: 'eu-west-1',
  accountId: '123456789012',
  stackName: 'stack',
  refs: new Map([
    ['Group', 'stack-Group-ABC'],
    ['Table', 'stack-Table-DEF'],
  ]),
  attributes: new Map([['Table.Arn', 'arn:aws:dynamodb:eu-west-1:123456789012:table/stack-Table-DEF']]),
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
};

describe('resolveIntrinsics', () => {
  it('resolves Ref, GetAtt, Join, Select/GetAZs, Sub and pseudo parameters as CloudFormation would', () => {
    expect(
      resolveIntrinsics(
        {
          name: { Ref: 'Group' },
          arn: { 'Fn::GetAtt': ['Table', 'Arn'] },
          joined: { 'Fn::Join': ['/', ['a', { Ref: 'AWS::Region' }, { Ref: 'Table' }]] },
          zone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
          sub: { 'Fn::Sub': 'cdk-${AWS::AccountId}-${AWS::Region}-${Group}' },
          list: [{ Ref: 'AWS::StackName' }, 3, true],
        },
        context,
      ),
    ).toEqual({
      name: 'stack-Group-ABC',
      arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/stack-Table-DEF',
      joined: 'a/eu-west-1/stack-Table-DEF',
      zone: 'eu-west-1b',
      sub: 'cdk-123456789012-eu-west-1-stack-Group-ABC',
      list: ['stack', 3, true],
    });
  });

  it('encodes Fn::Base64 of a joined user data', () => {
    const encoded = resolveIntrinsics(
      { 'Fn::Base64': { 'Fn::Join': ['', ['#!/bin/bash\n', { Ref: 'Group' }]] } },
      context,
    );
    expect(Buffer.from(String(encoded), 'base64').toString('utf8')).toBe('#!/bin/bash\nstack-Group-ABC');
  });

  it('refuses unknown references and unsupported intrinsics by name', () => {
    expect(() => resolveIntrinsics({ Ref: 'Missing' }, context)).toThrow(/Ref Missing/);
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Group', 'Nope'] }, context)).toThrow(/Group\.Nope/);
    expect(() => resolveIntrinsics({ 'Fn::If': ['c', 1, 2] }, context)).toThrow(TemplateError);
  });

  it('leaves values without intrinsics unchanged', () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(
          fc.string().filter((key) => !key.startsWith('Fn::') && key !== 'Ref'),
          tie('value'),
          {
            maxKeys: 3,
          },
        ),
      ),
    })).value;
    fc.assert(
      fc.property(plain, (value) => {
        expect(resolveIntrinsics(value, context)).toEqual(value);
      }),
    );
  });
});

describe('template helpers', () => {
  it('finds the logical ids a value references', () => {
    expect([
      ...referencedLogicalIds({ a: { Ref: 'Group' }, b: [{ 'Fn::GetAtt': 'Table.Arn' }, { Ref: 'AWS::Region' }] }),
    ]).toEqual(['Group', 'Table']);
  });

  it('reads EventBridge rates in seconds and refuses other schedules', () => {
    expect(rateSeconds('rate(1 minute)')).toBe(60);
    expect(rateSeconds('rate(5 minutes)')).toBe(300);
    expect(rateSeconds('rate(2 hours)')).toBe(7200);
    expect(() => rateSeconds('cron(0 * * * ? *)')).toThrow(TemplateError);
  });

  it('reads the boot contract from the user data heredoc', () => {
    const userData = `#!/bin/bash\ncat > /etc/elastic-ci/boot-contract.json <<'ELASTIC_CI_BOOT_CONTRACT'\n{"agent":{"queue":"q"}}\nELASTIC_CI_BOOT_CONTRACT\nexec boot\n`;
    expect(bootContractFromUserData(userData)).toEqual({ agent: { queue: 'q' } });
    expect(() => bootContractFromUserData('#!/bin/bash\n')).toThrow(/no boot contract/);
  });

  it('finds the function a resource calls and rejects a template without resources', () => {
    const template = parseTemplate(
      JSON.stringify({
        Resources: {
          Fn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'lambda.handler', Timeout: 900 } },
          Stop: { Type: 'Custom::StopAgents', Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
        },
      }),
    );
    expect(functionCalledBy(template, 'Custom::StopAgents')).toMatchObject({ logicalId: 'Fn', timeoutSec: 900 });
    expect(() => parseTemplate('{"Outputs":{}}')).toThrow(TemplateError);
    expect(() => parseTemplate('not json')).toThrow(/not JSON/);
  });
});
