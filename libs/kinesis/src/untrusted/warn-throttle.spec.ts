import type { Logger } from '../logger.js';
import { WarnThrottle } from './warn-throttle.js';

describe('WarnThrottle', () => {
  const recording = () => {
    const lines: [string, string, Record<string, unknown> | undefined][] = [];
    const at = (level: string) => (message: string, context?: Record<string, unknown>) =>
      lines.push([level, message, context]);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    return { lines, logger };
  };

  it('warns once per interval and kind, the rest at debug, and counts them in the next warn', () => {
    const { lines, logger } = recording();
    const throttle = new WarnThrottle(logger, 1_000);
    for (let i = 0; i < 5; i++) throttle.warn('bad record', { i }, 100 + i);
    throttle.warn('other kind', {}, 104);
    throttle.warn('bad record', { i: 5 }, 1_100);
    expect(lines.filter(([level]) => level === 'warn')).toEqual([
      ['warn', 'bad record', { i: 0 }],
      ['warn', 'other kind', {}],
      ['warn', 'bad record', { i: 5, debugSinceLastWarn: 4 }],
    ]);
    expect(lines.filter(([level]) => level === 'debug')).toHaveLength(4);
  });
});
