import { KinesisTransportError } from '../../kinesis/src/index.js';

/** The transformer could not read a record (bad JSON, wrong shape): the record is dead-lettered. */
export class TransformError extends KinesisTransportError {}

/** A table or column name that is not a plain SQL identifier: refused before any SQL is built. */
export class InvalidIdentifierError extends KinesisTransportError {
  constructor(readonly identifier: string) {
    super(
      `not a valid SQL identifier: ${JSON.stringify(identifier)} (letters, digits, _ and $; optionally schema.name)`,
    );
  }
}
