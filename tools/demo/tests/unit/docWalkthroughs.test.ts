import { describe, expect, it } from 'vitest';
import { findCommands } from '../support/docCommands.js';
import {
  demoShapes,
  findAwsCommands,
  isExercised,
  markedBlocks,
  shapeOf,
  shapesIn,
} from '../support/docWalkthroughs.js';

describe('marked blocks', () => {
  it('takes the fenced block after a doc-test marker, with blank lines between, and keeps the reason', () => {
    const blocks = markedBlocks(
      [
        '<!-- doc-test: run -->',
        '',
        '```sh',
        'npm run local -- up',
        '```',
        '```sh',
        'not marked',
        '```',
        '<!-- doc-test: not run — needs a real AWS organization -->',
        '```sh',
        'aws cloudformation create-stack-set --stack-set-name x',
        '```',
      ].join('\n'),
    );
    expect(blocks).toEqual([
      { kind: 'run', line: 3, firstLine: 4, lastLine: 4, text: 'npm run local -- up', reason: undefined },
      {
        kind: 'not run',
        line: 10,
        firstLine: 11,
        lastLine: 11,
        text: 'aws cloudformation create-stack-set --stack-set-name x',
        reason: 'needs a real AWS organization',
      },
    ]);
  });

  it('does not carry a marker over prose to a later block', () => {
    expect(
      markedBlocks(['<!-- doc-test: run -->', 'Some prose.', '```sh', 'jit-grant status', '```'].join('\n')),
    ).toEqual([]);
  });
});

describe('command shapes', () => {
  const shape = (line: string) => {
    const [found] = findCommands('doc.md', ['```sh', line, '```'].join('\n'));
    if (!found) throw new Error(`no command in ${line}`);
    return shapeOf(found);
  };

  it('names our CLIs by subcommand and npm scripts by script and subcommand', () => {
    expect(shape('jit-grant revoke production --grant 01J --reason "x"')).toEqual({
      program: 'jit-grant revoke',
      flags: ['--grant', '--reason'],
      alternatives: false,
    });
    expect(shape('npm run local -- env --profile agent')).toMatchObject({
      program: 'npm run local env',
      flags: ['--profile'],
    });
    expect(shape('npm run report:local -- --since 2h')).toMatchObject({
      program: 'npm run report:local',
      flags: ['--since'],
    });
    expect(shape('npm run bundle -w @jit-access/report-lambda').program).toBe(
      'npm run bundle -w @jit-access/report-lambda',
    );
    expect(shape('jit-grant revoke --list | --clear')).toMatchObject({
      flags: ['--list', '--clear'],
      alternatives: true,
    });
  });

  it('reads `aws <service> <operation>` from shell blocks only, continuation lines joined', () => {
    const found = findAwsCommands(
      'doc.md',
      [
        '```sh',
        'aws cloudtrail validate-logs --trail-arn x \\',
        '  --start-time y',
        'jit-agent exec 1 -- aws sts get-caller-identity',
        '```',
        '```ini',
        'aws_access_key_id = x',
        '```',
      ].join('\n'),
    );
    expect(found.map((f) => [f.line, f.shape.program, f.shape.flags])).toEqual([
      [2, 'aws cloudtrail validate-logs', ['--trail-arn', '--start-time']],
    ]);
  });

  it('counts a command as exercised when the same program ran with at least its options', () => {
    const ran = shapesIn(
      [
        'jit-grant status production --json',
        'npm run local -- up',
        'jit-grant revoke --list',
        'jit-grant revoke --clear',
      ].join('\n'),
    );
    expect(isExercised(shape('jit-grant status --json'), ran)).toBe(true);
    expect(isExercised(shape('jit-grant status production'), ran)).toBe(true);
    expect(isExercised(shape('jit-grant status --profile approver'), ran)).toBe(false);
    expect(isExercised(shape('jit-grant grant production --tier ops'), ran)).toBe(false);
    expect(isExercised(shape('npm run local -- down'), ran)).toBe(false);
    // A program shown without its subcommand is any of them; alternatives are each exercised alone.
    expect(isExercised(shape('npm run local -- --help'), ran)).toBe(false);
    expect(isExercised({ program: 'npm run local', flags: [], alternatives: false }, ran)).toBe(true);
    expect(isExercised(shape('jit-grant revoke --list | --clear'), ran)).toBe(true);
  });

  it('reads the commands the demo printed', () => {
    const shapes = demoShapes(
      [
        '1. Standing access',
        '   $ jit-agent status production   → exit 10',
        '   $ jit-agent listen --once   # listening since step 3   → exit 0',
        '   ✓ denied',
      ].join('\n'),
    );
    expect(shapes.map((s) => [s.program, s.flags])).toEqual([
      ['jit-agent status', []],
      ['jit-agent listen', ['--once']],
    ]);
  });
});
