// What every benchmark reports about the machine it ran on.
import { availableParallelism, cpus, totalmem } from 'node:os';

export function machine(): {
  cores: number;
  cpu: string;
  memoryGb: number;
  node: string;
  platform: string;
} {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
