/**
 * `nestjs-kinesis-transport/seneca`: the Seneca 3 plugin, `seneca.use(kinesisTransport, options)` (see
 * libs/seneca/README.md). The list is the plugin's own (libs/seneca/src/index.ts).
 */
export * from '../../libs/seneca/src/index.js';
