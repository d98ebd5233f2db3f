import type { KinesisRecord } from '../../kinesis/src/index.js';
import { TransformError } from './errors.js';
import type { Filter, Transformer } from './interfaces.js';

/** Record data as UTF-8 text; models are strings written as they are. */
export class StringTransformer implements Transformer<string> {
  toModels(record: KinesisRecord): string {
    return record.data.toString('utf8');
  }
  toBytes(model: string): Buffer {
    return Buffer.from(model, 'utf8');
  }
}

/** Record data as JSON (one value per record); a record that does not parse is a TransformError. */
export class JsonTransformer<T = unknown> implements Transformer<T> {
  toModels(record: KinesisRecord): T {
    try {
      return JSON.parse(record.data.toString('utf8')) as T;
    } catch (error) {
      // Not V8's message: it quotes the record around the error, and a dead letter's reason may be logged.
      throw new TransformError('record is not JSON', { cause: error });
    }
  }
  toBytes(model: T): Buffer {
    return Buffer.from(JSON.stringify(model), 'utf8');
  }
}

/** The default filter: keeps everything. */
export class AllPassFilter<T> implements Filter<T> {
  keep(): boolean {
    return true;
  }
}
