/**
 * The external broker could not be used at start-up (unreachable, refused the server's account, refused its
 * subscriptions). main prints the message, which names the setting to check, without a stack trace.
 */
export class BrokerConnectError extends Error {}

/** A publish given up on: the broker stayed away longer than a caller may wait, or the connection was closed. */
export class BrokerUnavailableError extends Error {}
