import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MAX_CIDRS, cidrListSchema, compileNetworks, networkOf, normalizeIp } from './networks.js';

function messages(input: unknown): string[] {
  const result = cidrListSchema.safeParse(input);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => i.message);
}

describe('cidrListSchema', () => {
  it('accepts IPv4 and IPv6 blocks and returns them in canonical form', () => {
    expect(cidrListSchema.parse(['10.0.0.0/8', '2001:DB8:0:0::/32', '0.0.0.0/0', '::/0', '192.0.2.7/32', '2001:db8::1/128', ' 198.51.100.0/24 '])).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '0.0.0.0/0',
      '::/0',
      '192.0.2.7/32',
      '2001:db8::1/128',
      '198.51.100.0/24',
    ]);
  });

  it('takes a bare address as /32 or /128', () => {
    expect(cidrListSchema.parse(['203.0.113.7', '2001:db8::7'])).toEqual(['203.0.113.7/32', '2001:db8::7/128']);
  });

  it('stores IPv4-mapped blocks as the IPv4 blocks they are', () => {
    expect(cidrListSchema.parse(['::ffff:10.0.0.0/104', '::ffff:192.0.2.1'])).toEqual(['10.0.0.0/8', '192.0.2.1/32']);
  });

  it('rejects host bits set and suggests the block that was meant', () => {
    expect(messages(['10.0.0.1/8'])).toEqual(['10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?']);
    expect(messages(['192.168.1.77/26'])).toEqual(['192.168.1.77/26 has host bits set; did you mean 192.168.1.64/26?']);
    expect(messages(['2001:db8::1/32'])).toEqual(['2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?']);
    expect(messages(['1.2.3.4/0'])).toEqual(['1.2.3.4/0 has host bits set; did you mean 0.0.0.0/0?']);
  });

  it('rejects prefix lengths out of range or not written plainly', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x', '::/129']) {
      expect(messages([bad])[0], bad).toMatch(/prefix length must be a number from 0 to (32|128)|not an IP address/);
    }
    expect(messages(['::/129'])).toEqual(['::/129: the prefix length must be a number from 0 to 128']);
  });

  it('rejects garbage', () => {
    for (const bad of ['', 'abc', '10.0.0', '256.0.0.0/8', '010.0.0.0/8', '10.0.0.0 /8', '1::2::3/64', '2001:db8::g/64', 'localhost', '10.0.0.0/8,10.1.0.0/16', 'x'.repeat(1000)]) {
      expect(cidrListSchema.safeParse([bad]).success, bad).toBe(false);
    }
    expect(cidrListSchema.safeParse('10.0.0.0/8').success).toBe(false);
    expect(cidrListSchema.safeParse([42]).success).toBe(false);
  });

  it('rejects zone ids in entries', () => {
    expect(messages(['fe80::1%eth0'])).toEqual(['fe80::1%eth0: zone ids are not allowed in an allow-list']);
    expect(messages(['fe80::%1/64'])).toEqual(['fe80::%1/64: zone ids are not allowed in an allow-list']);
  });

  it(`accepts ${MAX_CIDRS} entries and rejects ${MAX_CIDRS + 1}`, () => {
    const entries = Array.from({ length: MAX_CIDRS + 1 }, (_, i) => `10.${i >> 8}.${i & 0xff}.0/24`);
    expect(cidrListSchema.safeParse(entries.slice(0, MAX_CIDRS)).success).toBe(true);
    const result = cidrListSchema.safeParse(entries);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('too_big');
  });
});

describe('compileNetworks', () => {
  it('matches IPv4 addresses against IPv4 blocks', () => {
    const list = compileNetworks(['10.0.0.0/8', '192.0.2.7/32']);
    expect(list.contains('10.0.0.0')).toBe(true);
    expect(list.contains('10.255.255.255')).toBe(true);
    expect(list.contains('11.0.0.0')).toBe(false);
    expect(list.contains('9.255.255.255')).toBe(false);
    expect(list.contains('192.0.2.7')).toBe(true);
    expect(list.contains('192.0.2.8')).toBe(false);
  });

  it('matches IPv6 addresses against IPv6 blocks, in any spelling', () => {
    const list = compileNetworks(['2001:db8::/32', '2001:db8:ffff::1/128']);
    expect(list.contains('2001:db8:1234::1')).toBe(true);
    expect(list.contains('2001:DB8:0:0:0:0:0:1')).toBe(true);
    expect(list.contains('2001:db9::1')).toBe(false);
    const single = compileNetworks(['2001:db8:ffff::1/128']);
    expect(single.contains('2001:db8:ffff:0::1')).toBe(true);
    expect(single.contains('2001:db8:ffff::2')).toBe(false);
  });

  it('treats IPv4-mapped client addresses as IPv4 (dual-stack sockets report them so)', () => {
    const list = compileNetworks(['10.0.0.0/8']);
    expect(list.contains('::ffff:10.1.2.3')).toBe(true);
    expect(list.contains('::FFFF:a01:203')).toBe(true);
    expect(list.contains('::ffff:11.1.2.3')).toBe(false);
  });

  it('treats IPv4-mapped entries as IPv4', () => {
    const list = compileNetworks(['::ffff:10.0.0.0/104']);
    expect(list.contains('10.9.9.9')).toBe(true);
    expect(list.contains('::ffff:10.9.9.9')).toBe(true);
  });

  it('keeps the families apart: 0.0.0.0/0 is every IPv4 client, ::/0 every IPv6 client', () => {
    const v4 = compileNetworks(['0.0.0.0/0']);
    expect(v4.contains('203.0.113.9')).toBe(true);
    expect(v4.contains('::ffff:203.0.113.9')).toBe(true);
    expect(v4.contains('2001:db8::1')).toBe(false);
    const v6 = compileNetworks(['::/0']);
    expect(v6.contains('2001:db8::1')).toBe(true);
    expect(v6.contains('::1')).toBe(true);
    // Node's BlockList alone would say true here.
    expect(v6.contains('203.0.113.9')).toBe(false);
    expect(v6.contains('::ffff:203.0.113.9')).toBe(false);
  });

  it('contains nothing when empty (callers treat an empty allow-list as "not configured")', () => {
    const list = compileNetworks([]);
    expect(list.contains('10.0.0.1')).toBe(false);
    expect(list.contains('::1')).toBe(false);
  });

  it('strips zone ids from client addresses', () => {
    const list = compileNetworks(['fe80::/10']);
    expect(list.contains('fe80::1%eth0')).toBe(true);
    expect(list.contains('fe80::1%7')).toBe(true);
    expect(list.contains('fe80::1%')).toBe(false);
    expect(list.contains('fe80::1%eth0/evil')).toBe(false);
  });

  it('contains no garbage', () => {
    const list = compileNetworks(['0.0.0.0/0', '::/0']);
    for (const bad of ['', 'localhost', '10.0.0.1:443', '10.0.0.1/32', '010.0.0.1', '1.2.3.4%eth0', '[::1]', 'x'.repeat(10_000)]) {
      expect(list.contains(bad), bad).toBe(false);
    }
  });

  it('refuses invalid entries with a TypeError (validate with cidrListSchema first)', () => {
    expect(() => compileNetworks(['10.0.0.1/8'])).toThrow(new TypeError('10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?'));
    expect(() => compileNetworks(['nope'])).toThrow(TypeError);
  });
});

describe('normalizeIp', () => {
  it('returns canonical text', () => {
    const cases: [string, string][] = [
      ['10.1.2.3', '10.1.2.3'],
      ['::ffff:10.1.2.3', '10.1.2.3'],
      ['::FFFF:A01:203', '10.1.2.3'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['::1.2.3.4', '::102:304'],
      ['fe80::1%eth0', 'fe80::1'],
    ];
    for (const [input, expected] of cases) expect(normalizeIp(input), input).toBe(expected);
  });

  it('returns undefined for anything that is not an IP address', () => {
    for (const bad of ['', ' 10.1.2.3', '10.1.2', '10.1.2.3.4', '256.1.2.3', '010.1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '1.2.3.4::', '::1.2.3', 'g::1', '10.1.2.3%eth0']) {
      expect(normalizeIp(bad), bad).toBeUndefined();
    }
  });

  it('agrees with node:net on what is an address', () => {
    const samples = [
      '0.0.0.0', '255.255.255.255', '1.2.3', '1.2.3.04', '1.2.3.4.', '::', ':::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9', ':1:2:3:4:5:6:7', '1:2:3:4:5:6::1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:1.2.3.4', '1.2.3.4::', 'ffff::ffff:ffff', '12345::', 'abcd::efg',
    ];
    for (const sample of samples) expect(normalizeIp(sample) !== undefined, sample).toBe(isIP(sample) !== 0);
  });
});

describe('networkOf', () => {
  it('keeps the /24 of an IPv4 client and the /56 of an IPv6 one', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:1:2ff::9')).toBe('2001:db8:1:200::/56');
    expect(networkOf('2001:DB8:1:2FF:0:0:0:9%eth0')).toBe('2001:db8:1:200::/56');
  });

  it('puts two addresses of one home line in one network, and a neighbour line in another', () => {
    expect(networkOf('198.51.100.1')).toBe(networkOf('198.51.100.254'));
    expect(networkOf('198.51.100.1')).not.toBe(networkOf('198.51.101.1'));
    expect(networkOf('2001:db8:0:10::1')).toBe(networkOf('2001:db8:0:ff::1'));
    expect(networkOf('2001:db8:0:100::1')).not.toBe(networkOf('2001:db8:0:ff::1'));
  });

  it('refuses what is not an address', () => {
    expect(networkOf('not an ip')).toBeUndefined();
    expect(networkOf('010.0.0.1')).toBeUndefined();
  });
});
