// The simulated tenant: users, their devices and networks, the apps they use,
// the Internet hosts they talk to, and the scanners that trip the IDS. Built once
// up front from the seed; per-record work only picks from it. JSON fragments
// that never change per record are precomputed here.
import { canonicalIp, specialPurpose } from '../model/ip.js';
import { Rng } from './rng.js';

export const TENANT_ID = '5f1c2a9e-7b3d-4e8a-9c61-2d4b8e0f7a13';
export const TENANT_DOMAIN = 'fabrikam.com';
export const ORG_NAME = 'fabrikamgroup.onmicrosoft.com';

export interface Geo {
  city: string;
  state: string;
  country: string;
  lat: number;
  lon: number;
  asn: number;
}

/** One address the generator writes. `tracked`: it has (or will have) a network alert. */
export interface GenIp {
  /** Canonical text (what canonicalIp returns). */
  canon: string;
  v6: boolean;
  tracked: boolean;
  geo: Geo;
  /** `"location":{...}` for Entra diagnostic records. */
  entraLoc: string;
  /** `"location":{...}` for Graph signIn resources (altitude null). */
  graphLoc: string;
  /** Suricata's spelling (IPv6 fully expanded, as EVE writes it). */
  eve: string;
}

export interface Device {
  os: string;
  browser: string;
  userAgent: string;
  clientApp: string;
  trustType: string | null;
  /** OWA / Outlook client strings for Exchange records. */
  clientInfo: string;
}

export interface GenUser {
  upn: string;
  display: string;
  id: string;
  sid: string;
  puid: string;
  mailboxGuid: string;
  deviceId: string;
  device: Device;
  home: GenIp;
  office: Office;
  mobile: GenIp;
  /** `"userDisplayName":..,"userPrincipalName":..,"userId":..` */
  entraUser: string;
  /** `"deviceDetail":{...}` */
  deviceDetail: string;
}

export interface Office {
  name: string;
  egress: GenIp;
  egress6: GenIp;
}

export interface App {
  id: string;
  name: string;
  resource: string;
  resourceId: string;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  name: string;
  resource: string;
  resourceId: string;
  ip: GenIp;
  managed: boolean;
}

const FIRST = [
  'Anna', 'Lukas', 'Sofia', 'Jonas', 'Marie', 'Felix', 'Emma', 'Leon', 'Mia', 'Paul', 'Hannah', 'Elias',
  'Lea', 'Noah', 'Clara', 'Ben', 'Ida', 'Finn', 'Nora', 'Jürgen', 'Zoë', 'Søren', 'Chloé', 'José', 'Amélie',
  'Olivia', 'James', 'Amelia', 'Oliver', 'Isla', 'George', 'Ava', 'Harry', 'Grace', 'Jack', 'Freya', 'Oscar',
  'Priya', 'Arjun', 'Mei', 'Wei', 'Yuki', 'Hiroshi', 'Fatima', 'Omar', 'Aisha', 'Mateo', 'Lucía', 'Diego',
  'Camille', 'Hugo', 'Inès', 'Louis', 'Giulia', 'Marco', 'Sara', 'Matteo', 'Ewa', 'Piotr', 'Zofia', 'Tomás',
  'Ingrid', 'Lars', 'Astrid', 'Mikkel', 'Eva', 'Daniel', 'Laura', 'David', 'Julia', 'Michael', 'Sarah',
];
const LAST = [
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
  'Koch', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Braun', 'Hofmann', 'Zimmermann',
  'Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Patel', 'Wright',
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau',
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'García', 'Fernández', 'González', 'Rodríguez', 'López',
  'Kowalski', 'Nowak', 'Wiśniewski', 'Jensen', 'Nielsen', 'Hansen', 'Andersson', 'Johansson', 'Larsen',
  'Tanaka', 'Suzuki', 'Wang', 'Li', 'Zhang', 'Chen', 'Kumar', 'Singh', 'Khan', 'Ali', 'Nguyen', 'Kim',
];

function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/ø/g, 'o')
    .replace(/ł/g, 'l')
    .replace(/ś/g, 's')
    .toLowerCase();
}

/** Public ISP prefixes where users live (first octets / hextets), with their geography. */
const ISP_V4: Array<[string, Geo]> = [
  ['84.153', { city: 'Munich', state: 'Bavaria', country: 'DE', lat: 48.1374, lon: 11.5755, asn: 3320 }],
  ['93.104', { city: 'Hamburg', state: 'Hamburg', country: 'DE', lat: 53.5511, lon: 9.9937, asn: 8767 }],
  ['79.197', { city: 'Berlin', state: 'Berlin', country: 'DE', lat: 52.52, lon: 13.405, asn: 3320 }],
  ['178.27', { city: 'Cologne', state: 'North Rhine-Westphalia', country: 'DE', lat: 50.9375, lon: 6.9603, asn: 6805 }],
  ['62.226', { city: 'Frankfurt am Main', state: 'Hesse', country: 'DE', lat: 50.1109, lon: 8.6821, asn: 3320 }],
  ['86.128', { city: 'London', state: 'England', country: 'GB', lat: 51.5072, lon: -0.1276, asn: 5089 }],
  ['81.156', { city: 'Manchester', state: 'England', country: 'GB', lat: 53.4808, lon: -2.2426, asn: 2856 }],
  ['90.24', { city: 'Paris', state: 'Ile-de-France', country: 'FR', lat: 48.8566, lon: 2.3522, asn: 3215 }],
  ['176.180', { city: 'Lyon', state: 'Auvergne-Rhone-Alpes', country: 'FR', lat: 45.764, lon: 4.8357, asn: 12322 }],
  ['73.162', { city: 'Seattle', state: 'Washington', country: 'US', lat: 47.6062, lon: -122.3321, asn: 7922 }],
  ['98.207', { city: 'Chicago', state: 'Illinois', country: 'US', lat: 41.8781, lon: -87.6298, asn: 7922 }],
  ['71.59', { city: 'Boston', state: 'Massachusetts', country: 'US', lat: 42.3601, lon: -71.0589, asn: 701 }],
  ['151.38', { city: 'Milan', state: 'Lombardy', country: 'IT', lat: 45.4642, lon: 9.19, asn: 1267 }],
  ['83.27', { city: 'Stockholm', state: 'Stockholm County', country: 'SE', lat: 59.3293, lon: 18.0686, asn: 3301 }],
  ['89.64', { city: 'Warsaw', state: 'Mazovia', country: 'PL', lat: 52.2297, lon: 21.0122, asn: 12741 }],
];
const ISP_V6: Array<[string, Geo]> = [
  ['2003:e1', ISP_V4[0]![1]],
  ['2a02:8108', ISP_V4[3]![1]],
  ['2601:600', ISP_V4[9]![1]],
  ['2a01:cb00', ISP_V4[7]![1]],
];
/** Mobile carriers' public CGNAT egress (shared by a handful of users). */
const MOBILE_V4: Array<[string, Geo]> = [
  ['109.40', { city: 'Düsseldorf', state: 'North Rhine-Westphalia', country: 'DE', lat: 51.2277, lon: 6.7735, asn: 3209 }],
  ['82.132', { city: 'London', state: 'England', country: 'GB', lat: 51.5072, lon: -0.1276, asn: 25135 }],
  ['172.56', { city: 'Dallas', state: 'Texas', country: 'US', lat: 32.7767, lon: -96.797, asn: 21928 }],
];
/** Scanners, bots and reputation-listed hosts that trip the IDS. */
const SCANNER_V4: Array<[string, Geo]> = [
  ['141.98.11', { city: 'Vilnius', state: 'Vilnius', country: 'LT', lat: 54.6872, lon: 25.2797, asn: 209605 }],
  ['162.142.125', { city: 'Ann Arbor', state: 'Michigan', country: 'US', lat: 42.2808, lon: -83.743, asn: 398324 }],
  ['167.94.138', { city: 'Ann Arbor', state: 'Michigan', country: 'US', lat: 42.2808, lon: -83.743, asn: 398705 }],
  ['194.26.29', { city: 'Moscow', state: 'Moscow', country: 'RU', lat: 55.7558, lon: 37.6173, asn: 206728 }],
  ['80.82.77', { city: 'Amsterdam', state: 'North Holland', country: 'NL', lat: 52.3676, lon: 4.9041, asn: 202425 }],
  ['89.248.165', { city: 'Amsterdam', state: 'North Holland', country: 'NL', lat: 52.3676, lon: 4.9041, asn: 202425 }],
  ['92.63.197', { city: 'Moscow', state: 'Moscow', country: 'RU', lat: 55.7558, lon: 37.6173, asn: 48693 }],
  ['179.43.180', { city: 'Zurich', state: 'Zurich', country: 'CH', lat: 47.3769, lon: 8.5417, asn: 51852 }],
  ['5.188.206', { city: 'Saint Petersburg', state: 'Saint Petersburg', country: 'RU', lat: 59.9311, lon: 30.3609, asn: 49453 }],
  ['103.145.13', { city: 'Hanoi', state: 'Hanoi', country: 'VN', lat: 21.0278, lon: 105.8342, asn: 138152 }],
  ['218.92.0', { city: 'Nanjing', state: 'Jiangsu', country: 'CN', lat: 32.0603, lon: 118.7969, asn: 4134 }],
  ['61.177.172', { city: 'Wuxi', state: 'Jiangsu', country: 'CN', lat: 31.4912, lon: 120.3119, asn: 4134 }],
  ['222.186.42', { city: 'Zhenjiang', state: 'Jiangsu', country: 'CN', lat: 32.1878, lon: 119.4253, asn: 4134 }],
  ['146.190.64', { city: 'Singapore', state: 'Singapore', country: 'SG', lat: 1.3521, lon: 103.8198, asn: 14061 }],
  ['64.62.197', { city: 'Fremont', state: 'California', country: 'US', lat: 37.5485, lon: -121.9886, asn: 6939 }],
];
/** Well-known Internet services that internal clients talk to. */
export const SERVICES: Array<{ ip: string; host: string; issuer: string }> = [
  { ip: '52.97.146.162', host: 'outlook.office365.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 08' },
  { ip: '52.96.88.114', host: 'outlook.office.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 04' },
  { ip: '20.190.159.4', host: 'login.microsoftonline.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 07' },
  { ip: '13.107.42.14', host: 'fabrikamgroup.sharepoint.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03' },
  { ip: '52.112.95.3', host: 'teams.microsoft.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 08' },
  { ip: '142.250.185.78', host: 'www.google.com', issuer: 'C=US, O=Google Trust Services, CN=WR2' },
  { ip: '151.101.1.140', host: 'www.reddit.com', issuer: 'C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1' },
  { ip: '104.16.132.229', host: 'cdnjs.cloudflare.com', issuer: 'C=US, O=Google Trust Services, CN=WE1' },
  { ip: '140.82.121.4', host: 'github.com', issuer: 'C=GB, ST=Greater Manchester, L=Salford, O=Sectigo Limited, CN=Sectigo ECC Domain Validation Secure Server CA' },
  { ip: '185.199.108.133', host: 'raw.githubusercontent.com', issuer: 'C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1' },
  { ip: '23.215.0.136', host: 'www.microsoft.com', issuer: 'C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 07' },
  { ip: '3.5.140.2', host: 's3.eu-central-1.amazonaws.com', issuer: 'C=US, O=Amazon, CN=Amazon RSA 2048 M02' },
  { ip: '34.107.243.93', host: 'push.services.mozilla.com', issuer: "C=US, O=Let's Encrypt, CN=R11" },
  { ip: '17.253.144.10', host: 'www.apple.com', issuer: 'C=US, O=Apple Inc., CN=Apple Public EV Server RSA CA 2 - G1' },
];

export const OFFICES: Array<{ name: string; v4: string; v6: string; geo: Geo }> = [
  { name: 'HQ Munich', v4: '195.145.42.10', v6: '2a00:1398:4:2c00::10', geo: { city: 'Munich', state: 'Bavaria', country: 'DE', lat: 48.1374, lon: 11.5755, asn: 3320 } },
  { name: 'Hamburg', v4: '212.77.163.34', v6: '2a00:1398:4:2c01::10', geo: { city: 'Hamburg', state: 'Hamburg', country: 'DE', lat: 53.5511, lon: 9.9937, asn: 3320 } },
  { name: 'London', v4: '194.72.238.61', v6: '2a00:1398:4:2c02::10', geo: { city: 'London', state: 'England', country: 'GB', lat: 51.5072, lon: -0.1276, asn: 2856 } },
  { name: 'Paris', v4: '80.15.121.98', v6: '2a00:1398:4:2c03::10', geo: { city: 'Paris', state: 'Ile-de-France', country: 'FR', lat: 48.8566, lon: 2.3522, asn: 3215 } },
  { name: 'Boston', v4: '65.114.32.18', v6: '2a00:1398:4:2c04::10', geo: { city: 'Boston', state: 'Massachusetts', country: 'US', lat: 42.3601, lon: -71.0589, asn: 209 } },
];

export const APPS: App[] = [
  { id: '00000002-0000-0ff1-ce00-000000000000', name: 'Office 365 Exchange Online', resource: 'Office 365 Exchange Online', resourceId: '00000002-0000-0ff1-ce00-000000000000' },
  { id: '4765445b-32c6-49b0-83e6-1d93765276ca', name: 'OfficeHome', resource: 'OfficeHome', resourceId: '4765445b-32c6-49b0-83e6-1d93765276ca' },
  { id: '9199bf20-a13f-4107-85dc-02114787ef48', name: 'One Outlook Web', resource: 'Office 365 Exchange Online', resourceId: '00000002-0000-0ff1-ce00-000000000000' },
  { id: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', name: 'Microsoft Teams', resource: 'Microsoft Teams Services', resourceId: 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe' },
  { id: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', name: 'Microsoft Office', resource: 'Microsoft Graph', resourceId: '00000003-0000-0000-c000-000000000000' },
  { id: '27922004-5251-4030-b22d-91ecd9a37ea4', name: 'Outlook Mobile', resource: 'Office 365 Exchange Online', resourceId: '00000002-0000-0ff1-ce00-000000000000' },
  { id: '00000003-0000-0ff1-ce00-000000000000', name: 'Office 365 SharePoint Online', resource: 'Office 365 SharePoint Online', resourceId: '00000003-0000-0ff1-ce00-000000000000' },
  { id: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', name: 'Azure Portal', resource: 'Windows Azure Service Management API', resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013' },
  { id: '29d9ed98-a469-4536-ade2-f981bc1d605e', name: 'Microsoft Authentication Broker', resource: 'Microsoft Graph', resourceId: '00000003-0000-0000-c000-000000000000' },
  { id: '89bee1f7-5e6e-4d8a-9f3d-ecd601259da7', name: 'Office365 Shell WCSS-Client', resource: 'Office365 Shell WCSS-Server', resourceId: '5f09333a-842c-47da-a157-57da27fcbca5' },
];
/** Apps attackers favour after a phish. */
export const ATTACKER_APPS: App[] = [
  { id: '1b730954-1685-4b74-9bfd-dac224a7b894', name: 'Azure Active Directory PowerShell', resource: 'Windows Azure Active Directory', resourceId: '00000002-0000-0000-c000-000000000000' },
  { id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', name: 'Microsoft Azure CLI', resource: 'Microsoft Graph', resourceId: '00000003-0000-0000-c000-000000000000' },
  { id: '4765445b-32c6-49b0-83e6-1d93765276ca', name: 'OfficeHome', resource: 'OfficeHome', resourceId: '4765445b-32c6-49b0-83e6-1d93765276ca' },
];

const DEVICES: Device[] = [
  {
    os: 'Windows 10', browser: 'Edge 122.0.0', clientApp: 'Browser', trustType: 'Hybrid Azure AD joined',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66',
    clientInfo: 'Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66;',
  },
  {
    os: 'Windows10', browser: 'Rich Client 4.61.0.0', clientApp: 'Mobile Apps and Desktop clients', trustType: 'Azure AD joined',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045',
    clientInfo: 'Client=MSExchangeRPC',
  },
  {
    os: 'MacOs', browser: 'Safari 17.3', clientApp: 'Browser', trustType: null,
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
    clientInfo: 'Client=OWA;Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15;',
  },
  {
    os: 'Ios 17.3.1', browser: 'Mobile Safari', clientApp: 'Mobile Apps and Desktop clients', trustType: null,
    userAgent: 'Outlook-iOS/723.4027091.prod.iphone (4.2409.0)',
    clientInfo: 'Client=OutlookService;Outlook-iOS/2.0;',
  },
  {
    os: 'Android 14', browser: 'Chrome Mobile 121.0.6167', clientApp: 'Mobile Apps and Desktop clients', trustType: null,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36',
    clientInfo: 'Client=REST;Client=RESTSystem;;',
  },
  {
    os: 'Windows 11', browser: 'Chrome 122.0.0', clientApp: 'Browser', trustType: 'Azure AD registered',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
    clientInfo: 'Client=OWA;Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36;',
  },
];
export const ATTACKER_DEVICE: Device = {
  os: 'Linux', browser: 'Python Requests 2.31', clientApp: 'Browser', trustType: null,
  userAgent: 'python-requests/2.31.0',
  clientInfo: 'Client=REST;Client=RESTSystem;;',
};

function geoFragments(g: Geo): { entraLoc: string; graphLoc: string } {
  const coords = `"latitude":${g.lat},"longitude":${g.lon}`;
  return {
    entraLoc: `"location":{"city":${JSON.stringify(g.city)},"countryOrRegion":"${g.country}","geoCoordinates":{${coords}},"state":${JSON.stringify(g.state)}}`,
    graphLoc: `"location":{"city":${JSON.stringify(g.city)},"state":${JSON.stringify(g.state)},"countryOrRegion":"${g.country}","geoCoordinates":{"altitude":null,${coords}}}`,
  };
}

/** IPv6 fully expanded, lower-case: how Suricata's EVE output spells addresses. */
export function expandV6(canon: string): string {
  const [head = '', tail = ''] = canon.split('::');
  const h = head ? head.split(':') : [];
  const t = canon.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = canon.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : canon.split(':');
  return groups.map((g) => g.padStart(4, '0')).join(':');
}

export class IpRegistry {
  private readonly byCanon = new Map<string, GenIp>();
  /** Address prefixes reserved for planted cases: background never draws from them. */
  constructor(private readonly reserved: readonly string[]) {}

  get(text: string, geo: Geo, tracked = false): GenIp {
    const canon = canonicalIp(text);
    if (canon === null) throw new Error(`generator: bad address ${text}`);
    let ip = this.byCanon.get(canon);
    if (!ip) {
      const v6 = canon.includes(':');
      ip = { canon, v6, tracked, geo, ...geoFragments(geo), eve: v6 ? expandV6(canon) : canon };
      this.byCanon.set(canon, ip);
    } else if (tracked) {
      ip.tracked = true;
    }
    return ip;
  }

  has(canon: string): boolean {
    return this.byCanon.has(canon);
  }

  /** A fresh public address from one of the given prefixes (not special, not reserved, not used). */
  fresh(rng: Rng, prefixes: ReadonlyArray<[string, Geo]>, tracked = false): GenIp {
    for (;;) {
      const [prefix, geo] = rng.pick(prefixes);
      let text: string;
      if (prefix.includes(':')) {
        text = `${prefix}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}`
          .split(':').slice(0, 8).join(':');
      } else {
        const parts = prefix.split('.').length;
        const rest: number[] = [];
        for (let i = parts; i < 4; i++) rest.push(i === 3 ? rng.range(1, 254) : rng.int(256));
        text = `${prefix}.${rest.join('.')}`;
      }
      const canon = canonicalIp(text);
      if (canon === null || this.byCanon.has(canon) || specialPurpose.match(canon) !== null) continue;
      if (this.reserved.some((r) => canon.startsWith(r))) continue;
      return this.get(canon, geo, tracked);
    }
  }
}

export interface World {
  users: GenUser[];
  sps: ServicePrincipal[];
  scanners: GenIp[];
  /** Users whose home address is also on a reputation list (background positives). */
  flagged: GenUser[];
  internal: string[];
  registry: IpRegistry;
}

export function userCount(events: number): number {
  return Math.max(300, Math.min(20000, Math.round(events / 250)));
}

export function buildWorld(seed: number, events: number, reserved: readonly string[]): World {
  const rng = new Rng(seed, 1);
  const registry = new IpRegistry(reserved);
  const offices: Office[] = OFFICES.map((o) => ({
    name: o.name,
    egress: registry.get(o.v4, o.geo),
    egress6: registry.get(o.v6, o.geo),
  }));
  const mobiles: GenIp[] = [];
  const nUsers = userCount(events);
  const nMobile = Math.max(20, Math.round(nUsers / 12));
  for (let i = 0; i < nMobile; i++) mobiles.push(registry.fresh(rng, MOBILE_V4));

  const users: GenUser[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nUsers; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    let upn = `${asciiFold(first)}.${asciiFold(last)}@${TENANT_DOMAIN}`;
    for (let k = 2; seen.has(upn); k++) upn = `${asciiFold(first)}.${asciiFold(last)}${k}@${TENANT_DOMAIN}`;
    seen.add(upn);
    const display = `${first} ${last}`;
    const id = rng.guid();
    const sid = `S-1-5-21-3218476538-2890431127-1709384552-${100000 + i}`;
    const puid = `10032${rng.hex(11).toUpperCase()}`;
    const device = rng.pick(DEVICES);
    const deviceId = device.trustType ? rng.guid() : '';
    const home = rng.chance(0.2) ? registry.fresh(rng, ISP_V6) : registry.fresh(rng, ISP_V4);
    const office = rng.pick(offices);
    const mobile = rng.pick(mobiles);
    const trust = device.trustType === null ? 'null' : `"${device.trustType}"`;
    const managed = device.trustType === null ? 'false' : 'true';
    const host = device.trustType ? `"FAB-${rng.hex(6).toUpperCase()}"` : 'null';
    const u: GenUser = {
      upn, display, id, sid, puid, mailboxGuid: rng.guid(), deviceId, device, home, office, mobile,
      entraUser: `"userDisplayName":${JSON.stringify(display)},"userPrincipalName":"${upn}","userId":"${id}"`,
      deviceDetail: `"deviceDetail":{"browser":"${device.browser}","deviceId":"${deviceId}","displayName":${host},"isCompliant":${managed},"isManaged":${managed},"operatingSystem":"${device.os}","trustType":${trust}}`,
    };
    users.push(u);
  }

  const sps: ServicePrincipal[] = [];
  const spNames = ['ConfigMgrSvc', 'fab-backup-runner', 'Veeam-M365-Backup', 'fab-hr-sync', 'Terraform-Prod', 'fab-sentinel-connector', 'PowerBI-Gateway', 'fab-ci-deploy'];
  const azure: Geo = { city: 'Amsterdam', state: 'North Holland', country: 'NL', lat: 52.3676, lon: 4.9041, asn: 8075 };
  const resources: Array<[string, string]> = [
    ['Microsoft Graph', '00000003-0000-0000-c000-000000000000'],
    ['Office 365 Exchange Online', '00000002-0000-0ff1-ce00-000000000000'],
    ['Windows Azure Service Management API', '797f4846-ba00-4fd7-ba43-dac1f8f63013'],
  ];
  for (let i = 0; i < spNames.length; i++) {
    const [resource, resourceId] = rng.pick(resources);
    sps.push({
      id: rng.guid(), appId: rng.guid(), name: spNames[i]!, managed: false, resource, resourceId,
      ip: registry.get(`20.${54 + i}.${rng.int(256)}.${rng.range(1, 254)}`, azure),
    });
  }
  for (const name of ['fab-func-invoices', 'fab-aks-prod-agentpool', 'fab-logicapp-mail']) {
    sps.push({
      id: rng.guid(), appId: rng.guid(), name, managed: true,
      resource: 'Azure Key Vault', resourceId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
      ip: registry.get('20.61.0.1', azure),
    });
  }

  const nScanners = Math.max(50, Math.min(2000, Math.round(events / 2500)));
  const scanners: GenIp[] = [];
  for (let i = 0; i < nScanners; i++) scanners.push(registry.fresh(rng, SCANNER_V4, true));

  // About 1 % of users live behind an address that is also on a reputation list.
  const flagged: GenUser[] = [];
  const nFlagged = Math.max(3, Math.round(nUsers / 100));
  for (let i = 0; i < nFlagged; i++) {
    const u = users[rng.int(users.length)]!;
    if (u.home.v6 || u.home.tracked) continue;
    u.home.tracked = true;
    flagged.push(u);
  }

  const internal: string[] = [];
  for (let i = 0; i < 200; i++) internal.push(`10.1.${rng.range(8, 63)}.${rng.range(10, 250)}`);
  return { users, sps, scanners, flagged, internal, registry };
}
