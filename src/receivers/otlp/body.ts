// Bounded, streaming body reading is shared by every listener; it lives in the server kit (src/net/).
export { BodyAbortedError, BodyTooLargeError, parseContentEncoding, readBody, type BodyEncoding } from '../../net/request-body.js';
