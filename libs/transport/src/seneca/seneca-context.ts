import { KinesisContext, type KinesisContextArgs } from '../shared/kinesis.context.js';
import type { SenecaActInfo } from './seneca-call-context.js';

/**
 * What `@Ctx()` gives a handler serving a Seneca act: a KinesisContext plus the act (id, tx, origin, track,
 * custom$). A handler reachable both ways tells them apart with `ctx instanceof SenecaContext`.
 */
export class SenecaContext extends KinesisContext {
  constructor(
    args: KinesisContextArgs,
    private readonly act: SenecaActInfo,
  ) {
    super(args);
  }

  /** The Seneca act being served. */
  getSeneca(): SenecaActInfo {
    return this.act;
  }
}
