/**
 * ehBox v3 consultation codec (PROTOCOL.md §6): one import for every
 * consultation request and response encoder/decoder. The implementation is
 * split by role: requests, list/id/receipt responses, the full message, and
 * the Out-of-Office responses.
 */
export * from './consultation-requests.ts';
export {
  decodeDeleteMessageResponse,
  decodeGetAllEhboxesMessagesListResponse,
  decodeGetBoxInfoResponse,
  decodeGetHistoryResponse,
  decodeGetMessageAcknowledgmentsStatusResponse,
  decodeGetMessagesListResponse,
  decodeMoveMessageResponse,
  encodeDeleteMessageResponse,
  encodeGetAllEhboxesMessagesListResponse,
  encodeGetBoxInfoResponse,
  encodeGetHistoryResponse,
  encodeGetMessageAcknowledgmentsStatusResponse,
  encodeGetMessagesListResponse,
  encodeMoveMessageResponse,
} from './consultation-responses.ts';
export { decodeGetFullMessageResponse, encodeGetFullMessageResponse } from './full-message-codec.ts';
export { decodeDeleteOoOResponse, decodeGetOoOListResponse, decodeInsertOoOResponse, encodeDeleteOoOResponse, encodeGetOoOListResponse, encodeInsertOoOResponse } from './ooo-responses.ts';
