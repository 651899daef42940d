import * as dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockedAddressError, checkUrlTarget, guardedLookup, isPublicAddress } from './ssrf-guard';

type LookupResult = { err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

/** Calls a guarded lookup the way net does and collects what it calls back with. */
function resolveWith(lookup: ReturnType<typeof guardedLookup>, hostname: string, options: LookupOptions): Promise<LookupResult> {
  return new Promise((resolve) => lookup(hostname, options, (err, address, family) => resolve({ err, address, family })));
}

/** A dns.lookup answering every name with fixed addresses, recording the options it was called with. */
function stubLookup(addresses: LookupAddress[]) {
  const calls: LookupOptions[] = [];
  const lookup = ((_hostname: string, options: LookupOptions, callback: (err: null, addresses: LookupAddress[]) => void) => {
    calls.push(options);
    process.nextTick(() => callback(null, addresses));
  }) as unknown as typeof dns.lookup;
  return { lookup, calls };
}

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback, anywhere in 127/8'],
    ['10.1.2.3', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.254', 'private 172.16/12, upper end'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'link-local, cloud metadata'],
    ['100.100.100.200', 'carrier-grade NAT, Alibaba metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with a zone'],
    ['fd00:ec2::254', 'unique-local, AWS IPv6 metadata'],
    ['fc00::1', 'unique-local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::127.0.0.1', 'deprecated IPv4-compatible'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    ['2002:7f00:1::1', '6to4 through 127.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'teredo with client 10.0.0.1'],
    ['not-an-address', 'unparseable'],
    ['', 'empty'],
    ['1.2.3.4.5', 'too many octets'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    ['8.8.8.8', 'public IPv4'],
    ['1.1.1.1', 'public IPv4'],
    ['2606:4700:4700::1111', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['64:ff9b::808:808', 'NAT64 of a public address (DNS64 on IPv6-only hosts)'],
    ['2002:808:808::1', '6to4 through a public relay'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'teredo with client 8.8.8.8'],
  ])('accepts %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('guardedLookup', () => {
  const publicAddresses: LookupAddress[] = [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ];

  it('refuses a name when any of its addresses is not public, even behind a public one', async () => {
    const { lookup } = stubLookup([...publicAddresses, { address: '10.0.0.7', family: 4 }]);
    const result = await resolveWith(guardedLookup(false, lookup), 'rebind.example', {});
    expect(result.err).toBeInstanceOf(BlockedAddressError);
    expect(result.err).toMatchObject({ code: 'WEBHOOK.ADDRESS_NOT_ALLOWED', host: 'rebind.example', address: '10.0.0.7' });
    expect(result.err?.message).toContain('WEBHOOK_ALLOW_PRIVATE_NETWORKS=on');
  });

  it('calls back with the first address when net asks for one', async () => {
    const { lookup, calls } = stubLookup(publicAddresses);
    const result = await resolveWith(guardedLookup(false, lookup), 'example.com', { family: 0, hints: dns.ADDRCONFIG });
    expect(result).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    // Always resolves every address, keeping net's family and hints.
    expect(calls).toEqual([{ family: 0, hints: dns.ADDRCONFIG, all: true }]);
  });

  it('calls back with every address when net asks for all (autoSelectFamily)', async () => {
    const { lookup } = stubLookup(publicAddresses);
    const result = await resolveWith(guardedLookup(false, lookup), 'example.com', { all: true });
    expect(result.err).toBeNull();
    expect(result.address).toEqual(publicAddresses);
  });

  it('lets private addresses through when private networks are allowed', async () => {
    const { lookup } = stubLookup([{ address: '10.0.0.7', family: 4 }]);
    const result = await resolveWith(guardedLookup(true, lookup), 'intranet.example', {});
    expect(result).toEqual({ err: null, address: '10.0.0.7', family: 4 });
  });

  it('passes a resolution error through', async () => {
    const failing = ((_hostname: string, _options: LookupOptions, callback: (err: NodeJS.ErrnoException) => void) =>
      callback(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' }))) as unknown as typeof dns.lookup;
    const result = await resolveWith(guardedLookup(false, failing), 'nowhere.invalid', {});
    expect(result.err?.code).toBe('ENOTFOUND');
  });

  it('refuses localhost resolved by the real dns.lookup', async () => {
    const result = await resolveWith(guardedLookup(false), 'localhost', {});
    expect(result.err).toBeInstanceOf(BlockedAddressError);
  });

  it('accepts localhost resolved by the real dns.lookup when private networks are allowed', async () => {
    const result = await resolveWith(guardedLookup(true), 'localhost', {});
    expect(result.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(result.address);
  });
});

describe('checkUrlTarget', () => {
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:127.0.0.1]:8080/',
  ])('refuses %s', (url) => {
    expect(() => checkUrlTarget(new URL(url), false)).toThrow(BlockedAddressError);
  });

  it('refuses an IPv4 literal written in a form the URL parser canonicalises (0x7f.1 is 127.0.0.1)', () => {
    expect(() => checkUrlTarget(new URL('http://0x7f.1/'), false)).toThrow(BlockedAddressError);
  });

  it.each(['http://8.8.8.8/', 'https://[2606:4700:4700::1111]/hook', 'https://localhost/'])('lets %s through', (url) => {
    // localhost is a name, judged by guardedLookup when the socket resolves it.
    expect(() => checkUrlTarget(new URL(url), false)).not.toThrow();
  });

  it('lets a private literal through when private networks are allowed', () => {
    expect(() => checkUrlTarget(new URL('http://127.0.0.1/'), true)).not.toThrow();
  });
});
