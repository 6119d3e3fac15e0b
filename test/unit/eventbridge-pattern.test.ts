/**
 * The EventBridge pattern matcher, case by case from the AWS EventBridge user guide ("Event patterns",
 * "Content filtering in Amazon EventBridge event patterns", "Arrays", "Null values") and the limits
 * AWS enforces when it validates a pattern.
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError } from '../../lambdas/core/errors.ts';
import {
  compileEventPattern,
  matchesEventPattern,
  parseEventPattern,
  validateEventPattern,
} from '../../lambdas/local/eventbridge/pattern.ts';

/** The EC2 example event of the user guide. */
const ec2 = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

/** An event whose `detail` is `detail`. */
const withDetail = (detail: unknown) => ({ ...ec2, detail });
/** Whether `pattern` on `detail.<field>` matches an event whose detail holds `detail`. */
const onField = (field: string, values: unknown[], detail: Record<string, unknown>) =>
  matchesEventPattern({ detail: { [field]: values } }, withDetail(detail));

/** The reason AWS would give for rejecting `pattern` (fails the test when the pattern is accepted). */
function rejection(pattern: unknown): string {
  try {
    validateEventPattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect((error as InvalidEventPatternError).code).toBe('InvalidEventPatternException');
    return (error as Error).message;
  }
  return expect.fail(`accepted: ${JSON.stringify(pattern)}`);
}

describe('exact values', () => {
  it('matches the fields named in the pattern and ignores the others (the guide’s EC2 example)', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesEventPattern(pattern, ec2)).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ state: 'running' }))).toBe(false);
    expect(matchesEventPattern(pattern, { ...ec2, source: 'aws.s3' })).toBe(false);
  });

  it('a field the event lacks fails the pattern; so does a different nesting', () => {
    expect(matchesEventPattern({ detail: { colour: ['red'] } }, ec2)).toBe(false);
    expect(matchesEventPattern({ state: ['terminated'] }, ec2)).toBe(false);
    expect(matchesEventPattern({ detail: { state: { name: ['terminated'] } } }, ec2)).toBe(false);
  });

  it('strings match character by character: case, whitespace and emoji count', () => {
    expect(onField('s', ['Terminated'], { s: 'terminated' })).toBe(false);
    expect(onField('s', ['terminated '], { s: 'terminated' })).toBe(false);
    expect(onField('s', ['rocket 🚀 '], { s: 'rocket 🚀 ' })).toBe(true);
    expect(matchesEventPattern({ MY_KEY: ['v'] }, { my_key: 'v' })).toBe(false);
  });

  it('the values of a field are alternatives (OR); fields are all required (AND)', () => {
    expect(matchesEventPattern({ source: ['aws.ec2', 'aws.fargate'] }, ec2)).toBe(true);
    expect(matchesEventPattern({ source: ['aws.s3', 'aws.fargate'] }, ec2)).toBe(false);
    expect(matchesEventPattern({ source: ['aws.ec2'], region: ['us-east-1'] }, ec2)).toBe(false);
  });

  it('numbers compare by value (300 = 300.0 = 3.0e2) and never equal a string', () => {
    expect(onField('n', [300], { n: 300.0 })).toBe(true);
    expect(onField('n', [3.0e2], { n: 300 })).toBe(true);
    expect(onField('n', [301.8], { n: 301.8 })).toBe(true);
    expect(onField('n', [300], { n: '300' })).toBe(false);
    expect(onField('n', ['300'], { n: 300 })).toBe(false);
    expect(onField('account', [123456789012], { account: 123456789012 })).toBe(true);
  });

  it('true, false and null match themselves only', () => {
    expect(onField('b', [false], { b: false })).toBe(true);
    expect(onField('b', [false], { b: true })).toBe(false);
    expect(onField('b', [true], { b: 'true' })).toBe(false);
    expect(onField('b', [false], { b: 0 })).toBe(false);
  });

  it('null and the empty string are different values (the guide’s null-values page)', () => {
    const event = withDetail({ eventVersion: '', responseElements: null });
    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(onField('r', [null], { r: 'null' })).toBe(false);
  });

  it('a JSON string holding an object is a string, not an object', () => {
    const event = { ...ec2, detail: '{"state": "terminated"}' };
    expect(matchesEventPattern({ detail: { state: ['terminated'] } }, event)).toBe(false);
  });
});

describe('arrays in the event', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
    ],
  };

  it('match when the pattern’s values and the event’s array intersect', () => {
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(matchesEventPattern(pattern, { resources: [event.resources[0]] })).toBe(false);
  });

  it('an empty array holds no value: nothing matches it, not even [null]', () => {
    expect(matchesEventPattern(pattern, { resources: [] })).toBe(false);
    expect(matchesEventPattern({ resources: [null] }, { resources: [] })).toBe(false);
    expect(matchesEventPattern({ resources: [null] }, { resources: [null] })).toBe(true);
  });

  it('nested arrays are crushed into values of the same field', () => {
    expect(matchesEventPattern({ tags: ['b'] }, { tags: [['a'], ['b', 'c']] })).toBe(true);
  });

  it('objects in an array are each read as the field’s value', () => {
    const event = { employees: [{ firstName: 'John' }, { firstName: 'Anna' }] };
    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Peter'] } }, event)).toBe(false);
  });

  it('fields matched inside an array must come from the same element', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event)).toBe(
      true,
    );
    expect(matchesEventPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(
      false,
    );
    // Fields outside the array combine freely with any element.
    expect(
      matchesEventPattern({ employees: { lastName: ['Jones'] }, team: ['x'] }, { ...event, team: 'x' }),
    ).toBe(true);
  });
});

describe('nested objects and dotted keys', () => {
  it('nests to any depth', () => {
    const event = { dynamodb: { NewImage: { homemade: { S: 'ABCD', N: '1234' } } } };
    expect(matchesEventPattern({ dynamodb: { NewImage: { homemade: { N: ['1234'] } } } }, event)).toBe(true);
    expect(matchesEventPattern({ dynamodb: { NewImage: { homemade: { N: [1234] } } } }, event)).toBe(false);
  });

  it('keys are joined with dots, so a dotted key equals the nested form, in pattern and event', () => {
    const nested = { detail: { state: { status: 'running' } } };
    const dotted = { detail: { 'state.status': 'running' } };
    for (const event of [nested, dotted]) {
      expect(matchesEventPattern({ detail: { state: { status: ['running'] } } }, event)).toBe(true);
      expect(matchesEventPattern({ detail: { 'state.status': ['running'] } }, event)).toBe(true);
    }
    expect(matchesEventPattern({ 'detail.state.status': ['running'] }, dotted)).toBe(true);
    expect(
      matchesEventPattern({ detail: { 'state.status': ['running'] } }, withDetail({ state: 'running' })),
    ).toBe(false);
  });
});

describe('prefix', () => {
  it('matches the start of a string value (the guide’s time example)', () => {
    const pattern = { time: [{ prefix: '2017-12-22' }] };
    expect(matchesEventPattern(pattern, ec2)).toBe(true);
    expect(matchesEventPattern(pattern, { ...ec2, time: '2017-12-23T00:00:00Z' })).toBe(false);
  });

  it('is case-sensitive unless given equals-ignore-case', () => {
    expect(onField('service', [{ prefix: 'EventB' }], { service: 'eventbridge' })).toBe(false);
    const ignoringCase = [{ prefix: { 'equals-ignore-case': 'EventB' } }];
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventb']) {
      expect(onField('service', ignoringCase, { service })).toBe(true);
    }
    expect(onField('service', ignoringCase, { service: 'Event' })).toBe(false);
  });

  it('works on strings only; the empty prefix matches every string', () => {
    expect(onField('n', [{ prefix: '12' }], { n: 123 })).toBe(false);
    expect(onField('n', [{ prefix: '' }], { n: '' })).toBe(true);
    expect(onField('n', [{ prefix: '' }], { n: 'anything' })).toBe(true);
    expect(onField('n', [{ prefix: '' }], { n: null })).toBe(false);
  });
});

describe('suffix', () => {
  it('matches the end of a string value, case-sensitively', () => {
    expect(onField('FileName', [{ suffix: '.png' }], { FileName: 'image.png' })).toBe(true);
    expect(onField('FileName', [{ suffix: '.png' }], { FileName: 'image.PNG' })).toBe(false);
    expect(onField('FileName', [{ suffix: '.png' }], { FileName: 'image.png.bak' })).toBe(false);
  });

  it('with equals-ignore-case, ignores the case of the ending', () => {
    const pattern = [{ suffix: { 'equals-ignore-case': '.png' } }];
    expect(onField('FileName', pattern, { FileName: 'image.PNG' })).toBe(true);
    expect(onField('FileName', pattern, { FileName: 'image.Png' })).toBe(true);
    expect(onField('FileName', pattern, { FileName: 'image.jpg' })).toBe(false);
  });
});

describe('equals-ignore-case', () => {
  it('matches a string whatever its case, and nothing else', () => {
    const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };
    expect(matchesEventPattern(pattern, ec2)).toBe(true);
    expect(onField('name', [{ 'equals-ignore-case': 'alice' }], { name: 'ALICE' })).toBe(true);
    expect(onField('name', [{ 'equals-ignore-case': 'alice' }], { name: 'alice2' })).toBe(false);
    expect(onField('v', [{ 'equals-ignore-case': '' }], { v: '' })).toBe(true);
    expect(onField('v', [{ 'equals-ignore-case': '' }], { v: 'x' })).toBe(false);
  });
});

describe('anything-but', () => {
  it('excludes one string or one number', () => {
    expect(onField('state', [{ 'anything-but': 'initializing' }], { state: 'running' })).toBe(true);
    expect(onField('state', [{ 'anything-but': 'initializing' }], { state: 'initializing' })).toBe(false);
    expect(onField('x-limit', [{ 'anything-but': 123 }], { 'x-limit': 456 })).toBe(true);
    expect(onField('x-limit', [{ 'anything-but': 123 }], { 'x-limit': 123.0 })).toBe(false);
    expect(onField('x-limit', [{ 'anything-but': 0 }], { 'x-limit': 789 })).toBe(true);
  });

  it('excludes every value of a list of strings or of numbers', () => {
    const states = [{ 'anything-but': ['stopped', 'overloaded'] }];
    expect(onField('state', states, { state: 'running' })).toBe(true);
    expect(onField('state', states, { state: 'overloaded' })).toBe(false);
    const limits = [{ 'anything-but': [100, 200, 300] }];
    expect(onField('x-limit', limits, { 'x-limit': 999 })).toBe(true);
    expect(onField('x-limit', limits, { 'x-limit': 300 })).toBe(false);
  });

  it('matches null and values of another type, but never a missing field', () => {
    expect(onField('state', [{ 'anything-but': 'initializing' }], { state: null })).toBe(true);
    expect(onField('x', [{ 'anything-but': [100] }], { x: '100' })).toBe(true);
    expect(onField('x', [{ 'anything-but': '100' }], { x: 100 })).toBe(true);
    expect(onField('state', [{ 'anything-but': 'initializing' }], {})).toBe(false);
    expect(onField('state', [{ 'anything-but': 'initializing' }], { state: { nested: 'x' } })).toBe(false);
  });

  it('on an array matches when some element is not excluded', () => {
    expect(onField('tags', [{ 'anything-but': 'a' }], { tags: ['a', 'b'] })).toBe(true);
    expect(onField('tags', [{ 'anything-but': 'a' }], { tags: ['a', 'a'] })).toBe(false);
  });

  it('with prefix or suffix, excludes strings starting or ending so (one value or a list)', () => {
    expect(onField('Region', [{ 'anything-but': { prefix: 'us-' } }], { Region: 'eu-west-1' })).toBe(true);
    expect(onField('Region', [{ 'anything-but': { prefix: 'us-' } }], { Region: 'us-east-1' })).toBe(false);
    expect(onField('Region', [{ 'anything-but': { prefix: ['us-', 'eu-'] } }], { Region: 'eu-west-1' })).toBe(
      false,
    );
    expect(onField('FileName', [{ 'anything-but': { suffix: '.png' } }], { FileName: 'a.txt' })).toBe(true);
    expect(
      onField('FileName', [{ 'anything-but': { suffix: ['.png', '.txt'] } }], { FileName: 'a.txt' }),
    ).toBe(false);
    expect(onField('state', [{ 'anything-but': { prefix: 'init' } }], { state: 12 })).toBe(true);
  });

  it('with equals-ignore-case, excludes every casing of the values', () => {
    const pattern = [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }];
    expect(onField('state', pattern, { state: 'Stopped' })).toBe(false);
    expect(onField('state', pattern, { state: 'INITIALIZING' })).toBe(false);
    expect(onField('state', pattern, { state: 'pending' })).toBe(true);
  });

  it('with wildcard, excludes the strings the wildcard matches (the guide’s /lib/ example)', () => {
    const pattern = [{ 'anything-but': { wildcard: '*/lib/*' } }];
    expect(onField('FilePath', pattern, { FilePath: '/usr/lib/x.so' })).toBe(false);
    expect(onField('FilePath', pattern, { FilePath: '/usr/bin/x' })).toBe(true);
    expect(onField('FilePath', pattern, { FilePath: 123 })).toBe(true);
    const list = [{ 'anything-but': { wildcard: ['*/init/*', '*/dir/*'] } }];
    expect(onField('p', list, { p: 'a/dir/b' })).toBe(false);
    expect(onField('p', list, { p: 'a/post/b' })).toBe(true);
  });
});

describe('numeric', () => {
  const between = [{ numeric: ['>', 0, '<=', 5] }];

  it('compares with >, >=, <, <= and =, boundaries included or not as written', () => {
    expect(onField('c', [{ numeric: ['>', 0] }], { c: 0 })).toBe(false);
    expect(onField('c', [{ numeric: ['>', 0] }], { c: 0.000001 })).toBe(true);
    expect(onField('c', [{ numeric: ['>=', 0] }], { c: 0 })).toBe(true);
    expect(onField('c', [{ numeric: ['<', 10] }], { c: 10 })).toBe(false);
    expect(onField('c', [{ numeric: ['<=', 10] }], { c: 10 })).toBe(true);
    expect(onField('c', [{ numeric: ['<', 10] }], { c: -1e9 })).toBe(true);
    expect(onField('x', [{ numeric: ['=', 3.018e2] }], { x: 301.8 })).toBe(true);
    expect(onField('x', [{ numeric: ['=', 301.8] }], { x: 301.81 })).toBe(false);
  });

  it('a range needs both ends (the guide’s c-count example)', () => {
    expect(onField('c-count', between, { 'c-count': 5 })).toBe(true);
    expect(onField('c-count', between, { 'c-count': 3 })).toBe(true);
    expect(onField('c-count', between, { 'c-count': 0 })).toBe(false);
    expect(onField('c-count', between, { 'c-count': 5.000001 })).toBe(false);
    expect(onField('c-count', [{ numeric: ['>=', 200, '<', 500] }], { 'c-count': 500 })).toBe(false);
    expect(onField('c-count', [{ numeric: ['>=', 200, '<', 500] }], { 'c-count': 200 })).toBe(true);
  });

  it('applies to JSON numbers only, within -5.0e9 ..= 5.0e9', () => {
    expect(onField('n', [{ numeric: ['>', 100] }], { n: '300' })).toBe(false);
    expect(onField('n', [{ numeric: ['>', 100] }], { n: null })).toBe(false);
    expect(onField('n', [{ numeric: ['>', 100] }], { n: 101.0 })).toBe(true);
    expect(onField('n', [{ numeric: ['>', 0] }], { n: 5e9 })).toBe(true);
    expect(onField('n', [{ numeric: ['>', 0] }], { n: 6e9 })).toBe(false);
    expect(onField('n', [{ numeric: ['<', 0] }], { n: -6e9 })).toBe(false);
  });

  it('combines with other values of the field as alternatives', () => {
    const pattern = [{ numeric: ['>', 100] }, { 'anything-but': '101' }];
    expect(onField('N', pattern, { N: '42' })).toBe(true);
    expect(onField('N', pattern, { N: '101' })).toBe(false);
    expect(onField('N', pattern, { N: 101 })).toBe(true);
  });
});

describe('exists', () => {
  it('true matches a field that has a value, null included; false matches a missing field', () => {
    expect(onField('state', [{ exists: true }], { state: 'pending' })).toBe(true);
    expect(onField('state', [{ exists: true }], { state: null })).toBe(true);
    expect(onField('state', [{ exists: true }], {})).toBe(false);
    expect(onField('state', [{ exists: false }], {})).toBe(true);
    expect(onField('state', [{ exists: false }], { state: null })).toBe(false);
    expect(onField('state', [{ exists: false }], { state: '' })).toBe(false);
  });

  it('works on leaves only: an object is not a value, so it "does not exist"', () => {
    const event = withDetail({ 'c-count': { c1: 100 } });
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: true }] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { 'c-count': [{ exists: false }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { 'c-count': { c1: [{ exists: true }] } } }, event)).toBe(true);
  });

  it('an empty array is no value; an array with some element is', () => {
    expect(matchesEventPattern({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
    expect(matchesEventPattern({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    const event = { detail: { automations: [{ key1: 'v' }, { id: 'x' }] } };
    expect(matchesEventPattern({ detail: { automations: { id: [{ exists: true }] } } }, event)).toBe(true);
  });

  it('false holds when a parent is missing too, and may be one alternative among others', () => {
    expect(matchesEventPattern({ detail: { a: { b: { c: [{ exists: false }] } } } }, withDetail({}))).toBe(
      true,
    );
    const pattern = { image: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } };
    expect(matchesEventPattern(pattern, { image: { N: '1' } })).toBe(true);
    expect(matchesEventPattern(pattern, { image: { S: 'tulips' } })).toBe(true);
    expect(matchesEventPattern(pattern, { image: { S: 'roses' } })).toBe(false);
  });
});

describe('cidr', () => {
  it('matches IPv4 addresses inside the block, both ends included', () => {
    const block = [{ cidr: '10.0.0.0/24' }];
    expect(onField('ip', block, { ip: '10.0.0.0' })).toBe(true);
    expect(onField('ip', block, { ip: '10.0.0.255' })).toBe(true);
    expect(onField('ip', block, { ip: '10.0.1.0' })).toBe(false);
    expect(onField('ip', block, { ip: '9.255.255.255' })).toBe(false);
    expect(onField('ip', [{ cidr: '10.0.0.0/8' }], { ip: '10.200.3.4' })).toBe(true);
    expect(onField('ip', [{ cidr: '0.0.0.0/0' }], { ip: '255.255.255.255' })).toBe(true);
  });

  it('matches IPv6 addresses, however they are abbreviated', () => {
    const block = [{ cidr: '2001:db8:1234:1a00::/64' }];
    expect(onField('ip', block, { ip: '2001:0db8:1234:1a00:0000:0000:0000:0000' })).toBe(true);
    expect(onField('ip', block, { ip: '2001:db8:1234:1a00:ffff:ffff:ffff:ffff' })).toBe(true);
    expect(onField('ip', block, { ip: '2001:db8:1234:1a01::' })).toBe(false);
    expect(onField('ip', block, { ip: '2001:0db8:123f:1a01:0000:0000:0000:0000' })).toBe(false);
  });

  it('never matches what is not an address of the same family', () => {
    const block = [{ cidr: '10.0.0.0/24' }];
    expect(onField('ip', block, { ip: '10.0.0.256' })).toBe(false);
    expect(onField('ip', block, { ip: 'not an ip' })).toBe(false);
    expect(onField('ip', block, { ip: 167772161 })).toBe(false);
    expect(onField('ip', block, { ip: '::a00:1' })).toBe(false);
  });

  it('an IP address given as a plain value matches that address however it is written', () => {
    expect(onField('ip', ['2001:db8::1'], { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' })).toBe(true);
    expect(onField('ip', ['10.0.0.1'], { ip: '10.0.0.2' })).toBe(false);
  });
});

describe('wildcard', () => {
  it('* stands for any run of characters, empty included', () => {
    const pattern = [{ wildcard: 'dir/*.png' }];
    expect(onField('f', pattern, { f: 'dir/a.png' })).toBe(true);
    expect(onField('f', pattern, { f: 'dir/.png' })).toBe(true);
    expect(onField('f', pattern, { f: 'dir/sub/a.png' })).toBe(true);
    expect(onField('f', pattern, { f: 'dir/a.png.bak' })).toBe(false);
    expect(onField('f', pattern, { f: 'DIR/a.png' })).toBe(false);
  });

  it('several wildcards, one in the middle of a long repeating path', () => {
    const arn = 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus';
    expect(onField('a', [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }], { a: arn })).toBe(true);
    const repeating = [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }];
    expect(onField('f', repeating, { f: '/Users/u/dir/dir/dir/dir/dir/doc.txt' })).toBe(true);
    expect(onField('f', repeating, { f: '/Users/u/dir/dir/dir/dir/other/doc.txt' })).toBe(false);
    expect(onField('f', [{ wildcard: '*Title*' }], { f: 'The Title here' })).toBe(true);
  });

  it('\\* is a literal asterisk and \\\\ a literal backslash', () => {
    expect(onField('f', [{ wildcard: 'a\\*b' }], { f: 'a*b' })).toBe(true);
    expect(onField('f', [{ wildcard: 'a\\*b' }], { f: 'axb' })).toBe(false);
    expect(onField('f', [{ wildcard: 'C:\\\\*' }], { f: 'C:\\Windows' })).toBe(true);
  });

  it('the empty wildcard matches the empty string only; non-strings never match', () => {
    expect(onField('f', [{ wildcard: '' }], { f: '' })).toBe(true);
    expect(onField('f', [{ wildcard: '' }], { f: 'x' })).toBe(false);
    expect(onField('f', [{ wildcard: '*' }], { f: 12 })).toBe(false);
  });

  it('rejects consecutive wildcards, bad escapes and too complex patterns', () => {
    expect(rejection({ a: [{ wildcard: 'arn:**:x' }] })).toMatch(/Consecutive wildcard characters at pos 4/);
    expect(rejection({ a: [{ wildcard: 'a\\b' }] })).toMatch(/Invalid escape character at pos 1/);
    expect(rejection({ a: [{ wildcard: 'trailing\\' }] })).toMatch(/Invalid escape character/);
    expect(rejection({ EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] })).toMatch(
      /Rule is too complex.*\(at EventBusArn\)/,
    );
    expect(() =>
      validateEventPattern({ a: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }),
    ).not.toThrow();
  });

  it('complexity adds up over the wildcards of one field, not over different fields', () => {
    const stacks = (names: string[]) => names.map((name) => ({ wildcard: `*:stack/${name}/*` }));
    expect(() => validateEventPattern({ id: stacks(['A', 'B', 'C']) })).not.toThrow();
    expect(rejection({ id: stacks(['A', 'B', 'C', 'D']) })).toMatch(/Rule is too complex/);
    expect(() =>
      validateEventPattern({ a: stacks(['A', 'B']), b: stacks(['A', 'B']), c: stacks(['A', 'B']) }),
    ).not.toThrow();
    expect(rejection({ a: [{ 'anything-but': { wildcard: ['*:*:*:*:*:x/*'] } }] })).toMatch(
      /Rule is too complex/,
    );
  });
});

describe('$or', () => {
  const pattern = {
    detail: {
      $or: [
        { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
        { 'd-count': [{ numeric: ['<', 10] }] },
        { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
      ],
    },
  };

  it('matches when any alternative matches (the guide’s example)', () => {
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 0, 'x-limit': 1 }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 10, 'x-limit': 301.8 }))).toBe(
      true,
    );
    expect(matchesEventPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 10, 'x-limit': 1 }))).toBe(
      false,
    );
  });

  it('is ANDed with the other fields, before or after it, and nests', () => {
    const combined = {
      source: ['aws.ec2'],
      $or: [{ region: ['us-east-1'] }, { detail: { state: ['terminated'] } }],
      account: ['111122223333'],
    };
    expect(matchesEventPattern(combined, ec2)).toBe(true);
    expect(matchesEventPattern(combined, { ...ec2, account: '1' })).toBe(false);
    expect(matchesEventPattern(combined, { ...ec2, source: 'aws.s3' })).toBe(false);
    const nested = {
      $or: [
        { region: ['eu-west-1'] },
        { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] },
      ],
    };
    expect(matchesEventPattern(nested, ec2)).toBe(true);
    expect(matchesEventPattern(nested, withDetail({ state: 'running' }))).toBe(false);
  });

  it('an alternative may set a field already named outside it; the later value counts', () => {
    const later = { region: ['us-west-1'], $or: [{ region: ['eu-west-1'] }, { source: ['aws.ec2'] }] };
    expect(matchesEventPattern(later, ec2)).toBe(true);
    expect(matchesEventPattern(later, { ...ec2, source: 'aws.s3' })).toBe(false);
  });

  it('needs an array of at least two objects, whose keys are not operators', () => {
    expect(rejection({ $or: { a: ['x'] } })).toMatch(/It must be an Array followed with \$or/);
    expect(rejection({ $or: [{ a: ['x'] }] })).toMatch(/at least 2 Objects in \$or/);
    expect(rejection({ $or: [{ a: ['x'] }, ['b']] })).toMatch(/Only JSON object is allowed in array of \$or/);
    expect(rejection({ $or: [{ prefix: ['x'] }, { a: ['y'] }] })).toMatch(/prefix is a reserved keyword/);
    expect(() => validateEventPattern({ prefix: ['x'] })).not.toThrow();
  });
});

describe('validation', () => {
  it('the pattern is a non-empty object of objects and non-empty arrays', () => {
    expect(rejection([])).toMatch(/Filter is not an object/);
    expect(rejection('{"source": ["a"]}')).toMatch(/Filter is not an object/);
    expect(rejection(null)).toMatch(/Filter is not an object/);
    expect(rejection({})).toMatch(/Empty objects are not allowed/);
    expect(rejection({ detail: {} })).toMatch(/Empty objects are not allowed \(at detail\)/);
    expect(rejection({ resources: [] })).toMatch(/Empty arrays are not allowed \(at resources\)/);
  });

  it('a leaf must be an array of values', () => {
    expect(rejection({ source: 'aws.ec2' })).toMatch(/"source" must be an object or an array/);
    expect(rejection({ detail: { int: 42 } })).toMatch(
      /"int" must be an object or an array \(at detail.int\)/,
    );
    expect(rejection({ detail: { n: null } })).toMatch(/"n" must be an object or an array/);
    expect(rejection({ tags: [['a']] })).toMatch(/Match value must be String, number, true, false, or null/);
  });

  it('a match expression has exactly one known, case-sensitive operator', () => {
    expect(rejection({ a: [{}] })).toMatch(/Match expression name not found/);
    expect(rejection({ a: [{ prefix: 'x', suffix: 'y' }] })).toMatch(
      /Only one key allowed in match expression/,
    );
    expect(rejection({ a: [{ EXISTS: true }] })).toMatch(/Unrecognized match type EXISTS/);
    expect(rejection({ a: [{ contains: 'x' }] })).toMatch(/Unrecognized match type contains/);
  });

  it('prefix, suffix, equals-ignore-case, wildcard and cidr take one string', () => {
    expect(rejection({ a: [{ prefix: 123 }] })).toMatch(/prefix match pattern must be a string/);
    expect(rejection({ a: [{ prefix: ['x'] }] })).toMatch(/prefix match pattern must be a string/);
    expect(rejection({ a: [{ suffix: ['.png'] }] })).toMatch(/suffix match pattern must be a string/);
    expect(rejection({ a: [{ prefix: { wildcard: 'x' } }] })).toMatch(/Unsupported prefix pattern: wildcard/);
    expect(rejection({ a: [{ suffix: { 'equals-ignore-case': 1 } }] })).toMatch(
      /equals-ignore-case match pattern must be a string/,
    );
    expect(rejection({ a: [{ 'equals-ignore-case': ['x'] }] })).toMatch(
      /equals-ignore-case match pattern must be a string/,
    );
    expect(rejection({ a: [{ wildcard: 1 }] })).toMatch(/wildcard match pattern must be a string/);
    expect(rejection({ a: [{ cidr: ['10.0.0.0/8'] }] })).toMatch(/cidr match pattern must be a string/);
  });

  it('exists takes true or false', () => {
    expect(rejection({ a: [{ exists: 'true' }] })).toMatch(
      /exists match pattern must be either true or false/,
    );
    expect(rejection({ a: [{ exists: null }] })).toMatch(/exists match pattern must be either true or false/);
  });

  it('numeric takes an operator array with numbers inside -5.0e9 ..= 5.0e9 and a real range', () => {
    const numeric = (spec: unknown) => rejection({ a: [{ numeric: spec }] });
    expect(numeric(10)).toMatch(/Value of numeric must be an array/);
    expect(numeric([])).toMatch(/Invalid member in numeric match: \]/);
    expect(numeric([5, '>'])).toMatch(/Invalid member in numeric match: 5/);
    expect(numeric(['!=', 5])).toMatch(/Unrecognized numeric range operator: !=/);
    expect(numeric(['>', '5'])).toMatch(/Value of > must be numeric/);
    expect(numeric(['=', null])).toMatch(/Value of equals must be numeric/);
    expect(numeric(['>', 0, '<'])).toMatch(/Value of < must be numeric/);
    expect(numeric(['>', 0, '>', 0])).toMatch(/Bad numeric range operator: >/);
    expect(numeric(['>', 0, 5, 6])).toMatch(/Bad value in numeric range: 5/);
    expect(numeric(['<', 0, '>', 5])).toMatch(/Too many elements in numeric expression/);
    expect(numeric(['=', 1, '<', 5])).toMatch(/Too many elements in numeric expression/);
    expect(numeric(['>', 0, '<', 5, 6])).toMatch(/Too many terms in numeric range expression/);
    expect(numeric(['>', 5, '<', 5])).toMatch(/Bottom must be less than top/);
    expect(numeric(['>=', 10, '<=', 1])).toMatch(/Bottom must be less than top/);
    expect(numeric(['>', 5e9])).toMatch(/Bottom must be less than top/);
    expect(numeric(['<', 5e9 + 1])).toMatch(/Value must be between -5.0E9 and 5.0E9, inclusive/);
    expect(numeric(['=', -6e9])).toMatch(/Value must be between -5.0E9 and 5.0E9, inclusive/);
    expect(() => validateEventPattern({ a: [{ numeric: ['>=', -5e9, '<=', 5e9] }] })).not.toThrow();
  });

  it('anything-but takes strings or numbers (not mixed, not null) or one nested operator', () => {
    const anythingBut = (spec: unknown) => rejection({ a: [{ 'anything-but': spec }] });
    expect(anythingBut(null)).toMatch(
      /Value of anything-but must be an array or single string\/number value/,
    );
    expect(anythingBut(true)).toMatch(
      /Value of anything-but must be an array or single string\/number value/,
    );
    expect(anythingBut(['stopped', null])).toMatch(
      /Inside anything but list, start\|null\|boolean is not supported/,
    );
    expect(anythingBut(['a', 1])).toMatch(
      /either all values are number or string, mixed type is not supported/,
    );
    expect(anythingBut([])).toMatch(/either all values are number or string/);
    expect(anythingBut(6e9)).toMatch(/Value must be between -5.0E9 and 5.0E9/);
    expect(anythingBut({ numeric: ['>', 1] })).toMatch(/Unsupported anything-but pattern: numeric/);
    expect(anythingBut({})).toMatch(/Match expression name not found/);
    expect(anythingBut({ prefix: '' })).toMatch(/Null prefix\/suffix not allowed/);
    expect(anythingBut({ suffix: ['', '.txt'] })).toMatch(/Null prefix\/suffix not allowed/);
    expect(anythingBut({ prefix: 123 })).toMatch(/prefix\/suffix match pattern must be a string/);
    expect(anythingBut({ suffix: [null, '.txt'] })).toMatch(/prefix\/suffix match pattern must be a string/);
    expect(anythingBut({ prefix: { 'equals-ignore-case': 'x' } })).toMatch(
      /Value of anything-but must be an array or single string\/number value/,
    );
    expect(anythingBut({ 'equals-ignore-case': [1, 2] })).toMatch(
      /Inside anything-but\/equals-ignore-case list, number\|start\|null\|boolean is not supported/,
    );
    expect(anythingBut({ wildcard: [1, '*/x/*'] })).toMatch(/wildcard match pattern must be a string/);
    expect(anythingBut({ wildcard: 'a**' })).toMatch(/Consecutive wildcard characters/);
  });

  it('cidr takes address/bits with a mask below the address width', () => {
    const cidr = (spec: string) => rejection({ ip: [{ cidr: spec }] });
    expect(cidr('bad-filter')).toMatch(/Malformed CIDR, one '\/' required/);
    expect(cidr('10.0.0.0/8/8')).toMatch(/Malformed CIDR, one '\/' required/);
    expect(cidr('bad-/64filter')).toMatch(/Malformed CIDR, mask bits must be an integer/);
    expect(cidr('10.0.0.0/-1')).toMatch(/Malformed CIDR, mask bits must not be negative/);
    expect(cidr('xx.11.xx/8')).toMatch(/Nonstandard IP address: xx.11.xx/);
    expect(cidr('10.0.0.256/8')).toMatch(/Nonstandard IP address: 10.0.0.256/);
    expect(cidr('xxxx:db8:1234:1a00::/64')).toMatch(/Nonstandard IP address/);
    expect(cidr('10.0.0.1/32')).toMatch(/IPv4 mask bits must be < 32/);
    expect(cidr('::1/128')).toMatch(/IPv6 mask bits must be < 128/);
  });

  it('messages name the path of the offending field', () => {
    expect(rejection({ detail: { state: [{ prefix: 1 }] } })).toBe(
      'Event pattern is not valid. Reason: prefix match pattern must be a string (at detail.state)',
    );
  });
});

describe('parseEventPattern', () => {
  it('reads JSON text into a valid pattern', () => {
    const pattern = parseEventPattern(
      '{ "source": ["aws.ec2"], "detail": { "state": [{ "prefix": "term" }] } }',
    );
    expect(pattern).toEqual({ source: ['aws.ec2'], detail: { state: [{ prefix: 'term' }] } });
    expect(matchesEventPattern(pattern, ec2)).toBe(true);
  });

  it('rejects text that is not JSON, or JSON that is not a valid pattern', () => {
    for (const text of ['', '{', '{"a": ["x"],}', "{'a': ['x']}", '{"a": [01]}', '{"a": ["x"]} trailing']) {
      expect(() => parseEventPattern(text)).toThrow(InvalidEventPatternError);
    }
    expect(() => parseEventPattern('{"a": ["x"],}')).toThrow(/Filter is not valid JSON: .* at position 12/);
    expect(() => parseEventPattern('["a"]')).toThrow(/Filter is not an object/);
    expect(() => parseEventPattern('{"a": "x"}')).toThrow(/"a" must be an object or an array/);
  });

  it('reads strings, numbers and literals as JSON does', () => {
    const text =
      '{"s": ["a\\"b\\u00e9\\n"], "n": [-1.5e2, 0, 12], "l": [true, false, null], "__proto__": ["p"]}';
    const pattern = parseEventPattern(text);
    expect(pattern).toEqual(JSON.parse(text));
    expect(pattern.n).toEqual([-150, 0, 12]);
    expect(Object.keys(pattern)).toEqual(['s', 'n', 'l', '__proto__']);
    expect(
      matchesEventPattern(pattern, JSON.parse('{"s": "a\\"bé\\n", "n": 12, "l": null, "__proto__": "p"}')),
    ).toBe(true);
  });

  it('a repeated key: the later array wins, as on AWS', () => {
    const pattern = parseEventPattern(
      '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    );
    expect(matchesEventPattern(pattern, withDetail({ location: 'eu-central-1' }))).toBe(true);
    expect(matchesEventPattern(pattern, withDetail({ location: 'us-east' }))).toBe(false);
  });

  it('a repeated object key adds up the fields of both objects', () => {
    const pattern = parseEventPattern(
      '{"detail": {"state": ["terminated"]}, "detail": {"instance-id": ["i-1"]}}',
    );
    expect(matchesEventPattern(pattern, withDetail({ state: 'terminated', 'instance-id': 'i-1' }))).toBe(
      true,
    );
    expect(matchesEventPattern(pattern, withDetail({ state: 'terminated', 'instance-id': 'i-2' }))).toBe(
      false,
    );
    expect(matchesEventPattern(pattern, withDetail({ 'instance-id': 'i-1' }))).toBe(false);
  });

  it('an invalid value stays an error even when a later repeat of its key is valid', () => {
    expect(() => parseEventPattern('{"source": "aws.ec2", "source": ["aws.ec2"]}')).toThrow(
      /"source" must be an object or an array/,
    );
  });
});

describe('compileEventPattern', () => {
  it('returns a reusable predicate; a string pattern is read as JSON text', () => {
    const isTermination = compileEventPattern('{"detail": {"state": ["terminated"]}}');
    expect(isTermination(ec2)).toBe(true);
    expect(isTermination(withDetail({ state: 'running' }))).toBe(false);
    expect(isTermination(ec2)).toBe(true);
  });

  it('validates up front, and an event that is not an object never matches', () => {
    expect(() => compileEventPattern({ source: 'aws.ec2' })).toThrow(InvalidEventPatternError);
    expect(() => compileEventPattern('not json')).toThrow(/Filter is not valid JSON/);
    const matches = compileEventPattern({ source: [{ exists: false }] });
    expect(matches({})).toBe(true);
    for (const event of [null, undefined, 'event', 42, ['source']]) expect(matches(event)).toBe(false);
  });
});
