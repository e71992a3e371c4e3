export * from './pay.js';
export * from './payment-uri.js';
