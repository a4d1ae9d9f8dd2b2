import type { AnyFactory } from './factory.js';

export type Kind = AnyFactory['kind'];
export const KINDS: readonly Kind[] = ['receiver', 'processor', 'exporter', 'connector', 'extension'];

/** Factories by kind and type name (aliases included). */
export class Registry {
  private readonly byKind = new Map<Kind, Map<string, AnyFactory>>();

  constructor(factories: readonly AnyFactory[]) {
    for (const k of KINDS) this.byKind.set(k, new Map());
    for (const f of factories) {
      const m = this.byKind.get(f.kind)!;
      for (const name of [f.type, ...(f.aliases ?? [])]) {
        if (m.has(name)) throw new Error(`duplicate ${f.kind} type ${name}`);
        m.set(name, f);
      }
    }
  }

  get(kind: Kind, type: string): AnyFactory | undefined {
    return this.byKind.get(kind)!.get(type);
  }

  types(kind: Kind): string[] {
    return [...this.byKind.get(kind)!.keys()].sort();
  }
}
