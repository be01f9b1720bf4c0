import { describe, expect, it } from 'vitest';
import { shellWord } from '../../src/commands.js';

describe('shellWord', () => {
  it('leaves plain words alone', () => {
    expect(shellWord('--tier')).toBe('--tier');
    expect(shellWord('arn:aws:iam::222222222222:role/AgentElevated-Ops')).toBe(
      'arn:aws:iam::222222222222:role/AgentElevated-Ops',
    );
  });

  it('quotes words with spaces and quotes', () => {
    expect(shellWord('restart ECS service')).toBe("'restart ECS service'");
    expect(shellWord("it's")).toBe("'it'\\''s'");
  });
});
