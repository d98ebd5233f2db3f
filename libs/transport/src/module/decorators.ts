import { Inject } from '@nestjs/common';
import { getProducerToken, KINESIS_AWS_CLIENT } from './tokens.js';

/** Injects the core `Producer` named `name` in KinesisModule's `producers`. */
export const InjectProducer = (name: string): PropertyDecorator & ParameterDecorator =>
  Inject(getProducerToken(name));

/** Injects the AWS `KinesisClient` of KinesisModule (created from its connection options, or the one given). */
export const InjectKinesisClient = (): PropertyDecorator & ParameterDecorator => Inject(KINESIS_AWS_CLIENT);
