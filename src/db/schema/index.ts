export * from './tracking.js';
export * from './auth.js';
