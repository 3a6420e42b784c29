export * from './tracking.js';
export * from './auth.js';
export * from './engine.js';
export * from './lifecycle.js';
export * from './mail.js';
export * from './ci.js';
export * from './counts.js';
