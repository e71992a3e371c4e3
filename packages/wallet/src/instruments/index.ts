export * from './card.js';
export * from './credential.js';
export * from './import.js';
export * from './offers.js';
export * from './ticket.js';
export * from './types.js';
export { newInstrumentId, validateInstrument } from './validate.js';
