export * from './tracking.js';
export * from './auth.js';
export * from './engine.js';
