import * as fs from 'fs';

/**
 * A minimal reader of TensorBoard event files, to check what the training run wrote: TFRecord framing
 * (u64 length, u32 masked CRC-32C of it, data, u32 masked CRC-32C of the data; both checked) and the few
 * fields of the Event protobuf we write.
 */
export interface EventRecord {
  step: number;
  /** Summary values by tag: a number for scalars, 'histogram' for histograms. */
  values: { tag: string; value: number | 'histogram' }[];
}

/** CRC-32C (Castagnoli), as TFRecord uses it. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** TFRecord's masked CRC of `bytes`: rotate right by 15 and add a constant. */
function maskedCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff] ^ (crc >>> 8);
  crc = (crc ^ 0xffffffff) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** Protobuf fields of one message: field number → raw values (numbers for varints/fixed, bytes for length-delimited). */
function fields(bytes: Uint8Array): Map<number, (number | bigint | Uint8Array)[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, (number | bigint | Uint8Array)[]>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[at++];
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >> 3, key & 7];
    let value: number | bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) { value = view.getFloat64(at, true); at += 8; }
    else if (wire === 5) { value = view.getFloat32(at, true); at += 4; }
    else if (wire === 2) { const n = Number(varint()); value = bytes.subarray(at, at + n); at += n; }
    else throw new Error(`unsupported wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** The value of a Summary.Value: simple_value (2), or a scalar TensorProto (8) as TF2 summary ops write it, or a histogram. */
function summaryValue(value: Map<number, (number | bigint | Uint8Array)[]>): number | 'histogram' {
  if (value.has(2)) return value.get(2)![0] as number;
  const tensor = fields(value.get(8)![0] as Uint8Array);
  const shape = tensor.has(2) ? fields(tensor.get(2)![0] as Uint8Array) : new Map();
  if (shape.has(2)) return 'histogram'; // a [buckets, 3] tensor: left edge, right edge, count
  if (tensor.has(5)) { // float_val, packed
    const packed = tensor.get(5)![0];
    return packed instanceof Uint8Array ? new DataView(packed.buffer, packed.byteOffset).getFloat32(0, true) : (packed as number);
  }
  const content = tensor.get(4)![0] as Uint8Array; // tensor_content
  const dtype = Number(tensor.get(1)![0]);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  return dtype === 2 ? view.getFloat64(0, true) : view.getFloat32(0, true);
}

export function readEvents(file: string): EventRecord[] {
  const data = fs.readFileSync(file);
  const events: EventRecord[] = [];
  let at = 0;
  while (at < data.length) {
    const length = Number(data.readBigUInt64LE(at));
    const record = data.subarray(at + 12, at + 12 + length);
    if (data.readUInt32LE(at + 8) !== maskedCrc(data.subarray(at, at + 8)) || data.readUInt32LE(at + 12 + length) !== maskedCrc(record)) {
      throw new Error(`${file}: bad CRC in the record at byte ${at}`);
    }
    at += 12 + length + 4;
    const event = fields(record);
    const summary = event.get(5)?.[0] as Uint8Array | undefined;
    if (!summary) continue; // the file_version event
    const values = (fields(summary).get(1) ?? []).map((raw) => {
      const value = fields(raw as Uint8Array);
      return { tag: new TextDecoder().decode(value.get(1)![0] as Uint8Array), value: summaryValue(value) };
    });
    events.push({ step: Number(event.get(2)?.[0] ?? 0), values });
  }
  if (at !== data.length) throw new Error(`${file}: the last record is cut off`);
  return events;
}
