// IP address helpers shared by the model and the kernel adapters.
import ipaddr from 'ipaddr.js';
import { flat } from '../flat-string.js';

export type IpFamily = 4 | 6;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** Canonical text of an address (IPv6 compressed, lower case), or undefined if invalid. */
export function canonicalIp(text: string): string | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  // ipaddr accepts "1" or "0x1" as IPv4; Kubernetes does not.
  if (text.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  const a = ipaddr.parse(text);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) return undefined;
  // the text itself when already canonical: one string per endpoint, not one more copy
  const canonical = a.toString();
  return canonical === text ? text : canonical;
}

export function ipFamily(address: string): IpFamily {
  return address.includes(':') ? 6 : 4;
}

export function ipToBytes(address: string): Buffer {
  return Buffer.from(ipaddr.parse(address).toByteArray());
}

export function ipFromBytes(bytes: Buffer, family: IpFamily): string {
  // IPv4 by hand: dumps decode hundreds of thousands of addresses.
  // flat: a full resync keeps ~40,000 of them until the plan (see flat)
  if (family === 4) return flat(`${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`);
  return ipaddr.fromByteArray([...bytes.subarray(0, 16)]).toString();
}

export const afOf = (family: IpFamily) => (family === 4 ? AF_INET : AF_INET6);
export const familyOfAf = (af: number): IpFamily | undefined => (af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined);

/** Whether an address lies in a CIDR ("10.0.0.0/8"); false across families. */
export function cidrContains(cidr: string, address: string): boolean {
  const [net, len] = ipaddr.parseCIDR(cidr);
  const ip = ipaddr.parse(address);
  return ip.kind() === net.kind() && ip.match(net, len);
}

/** "10.0.0.1:80" or "[fd00::1]:80", as ipvsadm writes endpoints. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
