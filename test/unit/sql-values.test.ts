import {
  BadRequestException,
  DatabaseErrorException,
  DatabaseResumingException,
  ServiceUnavailableError,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { describe, expect, it } from 'vitest';
import { parseArray, parseTimestamp, textParser, typeOfName } from '../../lambdas/adapters/sql/pg-types.ts';
import { toDataApiFailure } from '../../lambdas/adapters/sql/rds-data.driver.ts';
import { bindTyped, toSqlFailure, typeParams } from '../../lambdas/adapters/sql/shared.ts';
import { DatabaseUnavailableError, SqlError } from '../../lambdas/core/errors.ts';

const meta = { $metadata: {} };

describe('result values', () => {
  it('reads timestamps with and without a zone (none is UTC), keeping milliseconds', () => {
    expect(parseTimestamp('2024-01-02 03:04:05.678+00')).toEqual(new Date('2024-01-02T03:04:05.678Z'));
    expect(parseTimestamp('2024-01-02 03:04:05.678912')).toEqual(new Date('2024-01-02T03:04:05.678Z'));
    expect(parseTimestamp('2024-01-02 05:34:05+05:30')).toEqual(new Date('2024-01-02T00:04:05Z'));
    expect(parseTimestamp('0099-01-02 00:00:00')).toEqual(new Date('0099-01-02T00:00:00Z'));
    expect(parseTimestamp('infinity')).toBe('infinity');
  });

  it('parses array literals: NULL, quoting, escapes, nesting, bounds', () => {
    const id = (s: string) => s;
    expect(parseArray('{1,NULL,"NULL","a \\"b\\" c","x,y"}', id)).toEqual([
      '1',
      null,
      'NULL',
      'a "b" c',
      'x,y',
    ]);
    expect(parseArray('{{1,2},{3,4}}', Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseArray('[0:1]={5,6}', Number)).toEqual([5, 6]);
    expect(parseArray('{}', id)).toEqual([]);
  });

  it('normalises by type: numbers, booleans, JSON, dates, arrays; unknown types stay text', () => {
    expect(textParser(20)('9007199254740991')).toBe(9007199254740991);
    expect(textParser(1700)('12.50')).toBe(12.5);
    expect(textParser(16)('t')).toBe(true);
    expect(textParser(3802)('{"a":[1]}')).toEqual({ a: [1] });
    expect(textParser(1082)('2024-02-29')).toBe('2024-02-29');
    expect(textParser(1007)('{1,2}')).toEqual([1, 2]);
    expect(textParser(99999)('whatever')).toBe('whatever');
    expect(typeOfName('_int8')).toMatchObject({ type: { name: 'int8' }, array: true });
    expect(typeOfName('bigserial')).toMatchObject({ type: { kind: 'int' }, array: false });
  });
});

describe('parameters', () => {
  it('binds each port value with the type the Data API gives it', () => {
    const params = typeParams({
      s: 'x',
      i: 1,
      f: 1.5,
      b: true,
      n: null,
      d: new Date('2024-01-02T03:04:05.678Z'),
      o: { a: 1 },
      a: [1],
    });
    expect(bindTyped('SELECT :s, :i, :f, :b, :n, :d, :o, :a', params)).toEqual({
      text: 'SELECT $1::varchar, $2::int8, $3::float8, $4::bool, $5, $6::timestamp, $7::json, $8::json',
      values: ['x', 1, 1.5, true, null, '2024-01-02 03:04:05.678', '{"a":1}', '[1]'],
    });
  });
});

describe('failures', () => {
  it('maps pg failures: connection problems are unavailability, SQLSTATEs statement errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(toSqlFailure(new AggregateError([refused], ''))).toBeInstanceOf(DatabaseUnavailableError);
    expect(toSqlFailure(new Error('Connection terminated unexpectedly'))).toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect(toSqlFailure(Object.assign(new Error('terminating'), { code: '57P01' }))).toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect(toSqlFailure(Object.assign(new Error('bad'), { code: '08P01' }))).toMatchObject({
      sqlState: '08P01',
    });
    const plain = new TypeError('a bug');
    expect(toSqlFailure(plain)).toBe(plain);
  });

  it('maps Data API failures, reading the SQLSTATE from the message', () => {
    const unique = new DatabaseErrorException({
      ...meta,
      message:
        'ERROR: duplicate key value violates unique constraint "k"\n  Detail: Key (n)=(1) already exists.; SQLState: 23505',
    });
    expect(toDataApiFailure(unique)).toEqual(expect.any(SqlError));
    expect(toDataApiFailure(unique)).toMatchObject({
      sqlState: '23505',
      message: 'duplicate key value violates unique constraint "k"',
    });
    const v1 = new BadRequestException({
      ...meta,
      message: 'ERROR: relation "x" does not exist\n  Position: 15; SQLState: 42P01',
    });
    expect(toDataApiFailure(v1)).toMatchObject({ sqlState: '42P01', message: 'relation "x" does not exist' });
    expect(
      toDataApiFailure(new BadRequestException({ ...meta, message: 'Transaction abc is not found' })),
    ).toMatchObject({
      sqlState: undefined,
    });
    expect(toDataApiFailure(new StatementTimeoutException({ ...meta, message: 'timeout' }))).toMatchObject({
      sqlState: '57014',
    });
    for (const error of [
      new DatabaseResumingException({ ...meta, message: 'resuming' }),
      new ServiceUnavailableError({ ...meta, message: 'unavailable' }),
      new BadRequestException({ ...meta, message: 'Communications link failure' }),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ]) {
      expect(toDataApiFailure(error)).toBeInstanceOf(DatabaseUnavailableError);
    }
  });
});
