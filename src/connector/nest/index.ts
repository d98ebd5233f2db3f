/**
 * `nestjs-kinesis-transport/connector/nest`: the connector as a Nest module (ConnectorModule.forRoot /
 * forRootAsync), its service, DI tokens and options. The list is the nest folder's own (libs/connector/src/nest).
 */
export * from '../../../libs/connector/src/nest/index.js';
