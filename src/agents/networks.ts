/**
 * Allowed networks for remote agents: a tenant lists the CIDR blocks (office, VPN egress) its
 * agents may connect from, and every request's client address is checked against them.
 *
 * IPv4 and IPv6 are kept apart: an IPv4 client matches only IPv4 blocks and an IPv6 client only
 * IPv6 blocks. IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, which is how Node reports IPv4
 * clients on dual-stack sockets) are IPv4 everywhere: as client addresses and as list entries
 * (`::ffff:10.0.0.0/104` is stored as `10.0.0.0/8`). So `::/0` means "every IPv6 client", not
 * "everyone": Node's BlockList alone would let it match IPv4 clients too, which is why there is one
 * BlockList per family.
 *
 * Zone ids (`fe80::1%eth0`): refused in list entries (a zone names an interface of one machine,
 * meaningless in a tenant's policy); stripped from client addresses, which the socket may report
 * with one for link-local peers. Stripping grants nothing: the same address without the zone is
 * what an allow-list entry would have to cover anyway.
 */
import { BlockList } from 'node:net';
import { z } from 'zod';

/** At most this many entries in one allow-list. */
export const MAX_CIDRS = 256;

type Family = 'ipv4' | 'ipv6';

interface ParsedAddress {
  readonly family: Family;
  /** 4 or 16 bytes, network order. */
  readonly bytes: readonly number[];
}

/** A block in canonical form: `address` has no host bits set. */
export interface Cidr {
  readonly family: Family;
  readonly address: string;
  readonly prefix: number;
}

// Longer than any address with a sensible zone id: refuse before doing any work.
const MAX_ADDRESS_LENGTH = 100;

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // No leading zeros: some parsers read `010` as octal 8, so the same text could mean two hosts.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === '') return [];
    const words: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        words.push(parseInt(piece, 16));
      }
    }
    return words;
  };
  const head = groups(halves[0]!);
  if (!head) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const tail = groups(halves[1]!);
    // An embedded IPv4 address may only end the address, so not before `::`.
    if (!tail || halves[0]!.includes('.')) return undefined;
    if (head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

function isMapped(bytes: readonly number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/** An address without zone id, or undefined. IPv4-mapped addresses stay IPv6 here. */
function parseAddress(text: string): ParsedAddress | undefined {
  if (text.length === 0 || text.length > MAX_ADDRESS_LENGTH) return undefined;
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes ? { family: 'ipv6', bytes } : undefined;
  }
  const bytes = parseIPv4(text);
  return bytes ? { family: 'ipv4', bytes } : undefined;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (first if tied) of 2+ zero words as `::`. */
function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

function format(address: ParsedAddress): string {
  return address.family === 'ipv4' ? address.bytes.join('.') : formatIPv6(address.bytes);
}

/** IPv4-mapped IPv6 becomes the IPv4 address it carries; anything else is unchanged. */
function unmap(address: ParsedAddress): ParsedAddress {
  return isMapped(address.bytes) ? { family: 'ipv4', bytes: address.bytes.slice(12) } : address;
}

/**
 * The canonical text of a client address, or undefined when `ip` is not an IP address.
 *
 * IPv4-mapped IPv6 becomes IPv4 (`::ffff:10.1.2.3` → `10.1.2.3`); IPv6 is lowercased and
 * compressed per RFC 5952 (`2001:DB8:0:0::1` → `2001:db8::1`); an IPv6 zone id is stripped
 * (`fe80::1%eth0` → `fe80::1`). IPv4 parts with leading zeros (`010.0.0.1`) are refused.
 *
 * @example
 * normalizeIp('::FFFF:10.1.2.3'); // '10.1.2.3'
 * normalizeIp('not an ip');       // undefined
 */
export function normalizeIp(ip: string): string | undefined {
  const address = parseClient(ip);
  return address ? format(address) : undefined;
}

function parseClient(ip: string): ParsedAddress | undefined {
  if (typeof ip !== 'string' || ip.length > MAX_ADDRESS_LENGTH) return undefined;
  let text = ip;
  const percent = ip.indexOf('%');
  if (percent >= 0) {
    // Only IPv6 has zones; the zone is an interface name or number.
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ip.slice(percent + 1))) return undefined;
    text = ip.slice(0, percent);
    if (!text.includes(':')) return undefined;
  }
  const address = parseAddress(text);
  return address ? unmap(address) : undefined;
}

type CidrResult = { ok: true; cidr: Cidr } | { ok: false; message: string };

/** Parses one allow-list entry; IPv4-mapped blocks of /96 or longer become IPv4 blocks. */
function parseCidr(input: string): CidrResult {
  const invalid = { ok: false, message: `${input} is not an IP address or CIDR block` } as const;
  if (input.length > MAX_ADDRESS_LENGTH) return { ok: false, message: 'Not an IP address or CIDR block (too long)' };
  if (input.includes('%')) return { ok: false, message: `${input}: zone ids are not allowed in an allow-list` };
  const slash = input.indexOf('/');
  const addressText = slash < 0 ? input : input.slice(0, slash);
  let address = parseAddress(addressText);
  if (!address) return invalid;
  const bits = address.bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = input.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return { ok: false, message: `${input}: the prefix length must be a number from 0 to ${bits}` };
    }
    prefix = Number(prefixText);
  }
  const network = address.bytes.map((byte, i) => {
    const kept = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  if (network.some((byte, i) => byte !== address!.bytes[i])) {
    const suggestion = `${format({ family: address.family, bytes: network })}/${prefix}`;
    return { ok: false, message: `${input} has host bits set; did you mean ${suggestion}?` };
  }
  if (address.family === 'ipv6' && prefix >= 96 && isMapped(address.bytes)) {
    address = unmap(address);
    prefix -= 96;
  }
  return { ok: true, cidr: { family: address.family, address: format(address), prefix } };
}

/**
 * One allow-list entry: `a.b.c.d/n`, `x::/n`, or a bare address (taken as /32 or /128).
 * Output is canonical `address/prefix` (`2001:DB8::/32` → `2001:db8::/32`, `10.0.0.5` →
 * `10.0.0.5/32`, `::ffff:10.0.0.0/104` → `10.0.0.0/8`). Surrounding whitespace is trimmed.
 * Host bits set are an error that suggests the intended block.
 */
export const cidrSchema = z
  .string()
  .trim()
  .max(MAX_ADDRESS_LENGTH)
  .transform((input, ctx) => {
    const result = parseCidr(input);
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return `${result.cidr.address}/${result.cidr.prefix}`;
  });

/**
 * A tenant's allow-list: up to {@link MAX_CIDRS} entries of {@link cidrSchema}.
 *
 * @example
 * cidrListSchema.parse(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);
 * // ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7/32']
 * cidrListSchema.safeParse(['10.0.0.1/8']).error?.issues[0]?.message;
 * // '10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?'
 */
export const cidrListSchema = z.array(cidrSchema).max(MAX_CIDRS);

export interface NetworkList {
  /** Whether `ip` (a client address in any form `normalizeIp` accepts) lies in one of the blocks. */
  contains(ip: string): boolean;
}

/**
 * Compiles an allow-list (entries as accepted by {@link cidrSchema}) for fast lookups.
 *
 * An empty list contains nothing: `contains` returns false. Whether an empty allow-list means
 * "no restriction" is the caller's policy, not this function's; callers treat an empty list as
 * "not configured" and skip the check rather than calling `contains`.
 *
 * Throws TypeError for an entry that {@link cidrSchema} would reject (validate input first).
 *
 * @example
 * const office = compileNetworks(['203.0.113.0/24']);
 * office.contains('::ffff:203.0.113.9'); // true
 */
export function compileNetworks(cidrs: readonly string[]): NetworkList {
  const lists: Record<Family, BlockList> = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const entry of cidrs) {
    const result = parseCidr(entry.trim());
    if (!result.ok) throw new TypeError(result.message);
    lists[result.cidr.family].addSubnet(result.cidr.address, result.cidr.prefix, result.cidr.family);
  }
  return {
    contains(ip: string): boolean {
      const address = parseClient(ip);
      if (!address) return false;
      return lists[address.family].check(format(address), address.family);
    },
  };
}

/** Prefix lengths that make "a network" for new-network detection: a home or office line. */
export const NETWORK_PREFIX = { ipv4: 24, ipv6: 56 } as const;

/**
 * The network a client address belongs to for "new network" detection: its IPv4 /24 or IPv6
 * /56, as canonical CIDR text; undefined when `ip` is not an address. A /24 is what one office or
 * ISP line usually holds; a /56 is what ISPs commonly delegate to one home (RIPE-690), so a home
 * router's changing /64s do not count as new networks every day.
 *
 * @example
 * networkOf('203.0.113.77');        // '203.0.113.0/24'
 * networkOf('2001:db8:1:2ff::9');    // '2001:db8:1:200::/56'
 */
export function networkOf(ip: string): string | undefined {
  const address = parseClient(ip);
  if (address === undefined) return undefined;
  const prefix = NETWORK_PREFIX[address.family];
  const bytes = address.bytes.map((byte, i) => {
    const kept = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - kept)) & 0xff);
  });
  return `${format({ family: address.family, bytes })}/${prefix}`;
}
