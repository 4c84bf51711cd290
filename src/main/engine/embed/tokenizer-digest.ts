// A digest of what a tokenizer.json *does*, independent of how it was serialised. Export tools
// write the same BPE tokenizer with different key order, whitespace, merge encodings ("a b" vs
// ["a", "b"]) and bookkeeping fields, so the byte hash of tokenizer.json identifies one export,
// not one tokenizer. Two files with equal digests tokenise every string identically.
import { createHash } from 'node:crypto';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      // Absent and null mean the same to the tokenizer runtimes.
      if (v !== null && v !== undefined) out[key] = stable(v);
    }
    return out;
  }
  return value;
}

interface TokenizerJson {
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    merges?: (string | [string, string])[];
    unk_token?: string | null;
    end_of_word_suffix?: string | null;
    continuing_subword_prefix?: string | null;
    byte_fallback?: boolean;
  };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  normalizer?: unknown;
  pre_tokenizer?: unknown;
  post_processor?: unknown;
}

/** SHA-256 (hex) of the canonical behaviour-bearing content of a parsed tokenizer.json. */
export function tokenizerDigest(parsed: unknown): string {
  const t = parsed as TokenizerJson;
  const model = t.model;
  if (!model?.vocab || !Array.isArray(model.merges)) {
    throw new Error('tokenizer.json has no BPE vocabulary and merges');
  }
  const vocab = Object.entries(model.vocab).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const canonical = stable({
    type: model.type,
    vocab,
    merges,
    unk: model.unk_token ?? '',
    suffix: model.end_of_word_suffix ?? '',
    prefix: model.continuing_subword_prefix ?? '',
    byteFallback: model.byte_fallback ?? false,
    added: (t.added_tokens ?? [])
      .map((a) => ({ id: a.id, content: a.content, special: a.special ?? false }))
      .sort((a, b) => a.id - b.id),
    normalizer: t.normalizer,
    preTokenizer: t.pre_tokenizer,
    postProcessor: t.post_processor,
  });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function tokenContent(value: unknown): unknown {
  return value && typeof value === 'object' && 'content' in value
    ? (value as { content: unknown }).content
    : value;
}

/**
 * SHA-256 (hex) of the settings in tokenizer_config.json that change how text is tokenised (the
 * rest is bookkeeping that export tools add, drop or reorder).
 */
export function tokenizerConfigDigest(parsed: unknown): string {
  if (!parsed || typeof parsed !== 'object')
    throw new Error('tokenizer_config.json is not an object');
  const c = parsed as Record<string, unknown>;
  const canonical = stable({
    tokenizerClass: c.tokenizer_class,
    maxLength: c.model_max_length,
    lowerCase: c.do_lower_case,
    prefixSpace: c.add_prefix_space ?? false,
    bos: tokenContent(c.bos_token),
    eos: tokenContent(c.eos_token),
    pad: tokenContent(c.pad_token),
    unk: tokenContent(c.unk_token),
  });
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export type DigestKind = 'tokenizer' | 'tokenizer-config';

export function contentDigest(kind: DigestKind, parsed: unknown): string {
  return kind === 'tokenizer' ? tokenizerDigest(parsed) : tokenizerConfigDigest(parsed);
}
