import { describe, expect, it } from 'vitest';
import { paramNames, splitStatements, toPositional } from '../../lambdas/adapters/sql/named-params.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';

const positional = (sql: string, params: Record<string, unknown>) => toPositional(sql, params);

describe('toPositional', () => {
  it('numbers parameters in order of first use and reuses the index of a repeated name', () => {
    expect(positional('SELECT :a, :b, :a', { a: 1, b: 2 })).toEqual({
      text: 'SELECT $1, $2, $1',
      values: [1, 2],
    });
  });

  it('reads a cast after a parameter as a cast, and a cast alone as no parameter', () => {
    expect(positional('SELECT :content::jsonb, x::text, y :: int', { content: '{}' })).toEqual({
      text: 'SELECT $1::jsonb, x::text, y :: int',
      values: ['{}'],
    });
  });

  it('skips string literals, with doubled quotes and E-strings with backslash escapes', () => {
    const sql = `SELECT ':no', 'it''s :no', E'\\' :no', e'a\\\\', :yes, U&':no'`;
    expect(positional(sql, { yes: 1 }).text).toBe(
      `SELECT ':no', 'it''s :no', E'\\' :no', e'a\\\\', $1, U&':no'`,
    );
  });

  it('skips quoted identifiers, comments and dollar-quoted bodies', () => {
    const sql = [
      'SELECT "col:no" AS ":no", "a""b:no",',
      '-- :no in a line comment',
      '/* :no /* nested :no */ still :no */ :yes,',
      '$$ :no $$, $fn$ :no $$ :no $fn$, $1, :yes',
    ].join('\n');
    const { text, values } = positional(sql, { yes: 'y' });
    expect(values).toEqual(['y']);
    expect(text.match(/\$1/g)).toHaveLength(3);
    expect(text).not.toContain(':yes');
    expect(text.match(/:no/g)).toHaveLength(10);
  });

  it('does not take identifiers with a dollar or a := for parameters', () => {
    expect(positional('SELECT a$b$, x := 1, arr[1:2]', {})).toEqual({
      text: 'SELECT a$b$, x := 1, arr[1:2]',
      values: [],
    });
  });

  it('fails naming the missing parameter; undefined binds NULL', () => {
    expect(() => positional('SELECT :present, :missing', { present: 1 })).toThrow(ValidationError);
    expect(() => positional('SELECT :present, :missing', { present: 1 })).toThrow(/:missing/);
    expect(positional('SELECT :maybe', { maybe: undefined }).values).toEqual([null]);
  });

  it('lets the caller render placeholders', () => {
    expect(toPositional('SELECT :a, :a', { a: 'x' }, (i) => `$${i}::varchar`).text).toBe(
      'SELECT $1::varchar, $1::varchar',
    );
  });

  it('lists distinct names', () => {
    expect(paramNames("SELECT :b, ':c', :a, :b::int")).toEqual(['b', 'a']);
  });
});

describe('splitStatements', () => {
  it('splits at top-level semicolons and drops empty and comment-only statements', () => {
    expect(splitStatements('CREATE TABLE a (x int);;\n  INSERT INTO a VALUES (1);\n-- done\n')).toEqual([
      'CREATE TABLE a (x int)',
      'INSERT INTO a VALUES (1)',
    ]);
  });

  it('keeps semicolons inside literals, identifiers, comments and dollar-quoted bodies', () => {
    const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM 1; -- a statement ; inside
  RETURN 2;
END $body$`;
    const script = `INSERT INTO t VALUES ('a;b', E'c\\';d');\n${fn};\nSELECT "x;y" /* ; */ FROM t; SELECT $$;$$`;
    expect(splitStatements(script)).toEqual([
      `INSERT INTO t VALUES ('a;b', E'c\\';d')`,
      fn,
      'SELECT "x;y" /* ; */ FROM t',
      'SELECT $$;$$',
    ]);
  });

  it('keeps a last statement without a semicolon and an unterminated literal whole', () => {
    expect(splitStatements("SELECT 1; SELECT 'open;")).toEqual(['SELECT 1', "SELECT 'open;"]);
  });
});
