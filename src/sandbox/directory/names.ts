/**
 * Word lists the seed directory draws fictitious parties from: Belgian-looking
 * first and last names per language, municipalities with their postal codes,
 * street names and ward names. Every combination is made up.
 */

export type Language = 'FR' | 'NL' | 'DE';

export const FIRST_NAMES: Record<Language, { M: string[]; F: string[] }> = {
  NL: {
    M: ['Pieter', 'Jan', 'Wouter', 'Bram', 'Tom', 'Stijn', 'Koen', 'Jeroen', 'Lars', 'Wim', 'Dries', 'Maarten'],
    F: ['An', 'Els', 'Lien', 'Sofie', 'Katrien', 'Griet', 'Eline', 'Hanne', 'Leen', 'Marijke', 'Nele', 'Veerle'],
  },
  FR: {
    M: ['Jean', 'Luc', 'Olivier', 'Pierre', 'Julien', 'Benoît', 'Nicolas', 'Thibault', 'Arnaud', 'Cédric', 'Louis', 'Vincent'],
    F: ['Marie', 'Sophie', 'Claire', 'Isabelle', 'Julie', 'Aurélie', 'Camille', 'Céline', 'Nathalie', 'Élise', 'Manon', 'Chloé'],
  },
  DE: {
    M: ['Jürgen', 'Klaus', 'Stefan', 'Markus', 'Thomas', 'Andreas'],
    F: ['Monika', 'Sabine', 'Petra', 'Ursula', 'Heike', 'Anja'],
  },
};

export const LAST_NAMES: Record<Language, string[]> = {
  NL: ['Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet', 'Vermeulen', 'Van Damme', 'Verstraete', 'Pauwels', 'Hermans'],
  FR: ['Dubois', 'Lambert', 'Dupont', 'Martin', 'Leroy', 'Lejeune', 'Renard', 'Simon', 'Laurent', 'Lemaire', 'Collard', 'Mathieu', 'Gérard', 'Denis', 'Fontaine'],
  DE: ['Schmitz', 'Kessler', 'Müller', 'Krings', 'Heinen', 'Cremer', 'Lentz', 'Braun'],
};

export interface Municipality {
  zip: number;
  name: string;
  language: Language;
}

export const MUNICIPALITIES: Municipality[] = [
  { zip: 1000, name: 'Brussel', language: 'NL' },
  { zip: 1050, name: 'Ixelles', language: 'FR' },
  { zip: 2000, name: 'Antwerpen', language: 'NL' },
  { zip: 3000, name: 'Leuven', language: 'NL' },
  { zip: 4000, name: 'Liège', language: 'FR' },
  { zip: 4700, name: 'Eupen', language: 'DE' },
  { zip: 5000, name: 'Namur', language: 'FR' },
  { zip: 6000, name: 'Charleroi', language: 'FR' },
  { zip: 8000, name: 'Brugge', language: 'NL' },
  { zip: 9000, name: 'Gent', language: 'NL' },
  { zip: 3500, name: 'Hasselt', language: 'NL' },
  { zip: 7000, name: 'Mons', language: 'FR' },
];

export const STREETS: Record<Language, string[]> = {
  NL: ['Kerkstraat', 'Stationsstraat', 'Molenstraat', 'Dorpsstraat', 'Schoolstraat', 'Nieuwstraat', 'Lindelaan'],
  FR: ['Rue de la Station', "Rue de l'Église", 'Avenue des Tilleuls', 'Rue du Moulin', 'Chaussée de Namur', 'Rue Haute'],
  DE: ['Bahnhofstraße', 'Kirchstraße', 'Hauptstraße', 'Lindenweg'],
};

/** Names of hospital wards; each seeded hospital lists some in its directory entry. */
export const WARDS = ['Cardiology', 'Geriatrics', 'Maternity', 'Oncology', 'Paediatrics', 'Intensive Care', 'Orthopaedics', 'Neurology'];

export const HOSPITAL_NAMES = ['AZ Sint-Elisabeth', 'CHU Notre-Dame des Champs', 'UZ Linde', 'Clinique Saint-Roch', 'AZ Zeemeeuw', 'St. Nikolaus-Klinik'];
export const PHARMACY_NAMES = ['Apotheek De Kroon', 'Pharmacie du Marché', 'Apotheek Het Anker', 'Pharmacie Centrale'];
export const MEDICAL_HOUSE_NAMES = ['Wijkgezondheidscentrum De Brug', 'Maison médicale Les Tilleuls'];
export const INSTITUTION_NAMES = ['Regionaal Zorgnetwerk Noord', 'Réseau Santé Wallonie Sud', 'Labo Medisch Centrum'];
