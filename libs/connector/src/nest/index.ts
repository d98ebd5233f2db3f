/** The connector's Nest module (subpath `./connector/nest`): ConnectorModule, its service, tokens and options. */
export {
  ConnectorModule,
  type ConnectorModuleAsyncOptions,
  type ConnectorModuleSetup,
  type ConnectorParts,
  type PartOverride,
} from './connector.module.js';
export { ConnectorService, type ConnectorHealth, type ConnectorState } from './connector.service.js';
export {
  CONNECTOR_DEFAULTS,
  ConnectorOptionsError,
  connectorOptionProblems,
  describeOptionProblem,
  resolveConnectorOptions,
  withConnectorDefaults,
  type CheckpointKind,
  type ConnectorModuleOptions,
  type ConnectorSettings,
  type DeadLetterKind,
  type EmitterKind,
  type HealthSettings,
  type LeaseSettings,
  type OptionName,
  type OptionProblem,
  type ResolvedConnectorOptions,
  type TransformerKind,
} from './options.js';
export { type PartName } from './parts.js';
export { ConnectorResources } from './resources.js';
export {
  BUFFER_FACTORY,
  CHECKPOINT_STORE,
  CONNECTOR_OPTIONS,
  DEAD_LETTER_SINK,
  EMITTER,
  FILTER,
  PIPELINE_OBSERVERS,
  TRANSFORMER,
} from './tokens.js';
