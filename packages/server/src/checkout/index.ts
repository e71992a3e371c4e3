export { EVENT_STREAM_LIMITS, type EventStreamLimits } from './events.js';
export { type CheckoutRouteOptions, type CheckoutRoutes, checkoutRoutes, FORM_BODY_BYTES_MAX } from './routes.js';
export { CheckoutViewSchema, publicView } from './schemas.js';
export type {
  CheckoutAdditionalStatus,
  CheckoutSource,
  CheckoutStatus,
  CheckoutView,
  PaymentLinkView,
} from './source.js';
