import type { ReceiverFactory } from '../../pipeline/factory.js';
import { filelogReceiverSchema, type FilelogReceiverConfig } from './config.js';
import { FilelogReceiver } from './receiver.js';

/** `filelog`: log files tailed by glob, with the contrib receiver's keys (docs/log-inputs.md). */
export const filelogReceiverFactory: ReceiverFactory<FilelogReceiverConfig> = {
  kind: 'receiver',
  type: 'filelog',
  // The Collector's newer spelling of the same receiver.
  aliases: ['file_log'],
  schema: filelogReceiverSchema,
  create: (settings, config, next) => new FilelogReceiver(settings, config, next),
};
