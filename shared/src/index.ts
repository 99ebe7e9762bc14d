export * from './version.js';
export * from './ids.js';
export * from './enums.js';
export * from './topics.js';
export * from './messages.js';
export * from './codec.js';
