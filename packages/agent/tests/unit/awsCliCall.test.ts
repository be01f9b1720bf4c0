import { describe, expect, it } from 'vitest';
import { awsCliCall } from '../../src/awsCliCall.js';

describe('awsCliCall', () => {
  it('reads the API call off an AWS CLI command line', () => {
    expect(awsCliCall(['aws', 'ec2', 'describe-instances', '--output', 'text'])).toBe('ec2:DescribeInstances');
    expect(
      awsCliCall(['/usr/bin/aws', '--region', 'ap-southeast-2', 'ecs', 'update-service', '--force-new-deployment']),
    ).toBe('ecs:UpdateService');
    expect(awsCliCall(['aws', 's3api', 'get-object', '--bucket', 'b'])).toBe('s3:GetObject');
    expect(awsCliCall(['aws', 'elbv2', 'describe-load-balancers'])).toBe('elasticloadbalancing:DescribeLoadBalancers');
  });

  it('gives nothing for other programs and for commands it cannot map', () => {
    expect(awsCliCall(['bash', '-c', 'aws ec2 describe-instances'])).toBeUndefined();
    expect(awsCliCall(['aws', 's3', 'cp', 'a', 's3://b/a'])).toBeUndefined();
    expect(awsCliCall(['aws', 'configure'])).toBeUndefined();
    expect(awsCliCall([])).toBeUndefined();
  });
});
