/**
 * The SAML attributes an STS request carries per quality (PROTOCOL.md §2):
 * what the caller asserts (its identifier) and which certified attributes it
 * asks eHealth to fill in. The sandbox STS answers the same designators.
 */

/** Attribute namespaces of the eHealth STS. */
export const ATTR_NS = {
  identification: 'urn:be:fgov:identification-namespace',
  certified: 'urn:be:fgov:certified-namespace:ehealth',
} as const;

export interface SamlAttributeName {
  name: string;
  namespace: string;
}

/** How a quality authenticates at the STS. */
export interface QualityProfile {
  /** Quality as used by ehBox (DOCTOR, NURSE, HOSPITAL, …). */
  ehboxQuality: string;
  /** Whether the certificate holder is a person (SSIN) or an organisation. */
  holder: 'person' | 'organisation';
  /** Attributes the caller asserts with its identifier as value. */
  asserted: SamlAttributeName[];
  /** Certified attributes requested; the STS fills them in. */
  requested: SamlAttributeName[];
  /** The requested attribute whose value `true` proves the quality. */
  proof: string;
  /** The requested attribute carrying the NIHII number, when the quality has one. */
  nihii?: string | undefined;
}

const SSIN_ASSERTED: SamlAttributeName[] = [
  { name: 'urn:be:fgov:ehealth:1.0:certificateholder:person:ssin', namespace: ATTR_NS.identification },
  { name: 'urn:be:fgov:person:ssin', namespace: ATTR_NS.identification },
];

const cert = (name: string): SamlAttributeName => ({ name, namespace: ATTR_NS.certified });

function professional(q: string, proof: string, nihii: string, extra: string[] = []): QualityProfile {
  return {
    ehboxQuality: q,
    holder: 'person',
    asserted: SSIN_ASSERTED,
    requested: [
      ...SSIN_ASSERTED,
      cert(proof),
      cert(nihii),
      cert('urn:be:fgov:person:ssin:ehealth:1.0:givenname'),
      cert('urn:be:fgov:person:ssin:ehealth:1.0:surname'),
      ...extra.map(cert),
    ],
    proof,
    nihii,
  };
}

function organisation(q: string, org: string): QualityProfile {
  const number = `urn:be:fgov:ehealth:1.0:${org}:nihii-number`;
  const holderNumber = `urn:be:fgov:ehealth:1.0:certificateholder:${org}:nihii-number`;
  const asserted = [
    { name: number, namespace: ATTR_NS.identification },
    { name: holderNumber, namespace: ATTR_NS.identification },
  ];
  const proof = `${number}:recognised${org}:boolean`;
  return {
    ehboxQuality: q,
    holder: 'organisation',
    asserted,
    requested: [...asserted, cert(proof), cert(`${number}:recognised${org}:nihii11`), cert('urn:be:fgov:ehealth:1.0:certificateholder:recognisedorganization:boolean')],
    proof,
  };
}

function enterprise(q: string, kind: 'cbe' | 'ehp'): QualityProfile {
  const number = kind === 'cbe' ? 'urn:be:fgov:kbo-bce:organization:cbe-number' : 'urn:be:fgov:ehealth:1.0:certificateholder:ehp:ehp-number';
  const asserted = [{ name: number, namespace: ATTR_NS.identification }];
  const proof = `urn:be:fgov:ehealth:1.0:certificateholder:${kind}:recognisedorganization:boolean`;
  return { ehboxQuality: q, holder: 'organisation', asserted, requested: [...asserted, cert(proof)], proof };
}

/** Profiles by STS quality name (lower case, as the connector spells them). */
export const QUALITY_PROFILES: Record<string, QualityProfile> = {
  doctor: professional('DOCTOR', 'urn:be:fgov:person:ssin:doctor:boolean', 'urn:be:fgov:person:ssin:ehealth:1.0:doctor:nihii11', [
    'urn:be:fgov:person:ssin:ehealth:1.0:fpsph:doctor:boolean',
  ]),
  nurse: professional('NURSE', 'urn:be:fgov:person:ssin:ehealth:1.0:nurse:boolean', 'urn:be:fgov:person:ssin:ehealth:1.0:nihii:nurse:nihii11'),
  pharmacist: professional('PHARMACIST', 'urn:be:fgov:person:ssin:ehealth:1.0:pharmacist:boolean', 'urn:be:fgov:person:ssin:ehealth:1.0:nihii:pharmacist:nihii11'),
  dentist: professional('DENTIST', 'urn:be:fgov:person:ssin:ehealth:1.0:fpsph:dentist:boolean', 'urn:be:fgov:person:ssin:ehealth:1.0:nihii:dentist:nihii11'),
  midwife: professional('MIDWIFE', 'urn:be:fgov:person:ssin:ehealth:1.0:professional:midwife:boolean', 'urn:be:fgov:person:ssin:ehealth:1.0:nihii:midwife:nihii11'),
  physiotherapist: professional(
    'PHYSIOTHERAPIST',
    'urn:be:fgov:person:ssin:ehealth:1.0:professional:physiotherapist:boolean',
    'urn:be:fgov:person:ssin:ehealth:1.0:nihii:physiotherapist:nihii11',
  ),
  hospital: organisation('HOSPITAL', 'hospital'),
  pharmacy: organisation('PHARMACY', 'pharmacy'),
  medicalhouse: organisation('MEDICAL_HOUSE', 'medicalhouse'),
  institution: enterprise('INSTITUTION', 'cbe'),
  institution_ehp: enterprise('INSTITUTION_EHP', 'ehp'),
};

/** The STS profile of an ehBox quality or STS quality name (case-insensitive). */
export function qualityProfile(quality: string): QualityProfile | undefined {
  const q = quality.toLowerCase();
  return QUALITY_PROFILES[q] ?? Object.values(QUALITY_PROFILES).find((p) => p.ehboxQuality.toLowerCase() === q);
}

/** The profile whose proof attribute is among the requested names (the quality a request asks for). */
export function profileForDesignators(names: readonly string[]): QualityProfile | undefined {
  return Object.values(QUALITY_PROFILES).find((p) => names.includes(p.proof));
}
