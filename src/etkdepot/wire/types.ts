/**
 * ETK Depot v1 GetEtk messages as typed data (PROTOCOL.md §8), shared by the
 * client (encode request, decode response) and the sandbox (the other way).
 */

/** Success code of the response `Status/Code` (commons 1_0). */
export const ETK_STATUS_SUCCESS = '200';

/** Languages a commons 1_0 `Message@Lang` may carry. */
export type EtkMessageLang = 'FR' | 'NL' | 'EN' | 'DE' | 'NA';

/** One search identifier, e.g. `{ type: 'SSIN', value: '00000000097' }` or `{ type: 'CBE', value: '0123456789', applicationId: 'APP' }`. */
export interface EtkIdentifier {
  /** SSIN, NIHII, NIHII11, NIHII-HOSPITAL, CBE, EHP, … (PROTOCOL.md §3.1). */
  type: string;
  value: string;
  applicationId?: string | undefined;
}

/** GetEtkRequest: SearchCriteria with at least one identifier. */
export interface GetEtkRequest {
  identifiers: EtkIdentifier[];
}

/** commons 1_0 Status: code plus at least one message. */
export interface EtkStatus {
  code: string;
  messages: { value: string; lang?: EtkMessageLang | undefined }[];
}

/** A business error listed in the response (`Error`: Code, Message). */
export interface EtkDepotError {
  code: string;
  message: string;
}

/** What the depot found: exactly one token, several candidates (each with its identifiers), or errors. */
export type EtkResult =
  | { kind: 'etk'; etk: Uint8Array }
  | { kind: 'matches'; matches: { identifiers: EtkIdentifier[] }[] }
  | { kind: 'errors'; errors: EtkDepotError[] };

/**
 * GetEtkResponse. The schema only allows a `result` after `givenSearchCriteria`
 * (the echo of the request): the encoder refuses a result without it.
 */
export interface GetEtkResponse {
  id?: string | undefined;
  status: EtkStatus;
  givenSearchCriteria?: EtkIdentifier[] | undefined;
  result?: EtkResult | undefined;
}
