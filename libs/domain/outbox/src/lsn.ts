/** PostgreSQL WAL positions (`16/B374D848`) as bigints, so they compare and add correctly. */
export function parseLsn(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  if (hi === undefined || lo === undefined || !/^[0-9a-f]+$/i.test(hi) || !/^[0-9a-f]+$/i.test(lo)) {
    throw new Error(`not an LSN: ${lsn}`);
  }
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

export function formatLsn(lsn: bigint): string {
  if (lsn < 0n) throw new Error(`negative LSN: ${lsn}`);
  const hi = lsn >> 32n;
  const lo = lsn & 0xffffffffn;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase().padStart(8, '0')}`;
}
