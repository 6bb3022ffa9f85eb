export { PermanentError, RetryableError, errorCode, errorMessage } from './errors.ts';
export { backoffDelayMs, type RetryPolicy } from './retry-policy.ts';
export { createMessaging, namespaceFrom, type Messaging } from './context.ts';
export {
  NATS_AUTH_VARIABLES,
  NatsAuthError,
  natsAuthFromEnv,
  natsConnectOptions,
  parseNatsUrl,
  redactNatsUrl,
  type NatsAuthSettings,
} from './nats-auth.ts';
export { connectNats, natsCheck, openNats } from './connection.ts';
export { ensureConsumer, ensureStream } from './provision.ts';
export { publishEvent, sendEvent } from './publish.ts';
export { PublishError, pubAckPublisher, type PubAckPublisher } from './pub-acks.ts';
export { type DeadLetter } from './dead-letter.ts';
export { listDeadLetters, redriveDeadLetter } from './dead-letter-queue.ts';
export { startConsumer, type ConsumerOptions, type HandlerContext, type RunningConsumer } from './consume.ts';
export { checkReply, sendCommand, serveCommand } from './request-reply.ts';
