/**
 * The sandbox ETK Depot (GetEtk, unauthenticated like the real one): one
 * token → `ETK`; several → `MatchingEtk` with the identifiers to ask again;
 * none → `Error`. Status is 200 in all three cases, as on the platform.
 */
import crypto from 'node:crypto';
import { decodeGetEtkRequest, encodeGetEtkResponse } from '../../etkdepot/wire/etk-depot-codec.ts';
import { ETK_STATUS_SUCCESS, type EtkIdentifier, type EtkResult } from '../../etkdepot/wire/types.ts';
import type { PartyDirectory } from '../directory/party-directory.ts';
import type { SandboxMaterial } from '../material.ts';
import type { SoapAnswer, SoapCall, SoapService } from '../http/soap-endpoint.ts';

/** ETK Depot error code when no token matches (the real code list is not public). */
export const ETK_NOT_FOUND = 'ETK_NOT_FOUND';

function lookup(deps: { material: SandboxMaterial; directory: PartyDirectory }, ids: EtkIdentifier[]): EtkResult {
  const found = new Map<string, { etk: Uint8Array; identifier: EtkIdentifier }>();
  for (const id of ids) {
    for (const p of deps.directory.partiesByIdentifier(id.type, id.value)) {
      const etk = deps.material.parties.get(p.name)?.etk;
      // sandbox parties have no application-specific tokens
      if (!etk || id.applicationId) continue;
      found.set(p.name, { etk, identifier: { type: p.certIdentity.type, value: p.certIdentity.id } });
    }
  }
  const hits = [...found.values()];
  if (hits.length === 1) return { kind: 'etk', etk: hits[0]!.etk };
  if (hits.length > 1) return { kind: 'matches', matches: hits.map((h) => ({ identifiers: [h.identifier] })) };
  return { kind: 'errors', errors: [{ code: ETK_NOT_FOUND, message: 'No ETK found for the given identifier' }] };
}

/** The ETK Depot SOAP service. */
export function createEtkDepotService(deps: { material: SandboxMaterial; directory: PartyDirectory }): SoapService {
  return {
    operations: ['getEtk'],
    handle(call: SoapCall): SoapAnswer {
      const req = decodeGetEtkRequest(call.payload);
      const result = lookup(deps, req.identifiers);
      return {
        payloadXml: encodeGetEtkResponse({
          id: `_${crypto.randomUUID()}`,
          status: { code: ETK_STATUS_SUCCESS, messages: [{ value: 'OK', lang: 'EN' }] },
          givenSearchCriteria: req.identifiers,
          result,
        }),
      };
    },
  };
}
