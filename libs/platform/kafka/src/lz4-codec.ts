import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';

/**
 * kafkajs' LZ4 codec: LZ4 frames (the format Kafka itself writes for `compression.type=lz4`),
 * from lz4-napi (a native binary shipped in its npm packages, no build step). Registered when
 * this lib loads — before any kafkajs client of a service exists — so every consumer reads lz4
 * batches whether or not its own service writes them (HERALD_KAFKA_COMPRESSION=lz4).
 * For Herald's messages it compresses about ten times faster than gzip, a little less tightly.
 */
export const lz4Codec = () => ({
  compress: async (encoder: { buffer: Buffer }): Promise<Buffer> => compressFrame(encoder.buffer),
  decompress: async (buffer: Buffer): Promise<Buffer> => decompressFrame(buffer),
});

CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
