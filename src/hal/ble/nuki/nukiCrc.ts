/**
 * CRC-CCITT as the Nuki API specifies it: polynomial 0x1021 (normal), initial remainder 0xFFFF,
 * no reflection, no final XOR (the "CCITT-FALSE" variant). Appended little-endian to every message.
 */
export function nukiCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Whether the last two bytes of `frame` are the little-endian CRC of the bytes before them. */
export function nukiCrcValid(frame: Uint8Array): boolean {
  if (frame.length < 2) return false;
  const n = frame.length - 2;
  return nukiCrc(frame.subarray(0, n)) === (frame[n]! | (frame[n + 1]! << 8));
}
