/** The Postgres emitter (subpath `./connector/postgres`): it needs the optional peer pg (and @types/pg for types). */
export {
  DEFAULT_POSTGRES_QUERY_TIMEOUT_MS,
  jsonColumns,
  PostgresEmitter,
  type PostgresEmitterOptions,
} from '../../../libs/connector/src/emitters/postgres-emitter.js';
export {
  createJsonTable,
  PostgresSchemaError,
  PROVENANCE_COLUMNS,
} from '../../../libs/connector/src/emitters/postgres-schema.js';
