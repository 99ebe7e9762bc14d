// What a simulated device shares with the real agent, exported on purpose so a simulator (test/sim) can speak the
// protocol exactly as a device does without loading the agent's features (player, media, board).
export { Backoff } from './backoff.js';
export { newEventId } from './features/reports/outbox.js';
export { AGENT_VERSION } from './version.js';
